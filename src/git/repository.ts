import fs from "node:fs/promises";
import path from "node:path";
import type { CatFilePool, ObjectData, ObjectInfo } from "./cat-file.js";
import { GitError, type GitRunner } from "./exec.js";

export const ZERO_OID = "0000000000000000000000000000000000000000";

export interface RefUpdate {
  ref: string;
  /** ZERO_OID deletes the ref */
  newOid: string;
  /** ZERO_OID requires the ref not to exist; undefined skips the check */
  oldOid?: string;
}

const REPOSITORY_CONFIG = `[receive]
\t# CodeCommit accepts forced pushes and branch deletion over git (both governed by GitPush)
\tdenyNonFastForwards = false
\tdenyDeletes = false
\t# the default branch is HEAD: a push cannot delete it, as CodeCommit refuses it
\tdenyDeleteCurrent = refuse
[uploadpack]
\tallowFilter = true
\tallowAnySHA1InWant = true
[core]
\tlogAllRefUpdates = false
`;

/** The compare-and-swap of a ref update lost: somebody else moved the ref first. */
export class RefUpdateConflict extends Error {}

/**
 * Typed access to one bare repository on disk. Everything goes through the real git binary:
 * short commands through the runner, object and ref lookups through the cat-file pool.
 */
export class GitRepository {
  constructor(
    readonly gitDir: string,
    private readonly runner: GitRunner,
    private readonly catFiles: CatFilePool,
  ) {}

  /** Creates the bare repository with the settings every Headwater repository has. */
  static async init(gitDir: string, runner: GitRunner, catFiles: CatFilePool, initialBranch: string): Promise<GitRepository> {
    await fs.mkdir(path.dirname(gitDir), { recursive: true });
    await runner.run(["init", "--bare", "--quiet", `--initial-branch=${initialBranch}`, gitDir]);
    // Appended in one write rather than one `git config` process per setting: creating many
    // repositories is common (imports, tests) and each process costs milliseconds.
    await fs.appendFile(path.join(gitDir, "config"), REPOSITORY_CONFIG);
    return new GitRepository(gitDir, runner, catFiles);
  }

  private env(extra: Record<string, string> = {}): Record<string, string> {
    return { GIT_DIR: this.gitDir, ...extra };
  }

  git(args: string[], opts: { input?: string | Buffer; okCodes?: number[]; env?: Record<string, string> } = {}) {
    return this.runner.run(args, { ...opts, env: this.env(opts.env) });
  }

  /** Resolves any revision git understands (full ref, SHA, `HEAD`, …) to an object, or null. */
  info(spec: string): Promise<ObjectInfo | null> {
    return this.catFiles.get(this.gitDir).info(spec);
  }

  contents(spec: string): Promise<ObjectData | null> {
    return this.catFiles.get(this.gitDir).contents(spec);
  }

  /** The commit a full ref name points to, or null when the ref does not exist. */
  async refTarget(ref: string): Promise<string | null> {
    if (!ref.startsWith("refs/")) throw new Error(`not a full ref: ${ref}`);
    const info = await this.info(ref);
    return info ? info.oid : null;
  }

  /** All refs under a prefix, name → object id, sorted by name (git's byte order). */
  async refs(prefix = "refs/"): Promise<Map<string, string>> {
    const { stdout } = await this.git(["for-each-ref", "--format=%(objectname) %(refname)", prefix]);
    const map = new Map<string, string>();
    for (const line of stdout.toString("utf8").split("\n")) {
      if (!line) continue;
      const sp = line.indexOf(" ");
      map.set(line.slice(sp + 1), line.slice(0, sp));
    }
    return map;
  }

  /** Applies ref updates as one atomic transaction, each checked against its expected old value. */
  async updateRefs(updates: RefUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const lines = ["start"];
    for (const u of updates) {
      if (u.newOid === ZERO_OID) lines.push(`delete ${u.ref}${u.oldOid ? " " + u.oldOid : ""}`);
      else lines.push(`update ${u.ref} ${u.newOid}${u.oldOid !== undefined ? " " + u.oldOid : ""}`);
    }
    lines.push("prepare", "commit", "");
    try {
      await this.git(["update-ref", "--stdin"], { input: lines.join("\n") });
    } catch (e) {
      if (e instanceof GitError && /cannot lock ref|is at .* but expected|reference already exists|unable to resolve reference/.test(e.stderr)) {
        throw new RefUpdateConflict(e.stderr.trim());
      }
      throw e;
    }
  }

  /**
   * Whether `git gc --auto` could find work: git's own estimate (loose objects in objects/17
   * times 256 against gc.auto's 6700; packs against gc.autoPackLimit's 50) at half its
   * thresholds, so nothing git would collect is missed. Two directory reads instead of a
   * git process per push.
   */
  async mayNeedGc(): Promise<boolean> {
    const names = (dir: string) => fs.readdir(path.join(this.gitDir, "objects", dir)).catch(() => [] as string[]);
    const loose = (await names("17")).filter((n) => /^[0-9a-f]{38}$/.test(n)).length;
    if (loose * 256 > 6700 / 2) return true;
    return (await names("pack")).filter((n) => n.endsWith(".pack")).length > 50 / 2;
  }

  /**
   * `git gc --auto --quiet`: git packs loose objects and refs when there are enough of them, in
   * a detached process of its own. Resolves when the command returns (at once, unless there is
   * work and gc.autoDetach is off); never rejects: housekeeping failing changes nothing.
   */
  gcAuto(): Promise<void> {
    return new Promise((resolve) => {
      const child = this.runner.spawn(["gc", "--auto", "--quiet"], { extraEnv: this.env(), stdio: "ignore" });
      child.once("error", () => resolve());
      child.once("close", () => resolve());
    });
  }

  /** The best common ancestor of two commits (full IDs), or null when their histories are unrelated. */
  async mergeBase(a: string, b: string): Promise<string | null> {
    const r = await this.git(["merge-base", "--end-of-options", a, b], { okCodes: [1] });
    return r.code === 0 ? r.stdout.toString("utf8").trim() : null;
  }

  /** Whether `ancestor` is reachable from `descendant` (both full commit IDs; a commit is its own ancestor). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const r = await this.git(["merge-base", "--is-ancestor", "--end-of-options", ancestor, descendant], { okCodes: [1] });
    return r.code === 0;
  }

  /** Points HEAD (the default branch) at a branch. */
  async setHead(branch: string): Promise<void> {
    await this.git(["symbolic-ref", "HEAD", `refs/heads/${branch}`]);
  }

  /** The branch HEAD names, whether or not it exists yet (read from the file: no process). */
  async headBranch(): Promise<string | null> {
    const text = await fs.readFile(path.join(this.gitDir, "HEAD"), "utf8").catch(() => "");
    const m = /^ref: refs\/heads\/(.+?)\n?$/.exec(text);
    return m ? m[1]! : null;
  }
}
