import { AttachGroupPolicyCommand, CreateGroupCommand, PutGroupPolicyCommand } from "@aws-sdk/client-iam";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { aws, git, gitHome, gitOk, makeWorkRepo, type Creds } from "../helpers/clients.js";
import { iamClient, managed, userWith } from "../helpers/iam.js";
import { refEvents } from "../helpers/events.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";
import {
  fingerprints,
  hostKeysCli,
  knownHostsFor,
  makeKey,
  run,
  ssh,
  sshGitEnv,
  sshOptions,
  sshUrl,
  uploadKey,
  type KeyPair,
  type KeyType,
} from "../helpers/ssh.js";

const ACCOUNT = "000000000000";
const ZERO = "0".repeat(40);
const GREETING = "You have successfully authenticated over SSH. You can use Git to interact with CodeCommit.";
const arnOf = (repo: string) => `arn:aws:codecommit:us-east-1:${ACCOUNT}:${repo}`;
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;

let server: ServerHandle;
let known: string;
let adminHttp: Record<string, string>;

async function createRepo(s: ServerHandle, name: string, seed = false): Promise<{ id: string; cloneUrlSsh: string }> {
  const r = await call(s.url, "sdk", "CreateRepository", { repositoryName: name });
  expect(r.error).toBeUndefined();
  if (seed) {
    const work = await makeWorkRepo(adminHttp, { "README.md": `${name}\n`, "src/a.txt": "a\n".repeat(1000) });
    await gitOk(["push", "-q", `${s.url}/v1/repos/${name}`, "main"], { cwd: work, env: adminHttp });
  }
  return { id: r.out.repositoryMetadata.repositoryId, cloneUrlSsh: r.out.repositoryMetadata.cloneUrlSsh };
}

/** An IAM user with an access key (for HTTPS), the given policies, and an uploaded SSH key. */
async function sshUser(
  name: string,
  opts: { managed?: string[]; groups?: string[]; inline?: object; type?: KeyType } = {},
): Promise<{ creds: Creds; key: KeyPair; keyId: string; env: Record<string, string> }> {
  const creds = await userWith(server.url, name, { managed: opts.managed ?? [managed("AWSCodeCommitPowerUser")], groups: opts.groups, inline: opts.inline });
  const key = makeKey(opts.type ?? "ed25519");
  const keyId = await uploadKey(server.url, name, key);
  return { creds, key, keyId, env: sshGitEnv(key, known) };
}

/**
 * A receive-pack conversation through ssh2's client that, like JGit, sends its commands and pack
 * and then waits for the report without closing its end. Resolves with what came back in 10 s.
 */
async function rawPush(u: { keyId: string; key: KeyPair }, repo: string, commands: string[], pack: Buffer): Promise<string> {
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.on("ready", () => resolve()).on("error", reject);
    client.connect({ host: "127.0.0.1", port: server.sshPort, username: u.keyId, privateKey: fs.readFileSync(u.key.file), hostVerifier: () => true });
  });
  try {
    const channel = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
      client.exec(`git-receive-pack '/v1/repos/${repo}'`, (err, ch) => (err ? reject(err) : resolve(ch))),
    );
    const received: Buffer[] = [];
    let advertised = false;
    return await new Promise<string>((resolve) => {
      const done = () => resolve(Buffer.concat(received).toString("latin1"));
      const timer = setTimeout(done, 10_000);
      channel.on("data", (d: Buffer) => {
        if (!advertised) {
          // the advertisement ends with a flush; then the commands and the pack go out
          if (!d.toString("latin1").endsWith("0000")) return;
          advertised = true;
          const pkt = (line: string) => Buffer.concat([Buffer.from((line.length + 4).toString(16).padStart(4, "0")), Buffer.from(line)]);
          const lines = commands.map((c, i) => pkt(i === 0 ? `${c}\0report-status side-band-64k\n` : `${c}\n`));
          channel.write(Buffer.concat([...lines, Buffer.from("0000"), pack]));
          return;
        }
        received.push(d);
        // the report ends with a flush inside band 1, then a flush of the side band
        if (Buffer.concat(received).toString("latin1").endsWith("0000")) {
          clearTimeout(timer);
          done();
        }
      });
    });
  } finally {
    client.end();
  }
}

async function commitIn(dir: string, env: Record<string, string>, file: string): Promise<string> {
  fs.writeFileSync(path.join(dir, file), `${file} ${Date.now()} ${Math.random()}\n`);
  await gitOk(["add", "."], { cwd: dir, env });
  await gitOk(["commit", "-qm", file], { cwd: dir, env });
  return (await gitOk(["rev-parse", "HEAD"], { cwd: dir, env })).trim();
}

async function branchTip(s: ServerHandle, repo: string, branch: string): Promise<string | undefined> {
  const r = await call(s.url, "sdk", "GetBranch", { repositoryName: repo, branchName: branch });
  return r.out?.branch?.commitId;
}

beforeAll(async () => {
  server = await startServer();
  adminHttp = gitHome();
  known = await knownHostsFor(server);
});
afterAll(async () => {
  await server?.stop();
});

