// Sealed values for cookies: AES-256-GCM, so a cookie is both signed (any change fails the tag) and
// unreadable (a session cookie carries the person's GitHub token). The key is derived from the GitHub
// App's client secret with HKDF, one key per purpose, so a value sealed for one purpose never opens
// as another, and nothing else keyed by that secret (H10's link tickets) can pass for one.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "s1";
/** Bounds what an unauthenticated cookie can make the App decrypt. */
const MAX_SEALED_CHARS = 4096;

export interface Sealer {
  seal(value: unknown): string;
  /** The value, or undefined when the text was not sealed by this sealer (or is malformed). */
  open(text: string): unknown;
}

export function createSealer(secret: string, purpose: string): Sealer {
  if (!secret) throw new Error("sealed cookies need the GitHub App's client secret");
  const key = Buffer.from(hkdfSync("sha256", secret, "slack-deploy-gate", `web ${purpose} v1`, 32));
  const aad = Buffer.from(`${VERSION}:${purpose}`);
  return {
    seal(value) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(aad);
      const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
      return [
        VERSION,
        iv.toString("base64url"),
        body.toString("base64url"),
        cipher.getAuthTag().toString("base64url"),
      ].join(".");
    },
    open(text) {
      if (typeof text !== "string" || text.length > MAX_SEALED_CHARS) return undefined;
      const parts = text.split(".");
      if (parts.length !== 4 || parts[0] !== VERSION) return undefined;
      const [, iv, body, tag] = parts as [string, string, string, string];
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
        decipher.setAAD(aad);
        const tagBytes = Buffer.from(tag, "base64url");
        if (tagBytes.length !== 16) return undefined;
        decipher.setAuthTag(tagBytes);
        const plain = Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]);
        return JSON.parse(plain.toString("utf8")) as unknown;
      } catch {
        return undefined;
      }
    },
  };
}

/** The cookies a request carries, by name (the first of a repeated name wins). */
export function readCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header || header.length > 16 * 1024) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}
