import { changedPaths, mergeTree, type MergeTreeResult } from "../../git/merge.js";
import { EMPTY_TREE_OID, fromBinary, isTree, type TreeEntry } from "../../git/objects.js";
import { MAX_FILE_BYTES } from "../content/change-set.js";
import { modeName, type FileModeName } from "../content/modes.js";
import type { Commit, ObjectReader } from "../content/object-reader.js";
import { looksBinary, mergeHunks, type MergeHunk } from "./hunks.js";
import type { ConflictDetailLevel } from "./options.js";

/**
 * What merging a source commit into a destination commit meets, computed by git: the merge
 * base, whether a fast-forward is possible, git's merge (merge-tree --write-tree) and the paths
 * that conflict at the requested detail level. FILE_LEVEL is CodeCommit's default: a file
 * changed on both sides (to different results) is a conflict even where git would merge its
 * lines; LINE_LEVEL is git's own judgement.
 */
export interface MergeAnalysis {
  source: Commit;
  destination: Commit;
  /** null for histories with no common ancestor (they merge against the empty tree) */
  baseCommitId: string | null;
  baseTree: string;
  /** the destination is in the source's history: the destination can simply move to the source */
  fastForward: boolean;
  /** the source is in the destination's history: there is nothing to merge */
  upToDate: boolean;
  merged: MergeTreeResult;
  level: ConflictDetailLevel;
  /** conflicting paths (binary strings), in path order */
  conflicts: string[];
}

export async function analyzeMerge(reader: ObjectReader, source: Commit, destination: Commit, level: ConflictDetailLevel): Promise<MergeAnalysis> {
  const git = reader.git;
  const [baseCommitId, fastForward, upToDate, merged] = await Promise.all([
    git.mergeBase(destination.oid, source.oid),
    git.isAncestor(destination.oid, source.oid),
    git.isAncestor(source.oid, destination.oid),
    mergeTree(git, destination.oid, source.oid),
  ]);
  const baseTree = baseCommitId ? ((await reader.commit(baseCommitId))?.tree ?? EMPTY_TREE_OID) : EMPTY_TREE_OID;
  const conflicts = new Set(merged.conflicts.keys());
  if (level === "FILE_LEVEL" && !upToDate && !fastForward) {
    const [bySource, byDestination] = await Promise.all([changedPaths(git, baseTree, source.tree), changedPaths(git, baseTree, destination.tree)]);
    for (const [path, s] of bySource) {
      const d = byDestination.get(path);
      if (!d) continue;
      const same = s.after?.oid === d.after?.oid && s.after?.mode === d.after?.mode;
      if (!same) conflicts.add(path);
    }
  }
  return { source, destination, baseCommitId, baseTree, fastForward, upToDate, merged, level, conflicts: [...conflicts].sort() };
}

type ObjectTypeName = "FILE" | "DIRECTORY" | "GIT_LINK" | "SYMBOLIC_LINK";

function objectType(e: TreeEntry): ObjectTypeName {
  if (isTree(e)) return "DIRECTORY";
  if (e.mode === "160000") return "GIT_LINK";
  if (e.mode === "120000") return "SYMBOLIC_LINK";
  return "FILE";
}

interface Sides<T> {
  source?: T;
  destination?: T;
  base?: T;
}

/** ConflictMetadata as CodeCommit reports it. */
export interface ConflictMetadata {
  filePath: string;
  fileSizes: Sides<number>;
  fileModes: Sides<FileModeName>;
  objectTypes: Sides<ObjectTypeName>;
  numberOfConflicts: number;
  isBinaryFile: Sides<boolean>;
  contentConflict: boolean;
  fileModeConflict: boolean;
  objectTypeConflict: boolean;
  mergeOperations: { source?: "A" | "M" | "D"; destination?: "A" | "M" | "D" };
}

export interface ConflictDetail {
  metadata: ConflictMetadata;
  /** the three versions' hunks; empty for binary files, folders and one-sided files */
  hunks: MergeHunk[];
}

export interface PathEntries {
  base: TreeEntry | null;
  source: TreeEntry | null;
  destination: TreeEntry | null;
}

