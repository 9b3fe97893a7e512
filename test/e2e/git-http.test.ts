import { GetBranchCommand, GetRepositoryCommand } from "@aws-sdk/client-codecommit";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { aws, codecommit, git, gitHome, gitOk, makeWorkRepo, python, awsEnv, type Creds } from "../helpers/clients.js";
import { rawRequest } from "../helpers/signed.js";
import { ADMIN, startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

let server: ServerHandle;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startServer();
  env = gitHome();
  for (const n of ["empty", "proto", "renamed-src", "big", "suffix", "quota"]) {
    expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: n })).error).toBeUndefined();
  }
});
afterAll(async () => {
  await server?.stop();
});

describe("git over HTTP with the credential helper", () => {
  it("asks for credentials with 401 and WWW-Authenticate: Basic", async () => {
    const r = await rawRequest(server.url, { method: "GET", path: "/v1/repos/empty/info/refs?service=git-upload-pack" });
    expect(r.status).toBe(401);
    expect(r.headers["www-authenticate"]).toMatch(/^Basic realm=/);
  });

  it("clones an empty repository, pushes, and the API sees the branch at once; the first branch becomes the default", async () => {
    const dir = tmpDir("clone");
    const clone = await git(["clone", `${server.url}/v1/repos/empty`, dir], { env });
    expect(clone.code).toBe(0);
    expect(clone.stderr).toContain("cloned an empty repository");
    fs.writeFileSync(path.join(dir, "a.txt"), "hello\n");
    await gitOk(["add", "."], { cwd: dir, env });
    await gitOk(["commit", "-qm", "first"], { cwd: dir, env });
    await gitOk(["push", "origin", "HEAD:refs/heads/trunk"], { cwd: dir, env });
    const head = (await gitOk(["rev-parse", "HEAD"], { cwd: dir, env })).trim();
    const sdk = codecommit(server.url);
    expect((await sdk.send(new GetBranchCommand({ repositoryName: "empty", branchName: "trunk" }))).branch?.commitId).toBe(head);
    expect((await sdk.send(new GetRepositoryCommand({ repositoryName: "empty" }))).repositoryMetadata?.defaultBranch).toBe("trunk");
    // a second branch does not change the default
    await gitOk(["push", "origin", "HEAD:refs/heads/other"], { cwd: dir, env });
    expect((await sdk.send(new GetRepositoryCommand({ repositoryName: "empty" }))).repositoryMetadata?.defaultBranch).toBe("trunk");
    // and a fresh clone checks out the default branch
    const again = tmpDir("clone2");
    await gitOk(["clone", "-q", `${server.url}/v1/repos/empty`, again], { env });
    expect((await gitOk(["rev-parse", "--abbrev-ref", "HEAD"], { cwd: again, env })).trim()).toBe("trunk");
  });

  it.each(["0", "2"])("clones, fetches, pushes and ls-remotes with protocol version %s", async (version) => {
    await protocolRoundTrip(`${server.url}/v1/repos/proto`, env, version);
  });

  it("accepts a .git suffix on the URL", async () => {
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/suffix.git`, "main"], { cwd: work, env });
    const dir = tmpDir("suffix");
    await gitOk(["clone", "-q", `${server.url}/v1/repos/suffix.git`, dir], { env });
    expect(fs.existsSync(path.join(dir, "README.md"))).toBe(true);
  });

  it("answers wrong credentials with 403 and a message git prints", async () => {
    const bad = gitHome({ accessKeyId: ADMIN.accessKeyId, secretAccessKey: "z".repeat(40) });
    const r = await git(["ls-remote", `${server.url}/v1/repos/proto`], { env: bad });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("remote: The git password does not match");
    // it points at the secret key and the clock, not at the access key ID (which was right)
    expect(r.stderr).toContain("secret access key");
    expect(r.stderr).toContain("clock");
    expect(r.stderr).toContain("403");
    const unknown = gitHome({ accessKeyId: "AKIANOSUCHKEY0000000", secretAccessKey: "z".repeat(40) });
    const r2 = await git(["ls-remote", `${server.url}/v1/repos/proto`], { env: unknown });
    expect(r2.stderr).toContain("remote: The access key is not valid");
    // a session token the key does not have
    const token = gitHome({ ...ADMIN, sessionToken: "not-a-real-token" });
    const r3 = await git(["ls-remote", `${server.url}/v1/repos/proto`], { env: token });
    expect(r3.stderr).toContain("remote: The session token is not valid");
  });

  it("says clearly that a repository does not exist", async () => {
    const r = await git(["clone", `${server.url}/v1/repos/ghost`, tmpDir("ghost")], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("remote: Repository ghost does not exist.");
  });

  it("clones under the new name after a rename; the old name is gone", async () => {
    const work = await makeWorkRepo(env, { "kept.txt": "content survives a rename\n" });
    await gitOk(["push", "-q", `${server.url}/v1/repos/renamed-src`, "main", "main:refs/tags/v1"], { cwd: work, env });
    const r = await aws(server.url, ["codecommit", "update-repository-name", "--old-name", "renamed-src", "--new-name", "renamed-dst"]);
    expect(r.code).toBe(0);
    const dir = tmpDir("renamed");
    await gitOk(["clone", "-q", `${server.url}/v1/repos/renamed-dst`, dir], { env });
    expect(fs.readFileSync(path.join(dir, "kept.txt"), "utf8")).toBe("content survives a rename\n");
    expect(await gitOk(["tag"], { cwd: dir, env })).toContain("v1");
    expect((await git(["ls-remote", `${server.url}/v1/repos/renamed-src`], { env })).code).not.toBe(0);
    const branches = await aws(server.url, ["codecommit", "list-branches", "--repository-name", "renamed-dst"]);
    expect(branches.json.branches).toEqual(["main"]);
  });

  it("streams a 200 MB push without the server's memory growing with it", async () => {
    const work = await makeWorkRepo(env);
    for (let i = 0; i < 4; i++) {
      execFileSync("head", ["-c", String(50 * 1024 * 1024), "/dev/urandom"], { stdio: ["ignore", fs.openSync(path.join(work, `blob${i}.bin`), "w"), "inherit"] });
    }
    await gitOk(["add", "."], { cwd: work, env });
    await gitOk(["commit", "-qm", "200 MB of incompressible data"], { cwd: work, env });
    const before = server.rss();
    const r = await git(["-c", "pack.window=0", "push", `${server.url}/v1/repos/big`, "main"], { cwd: work, env });
    expect(r.code).toBe(0);
    const peak = server.peakRss();
    // the pack is over 200 MB; the server process must not have held it
    expect(peak - before).toBeLessThan(80 * 1024 * 1024);
    const sdk = codecommit(server.url);
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    expect((await sdk.send(new GetBranchCommand({ repositoryName: "big", branchName: "main" }))).branch?.commitId).toBe(tip);

    // and the other way: a clone of it streams out of git without the server holding the pack
    server.resetPeakRss();
    const cloneBefore = server.rss();
    const dir = tmpDir("bigclone");
    await gitOk(["clone", "-q", "--bare", `${server.url}/v1/repos/big`, dir], { env });
    expect(server.peakRss() - cloneBefore).toBeLessThan(80 * 1024 * 1024);
    expect((await gitOk(["rev-parse", "main"], { cwd: dir, env })).trim()).toBe(tip);
  });

  it("refuses a push of more than 4,000 references with a reason git prints, and changes nothing", async () => {
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/quota`, "main:refs/heads/quota-base"], { cwd: work, env });
    const refs = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `create refs/heads/${prefix}${String(i).padStart(4, "0")} HEAD\n`).join("");
    await gitOk(["update-ref", "--stdin"], { cwd: work, env, input: refs(4001, "q/") });
    const r = await git(["push", `${server.url}/v1/repos/quota`, "refs/heads/q/*:refs/heads/q/*"], { cwd: work, env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("This push changes 4001 references; at most 4000 may change in one push.");
    expect((await gitOk(["ls-remote", `${server.url}/v1/repos/quota`, "refs/heads/q/*"], { env })).trim()).toBe("");
    // 3,000 references with names near CodeCommit's 256-character limit are within the quota
    const long = "l".repeat(220) + "/";
    await gitOk(["update-ref", "--stdin"], { cwd: work, env, input: refs(3000, long) });
    await gitOk(["push", "-q", `${server.url}/v1/repos/quota`, `refs/heads/${long}*:refs/heads/${long}*`], { cwd: work, env });
    const listed = await gitOk(["ls-remote", `${server.url}/v1/repos/quota`, `refs/heads/${long}*`], { env });
    expect(listed.trim().split("\n")).toHaveLength(3000);
  });

  it("refuses deleting the default branch by push, as git does", async () => {
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/suffix`, "main:refs/heads/side"], { cwd: work, env });
    const r = await git(["push", `${server.url}/v1/repos/suffix`, ":refs/heads/main"], { cwd: work, env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("deletion of the current branch prohibited");
    const sdk = codecommit(server.url);
    expect((await sdk.send(new GetBranchCommand({ repositoryName: "suffix", branchName: "main" }))).branch?.commitId).toBeTruthy();
  });
});

describe("git over HTTPS", () => {
  let tls: ServerHandle;
  let ca: string;
  beforeAll(async () => {
    tls = await startServer({ args: ["--tls-self-signed"] });
    ca = path.join(tls.dataDir, "tls", "self-signed.crt");
    const created = await aws(tls.url, ["codecommit", "create-repository", "--repository-name", "secure", "--ca-bundle", ca]);
    expect(created.code).toBe(0);
    expect((await aws(tls.url, ["codecommit", "create-repository", "--repository-name", "proto-tls", "--ca-bundle", ca])).code).toBe(0);
    expect(created.json.repositoryMetadata.cloneUrlHttp).toBe(`${tls.url}/v1/repos/secure`);
  });
  afterAll(async () => {
    await tls?.stop();
  });

  it("serves the credential helper over HTTPS with the generated certificate", async () => {
    expect(tls.url).toMatch(/^https:/);
    const tenv = { ...env, GIT_SSL_CAINFO: ca };
    const work = await makeWorkRepo(tenv);
    await gitOk(["push", "-q", `${tls.url}/v1/repos/secure`, "main"], { cwd: work, env: tenv });
    const dir = tmpDir("tlsclone");
    await gitOk(["clone", "-q", `${tls.url}/v1/repos/secure`, dir], { env: tenv });
    expect(fs.existsSync(path.join(dir, "README.md"))).toBe(true);
  });

  it.each(["0", "2"])("clones, fetches, pushes and ls-remotes over HTTPS with protocol version %s", async (version) => {
    await protocolRoundTrip(`${tls.url}/v1/repos/proto-tls`, { ...env, GIT_SSL_CAINFO: ca }, version);
  });

  it("keeps the certificate across restarts", async () => {
    const before = fs.readFileSync(ca, "utf8");
    await tls.stop();
    tls = await startServer({ dataDir: tls.dataDir, args: ["--tls-self-signed"] });
    expect(fs.readFileSync(ca, "utf8")).toBe(before);
  });

  it.each(["long-term", "session"])(
    "accepts git-remote-codecommit's password (port kept in the signed host) in a real clone and push, with %s credentials",
    async (kind) => {
      const host = new URL(tls.url).host; // 127.0.0.1:PORT, as CODE_COMMIT_ENDPOINT would hold it
      let creds: Creds = ADMIN;
      if (kind === "session") {
        const issued = await aws(tls.url, ["sts", "get-session-token", "--duration-seconds", "900", "--ca-bundle", ca]);
        expect(issued.code).toBe(0);
        const c = issued.json.Credentials;
        creds = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
        expect(creds.sessionToken).toMatch(/[/+=]/); // so URL-encoding it matters
      }
      // git-remote-codecommit's own algorithm, run with botocore as it does: the user name is
      // quote(access_key + "%" + token, safe="") when there is a session token
      const py = await python(
        `
import datetime, os
from urllib.parse import quote
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
hostname = os.environ["CODE_COMMIT_ENDPOINT"]
path = "/v1/repos/secure"
creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], os.environ.get("AWS_SESSION_TOKEN"))
username = creds.access_key + ("%" + creds.token if creds.token else "")
request = AWSRequest(method="GIT", url="https://{}{}".format(hostname, path))
request.context["timestamp"] = datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%S")
signer = SigV4Auth(creds, "codecommit", "us-east-1")
canonical_request = "GIT\\n{}\\n\\nhost:{}\\n\\nhost\\n".format(path, hostname)
signature = signer.signature(signer.string_to_sign(request, canonical_request), request)
print("https://{}:{}Z{}@{}{}".format(quote(username, safe=""), request.context["timestamp"], signature, hostname, path))
`,
        { ...awsEnv(creds), CODE_COMMIT_ENDPOINT: host },
      );
      expect(py.stderr).toBe("");
      const url = py.stdout.trim();
      const noHelper = { ...gitHome(creds, { helper: false }), GIT_SSL_CAINFO: ca };
      const dir = tmpDir("grc");
      const r = await git(["clone", "-q", url, dir], { env: noHelper });
      expect(r.stderr).toBe("");
      expect(fs.existsSync(path.join(dir, "README.md"))).toBe(true);
      await gitOk(["commit", "-q", "--allow-empty", "-m", `pushed with ${kind} credentials`], { cwd: dir, env: noHelper });
      await gitOk(["push", "-q", "origin", `HEAD:refs/heads/grc-${kind}`], { cwd: dir, env: noHelper });
      const remote = await gitOk(["ls-remote", url, `refs/heads/grc-${kind}`], { env: noHelper });
      expect(remote).toContain(`refs/heads/grc-${kind}`);
    },
  );
});

/**
 * Push, clone, push again, fetch and ls-remote with git's protocol `version` forced, checking
 * from git's own packet trace that the version was the one spoken.
 */
async function protocolRoundTrip(url: string, baseEnv: Record<string, string>, version: string): Promise<void> {
  const penv = { ...baseEnv, GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "protocol.version", GIT_CONFIG_VALUE_0: version };
  const work = await makeWorkRepo(penv, { [`v${version}.txt`]: `protocol ${version}\n` });
  await gitOk(["push", "-q", url, `main:refs/heads/p${version}`], { cwd: work, env: penv });
  const dir = tmpDir("clonep");
  const trace = await git(["clone", "-q", "--branch", `p${version}`, url, dir], { env: { ...penv, GIT_TRACE_PACKET: "1" } });
  expect(trace.code).toBe(0);
  if (version === "2") expect(trace.stderr).toContain("version 2");
  else expect(trace.stderr).not.toContain("< version 2");
  expect(fs.readFileSync(path.join(dir, `v${version}.txt`), "utf8")).toBe(`protocol ${version}\n`);
  fs.writeFileSync(path.join(work, "more.txt"), "more\n");
  await gitOk(["add", "."], { cwd: work, env: penv });
  await gitOk(["commit", "-qm", "more"], { cwd: work, env: penv });
  await gitOk(["push", "-q", url, `main:refs/heads/p${version}`], { cwd: work, env: penv });
  await gitOk(["fetch", "-q", "origin"], { cwd: dir, env: penv });
  const tip = (await gitOk(["rev-parse", `origin/p${version}`], { cwd: dir, env: penv })).trim();
  expect(tip).toBe((await gitOk(["rev-parse", "HEAD"], { cwd: work, env: penv })).trim());
  const remote = await gitOk(["ls-remote", url], { env: penv });
  expect(remote).toContain(`${tip}\trefs/heads/p${version}`);
}
