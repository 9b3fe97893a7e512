import { PutFileCommand } from "@aws-sdk/client-codecommit";
import { execFileSync } from "node:child_process";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitPassword } from "../../src/transport/git-auth.js";
import { call } from "../helpers/api.js";
import { aws, cliErrorCode, codecommit, git, gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { refEvents } from "../helpers/events.js";
import { managed, userWith } from "../helpers/iam.js";
import { rawRequest } from "../helpers/signed.js";
import { ADMIN, startServer, type ServerHandle } from "../helpers/server.js";
import { knownHostsFor, makeKey, sshGitEnv, sshUrl, uploadKey } from "../helpers/ssh.js";

/**
 * Issue 11: pushes are checked as API writes are (git's fsck, strict), and API writes on a
 * branch that already holds what git refuses answer why instead of a 500.
 */

let server: ServerHandle;
let httpEnv: Record<string, string>;
let sshEnv: Record<string, string>;
let sshUser: string;

/** Tree entry names that attack whoever checks them out, and fsck's name for each. */
const HOSTILE: Array<[string, string]> = [
  [".git", "hasDotgit"],
  ["..", "hasDotdot"],
  ["../../x", "fullPathname"],
];

type Entry = [mode: string, name: string, oid: string];

/**
 * A commit on top of the work repository's HEAD (which holds README.md alone) whose tree holds,
 * at `folder` (the root when ""), a folder named `name` holding a `config` file. Trees are
 * written with hash-object --literally, since git's porcelain (mktree included) refuses such
 * names. `extraBlobs` more files make the push big.
 */
function hostileCommit(work: string, name: string, folder = "", extraBlobs = 0): string {
  const run = (args: string[], input?: Buffer | string) =>
    execFileSync("git", args, { cwd: work, env: httpEnv, input }).toString("utf8").trim();
  const blob = (text: string) => run(["hash-object", "-w", "--stdin"], text);
  const tree = (entries: Entry[]) => {
    // git's order: by name bytes, a folder's name as if it ended in /
    const key = ([mode, n]: Entry) => Buffer.from(mode === "40000" ? `${n}/` : n, "latin1");
    const sorted = [...entries].sort((x, y) => Buffer.compare(key(x), key(y)));
    const body = Buffer.concat(sorted.map(([mode, n, oid]) => Buffer.concat([Buffer.from(`${mode} ${n}\0`, "latin1"), Buffer.from(oid, "hex")])));
    return run(["hash-object", "-t", "tree", "--literally", "-w", "--stdin"], body);
  };
  const hostile: Entry = ["40000", name, tree([["100644", "config", blob("[core]\n\tfsmonitor = touch /tmp/headwater-pwned\n")]])];
  const top: Entry[] = [
    ["100644", "README.md", run(["rev-parse", "HEAD:README.md"])],
    folder ? ["40000", folder, tree([hostile])] : hostile,
    ...Array.from({ length: extraBlobs }, (_, i): Entry => ["100644", `extra-${i}`, blob(`extra ${i}\n`)]),
  ];
  return run(["commit-tree", "-p", "HEAD", "-m", `hostile ${name}`, tree(top)]);
}

async function createSeeded(name: string): Promise<{ work: string; tip: string; id: string }> {
  const r = await call(server.url, "sdk", "CreateRepository", { repositoryName: name });
  expect(r.error).toBeUndefined();
  const work = await makeWorkRepo(httpEnv, { "README.md": `${name}\n` });
  await gitOk(["push", "-q", `${server.url}/v1/repos/${name}`, "main"], { cwd: work, env: httpEnv });
  const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env: httpEnv })).trim();
  return { work, tip, id: r.out.repositoryMetadata.repositoryId };
}

