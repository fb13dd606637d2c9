// A GitHub App's private key for tests: RSA 2048 in PEM, PKCS#1 as GitHub hands it out ("BEGIN RSA
// PRIVATE KEY"), or PKCS#8 as some key stores convert it.
import { generateKeyPairSync } from "node:crypto";

export function newPrivateKey(encoding: "pkcs1" | "pkcs8" = "pkcs1"): string {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: encoding, format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
}
