import fs from "node:fs/promises";
import path from "node:path";
import type { GitRunner } from "./exec.js";

/** Most tips remembered as covered per repository; past it the set starts again (one extra write). */
const MAX_COVERED_TIPS = 256;
/** A write takes seconds even on large repositories: a lock this old was left by a killed one. */
const STALE_LOCK_MS = 60 * 60_000;
const LOCKS = ["objects/info/commit-graphs/commit-graph-chain.lock", "objects/info/commit-graph.lock"];

/** Removes the lock files of a write that died with its process, which would refuse every later write. */
async function removeStaleLocks(gitDir: string): Promise<void> {
  for (const lock of LOCKS) {
    const file = path.join(gitDir, lock);
    const stat = await fs.stat(file).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > STALE_LOCK_MS) await fs.rm(file, { force: true });
  }
}

interface RepoState {
  /** walk starts known to be in the repository's commit-graph */
  covered: Set<string>;
  /** walk starts seen since the last write began */
  waiting: Set<string>;
  /** walk starts the write under way will cover */
  writing: Set<string>;
}

/**
 * Keeps each repository's commit-graph, with changed-path Bloom filters, fresh in the
 * background. With them a path-limited `git rev-list` skips the tree diffs of nearly every
 * commit: on 20,000 commits 38 ms instead of 247 ms (bench/content.ts). A repository gets its
 * graph the first time its history is asked for at a tip the graph does not hold yet (after a
 * push or an API commit, say), so repositories nobody browses cost nothing. Writes are
 * `--split` (new commits go to a small new layer, layers merge as they grow) and run one at a
 * time for the whole server, off the request path; a walk that comes before the write simply
 * takes git's slower path for the commits not yet covered.
 */
export class CommitGraphs {
  private readonly repos = new Map<string, RepoState>();
  private readonly queue: string[] = [];
  private running = false;
  private closed = false;

  constructor(
    private readonly runner: GitRunner,
    private readonly onError: (gitDir: string, e: unknown) => void = () => {},
  ) {}

  /** Notes a walk of `gitDir`'s history from `tip`; queues a write unless the graph holds it. */
  noteWalk(gitDir: string, tip: string): void {
    if (this.closed) return;
    let state = this.repos.get(gitDir);
    if (!state) this.repos.set(gitDir, (state = { covered: new Set(), waiting: new Set(), writing: new Set() }));
    if (state.covered.has(tip) || state.waiting.has(tip) || state.writing.has(tip)) return;
    state.waiting.add(tip);
    if (!this.queue.includes(gitDir)) this.queue.push(gitDir);
    void this.drain();
  }


  /** Starts no more writes (one under way finishes, or is killed by the runner's shutdown). */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  /** Resolves once no write is queued or running (for tests and benchmarks). */
  async idle(): Promise<void> {
    while (this.running || this.queue.length) await new Promise((r) => setTimeout(r, 20));
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let gitDir = this.queue.shift(); gitDir !== undefined && !this.closed; gitDir = this.queue.shift()) {
        const state = this.repos.get(gitDir);
        if (!state) continue;
        // what was asked for before the write starts is in the refs it reads (or unreachable,
        // which no write would cover: not worth another try either)
        state.writing = state.waiting;
        state.waiting = new Set();
        try {
          await removeStaleLocks(gitDir);
          await this.runner.run(["commit-graph", "write", "--reachable", "--changed-paths", "--split"], { env: { GIT_DIR: gitDir } });
        } catch (e) {
          // e.g. another process holds the graph's lock: a later walk asks again
          this.onError(gitDir, e);
          state.writing = new Set();
          continue;
        }
        if (state.covered.size + state.writing.size > MAX_COVERED_TIPS) state.covered.clear();
        for (const tip of state.writing) state.covered.add(tip);
        state.writing = new Set();
      }
    } finally {
      this.running = false;
    }
  }
}
