import { ServiceError } from "../../errors.js";
import type { NewObject } from "../../git/object-writer.js";
import { EMPTY_TREE_OID, fromBinary, hashObject, isTree, serializeTree, type EntryMode, type TreeEntry } from "../../git/objects.js";
import type { ObjectReader } from "./object-reader.js";

/** The placeholder CodeCommit writes into a folder that keepEmptyFolders keeps. */
export const GITKEEP = ".gitkeep";
export const EMPTY_BLOB_OID = hashObject("blob", Buffer.alloc(0));

/** One folder being edited: its entries, and the sub-folders loaded (and maybe changed) below it. */
class Dir {
  readonly subdirs = new Map<string, Dir>();
  /** entries were added, replaced or removed here (sub-folder changes are found when building) */
  changed = false;

  constructor(
    readonly oid: string | null,
    readonly entries: Map<string, TreeEntry>,
  ) {}

  get wasEmptiedByEdit(): boolean {
    return this.changed && this.entries.size === 0;
  }
}

export interface BuiltTree {
  oid: string;
  /** trees (and the empty blob, for kept folders) that did not exist before, children first */
  objects: NewObject[];
  /** folders kept by a new .gitkeep, as full paths */
  keptFolders: string[];
}

const pathOf = (parts: string[]) => fromBinary(parts.join("/"));

const conflict = {
  fileInTheWay: (parts: string[], at: number) =>
    new ServiceError(
      "DirectoryNameConflictsWithFileNameException",
      `The path '${pathOf(parts)}' cannot be used: '${pathOf(parts.slice(0, at + 1))}' is a file, not a folder. Choose another path, or delete that file in the same commit.`,
    ),
  submoduleInTheWay: (parts: string[], at: number) =>
    new ServiceError(
      "FilePathConflictsWithSubmodulePathException",
      `The path '${pathOf(parts)}' cannot be used: '${pathOf(parts.slice(0, at + 1))}' is a submodule.`,
    ),
  folderInTheWay: (parts: string[]) =>
    new ServiceError(
      "FileNameConflictsWithDirectoryNameException",
      `The file '${pathOf(parts)}' cannot be added: a folder of that name already exists. Choose another name.`,
    ),
};

/**
 * An in-memory edit of a commit's tree: only the folders along edited paths are loaded (from
 * the object cache), and only the trees that change are built and written. Names and path
 * components are binary strings (see git/objects.ts).
 */
export class TreeEditor {
  private root: Dir | null = null;

  constructor(
    private readonly reader: ObjectReader,
    private readonly rootOid: string | null,
  ) {}

  private async load(oid: string | null): Promise<Dir> {
    if (!oid) return new Dir(null, new Map());
    const tree = await this.reader.tree(oid);
    if (!tree) throw new Error(`tree ${oid} is missing`);
    return new Dir(oid, new Map(tree.entries.map((e) => [e.name, e])));
  }

  private async rootDir(): Promise<Dir> {
    this.root ??= await this.load(this.rootOid);
    return this.root;
  }

  /**
   * The folder holding the last component of `parts`: walks (and with `create`, makes) the
   * folders above it. Null when a folder on the way does not exist or is not a folder and
   * `create` is false.
   */
  private async parentDir(parts: string[], create: boolean): Promise<Dir | null> {
    let dir = await this.rootDir();
    for (let i = 0; i < parts.length - 1; i++) {
      const name = parts[i]!;
      let sub = dir.subdirs.get(name);
      if (!sub) {
        const e = dir.entries.get(name);
        if (e && isTree(e)) {
          sub = await this.load(e.oid);
        } else if (!create) {
          return null;
        } else if (e && e.mode === "160000") {
          throw conflict.submoduleInTheWay(parts, i);
        } else if (e) {
          throw conflict.fileInTheWay(parts, i);
        } else {
          sub = new Dir(null, new Map());
          dir.entries.set(name, { name, mode: "40000", oid: EMPTY_TREE_OID });
          dir.changed = true;
        }
        dir.subdirs.set(name, sub);
      }
      dir = sub;
    }
    return dir;
  }

  /** The entry at a path as edited so far, or null. Folders come back as tree entries. */
  async get(parts: string[]): Promise<TreeEntry | null> {
    const dir = await this.parentDir(parts, false);
    const name = parts[parts.length - 1]!;
    const sub = dir?.subdirs.get(name);
    if (sub?.wasEmptiedByEdit) return null; // a folder whose last file went in this commit
    return dir?.entries.get(name) ?? null;
  }

  /** Adds or replaces a file (blob, symlink). Folders and submodules in the way are errors. */
  async put(parts: string[], mode: EntryMode, oid: string): Promise<void> {
    const dir = (await this.parentDir(parts, true))!;
    const name = parts[parts.length - 1]!;
    const existing = dir.entries.get(name);
    if (existing && isTree(existing)) {
      // a folder emptied earlier in this same commit may give way to a file of its name
      if (!dir.subdirs.get(name)?.wasEmptiedByEdit) throw conflict.folderInTheWay(parts);
      dir.subdirs.delete(name);
    }
    if (existing?.mode === "160000") throw conflict.submoduleInTheWay(parts, parts.length - 1);
    dir.entries.set(name, { name, mode, oid });
    dir.changed = true;
  }

  /** Removes a file, symlink or submodule; returns what was there, or null when nothing (or a folder) was. */
  async remove(parts: string[]): Promise<TreeEntry | null> {
    const dir = await this.parentDir(parts, false);
    const name = parts[parts.length - 1]!;
    const existing = dir?.entries.get(name);
    if (!dir || !existing || isTree(existing)) return null;
    dir.entries.delete(name);
    dir.changed = true;
    return existing;
  }

  /**
   * Builds the edited tree. Folders this edit emptied disappear (git cannot store them), or,
   * with `keepEmptyFolders`, keep a `.gitkeep`, as CodeCommit does.
   */
  async build(keepEmptyFolders: boolean): Promise<BuiltTree> {
    const objects: NewObject[] = [];
    const keptFolders: string[] = [];
    let needsEmptyBlob = false;

    const build = (dir: Dir, path: string[]): string | null => {
      for (const [name, sub] of dir.subdirs) {
        const oid = build(sub, [...path, name]);
        if (oid === null) {
          dir.entries.delete(name);
          dir.changed = true;
        } else if (dir.entries.get(name)?.oid !== oid) {
          dir.entries.set(name, { name, mode: "40000", oid });
          dir.changed = true;
        }
      }
      if (dir.wasEmptiedByEdit && path.length > 0) {
        if (!keepEmptyFolders) return null;
        dir.entries.set(GITKEEP, { name: GITKEEP, mode: "100644", oid: EMPTY_BLOB_OID });
        keptFolders.push(fromBinary(path.join("/")));
        needsEmptyBlob = true;
      }
      if (!dir.changed && dir.oid) return dir.oid;
      const body = serializeTree(dir.entries.values());
      const oid = hashObject("tree", body);
      if (oid !== dir.oid) objects.push({ type: "tree", body });
      return oid;
    };

    const root = await this.rootDir();
    const oid = build(root, [])!;
    if (needsEmptyBlob) objects.unshift({ type: "blob", body: Buffer.alloc(0) });
    return { oid, objects, keptFolders };
  }
}
