import { CreateLoginProfileCommand, CreateServiceSpecificCredentialCommand, CreateRoleCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts";
import Database from "better-sqlite3";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { aws, git, gitHome, type Creds } from "../helpers/clients.js";
import { iamClient, managed, userWith } from "../helpers/iam.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";
import { serversPerTest } from "../helpers/servers-per-test.js";

/** Secrets at rest and in logs (DESIGN.md principle 7): sealed, hashed, or not kept at all. */
const start = serversPerTest();
const ACCOUNT = "000000000000";

/** Every file under the data directory (database, its WAL, keys, repositories), as bytes. */
function everyFile(dir: string): Array<{ file: string; bytes: Buffer }> {
  const out: Array<{ file: string; bytes: Buffer }> = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      out.push({ file, bytes: fs.readFileSync(file) });
    }
  }
  return out;
}

/** The files and log lines holding a secret (none, we hope). */
function whereFound(s: ServerHandle, secret: string): string[] {
  const needle = Buffer.from(secret);
  const files = everyFile(s.dataDir).filter((f) => f.bytes.includes(needle)).map((f) => path.relative(s.dataDir, f.file));
  return [...files, ...(s.logs.join("\n").includes(secret) ? ["the log"] : [])];
}

describe("secrets at rest and in logs", () => {
  it("keeps no secret in the clear: access keys sealed, STS secrets sealed and tokens only digested, passwords scrypt hashes", async () => {
    // debug logging, so that a secret anywhere near a log call would show
    const s = await start({ args: ["--log-level", "debug"] });
    const iam = iamClient(s.url);
    const creds = await userWith(s.url, "keeper", { managed: [managed("AWSCodeCommitReadOnly")], inline: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] } });
    const cred = (await iam.send(new CreateServiceSpecificCredentialCommand({ UserName: "keeper", ServiceName: "codecommit.amazonaws.com" }))).ServiceSpecificCredential!;
    const loginPassword = `Correct-Horse-${crypto.randomBytes(6).toString("hex")}`;
    await iam.send(new CreateLoginProfileCommand({ UserName: "keeper", Password: loginPassword }));
    const sts = new STSClient({ endpoint: s.url, region: "us-east-1", credentials: creds, maxAttempts: 1 });
    const session = (await sts.send(new GetSessionTokenCommand({ DurationSeconds: 900 }))).Credentials!;
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] });
    const role = (await iam.send(new CreateRoleCommand({ RoleName: "kept", AssumeRolePolicyDocument: trust }))).Role!;
    const assumed = (await sts.send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: "kept" }))).Credentials!;
    // use each of them, so that they pass through verification (and whatever logs it)
    const temp: Creds = { accessKeyId: session.AccessKeyId!, secretAccessKey: session.SecretAccessKey!, sessionToken: session.SessionToken! };
    expect((await aws(s.url, ["codecommit", "list-repositories"], { creds: temp })).code).toBe(0);
    expect((await aws(s.url, ["sts", "get-caller-identity"], { creds: { accessKeyId: assumed.AccessKeyId!, secretAccessKey: assumed.SecretAccessKey!, sessionToken: assumed.SessionToken! } })).code).toBe(0);
    await aws(s.url, ["codecommit", "create-repository", "--repository-name", "kept"]);
    const https = `${s.url.replace("://", `://${encodeURIComponent(cred.ServiceUserName!)}:${encodeURIComponent(cred.ServicePassword!)}@`)}/v1/repos/kept`;
    expect((await git(["ls-remote", https], { env: gitHome(undefined, { helper: false }) })).code).toBe(0);
    await s.stop();

    const secrets = {
      "user secret access key": creds.secretAccessKey,
      "HTTPS Git password": cred.ServicePassword!,
      "login password": loginPassword,
      "GetSessionToken secret": session.SecretAccessKey!,
      "GetSessionToken token": session.SessionToken!,
      "AssumeRole secret": assumed.SecretAccessKey!,
      "AssumeRole token": assumed.SessionToken!,
    };
    // the search does find what is stored in the clear (so an empty answer means something)
    expect(whereFound(s, cred.ServiceSpecificCredentialId!)).toContain("headwater.db");
    for (const [what, secret] of Object.entries(secrets)) expect({ what, foundIn: whereFound(s, secret) }).toEqual({ what, foundIn: [] });

    // what is kept instead: scrypt hashes of passwords, sealed secrets, SHA-256 of tokens
    const db = new Database(path.join(s.dataDir, "headwater.db"), { readonly: true });
    try {
      const hashes = [
        ...db.prepare("select password_hash as h from service_credentials").all(),
        ...db.prepare("select password_hash as h from login_profiles").all(),
      ] as Array<{ h: string }>;
      expect(hashes.length).toBe(2);
      for (const { h } of hashes) expect(h).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      const sessions = db.prepare("select secret_sealed, token_sha256 from sts_sessions").all() as Array<{ secret_sealed: string; token_sha256: string }>;
      expect(sessions.length).toBe(2);
      for (const row of sessions) {
        expect(row.secret_sealed).toMatch(/^v1:/);
        expect(row.token_sha256).toMatch(/^[0-9a-f]{64}$/);
      }
      const digests = new Set(sessions.map((x) => x.token_sha256));
      for (const token of [session.SessionToken!, assumed.SessionToken!]) expect(digests.has(crypto.createHash("sha256").update(token).digest("hex"))).toBe(true);
      for (const row of db.prepare("select secret_sealed from access_keys").all() as Array<{ secret_sealed: string }>) expect(row.secret_sealed).toMatch(/^v1:/);
    } finally {
      db.close();
    }
  });

  it("makes a new data directory 0700 and the SQLite database with its -wal and -shm files 0600", async () => {
    const dataDir = path.join(tmpDir("dbmode"), "data");
    const s = await start({ dataDir });
    try {
      expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
      for (const f of ["headwater.db", "headwater.db-wal", "headwater.db-shm"]) expect(fs.statSync(path.join(dataDir, f)).mode & 0o777, f).toBe(0o600);
    } finally {
      await s.stop();
    }
  });

  it("creates master.key with mode 0600, and keeps it across restarts", async () => {
    const dataDir = tmpDir("masterkey");
    await (await start({ dataDir })).stop();
    const file = path.join(dataDir, "master.key");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const key = fs.readFileSync(file, "utf8");
    expect(Buffer.from(key.trim(), "base64")).toHaveLength(32);
    await (await start({ dataDir })).stop();
    expect(fs.readFileSync(file, "utf8")).toBe(key);
  });

  it("takes the master key from HEADWATER_MASTER_KEY instead of a file, and what it sealed reads back after a restart", async () => {
    const dataDir = tmpDir("envmaster");
    const env = { HEADWATER_MASTER_KEY: crypto.randomBytes(32).toString("base64") };
    let s = await start({ dataDir, env });
    const creds = await userWith(s.url, "sealed", { managed: [managed("AWSCodeCommitReadOnly")] });
    await s.stop();
    expect(fs.existsSync(path.join(dataDir, "master.key"))).toBe(false);
    s = await start({ dataDir, env });
    // the user's secret access key was sealed under the environment's key and opens again
    expect((await aws(s.url, ["codecommit", "list-repositories"], { creds })).code).toBe(0);
    expect(fs.existsSync(path.join(dataDir, "master.key"))).toBe(false);
    await s.stop();
    // a key of the wrong size is refused at start, with a message that says so
    await expect(startServer({ dataDir, env: { HEADWATER_MASTER_KEY: Buffer.alloc(16).toString("base64") } })).rejects.toThrow(/HEADWATER_MASTER_KEY must be 32 bytes/);
  });
});
