import { execFile, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { aws, gitHome, type Creds } from "./clients.js";
import { ADMIN, ROOT, tmpDir, type ServerHandle } from "./server.js";

/** OpenSSH's client and ssh-keygen, against the server's SSH port. */

export type KeyType = "rsa" | "ed25519" | "ecdsa";

export interface KeyPair {
  type: KeyType;
  /** the private key file (for ssh -i) */
  file: string;
  /** the public key line */
  pub: string;
}

export function makeKey(type: KeyType): KeyPair {
  const file = path.join(tmpDir(`key-${type}`), `id_${type}`);
  const bits = type === "rsa" ? ["-b", "3072"] : type === "ecdsa" ? ["-b", "256"] : [];
  execFileSync("ssh-keygen", ["-q", "-t", type, ...bits, "-N", "", "-C", `test-${type}`, "-f", file]);
  return { type, file, pub: fs.readFileSync(`${file}.pub`, "utf8").trim() };
}

/** Uploads a public key with the AWS CLI v2 (`aws iam upload-ssh-public-key`); returns its APKA… ID. */
export async function uploadKey(endpoint: string, userName: string, key: KeyPair, creds: Creds = ADMIN): Promise<string> {
  const r = await aws(endpoint, ["iam", "upload-ssh-public-key", "--user-name", userName, "--ssh-public-key-body", key.pub], { creds });
  if (r.code !== 0) throw new Error(`upload-ssh-public-key failed: ${r.stderr}`);
  return r.json.SSHPublicKey.SSHPublicKeyId as string;
}

export function run(cmd: string, args: string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: env ?? (process.env as Record<string, string>), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end();
  });
}

/** `headwater host-keys` for the server's data directory and SSH port. */
export function hostKeysCli(server: ServerHandle): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [path.join(ROOT, "dist/cli/main.js"), "host-keys", "--data-dir", server.dataDir, "--ssh-port", String(server.sshPort)]);
}

/** A known_hosts file made from `headwater host-keys`' output. */
export async function knownHostsFor(server: ServerHandle): Promise<string> {
  const r = await hostKeysCli(server);
  if (r.code !== 0) throw new Error(`host-keys failed: ${r.stderr}`);
  const file = path.join(tmpDir("known-hosts"), "known_hosts");
  fs.writeFileSync(file, r.stdout);
  return file;
}

/** ssh options: this key only, no agent, no user config, strict host key checking against `knownHosts`. */
export function sshOptions(key: KeyPair, knownHosts: string, extra: string[] = []): string[] {
  return [
    "-F", "/dev/null",
    "-i", key.file,
    "-o", "IdentitiesOnly=yes",
    "-o", "IdentityAgent=none",
    "-o", `UserKnownHostsFile=${knownHosts}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "StrictHostKeyChecking=yes",
    "-o", "BatchMode=yes",
    ...extra,
  ];
}

/** A git environment whose ssh is OpenSSH with `sshOptions`. */
export function sshGitEnv(key: KeyPair, knownHosts: string, extra: string[] = []): Record<string, string> {
  return { ...gitHome(ADMIN, { helper: false }), GIT_SSH_COMMAND: ["ssh", ...sshOptions(key, knownHosts, extra)].join(" ") };
}

export function sshUrl(server: ServerHandle, user: string, repo: string): string {
  return `ssh://${user}@127.0.0.1:${server.sshPort}/v1/repos/${repo}`;
}

/** Runs `ssh` itself (a command, or none for a shell) as `user`. */
export function ssh(
  server: ServerHandle,
  user: string,
  key: KeyPair,
  knownHosts: string,
  remote: string[] = [],
  extra: string[] = [],
  input = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("ssh", [...sshOptions(key, knownHosts, extra), "-p", String(server.sshPort), `${user}@127.0.0.1`, ...remote], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.stdin.on("error", () => {});
    child.stdin.end(input);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
}

/** `ssh-keygen -lf` of a file of public keys or known_hosts lines: the SHA256 fingerprints. */
export function fingerprints(text: string): string[] {
  const file = path.join(tmpDir("fp"), "keys");
  fs.writeFileSync(file, text);
  const out = execFileSync("ssh-keygen", ["-lf", file], { encoding: "utf8" });
  return out
    .trim()
    .split("\n")
    .map((l) => l.split(" ")[1]!)
    .sort();
}
