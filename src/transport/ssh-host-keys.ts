import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import ssh2 from "ssh2";

/**
 * The SSH server's host keys: ed25519 and RSA, generated on first start and kept in
 * `<data-dir>/ssh/` (private halves mode 0600, OpenSSH format, next to their `.pub` files), so
 * clients' known_hosts entries stay valid across restarts and upgrades.
 */

export const HOST_KEY_TYPES = ["ssh-ed25519", "ssh-rsa"] as const;
export type HostKeyType = (typeof HOST_KEY_TYPES)[number];

export interface HostKey {
  type: HostKeyType;
  /** the private key, OpenSSH format */
  privateKey: string;
  /** `type base64` */
  publicLine: string;
  /** `SHA256:…`, as `ssh-keygen -l` and OpenSSH's prompts show it */
  fingerprint: string;
  file: string;
}

const FILES: Record<HostKeyType, string> = { "ssh-ed25519": "ssh_host_ed25519_key", "ssh-rsa": "ssh_host_rsa_key" };

export function hostKeyDir(dataDir: string): string {
  return path.join(dataDir, "ssh");
}

/** `SHA256:<unpadded base64>` of an SSH wire-format public key blob. */
export function sha256Fingerprint(blob: Buffer): string {
  return "SHA256:" + crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

function load(file: string, type: HostKeyType): HostKey {
  const privateKey = fs.readFileSync(file, "utf8");
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw new Error(`host key ${file} does not parse: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  if (key.type !== type || !key.isPrivateKey()) throw new Error(`host key ${file} is not a private ${type} key`);
  const blob = key.getPublicSSH();
  return { type, privateKey, publicLine: `${type} ${blob.toString("base64")}`, fingerprint: sha256Fingerprint(blob), file };
}

/**
 * A new private key that ssh2 reads back. ssh2's generateKeyPair drops a leading zero byte of an
 * ed25519 public key (about one key in 256), writing a key its own parser then refuses
 * ("Malformed OpenSSH private key"), which stopped a first start; such a key is made again.
 */
export async function generateHostKey(type: HostKeyType): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const privateKey = await generateOnce(type);
    if (!(ssh2.utils.parseKey(privateKey) instanceof Error) || attempt >= 20) return privateKey;
  }
}

function generateOnce(type: HostKeyType): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, pair: { private: string }) => (err ? reject(err) : resolve(pair.private));
    // off the event loop (an RSA key takes about a second): start-up goes on meanwhile
    if (type === "ssh-rsa") ssh2.utils.generateKeyPair("rsa", { bits: 3072, comment: "headwater host key" }, done);
    else ssh2.utils.generateKeyPair("ed25519", { comment: "headwater host key" }, done);
  });
}

/** The host keys, generating any that are missing. Safe against several processes starting at once. */
export async function ensureHostKeys(dataDir: string): Promise<{ keys: HostKey[]; generated: HostKeyType[]; looseModes: string[] }> {
  const dir = hostKeyDir(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const generated: HostKeyType[] = [];
  const looseModes: string[] = [];
  const keys = await Promise.all(
    HOST_KEY_TYPES.map(async (type) => {
      const file = path.join(dir, FILES[type]);
      if (!fs.existsSync(file)) {
        const privateKey = await generateHostKey(type);
        const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
        fs.writeFileSync(tmp, privateKey, { mode: 0o600 });
        try {
          // link, not rename: if another process made the key meanwhile, keep theirs
          fs.linkSync(tmp, file);
          generated.push(type);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        } finally {
          fs.rmSync(tmp, { force: true });
        }
      } else if (fs.statSync(file).mode & 0o077) {
        fs.chmodSync(file, 0o600);
        looseModes.push(file);
      }
      const key = load(file, type);
      const pub = `${file}.pub`;
      if (!fs.existsSync(pub)) fs.writeFileSync(pub, `${key.publicLine} headwater host key\n`, { mode: 0o644 });
      return key;
    }),
  );
  return { keys, generated, looseModes };
}

/** The host keys as they are on disk, or null when the server has not made them yet. */
export function readHostKeys(dataDir: string): HostKey[] | null {
  const dir = hostKeyDir(dataDir);
  if (!HOST_KEY_TYPES.every((t) => fs.existsSync(path.join(dir, FILES[t])))) return null;
  return HOST_KEY_TYPES.map((t) => load(path.join(dir, FILES[t]), t));
}

/** How OpenSSH names a host in known_hosts: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, "");
  return port === 22 ? bare : `[${bare}]:${port}`;
}

export function knownHostsLine(host: string, port: number, key: HostKey): string {
  return `${knownHostsName(host, port)} ${key.publicLine}`;
}
