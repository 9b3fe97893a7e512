import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { gitHome, gitOk } from "../helpers/clients.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

/**
 * The content API reads without starting a process per call. The server runs with a `git` on
 * its PATH that logs each invocation before it execs the real one, so every git process it
 * starts (cat-file readers, walks, commit-graph writes) is counted exactly, however short-lived;
 * /proc shows the long-lived reader among its children.
 */

let server: ServerHandle;
let env: Record<string, string>;
let work: string;
let repoId: string;
const REPO = "counted";
const shim = tmpDir("git-shim");
const spawnLog = path.join(shim, "spawned.log");
const ids: Record<string, string> = {};

/** Every git command line the server has started so far. */
const spawned = (): string[] => (fs.existsSync(spawnLog) ? fs.readFileSync(spawnLog, "utf8").split("\n").filter(Boolean) : []);

/** The command lines of the server's child processes now, from /proc. */
function children(pid: number): string[] {
  const out: string[] = [];
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    const ids_ = fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    for (const child of ids_) {
      try {
        out.push(fs.readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0").filter(Boolean).join(" "));
      } catch {
        /* gone meanwhile */
      }
    }
  }
  return out;
}

const g = (args: string[]) => gitOk(args, { cwd: work, env });
async function commit(file: string, content: string, name: string): Promise<void> {
  fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
  fs.writeFileSync(path.join(work, file), content);
  await g(["add", "-A"]);
  await g(["commit", "-qm", name]);
  ids[name] = (await g(["rev-parse", "HEAD"])).trim();
}

beforeAll(async () => {
  const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  fs.writeFileSync(path.join(shim, "git"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${spawnLog}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
  server = await startServer({ env: { PATH: `${shim}:${process.env.PATH}` } });
  env = gitHome();
  const created = await call(server.url, "sdk", "CreateRepository", { repositoryName: REPO });
  repoId = created.out.repositoryMetadata.repositoryId;
  work = tmpDir("counted-work");
  await gitOk(["init", "-q", "-b", "main", work], { env });
  await commit("docs/guide.md", "one\ntwo\nthree\n", "c1");
  await commit("docs/guide.md", "one\n2\nthree\n", "c2");
  await commit("src/main.c", "int main() {}\n", "c3");
  await g(["push", "-q", `${server.url}/v1/repos/${REPO}`, "main"]);
  expect(spawned().some((l) => l.startsWith("receive-pack") || l.includes("receive-pack"))).toBe(true); // the shim is in use
});
afterAll(async () => {
  await server?.stop();
});

describe("reads through the long-lived cat-file reader", () => {
  it("GetFile, GetCommit, GetFolder, GetDifferences, GetBlob, BatchGetCommits and GetBlobDifferences: no process in 50 calls of each", async () => {
    const blob = (commit: string, file: string) => g(["rev-parse", `${commit}:${file}`]).then((s) => s.trim());
    const [before, after] = [await blob(ids.c1!, "docs/guide.md"), await blob(ids.c2!, "docs/guide.md")];
    const calls: Array<[string, Record<string, unknown>]> = [
      ["GetFile", { filePath: "docs/guide.md" }],
      ["GetCommit", { commitId: ids.c2 }],
      ["GetFolder", { folderPath: "docs" }],
      ["GetDifferences", { beforeCommitSpecifier: ids.c1, afterCommitSpecifier: "main" }],
      ["GetBlob", { blobId: after }],
      ["BatchGetCommits", { commitIds: [ids.c1, ids.c2, ids.c3] }],
      ["GetBlobDifferences", { beforeBlobId: before, afterBlobId: after }],
    ];
    // the first read starts the repository's reader
    for (const [op, input] of calls) expect((await call(server.url, "sdk", op, { repositoryName: REPO, ...input })).error).toBeUndefined();
    const readers = spawned().filter((l) => l.startsWith("cat-file"));
    expect(readers).toEqual(["cat-file --batch-command"]);
    const mark = spawned().length;

    for (const [op, input] of calls) {
      for (let i = 0; i < 50; i++) {
        const r = await call(server.url, "sdk", op, { repositoryName: REPO, ...input });
        expect(r.error).toBeUndefined();
      }
    }
    expect(spawned().slice(mark)).toEqual([]);
    // the answers were real ones
    const diff = await call(server.url, "sdk", "GetBlobDifferences", { repositoryName: REPO, beforeBlobId: before, afterBlobId: after });
    expect(diff.out.hunks[0].changes.filter((c: { type: string }) => c.type !== "CONTEXT")).toEqual([
      { type: "DELETE", beforeLineNumber: 2, content: "two" },
      { type: "ADD", afterLineNumber: 2, content: "2" },
    ]);
    // and the reader that answered them is one long-lived child of the server
    expect(children(server.proc.pid!).filter((c) => c.includes("cat-file --batch-command"))).toHaveLength(1);
  });
});

describe("ListFileCommitHistory", () => {
  const graphChain = () => path.join(server.dataDir, "repos", `${repoId}.git`, "objects/info/commit-graphs/commit-graph-chain");
  const history = (input: Record<string, unknown> = {}) =>
    call(server.url, "sdk", "ListFileCommitHistory", { repositoryName: REPO, filePath: "docs/guide.md", ...input });
  const since = (mark: number, prefix: string) => spawned().slice(mark).filter((l) => l.startsWith(prefix));
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(cond()).toBe(true);
  };

  it("walks once per start commit and path; pages and repeats start no process; the commit-graph is written once, in the background", async () => {
    const mark = spawned().length;
    const first = await history();
    expect(first.out.revisionDag.map((v: { commit: { commitId: string } }) => v.commit.commitId)).toEqual([ids.c2, ids.c1]);
    expect(since(mark, "rev-list")).toHaveLength(1);
    await until(() => fs.existsSync(graphChain()));
    expect(since(mark, "commit-graph")).toEqual(["commit-graph write --reachable --changed-paths --split"]);

    const settled = spawned().length;
    for (let i = 0; i < 25; i++) expect((await history()).out.revisionDag).toEqual(first.out.revisionDag);
    // paging through one version at a time: the walk is lengthened (at most twice more), then cached
    for (let round = 0; round < 5; round++) {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const r = await history({ maxResults: 1, ...(token ? { nextToken: token } : {}) });
        seen.push(...r.out.revisionDag.map((v: { commit: { commitId: string } }) => v.commit.commitId));
        token = r.out.nextToken;
      } while (token);
      expect(seen).toEqual([ids.c2, ids.c1]);
    }
    expect(spawned().slice(settled).every((l) => l.startsWith("rev-list"))).toBe(true);
    expect(since(settled, "rev-list").length).toBeLessThanOrEqual(2);
    const paged = spawned().length;
    for (let i = 0; i < 10; i++) await history({ maxResults: 1 });
    expect(spawned().length).toBe(paged);
  });

  it("a new tip (a push) is one more walk, and one more commit-graph write for its new commits", async () => {
    await commit("docs/guide.md", "one\n2\n3\n", "c4");
    await g(["push", "-q", `${server.url}/v1/repos/${REPO}`, "main"]);
    const mark = spawned().length;
    const r = await history();
    expect(r.out.revisionDag.map((v: { commit: { commitId: string } }) => v.commit.commitId)).toEqual([ids.c4, ids.c2, ids.c1]);
    await until(() => since(mark, "commit-graph").length === 1);
    for (let i = 0; i < 20; i++) await history();
    expect(since(mark, "rev-list")).toHaveLength(1);
    expect(since(mark, "commit-graph")).toHaveLength(1);
  });
});
