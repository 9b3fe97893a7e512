import type { ChildProcess, SpawnOptions } from "node:child_process";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HistoryWalks } from "../../src/domain/content/history-walks.js";
import { CatFilePool } from "../../src/git/cat-file.js";
import { CommitGraphs } from "../../src/git/commit-graph.js";
import { GitRunner } from "../../src/git/exec.js";
import { GitRepository } from "../../src/git/repository.js";

/**
 * ListFileCommitHistory's walks, with the real git: what git rev-list says, cached so that a
 * walk is not run again for the same start and path, lengthened geometrically for later pages,
 * and a commit-graph with changed-path Bloom filters written once in the background.
 */

class CountingRunner extends GitRunner {
  readonly commands: string[] = [];
  override spawn(args: string[], opts: SpawnOptions & { extraEnv?: Record<string, string> } = {}): ChildProcess {
    this.commands.push(args.join(" "));
    return super.spawn(args, opts);
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hw-walks-"));
const dir = path.join(tmp, "r.git");
const gitIn = (args: string[], input?: string) => execFileSync("git", args, { env: { ...process.env, GIT_DIR: dir }, input }).toString();

/** 60 commits: the file f.txt changes in every third, other.txt in the rest. */
function makeRepo(): string {
  execFileSync("git", ["init", "-q", "--bare", "--initial-branch=main", dir]);
  let stream = "";
  for (let i = 0; i < 60; i++) {
    const file = i % 3 === 0 ? "f.txt" : "other.txt";
    const msg = `commit ${i}\n`;
    stream += `commit refs/heads/main\ncommitter T <t@e> ${1_700_000_000 + i} +0000\ndata ${msg.length}\n${msg}M 100644 inline ${file}\ndata ${`${i}\n`.length}\n${i}\n\n`;
  }
  gitIn(["fast-import", "--quiet"], stream);
  return gitIn(["rev-parse", "main"]).trim();
}

const runner = new CountingRunner(tmp);
const pool = new CatFilePool(runner);
afterAll(() => pool.closeAll());

describe("HistoryWalks", () => {
  it("gives git's walk, runs it once per start and path, and lengthens it at least twofold", async () => {
    const tip = makeRepo();
    const graphs = new CommitGraphs(runner);
    const walks = new HistoryWalks(graphs);
    const repo = new GitRepository(dir, runner, pool);
    const expected = gitIn(["rev-list", "--topo-order", "--parents", "main", "--", "f.txt"])
      .trim()
      .split("\n")
      .map((l) => {
        const [commit, ...parents] = l.split(" ");
        return { commit, parents };
      });
    expect(expected).toHaveLength(20);
    const revLists = () => runner.commands.filter((c) => c.startsWith("rev-list"));

    const first = await walks.prefix(repo, "r", tip, "f.txt", 3);
    expect(first.lines).toEqual(expected.slice(0, 3));
    expect(first.complete).toBe(false);
    expect(revLists()).toEqual(["rev-list --topo-order --parents --max-count=3 " + tip + " -- f.txt"]);
    // the same, or less: no process
    for (let i = 0; i < 10; i++) expect((await walks.prefix(repo, "r", tip, "f.txt", 1 + (i % 3))).lines.length).toBeGreaterThanOrEqual(3);
    expect(revLists()).toHaveLength(1);
    // a little more: twice as much
    expect((await walks.prefix(repo, "r", tip, "f.txt", 4)).lines).toEqual(expected.slice(0, 6));
    expect(revLists()[1]).toContain("--max-count=6");
    // everything: once it has seen the end, never again
    const all = await walks.prefix(repo, "r", tip, "f.txt", 100);
    expect(all).toEqual({ lines: expected, complete: true });
    await walks.prefix(repo, "r", tip, "f.txt", 1000);
    expect(revLists()).toHaveLength(3);
    // several callers at once share one walk
    await Promise.all(Array.from({ length: 5 }, () => walks.prefix(repo, "r", tip, "other.txt", 10)));
    expect(revLists()).toHaveLength(4);

    // the commit-graph was written once, in the background, with Bloom filters
    await graphs.idle();
    const writes = () => runner.commands.filter((c) => c.startsWith("commit-graph write"));
    expect(writes()).toEqual(["commit-graph write --reachable --changed-paths --split"]);
    expect(fs.existsSync(path.join(dir, "objects/info/commit-graphs/commit-graph-chain"))).toBe(true);
    // git's own walk now skips the tree diffs of commits that cannot touch the path
    const trace = spawnSync("git", ["rev-list", "main", "--", "f.txt"], { env: { ...process.env, GIT_DIR: dir, GIT_TRACE2_PERF: "1" }, encoding: "utf8" });
    const bloom = JSON.parse(/statistics:(\{[^}]*"definitely_not"[^}]*\})/.exec(trace.stderr)![1]!) as { definitely_not: number };
    expect(bloom.definitely_not).toBe(40); // the commits that changed only other.txt
    // a walk from a tip the graph has asks for no second write
    await walks.prefix(repo, "r", tip, "README", 10);
    await graphs.idle();
    expect(writes()).toHaveLength(1);
    // a new commit is a new tip: one more (small, split) write
    gitIn(["fast-import", "--quiet"], `commit refs/heads/main\ncommitter T <t@e> 1700000100 +0000\ndata 4\nnew\nfrom refs/heads/main^0\nM 100644 inline f.txt\ndata 4\nnew\n\n`);
    const newTip = gitIn(["rev-parse", "main"]).trim();
    expect((await walks.prefix(repo, "r", newTip, "f.txt", 2)).lines[0]!.commit).toBe(newTip);
    await graphs.idle();
    expect(writes()).toHaveLength(2);
  });

  it("a lock left by a killed write is removed once it is an hour old; a fresh one is respected", async () => {
    const other = path.join(tmp, "locked.git");
    execFileSync("git", ["init", "-q", "--bare", "--initial-branch=main", other]);
    execFileSync("git", ["fast-import", "--quiet"], {
      env: { ...process.env, GIT_DIR: other },
      input: "commit refs/heads/main\ncommitter T <t@e> 1700000000 +0000\ndata 2\nx\nM 100644 inline f\ndata 2\nx\n\n",
    });
    const tip = execFileSync("git", ["rev-parse", "main"], { env: { ...process.env, GIT_DIR: other } }).toString().trim();
    const lock = path.join(other, "objects/info/commit-graphs/commit-graph-chain.lock");
    const chain = path.join(other, "objects/info/commit-graphs/commit-graph-chain");
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, "");
    const errors: unknown[] = [];
    const graphs = new CommitGraphs(runner, (_dir, e) => errors.push(e));
    graphs.noteWalk(other, tip);
    await graphs.idle();
    expect(errors).toHaveLength(1); // a write under way elsewhere: left alone
    expect(fs.existsSync(chain)).toBe(false);
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(lock, twoHoursAgo, twoHoursAgo);
    graphs.noteWalk(other, tip);
    await graphs.idle();
    expect(errors).toHaveLength(1);
    expect(fs.existsSync(chain)).toBe(true);
  });
});
