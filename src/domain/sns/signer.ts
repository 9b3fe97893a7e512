import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { generateSelfSigned } from "../../self-signed.js";

/**
 * The key SNS messages are signed with, and the certificate subscribers verify them against
 * (served at `SigningCertURL`). Both live in `<data-dir>/sns/`, made on first start. RSA
 * PKCS#1 v1.5 signatures are deterministic, so a message re-signed for a retry (or after a
 * restart) carries the same signature.
 */
export class SnsSigner {
  private readonly cache = new Map<string, string>();

  private constructor(
    readonly certPem: string,
    private readonly key: crypto.KeyObject,
    /** `SimpleNotificationService-<32 hex>.pem`, as AWS names its certificates */
    readonly certFileName: string,
  ) {}

  static async open(dataDir: string): Promise<SnsSigner> {
    const dir = path.join(dataDir, "sns");
    const keyFile = path.join(dir, "signing-key.pem");
    const certFile = path.join(dir, "signing-cert.pem");
    let keyPem: string;
    let certPem: string;
    if (fs.existsSync(keyFile) && fs.existsSync(certFile)) {
      keyPem = fs.readFileSync(keyFile, "utf8");
      certPem = fs.readFileSync(certFile, "utf8");
    } else {
      const now = new Date();
      const pems = await generateSelfSigned([{ name: "commonName", value: "sns.amazonaws.com" }], {
        keySize: 2048,
        algorithm: "sha256",
        notBeforeDate: new Date(now.getTime() - 60_000),
        notAfterDate: new Date(now.getTime() + 10 * 365 * 86400_000),
        extensions: [{ name: "keyUsage", digitalSignature: true }],
      });
      keyPem = pems.private;
      certPem = pems.cert;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(keyFile, keyPem, { mode: 0o600 });
      fs.writeFileSync(certFile, certPem, { mode: 0o644 });
    }
    const digest = new crypto.X509Certificate(certPem).fingerprint256.replace(/:/g, "").toLowerCase().slice(0, 32);
    return new SnsSigner(certPem, crypto.createPrivateKey(keyPem), `SimpleNotificationService-${digest}.pem`);
  }

  /** Base64 SHA1withRSA (version 1) or SHA256withRSA (version 2) of the string to sign. */
  sign(stringToSign: string, version: string, cacheKey?: string): string {
    const k = cacheKey ? `${version}\u0000${cacheKey}` : undefined;
    const hit = k ? this.cache.get(k) : undefined;
    if (hit) return hit;
    const sig = crypto.sign(version === "2" ? "sha256" : "sha1", Buffer.from(stringToSign, "utf8"), this.key).toString("base64");
    if (k) {
      if (this.cache.size >= 5000) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(k, sig);
    }
    return sig;
  }
}

/** The fields of a message body, before signing. */
export interface EnvelopeFields {
  Type: string;
  MessageId: string;
  Token?: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  SubscribeURL?: string;
  Timestamp: string;
  SignatureVersion: string;
  UnsubscribeURL?: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/**
 * SNS's string to sign: `Name\nValue\n` for each signed field present, in byte order of the
 * names. Notifications sign Message, MessageId, Subject, Timestamp, TopicArn, Type;
 * confirmations sign Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type.
 */
export function stringToSign(f: EnvelopeFields): string {
  const names =
    f.Type === "Notification"
      ? (["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] as const)
      : (["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"] as const);
  let out = "";
  for (const n of names) {
    const v = f[n];
    if (v !== undefined) out += `${n}\n${v}\n`;
  }
  return out;
}

/**
 * The JSON body, laid out as SNS lays it out (`"Key" : value`, one member a line, in SNS's
 * member order). Consumers parse it as JSON; the layout only matters to people reading it.
 */
export function renderEnvelope(f: EnvelopeFields, signature: string, signingCertUrl: string): string {
  const members: Array<[string, string]> = [];
  const add = (k: string, v: string | undefined) => {
    if (v !== undefined) members.push([k, JSON.stringify(v)]);
  };
  add("Type", f.Type);
  add("MessageId", f.MessageId);
  add("Token", f.Token);
  add("TopicArn", f.TopicArn);
  add("Subject", f.Subject);
  add("Message", f.Message);
  add("SubscribeURL", f.SubscribeURL);
  add("Timestamp", f.Timestamp);
  add("SignatureVersion", f.SignatureVersion);
  add("Signature", signature);
  add("SigningCertURL", signingCertUrl);
  add("UnsubscribeURL", f.UnsubscribeURL);
  if (f.MessageAttributes && Object.keys(f.MessageAttributes).length) {
    const attrs = Object.entries(f.MessageAttributes).map(([k, v]) => `    ${JSON.stringify(k)} : ${JSON.stringify({ Type: v.Type, Value: v.Value })}`);
    members.push(["MessageAttributes", `{\n${attrs.join(",\n")}\n  }`]);
  }
  return `{\n${members.map(([k, v]) => `  ${JSON.stringify(k)} : ${v}`).join(",\n")}\n}`;
}
