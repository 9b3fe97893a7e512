import { ServiceError } from "../../errors.js";
import { hashObject, isTree, type TreeEntry } from "../../git/objects.js";
import { gitMode, isFileMode } from "../content/modes.js";
import type { ObjectReader } from "../content/object-reader.js";
import { TreeEditor, type BuiltTree } from "../content/tree-editor.js";
import { entriesAt, type MergeAnalysis } from "./conflicts.js";
import type { ConflictResolution, ConflictResolutionStrategy } from "./options.js";

export interface ResolvedMerge {
  /** the merge's tree; absent when some conflict is left unresolved */
  tree?: BuiltTree;
  /** new file contents the tree refers to (USE_NEW_CONTENT) */
  blobs: Buffer[];
  /** conflicting paths (display form) nothing resolved */
  unresolved: string[];
}

const display = (binary: string) => Buffer.from(binary, "latin1").toString("utf8");

/**
 * The tree of a merge: git's merged tree, with every conflicting path settled by its
 * conflictResolution entry, else by the strategy: ACCEPT_SOURCE and ACCEPT_DESTINATION take that
 * side's version whole (a deletion included), AUTOMERGE keeps git's line merge where git found
 * no conflicting lines, NONE settles nothing. Entries naming a path that does not conflict are
 * refused: a resolution is for conflicts, not a way to slip other changes into a merge.
 */
export async function resolveMerge(
  reader: ObjectReader,
  a: MergeAnalysis,
  strategy: ConflictResolutionStrategy,
  resolution: ConflictResolution,
  keepEmptyFolders: boolean,
): Promise<ResolvedMerge> {
  const conflicting = new Set(a.conflicts);
  const key = (parts: string[]) => parts.join("/");
  for (const p of [...resolution.replaceContents.map((r) => r.path), ...resolution.deleteFiles, ...resolution.setFileModes.map((m) => m.path)]) {
    if (!conflicting.has(key(p.parts))) {
      throw new ServiceError(
        "InvalidConflictResolutionException",
        `The conflict resolution names '${p.path}', which has no conflict in this merge: resolve only the paths GetMergeConflicts lists.`,
      );
    }
  }
  const replace = new Map(resolution.replaceContents.map((r) => [key(r.path.parts), r]));
  const deletes = new Set(resolution.deleteFiles.map((d) => key(d.parts)));
  const modes = new Map(resolution.setFileModes.map((m) => [key(m.path.parts), m]));

  const editor = new TreeEditor(reader, a.merged.tree);
  const blobs: Buffer[] = [];
  const unresolved: string[] = [];
  const take = async (parts: string[], entry: TreeEntry | null) => {
    // folders are left as git merged them: the API's resolutions are for files
    if (entry && isTree(entry)) return;
    const there = await editor.get(parts);
    if (there && isTree(there)) return;
    if (!entry) await editor.remove(parts);
    else await editor.put(parts, entry.mode, entry.oid);
  };

  for (const path of a.conflicts) {
    const parts = path.split("/");
    const sides = await entriesAt(reader, a, path);
    const r = replace.get(path);
    if (r) {
      if (r.type === "USE_NEW_CONTENT") {
        const existing = [sides.destination, sides.source].find((e) => e && isFileMode(e.mode));
        const mode = r.mode ? gitMode(r.mode) : (existing?.mode ?? "100644");
        blobs.push(r.content!);
        await take(parts, { name: parts[parts.length - 1]!, mode, oid: hashObject("blob", r.content!) });
      } else {
        const chosen = r.type === "KEEP_BASE" ? sides.base : r.type === "KEEP_SOURCE" ? sides.source : sides.destination;
        await take(parts, chosen && r.mode ? { ...chosen, mode: gitMode(r.mode) } : chosen);
      }
    } else if (deletes.has(path)) {
      await editor.remove(parts);
    } else if (strategy === "ACCEPT_SOURCE") {
      await take(parts, sides.source);
    } else if (strategy === "ACCEPT_DESTINATION") {
      await take(parts, sides.destination);
    } else if (strategy === "AUTOMERGE" || modes.has(path)) {
      // git's line merge stands where git found no conflicting lines (a new mode alone settles
      // nothing more)
      if (a.merged.conflicts.has(path)) {
        unresolved.push(display(path));
        continue;
      }
    } else {
      unresolved.push(display(path));
      continue;
    }
    const m = modes.get(path);
    if (m) {
      const e = await editor.get(parts);
      if (!e || !isFileMode(e.mode)) {
        throw new ServiceError("InvalidConflictResolutionException", `The file mode entry names '${m.path.path}', which the resolved merge does not have as a file.`);
      }
      await editor.put(parts, gitMode(m.mode), e.oid);
    }
  }
  if (unresolved.length) return { blobs, unresolved };
  return { tree: await editor.build(keepEmptyFolders), blobs, unresolved };
}
