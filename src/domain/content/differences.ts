import { fromBinary, isTree, sortKey, type TreeEntry } from "../../git/objects.js";
import { encodeToken } from "../paging.js";
import { contentErrors } from "./errors.js";
import type { Commit, ObjectReader } from "./object-reader.js";
import { pagePosition, pageSize } from "./page.js";
import { optionalPath, type RepoPath } from "./paths.js";
import { isFullCommitId, resolveCommit } from "./specifiers.js";

export const DIFFERENCES_PAGE = 100;
export const MAX_DIFFERENCES_PAGE = 1000;

export interface BlobMetadata {
  blobId: string;
  path: string;
  /** git's octal mode: 100644, 100755, 120000 or 160000 */
  mode: string;
}

export interface Difference {
  beforeBlob?: BlobMetadata;
  afterBlob?: BlobMetadata;
  changeType: "A" | "M" | "D";
}

export interface DifferencesRequest {
  beforeCommitSpecifier?: unknown;
  afterCommitSpecifier?: unknown;
  beforePath?: unknown;
  afterPath?: unknown;
  MaxResults?: unknown;
  NextToken?: unknown;
}

/** One change found by the walk; `rel` is the path below the compared roots (binary). */
interface Change {
  rel: string;
  before?: TreeEntry;
  after?: TreeEntry;
}

const join = (a: string, b: string) => (a === "" ? b : b === "" ? a : `${a}/${b}`);

/**
 * Compares two trees recursively, in JS over cached tree objects (what `git diff-tree -r`
 * reports, without rename detection), yielding changes in path byte order. Subtrees with the
 * same ID are skipped unread. `resumeAfter` (a path) skips everything up to it, whole subtrees
 * at a time, so a page costs what it returns rather than everything before it.
 */
async function* walk(reader: ObjectReader, b: TreeEntry | null, a: TreeEntry | null, rel: string, resumeAfter?: string): AsyncGenerator<Change> {
  const bTree = b && isTree(b) ? b : null;
  const aTree = a && isTree(a) ? a : null;
  const bLeaf = b && !bTree ? b : null;
  const aLeaf = a && !aTree ? a : null;

  // a file and a folder at one path: the file's path ("x") sorts before the folder's ("x/…")
  const leafPast = resumeAfter === undefined || rel > resumeAfter;
  if (bLeaf && aLeaf) {
    if ((bLeaf.oid !== aLeaf.oid || bLeaf.mode !== aLeaf.mode) && leafPast) yield { rel, before: bLeaf, after: aLeaf };
  } else if ((bLeaf || aLeaf) && leafPast) {
    yield { rel, before: bLeaf ?? undefined, after: aLeaf ?? undefined };
  }

  if (!bTree && !aTree) return;
  if (bTree && aTree && bTree.oid === aTree.oid) return;
  if (resumeAfter !== undefined && rel !== "") {
    const prefix = rel + "/";
    // everything under this folder sorts before the resume point: skip it unread
    if (prefix < resumeAfter && !resumeAfter.startsWith(prefix)) return;
  }
  const [bEntries, aEntries] = await Promise.all([children(reader, bTree), children(reader, aTree)]);
  let i = 0;
  let j = 0;
  while (i < bEntries.length || j < aEntries.length) {
    const bk = i < bEntries.length ? sortKey(bEntries[i]!) : undefined;
    const ak = j < aEntries.length ? sortKey(aEntries[j]!) : undefined;
    let be: TreeEntry | null = null;
    let ae: TreeEntry | null = null;
    if (ak === undefined || (bk !== undefined && bk < ak)) be = bEntries[i++]!;
    else if (bk === undefined || ak < bk) ae = aEntries[j++]!;
    else {
      be = bEntries[i++]!;
      ae = aEntries[j++]!;
    }
    yield* walk(reader, be, ae, join(rel, (be ?? ae)!.name), resumeAfter);
  }
}