describe("host keys", () => {
  it("are logged at start, printed by `headwater host-keys`, and are what ssh-keyscan sees; kept mode 0600", async () => {
    const logged = server.sshHostKeys;
    expect(Object.keys(logged).sort()).toEqual(["ssh-ed25519", "ssh-rsa"]);
    const expected = Object.values(logged).sort();
    const cli = await hostKeysCli(server);
    expect(cli.code).toBe(0);
    for (const fp of expected) expect(cli.stdout).toContain(`# ${fp}`);
    expect(cli.stdout).toContain(`[127.0.0.1]:${server.sshPort} ssh-ed25519 AAAA`);
    expect(fingerprints(cli.stdout)).toEqual(expected);
    const scan = await run("ssh-keyscan", ["-p", String(server.sshPort), "-t", "ed25519,rsa", "127.0.0.1"]);
    expect(fingerprints(scan.stdout)).toEqual(expected);
    for (const f of ["ssh_host_ed25519_key", "ssh_host_rsa_key"]) {
      expect(fs.statSync(path.join(server.dataDir, "ssh", f)).mode & 0o777).toBe(0o600);
    }
  });

  it("with StrictHostKeyChecking, ssh refuses a server whose key is not the one in known_hosts", async () => {
    const u = await sshUser("hostcheck");
    const other = makeKey("ed25519");
    const wrongKnown = path.join(tmpDir("wrong-known"), "known_hosts");
    fs.writeFileSync(wrongKnown, `[127.0.0.1]:${server.sshPort} ${other.pub}\n`);
    const r = await ssh(server, u.keyId, u.key, wrongKnown, ["git-upload-pack '/v1/repos/none'"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    const empty = path.join(tmpDir("empty-known"), "known_hosts");
    fs.writeFileSync(empty, "");
    expect((await ssh(server, u.keyId, u.key, empty, ["true"])).stderr).toContain("Host key verification failed");
  });
});

describe("clone, fetch and push over SSH", () => {
  it.each<KeyType>(["rsa", "ed25519", "ecdsa"])("with a %s key uploaded with the AWS CLI; the first branch becomes the default", async (type) => {
    const u = await sshUser(`dev-${type}`, { type });
    expect(u.keyId).toMatch(/^APKA[A-Z0-9]{16}$/);
    const repo = `keys-${type}`;
    const { cloneUrlSsh } = await createRepo(server, repo);
    expect(cloneUrlSsh).toBe(`ssh://127.0.0.1:${server.sshPort}/v1/repos/${repo}`);
    const url = cloneUrlSsh.replace("ssh://", `ssh://${u.keyId}@`);

    const a = tmpDir("ssh-a");
    const clone = await git(["clone", url, a], { env: u.env });
    expect(clone.code).toBe(0);
    expect(clone.stderr).toContain("cloned an empty repository");
    const first = await commitIn(a, u.env, "one.txt");
    await gitOk(["push", "-q", "origin", "HEAD:refs/heads/trunk"], { cwd: a, env: u.env });
    expect(await branchTip(server, repo, "trunk")).toBe(first);
    const meta = await call(server.url, "sdk", "GetRepository", { repositoryName: repo });
    expect(meta.out.repositoryMetadata.defaultBranch).toBe("trunk");

    const b = tmpDir("ssh-b");
    await gitOk(["clone", "-q", url, b], { env: u.env });
    expect((await gitOk(["rev-parse", "HEAD"], { cwd: b, env: u.env })).trim()).toBe(first);
    expect((await gitOk(["rev-parse", "--abbrev-ref", "HEAD"], { cwd: b, env: u.env })).trim()).toBe("trunk");

    const second = await commitIn(a, u.env, "two.txt");
    await gitOk(["push", "-q", "origin", "HEAD:trunk"], { cwd: a, env: u.env });
    await gitOk(["fetch", "-q", "origin"], { cwd: b, env: u.env });
    expect((await gitOk(["rev-parse", "origin/trunk"], { cwd: b, env: u.env })).trim()).toBe(second);
    // a branch deletion over git (GitPush, not DeleteBranch)
    await gitOk(["push", "-q", "origin", "HEAD:refs/heads/temp"], { cwd: a, env: u.env });
    await gitOk(["push", "-q", "origin", ":refs/heads/temp"], { cwd: a, env: u.env });
    expect(await branchTip(server, repo, "temp")).toBeUndefined();
  });

  it("with an RSA key uploaded in PEM, as AWS takes it (ssh-keygen -e -m PKCS8, and PKCS#1), and cloned with its key ID", async () => {
    await userWith(server.url, "pem-user", { managed: [managed("AWSCodeCommitPowerUser")] });
    const key = makeKey("rsa");
    const spki = execFileSync("ssh-keygen", ["-e", "-m", "PKCS8", "-f", `${key.file}.pub`], { encoding: "utf8" });
    expect(spki).toContain("-----BEGIN PUBLIC KEY-----");
    const up = await aws(server.url, ["iam", "upload-ssh-public-key", "--user-name", "pem-user", "--ssh-public-key-body", spki]);
    expect(up.stderr).toBe("");
    const keyId: string = up.json.SSHPublicKey.SSHPublicKeyId;
    expect(keyId).toMatch(/^APKA[A-Z0-9]{16}$/);
    // stored as the same key: the OpenSSH line back, and ssh-keygen's MD5 fingerprint
    const md5 = execFileSync("ssh-keygen", ["-l", "-E", "md5", "-f", `${key.file}.pub`], { encoding: "utf8" }).split(" ")[1]!.replace(/^MD5:/, "");
    expect(up.json.SSHPublicKey.Fingerprint).toBe(md5);
    const got = await aws(server.url, ["iam", "get-ssh-public-key", "--user-name", "pem-user", "--ssh-public-key-id", keyId, "--encoding", "SSH"]);
    expect(got.json.SSHPublicKey.SSHPublicKeyBody).toBe(key.pub.split(" ").slice(0, 2).join(" "));
    // the same key in PKCS#1 is that key again; a private key pasted by mistake is refused
    const pkcs1 = execFileSync("ssh-keygen", ["-e", "-m", "PEM", "-f", `${key.file}.pub`], { encoding: "utf8" });
    expect(pkcs1).toContain("-----BEGIN RSA PUBLIC KEY-----");
    const again = await aws(server.url, ["iam", "upload-ssh-public-key", "--user-name", "pem-user", "--ssh-public-key-body", pkcs1]);
    expect(again.stderr).toContain("DuplicateSSHPublicKey");
    const priv = await aws(server.url, ["iam", "upload-ssh-public-key", "--user-name", "pem-user", "--ssh-public-key-body", fs.readFileSync(key.file, "utf8")]);
    expect(priv.code).not.toBe(0);

    await createRepo(server, "pem-keys", true);
    const env = sshGitEnv(key, known);
    const dir = tmpDir("pem-clone");
    await gitOk(["clone", "-q", sshUrl(server, keyId, "pem-keys"), dir], { env });
    expect(fs.readFileSync(path.join(dir, "README.md"), "utf8")).toBe("pem-keys\n");
    const tip = await commitIn(dir, env, "pem.txt");
    await gitOk(["push", "-q", "origin", "HEAD:main"], { cwd: dir, env });
    expect(await branchTip(server, "pem-keys", "main")).toBe(tip);
  });

  it.each(["0", "2"])("speaks protocol version %s (GIT_PROTOCOL through the env request)", async (version) => {
    const u = await sshUser(`proto-${version}`);
    const repo = `proto-${version}`;
    await createRepo(server, repo, true);
    const env = { ...u.env, GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "protocol.version", GIT_CONFIG_VALUE_0: version };
    const url = sshUrl(server, u.keyId, repo);
    const dir = tmpDir("proto");
    const traced = await git(["clone", "-q", url, dir], { env: { ...env, GIT_TRACE_PACKET: "1" } });
    expect(traced.code).toBe(0);
    if (version === "2") {
      expect(traced.stderr).toContain("clone< version 2");
      expect(traced.stderr).toContain("clone> command=ls-refs");
    } else {
      expect(traced.stderr).not.toContain("< version 2");
    }
    const tip = await commitIn(dir, env, `v${version}.txt`);
    await gitOk(["push", "-q", "origin", "HEAD:main"], { cwd: dir, env });
    expect(await gitOk(["ls-remote", url], { env })).toContain(`${tip}\trefs/heads/main`);
  });

  it("accepts the user name git (the key found by its fingerprint), a .git suffix, and scp-like URLs", async () => {
    const u = await sshUser("mirror-bot");
    await createRepo(server, "mirrored", true);
    const dir = tmpDir("as-git");
    await gitOk(["clone", "-q", sshUrl(server, "git", "mirrored.git"), dir], { env: u.env });
    expect(fs.readFileSync(path.join(dir, "README.md"), "utf8")).toBe("mirrored\n");
    await commitIn(dir, u.env, "mirror.txt");
    await gitOk(["push", "-q", "origin", "HEAD:refs/heads/mirror"], { cwd: dir, env: u.env });
    const ev = refEvents(server.dataDir).filter((e) => e.repository_name === "mirrored").pop()!;
    expect(ev.actor_arn).toBe(userArn("mirror-bot"));
    // scp-like syntax (the port from ssh's options): git sends the path without its leading slash
    const scpEnv = sshGitEnv(u.key, known, ["-p", String(server.sshPort)]);
    const scp = await git(["ls-remote", `${u.keyId}@127.0.0.1:v1/repos/mirrored`], { env: scpEnv });
    expect(scp.code).toBe(0);
    expect(scp.stdout).toContain("refs/heads/mirror");
  });

  it("works with the README's ~/.ssh/config recipe and the cloneUrlSsh CodeCommit returns", async () => {
    const u = await sshUser("config-user", { type: "rsa" });
    const { cloneUrlSsh } = await createRepo(server, "by-config", true);
    const config = path.join(tmpDir("ssh-config"), "config");
    fs.writeFileSync(
      config,
      [
        "Host 127.0.0.1",
        `  User ${u.keyId}`,
        `  IdentityFile ${u.key.file}`,
        "  IdentitiesOnly yes",
        `  UserKnownHostsFile ${known}`,
        "  StrictHostKeyChecking yes",
        "",
      ].join("\n"),
    );
    const env = { ...gitHome(undefined, { helper: false }), GIT_SSH_COMMAND: `ssh -F ${config} -o IdentityAgent=none -o BatchMode=yes` };
    const dir = tmpDir("by-config");
    await gitOk(["clone", "-q", cloneUrlSsh, dir], { env });
    await commitIn(dir, env, "config.txt");
    await gitOk(["push", "-q", "origin", "HEAD:main"], { cwd: dir, env });
  });

  it("serves git archive --remote", async () => {
    const u = await sshUser("archiver", { managed: [managed("AWSCodeCommitReadOnly")] });
    await createRepo(server, "archived", true);
    const out = path.join(tmpDir("archive"), "a.tar");
    const r = await git(["archive", "--remote", sshUrl(server, u.keyId, "archived"), "-o", out, "main"], { env: u.env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const listing = execFileSync("tar", ["tf", out], { encoding: "utf8" });
    expect(listing.split("\n")).toEqual(expect.arrayContaining(["README.md", "src/a.txt"]));
    // archives need GitPull like any read
    const nobody = await sshUser("archive-nobody", { managed: [] });
    const denied = await git(["archive", "--remote", sshUrl(server, nobody.keyId, "archived"), "main"], { env: nobody.env });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(`User: ${userArn("archive-nobody")} is not authorized to perform: codecommit:GitPull on resource: ${arnOf("archived")}`);
  });

  it("serves 20 concurrent clones", async () => {
    const u = await sshUser("crowd");
    await createRepo(server, "crowded", true);
    const url = sshUrl(server, u.keyId, "crowded");
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const dir = tmpDir("crowd");
        const r = await git(["clone", "-q", url, dir], { env: u.env });
        return { code: r.code, stderr: r.stderr, ok: r.code === 0 && fs.existsSync(path.join(dir, "src/a.txt")) };
      }),
    );
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });
});

describe("authentication", () => {
  it("a key deactivated mid-way stops working at once, also on a connection opened before (multiplexed)", async () => {
    const u = await sshUser("flaky");
    await createRepo(server, "revocable", true);
    const url = sshUrl(server, u.keyId, "revocable");
    expect((await git(["ls-remote", url], { env: u.env })).code).toBe(0);

    // an OpenSSH master connection, opened while the key is active
    const sock = path.join(tmpDir("mux"), "s");
    const master: ChildProcess = spawn(
      "ssh",
      [...sshOptions(u.key, known), "-M", "-S", sock, "-o", "ControlPersist=no", "-N", "-p", String(server.sshPort), `${u.keyId}@127.0.0.1`],
      { stdio: "ignore" },
    );
    try {
      for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      expect(fs.existsSync(sock)).toBe(true);
      const muxEnv = sshGitEnv(u.key, known, ["-S", sock, "-o", "ControlMaster=no"]);
      expect((await git(["ls-remote", url], { env: muxEnv })).code).toBe(0);

      const off = await aws(server.url, ["iam", "update-ssh-public-key", "--user-name", "flaky", "--ssh-public-key-id", u.keyId, "--status", "Inactive"]);
      expect(off.code).toBe(0);
      const fresh = await git(["ls-remote", url], { env: u.env });
      expect(fresh.code).not.toBe(0);
      expect(fresh.stderr).toContain("Permission denied (publickey)");
      const reused = await git(["ls-remote", url], { env: muxEnv });
      expect(reused.code).not.toBe(0);
      expect(reused.stderr).toContain(`The SSH key ${u.keyId} is not active any more.`);
      // the fingerprint route sees the same status
      expect((await git(["ls-remote", sshUrl(server, "git", "revocable")], { env: u.env })).stderr).toContain("Permission denied (publickey)");

      await aws(server.url, ["iam", "update-ssh-public-key", "--user-name", "flaky", "--ssh-public-key-id", u.keyId, "--status", "Active"]);
      expect((await git(["ls-remote", url], { env: u.env })).code).toBe(0);
    } finally {
      master.kill();
    }
  });

  it("refuses a wrong key, a wrong key ID and an unknown key with Permission denied (publickey)", async () => {
    const u = await sshUser("owner");
    const other = await sshUser("other-owner");
    await createRepo(server, "guarded", true);
    const stranger = makeKey("ed25519");
    const cases: Array<[string, KeyPair]> = [
      [u.keyId, other.key], // another user's (valid) key under this key ID
      [u.keyId, stranger], // a key never uploaded
      ["APKA" + "Z".repeat(16), u.key], // a key ID that does not exist
      [other.keyId, u.key], // the right key under someone else's key ID
      ["git", stranger], // user git with a key nobody uploaded
      ["alice", u.key], // neither a key ID nor git
    ];
    for (const [user, key] of cases) {
      const r = await git(["ls-remote", sshUrl(server, user, "guarded")], { env: sshGitEnv(key, known) });
      expect(r.code, `${user} with ${key.pub.slice(0, 30)}`).not.toBe(0);
      expect(r.stderr).toContain(`${user}@127.0.0.1: Permission denied (publickey).`);
    }
  });

  it("refuses the keys of a deleted user", async () => {
    const u = await sshUser("leaver");
    await createRepo(server, "left", true);
    expect((await git(["ls-remote", sshUrl(server, u.keyId, "left")], { env: u.env })).code).toBe(0);
    // IAM's order: keys and policies first, then the user
    const steps = [
      ["iam", "delete-ssh-public-key", "--user-name", "leaver", "--ssh-public-key-id", u.keyId],
      ["iam", "delete-access-key", "--user-name", "leaver", "--access-key-id", u.creds.accessKeyId],
      ["iam", "detach-user-policy", "--user-name", "leaver", "--policy-arn", managed("AWSCodeCommitPowerUser")],
      ["iam", "delete-user", "--user-name", "leaver"],
    ];
    for (const s of steps) expect((await aws(server.url, s)).code, s.join(" ")).toBe(0);
    for (const user of [u.keyId, "git"]) {
      const r = await git(["ls-remote", sshUrl(server, user, "left")], { env: u.env });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("Permission denied (publickey)");
    }
    // uploading the same key to a new user makes it that user's
    const heir = await userWith(server.url, "heir", { managed: [managed("AWSCodeCommitReadOnly")] });
    expect(heir.accessKeyId).toMatch(/^AKIA/);
    const heirKeyId = await uploadKey(server.url, "heir", u.key);
    expect((await git(["ls-remote", sshUrl(server, heirKeyId, "left")], { env: u.env })).code).toBe(0);
  });
});

describe("authorization: the same rules and words as HTTPS", () => {
  it("a missing repository and a denied pull print the words HTTPS prints", async () => {
    const u = await sshUser("reader-none", { managed: [] });
    await createRepo(server, "private", true);
    const ghost = await git(["clone", sshUrl(server, u.keyId, "ghost"), tmpDir("ghost")], { env: u.env });
    expect(ghost.code).not.toBe(0);
    expect(ghost.stderr).toContain("Repository ghost does not exist.");
    const overHttps = await git(["clone", `${server.url}/v1/repos/private`, tmpDir("p")], { env: gitHome(u.creds) });
    const message = /remote: (User: .*)/.exec(overHttps.stderr)![1]!;
    expect(message).toContain("is not authorized to perform: codecommit:GitPull");
    const overSsh = await git(["clone", sshUrl(server, u.keyId, "private"), tmpDir("p")], { env: u.env });
    expect(overSsh.code).not.toBe(0);
    expect(overSsh.stderr).toContain(message);
  });

  it("a user without GitPush cannot push (checked at connection time, as over HTTPS)", async () => {
    const u = await sshUser("ro-user", { managed: [managed("AWSCodeCommitReadOnly")] });
    await createRepo(server, "readonly", true);
    const dir = tmpDir("ro");
    await gitOk(["clone", "-q", sshUrl(server, u.keyId, "readonly"), dir], { env: u.env });
    await commitIn(dir, u.env, "nope.txt");
    const r = await git(["push", "origin", "HEAD:refs/heads/ro"], { cwd: dir, env: u.env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`User: ${userArn("ro-user")} is not authorized to perform: codecommit:GitPush on resource: ${arnOf("readonly")}`);
    expect(await branchTip(server, "readonly", "ro")).toBeUndefined();
  });

  it("a branch-protection deny refuses the whole push before any ref moves, and git prints why", async () => {
    const denyMain = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Action: ["codecommit:GitPush", "codecommit:DeleteBranch", "codecommit:PutFile"],
          Resource: arnOf("protected"),
          Condition: { StringEqualsIfExists: { "codecommit:References": ["refs/heads/main"] }, Null: { "codecommit:References": "false" } },
        },
      ],
    };
    const iam = iamClient(server.url);
    await iam.send(new CreateGroupCommand({ GroupName: "ssh-developers" }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: "ssh-developers", PolicyArn: managed("AWSCodeCommitPowerUser") }));
    await iam.send(new PutGroupPolicyCommand({ GroupName: "ssh-developers", PolicyName: "protect-main", PolicyDocument: JSON.stringify(denyMain) }));
    const dev = await sshUser("ssh-dev", { managed: [], groups: ["ssh-developers"] });
    await createRepo(server, "protected", true);
    const before = await branchTip(server, "protected", "main");
    const eventsBefore = refEvents(server.dataDir).length;

    const dir = tmpDir("protected");
    await gitOk(["clone", "-q", sshUrl(server, dev.keyId, "protected"), dir], { env: dev.env });
    await commitIn(dir, dev.env, "change.txt");
    await gitOk(["push", "-q", "origin", "HEAD:refs/heads/feature"], { cwd: dir, env: dev.env });

    const denied = await git(["push", "origin", "HEAD:refs/heads/main"], { cwd: dir, env: dev.env });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("[remote rejected] HEAD -> main");
    expect(denied.stderr).toContain(
      `remote: error: User: ${userArn("ssh-dev")} is not authorized to perform: codecommit:GitPush on resource: ${arnOf("protected")} with an explicit deny in an identity-based policy`,
    );
    // two refs, one refused: neither moves
    const both = await git(["push", "origin", "HEAD:refs/heads/also-new", "HEAD:refs/heads/main"], { cwd: dir, env: dev.env });
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain("[remote rejected] HEAD -> also-new (another reference in this push was refused)");
    // deleting main is refused too (GitPush governs deletions over git); a delete-only push sends no pack
    const del = await git(["push", "origin", ":refs/heads/main"], { cwd: dir, env: dev.env });
    expect(del.code).not.toBe(0);
    expect(del.stderr).toContain("[remote rejected] main");
    // a client that reads the report before it hangs up (JGit does; git closes its end first)
    // gets the refusal at once too
    const head = (await gitOk(["rev-parse", "HEAD"], { cwd: dir, env: dev.env })).trim();
    const pack = execFileSync("git", ["pack-objects", "--stdout", "--revs", "-q"], { cwd: dir, input: `${head}\n^${before}\n` });
    const reply = await rawPush(dev, "protected", [`${before} ${head} refs/heads/main`], pack);
    expect(reply).toContain("ng refs/heads/main User: ");
    expect(reply).toContain("with an explicit deny in an identity-based policy");
    expect(await branchTip(server, "protected", "also-new")).toBeUndefined();
    expect(await branchTip(server, "protected", "main")).toBe(before);
    // only the feature push was recorded
    const added = refEvents(server.dataDir).slice(eventsBefore).filter((e) => e.repository_name === "protected");
    expect(added.map((e) => JSON.parse(e.refs).map((c: { ref: string }) => c.ref))).toEqual([["refs/heads/feature"]]);
  });

  it("a push over SSH records the same ref_events row as over HTTPS (source push, the user as actor)", async () => {
    const u = await sshUser("eventful");
    await createRepo(server, "evented", true);
    const dir = tmpDir("evented");
    await gitOk(["clone", "-q", `${server.url}/v1/repos/evented`, dir], { env: gitHome(u.creds) });
    const tip = await commitIn(dir, u.env, "ev.txt");
    await gitOk(["push", "-q", `${server.url}/v1/repos/evented`, "HEAD:refs/heads/via-https"], { cwd: dir, env: gitHome(u.creds) });
    await gitOk(["push", "-q", sshUrl(server, u.keyId, "evented"), "HEAD:refs/heads/via-ssh"], { cwd: dir, env: u.env });
    // the event is there as soon as git push returns
    const rows = refEvents(server.dataDir).filter((e) => e.repository_name === "evented").slice(-2);
    const shape = (branch: string) => ({
      source: "push",
      actor_arn: userArn("eventful"),
      repository_name: "evented",
      refs: JSON.stringify([{ ref: `refs/heads/${branch}`, oldCommit: ZERO, newCommit: tip }]),
    });
    expect(rows).toEqual([shape("via-https"), shape("via-ssh")]);
  });
});

