import { canonicalMode, type EntryMode } from "./objects.js";
import { ZERO_OID, type GitRepository } from "./repository.js";

/** One side of a path that git could not merge: stage 1 is the base, 2 ours, 3 theirs. */
export interface ConflictStage {
  mode: EntryMode;
  oid: string;
}

export interface MergeTreeResult {
  /** the merged tree; conflicted files hold git's conflict markers */
  tree: string;
  clean: boolean;
  /** conflicted paths (binary strings, see objects.ts) → what each stage holds there */
  conflicts: Map<string, { base?: ConflictStage; ours?: ConflictStage; theirs?: ConflictStage }>;
}

const guard = (oid: string) => {
  // only object IDs reach git here: nothing a request wrote can become an option
  if (!/^[0-9a-f]{40}$/.test(oid)) throw new Error(`not an object id: ${oid}`);
  return oid;
};

/**
 * `git merge-tree --write-tree`: merges `theirs` into `ours` (git's merge-ort, in the object
 * database only, with git's own merge base, recursive for criss-cross histories) and writes the
 * result tree. Histories without a common ancestor merge against the empty tree.
 */
export async function mergeTree(repo: GitRepository, ours: string, theirs: string): Promise<MergeTreeResult> {
  const r = await repo.git(
    ["merge-tree", "--write-tree", "-z", "--no-messages", "--allow-unrelated-histories", guard(ours), guard(theirs)],
    { okCodes: [1] },
  );
  // <tree> NUL, then for a conflicted merge `<mode> SP <oid> SP <stage> TAB <path>` NUL each
  const fields = r.stdout.toString("latin1").split("\0");
  const tree = fields[0]!.trim();
  const conflicts: MergeTreeResult["conflicts"] = new Map();
  for (const f of fields.slice(1)) {
    if (f === "") break;
    const tab = f.indexOf("\t");
    const [mode, oid, stage] = f.slice(0, tab).split(" ");
    const path = f.slice(tab + 1);
    const entry = conflicts.get(path) ?? {};
    const side = { mode: canonicalMode(mode!), oid: oid! };
    if (stage === "1") entry.base = side;
    else if (stage === "2") entry.ours = side;
    else entry.theirs = side;
    conflicts.set(path, entry);
  }
  return { tree, clean: r.code === 0, conflicts };
}

export interface PathChange {
  /** binary string */
  path: string;
  /** undefined when the path was added */
  before?: ConflictStage;
  /** undefined when the path was deleted */
  after?: ConflictStage;
}

/**
 * The files (blobs, symbolic links, submodules) that differ between two trees, without rename
 * detection: `git diff-tree -r`, one process whatever the size of the trees, skipping subtrees
 * that did not change.
 */
export async function changedPaths(repo: GitRepository, fromTree: string, toTree: string): Promise<Map<string, PathChange>> {
  const r = await repo.git(["diff-tree", "-r", "-z", "--no-renames", "--raw", guard(fromTree), guard(toTree)]);
  const fields = r.stdout.toString("latin1").split("\0");
  const changes = new Map<string, PathChange>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i]!;
    if (!meta.startsWith(":")) break;
    const [srcMode, dstMode, srcOid, dstOid] = meta.slice(1).split(" ");
    const path = fields[i + 1]!;
    changes.set(path, {
      path,
      before: srcOid === ZERO_OID ? undefined : { mode: canonicalMode(srcMode!), oid: srcOid! },
      after: dstOid === ZERO_OID ? undefined : { mode: canonicalMode(dstMode!), oid: dstOid! },
    });
  }
  return changes;
}

/**
 * The commit on `tip`'s first-parent line that brought `merged` in: `merged` itself when the
 * line passes through it (a fast-forward), else the oldest first-parent commit descending from
 * it (the merge commit). Null when `merged` is not in `tip`'s history.
 */
export async function commitThatMerged(repo: GitRepository, merged: string, tip: string): Promise<string | null> {
  if (merged === tip) return merged;
  if (!(await repo.isAncestor(merged, tip))) return null;
  const r = await repo.git(["rev-list", "--first-parent", "--ancestry-path", "--reverse", `${guard(merged)}..${guard(tip)}`]);
  const first = r.stdout.toString("utf8").split("\n")[0]?.trim();
  if (!first) return merged;
  // the first commit after `merged` on the ancestry path: its first parent is `merged` for a
  // fast-forwarded line, another commit for a merge
  const parents = await repo.git(["rev-list", "--parents", "-n", "1", first]);
  const [, firstParent] = parents.stdout.toString("utf8").trim().split(" ");
  return firstParent === merged ? merged : first;
}