export async function entriesAt(reader: ObjectReader, a: MergeAnalysis, path: string): Promise<PathEntries> {
  const parts = path.split("/");
  const [base, source, destination] = await Promise.all([
    reader.entryAt(a.baseTree, parts),
    reader.entryAt(a.source.tree, parts),
    reader.entryAt(a.destination.tree, parts),
  ]);
  return { base, source, destination };
}

const operation = (base: TreeEntry | null, side: TreeEntry | null): "A" | "M" | "D" | undefined => {
  if (!base) return side ? "A" : undefined;
  if (!side) return "D";
  return base.oid !== side.oid || base.mode !== side.mode ? "M" : undefined;
};

/** A blob's content for hunks, or null when it is not a blob or too large to compare in memory. */
async function blobText(reader: ObjectReader, e: TreeEntry | null): Promise<{ size: number; content: Buffer | null } | null> {
  if (!e || isTree(e) || e.mode === "160000") return null;
  const info = await reader.info(e.oid);
  if (!info) return null;
  if (info.size > MAX_FILE_BYTES) return { size: info.size, content: null };
  const content = await reader.blob(e.oid, MAX_FILE_BYTES, () => new Error("too large"));
  return { size: info.size, content };
}

/** The conflict at one path: its metadata, and the hunks of its three versions. */
export async function describeConflict(reader: ObjectReader, a: MergeAnalysis, path: string): Promise<ConflictDetail> {
  const e = await entriesAt(reader, a, path);
  const [base, source, destination] = await Promise.all([blobText(reader, e.base), blobText(reader, e.source), blobText(reader, e.destination)]);
  const sides = { base, source, destination };
  const metadata: ConflictMetadata = {
    filePath: fromBinary(path),
    fileSizes: {},
    fileModes: {},
    objectTypes: {},
    numberOfConflicts: 0,
    isBinaryFile: {},
    contentConflict: false,
    fileModeConflict: false,
    objectTypeConflict: false,
    mergeOperations: {},
  };
  for (const side of ["source", "destination", "base"] as const) {
    const entry = e[side];
    if (!entry) continue;
    metadata.objectTypes[side] = objectType(entry);
    const mode = modeName(entry.mode);
    if (mode) metadata.fileModes[side] = mode;
    const blob = sides[side];
    if (blob) {
      metadata.fileSizes[side] = blob.size;
      metadata.isBinaryFile[side] = blob.content ? looksBinary(blob.content) : true;
    }
  }
  const src = operation(e.base, e.source);
  const dst = operation(e.base, e.destination);
  if (src) metadata.mergeOperations.source = src;
  if (dst) metadata.mergeOperations.destination = dst;

  const conflicting = a.conflicts.includes(path);
  let hunks: MergeHunk[] = [];
  const texts = [source?.content, destination?.content];
  const textual = texts.every((t) => t && !looksBinary(t)) && (!base?.content || !looksBinary(base.content));
  if (source && destination && textual) hunks = mergeHunks(base?.content ?? Buffer.alloc(0), source.content!, destination.content!);
  if (conflicting && e.source && e.destination) {
    metadata.objectTypeConflict = objectType(e.source) !== objectType(e.destination);
    const bothChangedMode = e.source.mode !== e.destination.mode && (!e.base || (e.base.mode !== e.source.mode && e.base.mode !== e.destination.mode));
    metadata.fileModeConflict = !metadata.objectTypeConflict && (a.level === "FILE_LEVEL" ? e.source.mode !== e.destination.mode : bothChangedMode);
    const lineConflicts = hunks.filter((h) => h.isConflict).length;
    if (!metadata.objectTypeConflict && e.source.oid !== e.destination.oid) {
      metadata.contentConflict = a.level === "FILE_LEVEL" || !textual || lineConflicts > 0;
    }
    metadata.numberOfConflicts =
      (metadata.contentConflict ? Math.max(1, lineConflicts) : 0) + Number(metadata.fileModeConflict) + Number(metadata.objectTypeConflict);
  } else if (conflicting) {
    // one side deleted what the other changed (or a folder took a file's place)
    metadata.contentConflict = true;
    metadata.numberOfConflicts = 1;
  }
  if (conflicting && metadata.numberOfConflicts === 0) {
    // changed on both sides (FILE_LEVEL), each in its own way that git reconciles
    metadata.contentConflict = true;
    metadata.numberOfConflicts = 1;
  }
  return { metadata, hunks };
}