describe("sessions", () => {
  it("a shell or an unknown command gets the friendly line and exit status 1; exit statuses pass through", async () => {
    const u = await sshUser("sheller");
    await createRepo(server, "shelled", true);
    for (const extra of [["-T"], ["-tt"]]) {
      const shell = await ssh(server, u.keyId, u.key, known, [], extra);
      expect(shell.code).toBe(1);
      expect(shell.stdout + shell.stderr).toContain(GREETING);
      expect(shell.stdout + shell.stderr).toContain(`${userArn("sheller")} (SSH key ${u.keyId})`);
      expect(shell.stdout + shell.stderr).toContain("Interactive shells are not supported.");
    }
    for (const command of ["ls -la", "git-upload-pack '/v1/repos/shelled'; id", "git-upload-pack /v1/repos/shelled", "git upload-pack '/v1/repos/shelled'", "git-upload-pack '/v1/repos/shelled/../x'", "scp -f x"]) {
      const r = await ssh(server, u.keyId, u.key, known, [command]);
      expect(r.code, command).toBe(1);
      expect(r.stderr).toContain(GREETING);
      expect(r.stderr).toContain("Unknown command:");
    }
    const sftp = await run("sftp", ["-b", "-", ...sshOptions(u.key, known), "-P", String(server.sshPort), `${u.keyId}@127.0.0.1`]);
    expect(sftp.code).not.toBe(0);
    // git's own exit status comes back: 0 when upload-pack ends normally, 1 for a refusal
    const ok = await ssh(server, u.keyId, u.key, known, ["git-upload-pack '/v1/repos/shelled.git'"], [], "0000");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("refs/heads/main");
    const missing = await ssh(server, u.keyId, u.key, known, ["git-upload-pack '/v1/repos/nothing-here'"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Repository nothing-here does not exist.");
    const quoted = await ssh(server, u.keyId, u.key, known, ["git-receive-pack '/v1/repos/it'\\''s'"]);
    expect(quoted.code).toBe(1);
    expect(quoted.stderr).toContain("Repository it's does not exist.");
  });
});

/**
 * A raw TCP connection to the SSH port, from `localAddress` (any 127.x.y.z is loopback): `closed`
 * says when the server's identification arrived and when the server closed it; `end` closes it.
 */
function rawSshConnection(port: number, sendIdent: boolean, localAddress?: string): { closed: Promise<{ ident: string; closedAfterMs: number }>; end: () => void } {
  const started = Date.now();
  let ident = "";
  const sock = net.connect({ port, host: "127.0.0.1", localAddress });
  const closed = new Promise<{ ident: string; closedAfterMs: number }>((resolve) => {
    sock.on("data", (d) => {
      if (!ident) {
        ident = d.toString("latin1").split("\r\n")[0]!;
        if (sendIdent) sock.write("SSH-2.0-OpenSSH_9.2\r\n");
      }
    });
    sock.on("error", () => {});
    sock.on("close", () => resolve({ ident, closedAfterMs: Date.now() - started }));
  });
  return { closed, end: () => sock.destroy() };
}

describe("limits", () => {
  let limited: ServerHandle;
  let knownLimited: string;
  beforeAll(async () => {
    limited = await startServer({
      args: ["--ssh-auth-timeout-seconds", "1", "--ssh-idle-timeout-seconds", "2", "--ssh-max-connections", "4", "--ssh-max-channels", "2"],
    });
    knownLimited = await knownHostsFor(limited);
  });
  afterAll(async () => {
    await limited?.stop();
  });

  const rawConnection = (sendIdent: boolean) => rawSshConnection(limited.sshPort, sendIdent).closed;

  it("drops connections that do not authenticate within the authentication timeout", async () => {
    const [silent, stalled] = await Promise.all([rawConnection(false), rawConnection(true)]);
    for (const c of [silent, stalled]) {
      expect(c.ident).toBe("SSH-2.0-Headwater");
      expect(c.closedAfterMs).toBeGreaterThanOrEqual(900);
      expect(c.closedAfterMs).toBeLessThan(5000);
    }
  });

  it("refuses connections beyond the connection limit, and serves again once there is room", async () => {
    const held = Array.from({ length: 4 }, () => rawConnection(false));
    await new Promise((r) => setTimeout(r, 200));
    const extra = await rawConnection(false);
    expect(extra.ident).toBe("");
    expect(extra.closedAfterMs).toBeLessThan(500);
    await Promise.all(held); // dropped by the authentication timeout
    await createRepo(limited, "roomy", true);
    await userWith(limited.url, "roomy-user", { managed: [managed("AWSCodeCommitReadOnly")] });
    const key = makeKey("ed25519");
    const keyId = await uploadKey(limited.url, "roomy-user", key);
    expect((await git(["ls-remote", sshUrl(limited, keyId, "roomy")], { env: sshGitEnv(key, knownLimited) })).code).toBe(0);
  });

  it("closes an authenticated connection that stays idle; refuses sessions beyond the per-connection limit", async () => {
    await userWith(limited.url, "idler", { managed: [managed("AWSCodeCommitReadOnly")] });
    const key = makeKey("ed25519");
    const keyId = await uploadKey(limited.url, "idler", key);
    await createRepo(limited, "idle", true);
    // `ssh -N`: authenticated, no command; the server closes it after the 2 s idle timeout
    const started = Date.now();
    const idle = await ssh(limited, keyId, key, knownLimited, [], ["-N"]);
    expect(idle.code).toBe(255);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(1500);
    expect(elapsed).toBeLessThan(10_000);

    // sessions per connection (ssh2's client opens several on one connection)
    const client = new ssh2.Client();
    const fingerprint = limited.sshHostKeys["ssh-ed25519"]!;
    await new Promise<void>((resolve, reject) => {
      client.on("ready", () => resolve()).on("error", reject);
      client.connect({
        host: "127.0.0.1",
        port: limited.sshPort,
        username: keyId,
        privateKey: fs.readFileSync(key.file),
        hostVerifier: (k: Buffer) => "SHA256:" + crypto.createHash("sha256").update(k).digest("base64").replace(/=+$/, "") === fingerprint,
        algorithms: { serverHostKey: ["ssh-ed25519"] },
      });
    });
    try {
      const open = () =>
        new Promise<ssh2.ClientChannel | Error>((resolve) =>
          client.exec("git-upload-pack '/v1/repos/idle'", (err, ch) => resolve(err ?? ch)),
        );
      const first = await open();
      const second = await open();
      expect(first).not.toBeInstanceOf(Error);
      expect(second).not.toBeInstanceOf(Error);
      const third = await open();
      expect(third).toBeInstanceOf(Error);
      expect((third as Error).message).toContain("Channel open failure");
      // once one closes (its upload-pack sees the end of its input and exits), there is room again
      const closed = new Promise((r) => (first as ssh2.ClientChannel).once("close", r));
      (first as ssh2.ClientChannel).resume(); // read the advertisement, so the end can be seen
      (first as ssh2.ClientChannel).end();
      await closed;
      const fourth = await open();
      expect(fourth).not.toBeInstanceOf(Error);
      (second as ssh2.ClientChannel).end();
      (fourth as ssh2.ClientChannel).end();
    } finally {
      client.end();
    }
  });
});

describe("connections that never authenticate", () => {
  let guarded: ServerHandle;
  let known: string;
  beforeAll(async () => {
    guarded = await startServer({
      args: ["--ssh-max-unauthenticated", "5", "--ssh-max-unauthenticated-per-source", "3", "--ssh-auth-timeout-seconds", "20"],
    });
    known = await knownHostsFor(guarded);
  });
  afterAll(async () => {
    await guarded?.stop();
  });

  it("cannot take the server from users: per-address and overall caps on connections still authenticating", async () => {
    await createRepo(guarded, "busy", true);
    await userWith(guarded.url, "busy-user", { managed: [managed("AWSCodeCommitReadOnly")] });
    const key = makeKey("ed25519");
    const keyId = await uploadKey(guarded.url, "busy-user", key);
    const from = (address: string) => sshGitEnv(key, known, ["-o", `BindAddress=${address}`]);
    const held: Array<ReturnType<typeof rawSshConnection>> = [];
    try {
      // one address holding connections open without authenticating gets three, no more
      for (let i = 0; i < 3; i++) held.push(rawSshConnection(guarded.sshPort, false, "127.0.0.1"));
      await new Promise((r) => setTimeout(r, 300));
      const fourth = await rawSshConnection(guarded.sshPort, false, "127.0.0.1").closed;
      expect(fourth.ident).toBe("");
      expect(fourth.closedAfterMs).toBeLessThan(1000);
      // while a user from another address clones as usual (and, once authenticated, takes no such slot)
      expect((await git(["ls-remote", sshUrl(guarded, keyId, "busy")], { env: from("127.0.0.2") })).code).toBe(0);
      // across addresses, five connections may be authenticating at once
      held.push(rawSshConnection(guarded.sshPort, false, "127.0.0.3"), rawSshConnection(guarded.sshPort, false, "127.0.0.4"));
      await new Promise((r) => setTimeout(r, 300));
      const sixth = await rawSshConnection(guarded.sshPort, false, "127.0.0.5").closed;
      expect(sixth.ident).toBe("");
      // a held connection going away makes room again
      held.shift()!.end();
      await new Promise((r) => setTimeout(r, 300));
      expect((await git(["ls-remote", sshUrl(guarded, keyId, "busy")], { env: from("127.0.0.5") })).code).toBe(0);
    } finally {
      for (const h of held) h.end();
    }
  });
});

describe("graceful stop", () => {
  it("lets a running SSH push finish when stopped; the host keys survive the restart", async () => {
    let s = await startServer();
    try {
      const knownS = await knownHostsFor(s);
      const { id } = await createRepo(s, "graceful");
      await userWith(s.url, "pusher", { managed: [managed("AWSCodeCommitPowerUser")] });
      const key = makeKey("ed25519");
      const keyId = await uploadKey(s.url, "pusher", key);
      const env = sshGitEnv(key, knownS);
      const work = await makeWorkRepo(env);
      execFileSync("head", ["-c", String(40 * 1024 * 1024), "/dev/urandom"], { stdio: ["ignore", fs.openSync(path.join(work, "big.bin"), "w"), "inherit"] });
      await gitOk(["add", "."], { cwd: work, env });
      await gitOk(["commit", "-qm", "big"], { cwd: work, env });
      const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
      const push = git(["-c", "pack.window=0", "push", sshUrl(s, keyId, "graceful"), "main"], { cwd: work, env });
      const objects = path.join(s.dataDir, "repos", `${id}.git`, "objects");
      for (let i = 0; i < 1200 && !fs.readdirSync(objects).some((e) => e.startsWith("tmp_objdir-incoming-")); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      const exit = s.stop();
      const r = await push;
      expect(r.stderr).not.toContain("fatal");
      expect(r.code).toBe(0);
      expect(await exit).toBe(0);

      const fingerprintsBefore = s.sshHostKeys;
      s = await startServer({ dataDir: s.dataDir });
      expect(s.sshHostKeys).toEqual(fingerprintsBefore);
      expect(await branchTip(s, "graceful", "main")).toBe(tip);
      const ev = refEvents(s.dataDir).filter((e) => e.repository_name === "graceful");
      expect(ev.map((e) => [e.source, e.actor_arn])).toEqual([["push", userArn("pusher")]]);
    } finally {
      await s.stop();
    }
  });
});
