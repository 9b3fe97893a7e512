import type { CommitGraphs } from "../../git/commit-graph.js";
import type { GitRepository } from "../../git/repository.js";
import { LruCache } from "./lru-cache.js";

/** One commit of a path-limited walk, with its parents as git rewrote them. */
export interface WalkLine {
  commit: string;
  parents: string[];
}

export interface Walk {
  /** the walk's first lines, in git's order */
  lines: WalkLine[];
  /** true when `lines` is the whole walk */
  complete: boolean;
}

/**
 * git's path-limited history walks (`git rev-list --topo-order --parents START -- PATH`: git
 * does history simplification, and does it fastest), cached by repository, start commit and
 * path. A start commit fixes its history for good, so nothing here goes stale, and the pages
 * after the first, or the same page asked again, start no process. A walk is run for as many
 * lines as asked (with a commit-graph, git stops early even in topological order) and re-run
 * at least twice as long when a later page needs more, so paging through n versions costs
 * O(n) lines of git output in all, not O(n²).
 */
export class HistoryWalks {
  private readonly cache: LruCache<Walk>;
  private readonly running = new Map<string, Promise<Walk>>();

  constructor(
    private readonly graphs: CommitGraphs,
    maxBytes = 32 * 1024 * 1024,
  ) {
    this.cache = new LruCache(maxBytes);
  }

  /** At least the first `count` lines of the walk, or all of it when it is shorter. */
  async prefix(git: GitRepository, repoId: string, start: string, path: string, count: number): Promise<Walk> {
    const key = `${repoId}\0${start}\0${path}`;
    for (;;) {
      const known = this.cache.get(key);
      if (known && (known.complete || known.lines.length >= count)) return known;
      const pending = this.running.get(key);
      if (pending) {
        // a walk of the same history is under way: it may be long enough
        const w = await pending;
        if (w.complete || w.lines.length >= count) return w;
        continue;
      }
      const want = Math.max(count, 2 * (known?.lines.length ?? 0));
      const run = this.walk(git, start, path, want).finally(() => this.running.delete(key));
      this.running.set(key, run);
      const w = await run;
      // roughly what the parsed lines take in memory
      this.cache.set(key, w, 200 + w.lines.reduce((n, l) => n + 120 + 60 * l.parents.length, 0));
      return w;
    }
  }

  private async walk(git: GitRepository, start: string, path: string, count: number): Promise<Walk> {
    const { stdout } = await git.git(["rev-list", "--topo-order", "--parents", `--max-count=${count}`, start, "--", path], {
      env: { GIT_LITERAL_PATHSPECS: "1" },
    });
    // the next walk of this repository finds a commit-graph covering this start (written meanwhile)
    this.graphs.noteWalk(git.gitDir, start);
    const lines = stdout
      .toString("latin1")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [commit, ...parents] = line.split(" ");
        return { commit: commit!, parents };
      });
    return { lines, complete: lines.length < count };
  }
}