beforeAll(async () => {
  server = await startServer();
  httpEnv = gitHome();
  await userWith(server.url, "pusher", { managed: [managed("AWSCodeCommitPowerUser")] });
  const key = makeKey("ed25519");
  sshUser = await uploadKey(server.url, "pusher", key);
  sshEnv = sshGitEnv(key, await knownHostsFor(server));
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe("a push carrying a tree git's fsck refuses", () => {
  const transports = [
    ["HTTPS", (repo: string) => `${server.url}/v1/repos/${repo}`, () => httpEnv],
    ["SSH", (repo: string) => sshUrl(server, sshUser, repo), () => sshEnv],
  ] as const;

  it.each(transports)("is refused over %s with git's message, and changes no ref", async (transport, urlOf, envOf) => {
    const repo = `fsck-${transport.toLowerCase()}`;
    const { work, tip } = await createSeeded(repo);
    const url = urlOf(repo);
    const events = refEvents(server.dataDir).length;
    for (const [name, id] of HOSTILE) {
      const commit = hostileCommit(work, name);
      // onto main (a fast-forward) and as a new branch, in one push
      const r = await git(["push", url, `${commit}:refs/heads/main`, `${commit}:refs/heads/evil`], { cwd: work, env: envOf() });
      expect({ name, code: r.code }).not.toEqual({ name, code: 0 });
      expect(r.stderr).toContain(`remote: error: object `);
      expect(r.stderr).toContain(`${id}: `);
      expect(r.stderr).toMatch(/\[remote rejected\] .* -> main \(unpacker error\)/);
      const remote = await gitOk(["ls-remote", url], { cwd: work, env: envOf() });
      expect(remote.trim().split("\n").sort()).toEqual([`${tip}\tHEAD`, `${tip}\trefs/heads/main`]);
    }
    expect(refEvents(server.dataDir).length).toBe(events);
  }, 60_000);

  it("is refused when it is big enough for receive-pack to keep it as a pack (index-pack)", async () => {
    const { work, tip } = await createSeeded("fsck-pack");
    // past transfer.unpackLimit (100 objects), receive-pack keeps the pack with index-pack --strict
    const commit = hostileCommit(work, ".git", "", 150);
    const r = await git(["push", `${server.url}/v1/repos/fsck-pack`, `${commit}:refs/heads/main`], { cwd: work, env: httpEnv });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("hasDotgit: ");
    expect(r.stderr).toContain("index-pack abnormal exit");
    expect((await gitOk(["ls-remote", `${server.url}/v1/repos/fsck-pack`, "main"], { env: httpEnv })).trim()).toBe(`${tip}\trefs/heads/main`);
  }, 60_000);

  it("still lets through a push that removes such a tree", async () => {
    const { work, id } = await createSeeded("fsck-fix");
    const commit = hostileCommit(work, ".git");
    // planted as a push made before pushes were checked would have: straight into the repository on disk
    await gitOk(["push", "-q", path.join(server.dataDir, "repos", `${id}.git`), `${commit}:refs/heads/main`], { cwd: work, env: httpEnv });
    // the fix: a commit on top whose tree no longer holds .git (its new objects are all git accepts)
    const clean = (await gitOk(["commit-tree", "-p", commit, "-m", "remove .git", "HEAD^{tree}"], { cwd: work, env: httpEnv })).trim();
    await gitOk(["push", "-q", `${server.url}/v1/repos/fsck-fix`, `${clean}:refs/heads/main`], { cwd: work, env: httpEnv });
    expect((await gitOk(["ls-remote", `${server.url}/v1/repos/fsck-fix`, "main"], { env: httpEnv })).trim()).toBe(`${clean}\trefs/heads/main`);
  }, 60_000);
});

describe("API writes on a branch that already holds a tree git refuses", () => {
  let tips: Map<string, string>;
  const b64 = Buffer.from("new\n").toString("base64");

  beforeAll(async () => {
    const { work, id } = await createSeeded("planted");
    tips = new Map();
    const gitDir = path.join(server.dataDir, "repos", `${id}.git`);
    const planted: Array<[string, string, string]> = [...HOSTILE.map(([n]) => [n, n, ""] as [string, string, string]), ["docs/.git", ".git", "docs"]];
    for (const [label, name, folder] of planted) {
      const commit = hostileCommit(work, name, folder);
      const branch = `b${tips.size}`;
      // as a push made before pushes were checked would have: straight into the repository on disk
      await gitOk(["push", "-q", gitDir, `${commit}:refs/heads/${branch}`], { cwd: work, env: httpEnv });
      tips.set(label, commit);
    }
  }, 60_000);

  const branchOf = (label: string) => `b${[...tips.keys()].indexOf(label)}`;

  it("answer InvalidPathException naming the path and git's reason, with the CLI, and commit nothing", async () => {
    for (const [label, id] of [...HOSTILE, ["docs/.git", "hasDotgit"] as [string, string]]) {
      const branch = branchOf(label);
      const parent = tips.get(label)!;
      const filePath = label === "docs/.git" ? "docs/new.txt" : "new.txt";
      const calls = [
        ["put-file", "--file-path", filePath, "--file-content", b64],
        ["create-commit", "--put-files", JSON.stringify([{ filePath, fileContent: b64 }])],
        // deleting README.md rebuilds the root alone, which is clean when the refused tree is in docs/
        ...(label === "docs/.git" ? [] : [["delete-file", "--file-path", "README.md"]]),
      ];
      for (const args of calls) {
        const r = await aws(server.url, ["codecommit", ...args, "--repository-name", "planted", "--branch-name", branch, "--parent-commit-id", parent]);
        expect({ label, op: args[0], code: cliErrorCode(r) }).toEqual({ label, op: args[0], code: "InvalidPathException" });
        expect(r.stderr).toContain(`The path '${label}' is not valid: branch ${branch} holds it`);
        expect(r.stderr).toContain(`(${id}: `);
      }
      const got = await call(server.url, "sdk", "GetBranch", { repositoryName: "planted", branchName: branch });
      expect(got.out.branch.commitId).toBe(parent);
    }
  }, 120_000);

  it("answer a 400 to the SDK, never InternalFailure", async () => {
    const input = { repositoryName: "planted", branchName: branchOf(".git"), parentCommitId: tips.get(".git"), filePath: "x.txt", fileContent: Buffer.from("x") };
    const e = await codecommit(server.url).send(new PutFileCommand(input)).then(() => undefined, (err: { name: string; $metadata: { httpStatusCode?: number } }) => err);
    expect({ name: e?.name, status: e?.$metadata.httpStatusCode }).toEqual({ name: "InvalidPathException", status: 400 });
  });

  it("still succeed where the commit leaves the refused tree untouched (git checks only new trees)", async () => {
    const r = await aws(server.url, ["codecommit", "put-file", "--repository-name", "planted", "--branch-name", branchOf("docs/.git"), "--parent-commit-id", tips.get("docs/.git")!, "--file-path", "elsewhere/new.txt", "--file-content", b64]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  });
});

describe("a corrupt gzip body", () => {
  it("to git-receive-pack answers 400 and changes nothing", async () => {
    const { tip } = await createSeeded("gz");
    const host = new URL(server.url).host;
    const ts = new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
    const pw = gitPassword(ADMIN.secretAccessKey, ts, "us-east-1", host, "/v1/repos/gz");
    const good = zlib.gzipSync("0000");
    const corrupt = Buffer.concat([good.subarray(0, 10), Buffer.from("not deflate data at all")]);
    const r = await rawRequest(server.url, {
      path: "/v1/repos/gz/git-receive-pack",
      headers: {
        authorization: "Basic " + Buffer.from(`${ADMIN.accessKeyId}:${pw}`).toString("base64"),
        "content-type": "application/x-git-receive-pack-request",
        "content-encoding": "gzip",
      },
      body: corrupt,
    });
    expect({ status: r.status, body: r.body }).toEqual({ status: 400, body: "The request body is not valid gzip data.\n" });
    expect((await gitOk(["ls-remote", `${server.url}/v1/repos/gz`, "main"], { env: httpEnv })).trim()).toBe(`${tip}\trefs/heads/main`);
  });
});
