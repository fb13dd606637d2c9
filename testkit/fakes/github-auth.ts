// Credentials as GitHub checks them: the App's JWT (RS256, signed with the App's private key, short
// lived), installation tokens it issues for one installation, static tokens (a workflow's
// GITHUB_TOKEN) bound to one repository, user access tokens from the App's OAuth web flow
// (github-oauth.ts), and the App's client ID and secret as HTTP Basic credentials.
import { createPublicKey, type KeyObject, randomBytes, verify } from "node:crypto";

/** GitHub refuses App JWTs that live longer than this. */
const MAX_JWT_LIFETIME_SECONDS = 600;
/** Clock drift GitHub tolerates on `iat` (octokit backdates it by 30 s). */
const CLOCK_DRIFT_SECONDS = 60;
const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

export type Credential =
  | { kind: "app" }
  | { kind: "installation"; installationId: number; repositories: string[] | undefined }
  | { kind: "static"; repository: string }
  /** A user access token (`ghu_…`) from the App's OAuth web flow. */
  | { kind: "user"; userId: number }
  /** `Authorization: Basic` with the App's client ID and secret. */
  | { kind: "client"; clientId: string }
  | { kind: "none" }
  | { kind: "invalid"; message: string };

interface IssuedToken {
  installationId: number;
  /** Names the token was narrowed to at creation (`repositories` in the request), lower-case. */
  repositories: string[] | undefined;
  expiresAt: number;
}

export class GitHubAuth {
  private readonly publicKey: KeyObject;
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly userTokens = new Map<string, { userId: number; expiresAt: number }>();
  /** The App's client secret, for Basic credentials (set by the OAuth flow). */
  clientSecret: string | undefined;

  constructor(
    private readonly appId: number,
    privateKey: string,
    private readonly staticTokens: Record<string, { repository: string }>,
    /** GitHub accepts the App's client ID as `iss` too. */
    private readonly clientId: string,
    private readonly clock: () => number = Date.now,
  ) {
    // Accepts PKCS#1 and PKCS#8 PEM; the public half is all a verifier needs.
    this.publicKey = createPublicKey(privateKey.replace(/\\n/g, "\n"));
  }

  /** A workflow's GITHUB_TOKEN, able to see one repository, from now on. */
  addStaticToken(token: string, repository: string): void {
    this.staticTokens[token] = { repository };
  }

  /** Reads the Authorization header: `Bearer <jwt>` or `token <token>` (either scheme, any case). */
  identify(header: string | undefined): Credential {
    if (!header) return { kind: "none" };
    const basic = /^basic\s+(\S+)$/i.exec(header.trim());
    if (basic) return this.verifyBasic(basic[1] as string);
    const match = /^(bearer|token)\s+(\S+)$/i.exec(header.trim());
    if (!match) return { kind: "invalid", message: "Bad credentials" };
    const secret = match[2] as string;
    if (secret.split(".").length === 3) return this.verifyJwt(secret);
    const staticToken = this.staticTokens[secret];
    if (staticToken) return { kind: "static", repository: staticToken.repository };
    const user = this.userTokens.get(secret);
    if (user) {
      return user.expiresAt > this.clock()
        ? { kind: "user", userId: user.userId }
        : { kind: "invalid", message: "Bad credentials" };
    }
    const issued = this.tokens.get(secret);
    if (!issued || issued.expiresAt <= this.clock()) return { kind: "invalid", message: "Bad credentials" };
    return { kind: "installation", installationId: issued.installationId, repositories: issued.repositories };
  }

  issueToken(
    installationId: number,
    repositories: string[] | undefined,
  ): { token: string; expiresAt: string } {
    const token = `ghs_${randomBytes(18).toString("base64url")}`;
    const expiresAt = this.clock() + TOKEN_LIFETIME_MS;
    this.tokens.set(token, {
      installationId,
      repositories: repositories?.map((r) => r.toLowerCase()),
      expiresAt,
    });
    return { token, expiresAt: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z") };
  }

  /** A user access token, as the OAuth web flow hands it out (8 hours, as GitHub's expiring tokens). */
  issueUserToken(
    userId: number,
    lifetimeMs = 8 * TOKEN_LIFETIME_MS,
  ): { token: string; expiresInSeconds: number } {
    const token = `ghu_${randomBytes(27).toString("base64url")}`;
    this.userTokens.set(token, { userId, expiresAt: this.clock() + lifetimeMs });
    return { token, expiresInSeconds: Math.round(lifetimeMs / 1000) };
  }

  /** Revokes a user access token; false when there was no such token. */
  revokeUserToken(token: string): boolean {
    return this.userTokens.delete(token);
  }

  /** User access tokens that still work (tests check that the App kept none alive). */
  liveUserTokens(): number {
    const now = this.clock();
    return [...this.userTokens.values()].filter((t) => t.expiresAt > now).length;
  }

  private verifyBasic(encoded: string): Credential {
    const text = Buffer.from(encoded, "base64").toString("utf8");
    const colon = text.indexOf(":");
    const id = colon < 0 ? text : text.slice(0, colon);
    const secret = colon < 0 ? "" : text.slice(colon + 1);
    if (id !== this.clientId || !this.clientSecret || secret !== this.clientSecret)
      return { kind: "invalid", message: "Bad credentials" };
    return { kind: "client", clientId: id };
  }

  private verifyJwt(jwt: string): Credential {
    const undecodable: Credential = { kind: "invalid", message: "A JSON web token could not be decoded" };
    const [header, payload, signature] = jwt.split(".") as [string, string, string];
    let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
    try {
      const head = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: unknown };
      if (head.alg !== "RS256") return undecodable;
      claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      return undecodable;
    }
    const signed = verify(
      "RSA-SHA256",
      Buffer.from(`${header}.${payload}`),
      this.publicKey,
      Buffer.from(signature, "base64url"),
    );
    if (!signed) return undecodable;
    const now = Math.floor(this.clock() / 1000);
    if (
      typeof claims.iat !== "number" ||
      !Number.isInteger(claims.iat) ||
      claims.iat > now + CLOCK_DRIFT_SECONDS
    ) {
      return {
        kind: "invalid",
        message:
          "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.",
      };
    }
    if (
      typeof claims.exp !== "number" ||
      claims.exp <= now ||
      claims.exp > now + MAX_JWT_LIFETIME_SECONDS ||
      claims.exp - claims.iat > MAX_JWT_LIFETIME_SECONDS
    ) {
      return {
        kind: "invalid",
        message:
          "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.",
      };
    }
    if (String(claims.iss) !== String(this.appId) && claims.iss !== this.clientId)
      return { kind: "invalid", message: "Integration not found" };
    return { kind: "app" };
  }
}
