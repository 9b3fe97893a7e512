import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * Secrets at rest: AES-256-GCM under a 32-byte master key, read from HEADWATER_MASTER_KEY
 * (base64) or from `<data-dir>/master.key`, created with mode 0600 on first start.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static open(dataDir: string, envKey: string | undefined = process.env.HEADWATER_MASTER_KEY): SecretBox {
    if (envKey) {
      const key = Buffer.from(envKey, "base64");
      if (key.length !== 32) throw new Error("HEADWATER_MASTER_KEY must be 32 bytes, base64-encoded");
      return new SecretBox(key);
    }
    const file = path.join(dataDir, "master.key");
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, crypto.randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const key = Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return new SecretBox(key);
  }

  seal(plain: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return "v1:" + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
  }

  open(sealed: string): string {
    if (!sealed.startsWith("v1:")) throw new Error("unknown sealed secret format");
    const raw = Buffer.from(sealed.slice(3), "base64");
    const decipher = crypto.createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  }
}

/** Constant-time equality of two strings (lengths may differ; that is not hidden). */
export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && crypto.timingSafeEqual(ba, bb);
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * IAM-style identifiers: a 4-letter prefix (AKIA, AIDA, APKA, ACCA, ASIA, …) and upper-case
 * base32 characters, 20 characters in all (access and SSH key IDs) or 21 (user, group, role,
 * policy and credential IDs), as AWS makes them.
 */
export function iamId(prefix: string, length = 20): string {
  const bytes = crypto.randomBytes(length - prefix.length);
  let out = prefix;
  for (const b of bytes) out += B32[b & 31];
  return out;
}

/** A 40-character secret access key, as AWS makes them. */
export function newSecretAccessKey(): string {
  return crypto.randomBytes(30).toString("base64");
}