async function children(reader: ObjectReader, e: TreeEntry | null): Promise<TreeEntry[]> {
  if (!e) return [];
  const tree = await reader.tree(e.oid);
  if (!tree) throw new Error(`tree ${e.oid} is missing`);
  return tree.entries;
}

function rootEntry(tree: string): TreeEntry {
  return { name: "", mode: "40000", oid: tree };
}

/**
 * GetDifferences: what changed between two commits (or everything in one, when there is no
 * "before"), limited to a path, or comparing a folder with its new name when the two paths
 * differ. Pages hold MaxResults differences (100 by default); the token is the last path sent.
 */
export async function getDifferences(
  reader: ObjectReader,
  repo: { id: string; name: string },
  req: DifferencesRequest,
): Promise<{ differences: Difference[]; NextToken?: string }> {
  const limit = pageSize(req.MaxResults, DIFFERENCES_PAGE, MAX_DIFFERENCES_PAGE);
  let beforePath: RepoPath | undefined = optionalPath(req.beforePath);
  let afterPath: RepoPath | undefined = optionalPath(req.afterPath);
  beforePath ??= afterPath;
  afterPath ??= beforePath;

  // The token carries the commits the first page resolved (pages stay consistent while
  // branches move) and the last path sent. It comes back from the client: check it.
  const spec = (v: unknown) => (typeof v === "string" ? v : "");
  const query = ["differences", repo.id, spec(req.beforeCommitSpecifier), spec(req.afterCommitSpecifier), beforePath?.path ?? "", afterPath?.path ?? ""].join("\0");
  const pos = pagePosition<[string, string, string]>(req.NextToken, query);
  let before: Commit | null = null;
  let after: Commit;
  let resumeAfter: string | undefined;
  if (pos !== undefined) {
    if (!Array.isArray(pos) || typeof pos[2] !== "string" || !isFullCommitId(String(pos[1])) || (pos[0] !== "" && !isFullCommitId(String(pos[0])))) {
      throw contentErrors.invalidContinuationToken();
    }
    const [b, a] = await Promise.all([pos[0] ? reader.commit(pos[0]) : null, reader.commit(pos[1])]);
    if (!a || (pos[0] && !b)) throw contentErrors.invalidContinuationToken();
    [before, after, resumeAfter] = [b, a, pos[2]];
  } else {
    after = await resolveCommit(reader, repo.name, req.afterCommitSpecifier, { required: true });
    const hasBefore = req.beforeCommitSpecifier !== undefined && req.beforeCommitSpecifier !== null && req.beforeCommitSpecifier !== "";
    before = hasBefore ? await resolveCommit(reader, repo.name, req.beforeCommitSpecifier) : null;
  }

  const at = async (commit: Commit | null, path: RepoPath | undefined): Promise<TreeEntry | null> =>
    commit ? (path ? reader.entryAt(commit.tree, path.parts) : rootEntry(commit.tree)) : null;
  const [b, a] = await Promise.all([at(before, beforePath), at(after, afterPath)]);
  const limited = (beforePath?.parts.length ?? 0) > 0 || (afterPath?.parts.length ?? 0) > 0;
  if (limited && !a && !b) throw contentErrors.pathDoesNotExist((afterPath ?? beforePath)!.path);
  const bRoot = beforePath?.parts.join("/") ?? "";
  const aRoot = afterPath?.parts.join("/") ?? "";

  const differences: Difference[] = [];
  let last: string | undefined;
  let more = false;
  for await (const c of walk(reader, b, a, "", resumeAfter)) {
    if (differences.length === limit) {
      more = true;
      break;
    }
    differences.push({
      beforeBlob: c.before && { blobId: c.before.oid, path: fromBinary(join(bRoot, c.rel)), mode: c.before.mode },
      afterBlob: c.after && { blobId: c.after.oid, path: fromBinary(join(aRoot, c.rel)), mode: c.after.mode },
      changeType: c.before && c.after ? "M" : c.after ? "A" : "D",
    });
    last = c.rel;
  }
  return { differences, NextToken: more && last !== undefined ? encodeToken(query, [before?.oid ?? "", after.oid, last]) : undefined };
}
