import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Config } from "./config.js";
import { generateSelfSigned } from "./self-signed.js";

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-256 fingerprint of the certificate, for people to compare */
  fingerprint: string;
  /** where the certificate is on disk (for GIT_SSL_CAINFO and friends) */
  certFile: string;
}

function fingerprint(certPem: string): string {
  return new crypto.X509Certificate(certPem).fingerprint256;
}

/**
 * The certificate to serve HTTPS with: the configured files, or one generated on first start
 * for the host name (plus localhost and loopback) and kept in the data directory.
 */
export async function loadTls(cfg: Config): Promise<TlsMaterial | undefined> {
  if (cfg.tlsCert && cfg.tlsKey) {
    const cert = fs.readFileSync(cfg.tlsCert, "utf8");
    return { cert, key: fs.readFileSync(cfg.tlsKey, "utf8"), fingerprint: fingerprint(cert), certFile: path.resolve(cfg.tlsCert) };
  }
  if (!cfg.tlsSelfSigned) return undefined;

  const dir = path.join(cfg.dataDir, "tls");
  const certFile = path.join(dir, "self-signed.crt");
  const keyFile = path.join(dir, "self-signed.key");
  const names = new Set(["localhost", os.hostname()]);
  const ips = new Set(["127.0.0.1", "::1"]);
  if (net.isIP(cfg.host)) {
    if (cfg.host !== "0.0.0.0" && cfg.host !== "::") ips.add(cfg.host);
  } else names.add(cfg.host);
  if (cfg.publicUrl) {
    const h = new URL(cfg.publicUrl).hostname.replace(/^\[|\]$/g, "");
    if (net.isIP(h)) ips.add(h);
    else names.add(h);
  }

  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const cert = fs.readFileSync(certFile, "utf8");
    const x509 = new crypto.X509Certificate(cert);
    const covers = [...names].every((n) => x509.checkHost(n) !== undefined) && [...ips].every((ip) => x509.checkIP(ip) !== undefined);
    if (covers && new Date(x509.validTo).getTime() > Date.now() + 7 * 86400_000) {
      return { cert, key: fs.readFileSync(keyFile, "utf8"), fingerprint: x509.fingerprint256, certFile };
    }
  }

  const now = new Date();
  const pems = await generateSelfSigned([{ name: "commonName", value: [...names][0]! }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 825 * 86400_000),
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [...[...names].map((value) => ({ type: 2 as const, value })), ...[...ips].map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(keyFile, pems.private, { mode: 0o600 });
  fs.writeFileSync(certFile, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private, fingerprint: fingerprint(pems.cert), certFile };
}
