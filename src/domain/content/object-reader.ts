import type { ObjectInfo } from "../../git/cat-file.js";
import { isTree, parseCommit, parseTree, type RawCommit, type TreeEntry } from "../../git/objects.js";
import type { GitRepository } from "../../git/repository.js";
import { LruCache } from "./lru-cache.js";

/** A parsed tree, with a name index built the first time a big one is searched. */
export class Tree {
  private index?: Map<string, TreeEntry>;

  constructor(
    readonly oid: string,
    readonly entries: TreeEntry[],
  ) {}

  get(name: string): TreeEntry | undefined {
    if (this.entries.length <= 16) return this.entries.find((e) => e.name === name);
    this.index ??= new Map(this.entries.map((e) => [e.name, e]));
    return this.index.get(name);
  }
}

export interface Commit extends RawCommit {
  oid: string;
}

type Cached = Tree | Commit;

/**
 * Parsed trees and commits, cached across requests. Objects are immutable, so an entry never
 * goes stale; keys carry the repository ID because the same object ID in another repository
 * says nothing about what this one holds (and must not leak it).
 */
export class ObjectCache {
  readonly lru: LruCache<Cached>;
  /** blob sizes, so a hot file is read with one cat-file request instead of two */
  readonly sizes: LruCache<number>;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.lru = new LruCache(maxBytes);
    this.sizes = new LruCache(4 * 1024 * 1024);
  }

  reader(repoId: string, git: GitRepository): ObjectReader {
    return new ObjectReader(repoId, git, this.lru, this.sizes);
  }
}

/**
 * Reads one repository's objects through its long-lived cat-file process (no process per
 * call), parsing trees and commits in JS.
 */
export class ObjectReader {
  constructor(
    readonly repoId: string,
    readonly git: GitRepository,
    private readonly cache: LruCache<Cached>,
    private readonly sizes: LruCache<number>,
  ) {}

  info(spec: string): Promise<ObjectInfo | null> {
    return this.git.info(spec);
  }

  /**
   * A blob's content, or null when there is no such blob; `tooLarge` is called instead of
   * reading when it is bigger than `maxBytes` (its size is asked first, unless known).
   */
  async blob(oid: string, maxBytes: number, tooLarge: (size: number) => Error): Promise<Buffer | null> {
    const key = `${this.repoId}:${oid}`;
    let size = this.sizes.get(key);
    if (size === undefined) {
      const info = await this.git.info(oid);
      if (!info || info.type !== "blob") return null;
      size = info.size;
      this.sizes.set(key, size, 100);
    }
    if (size > maxBytes) throw tooLarge(size);
    const data = await this.git.contents(oid);
    return data && data.type === "blob" ? data.content : null;
  }

  async tree(oid: string): Promise<Tree | null> {
    const v = await this.cache.getOrLoad(`${this.repoId}:${oid}`, async () => {
      const o = await this.git.contents(oid);
      if (!o || o.type !== "tree") return null;
      const entries = parseTree(o.content, o.oid.length / 2);
      // roughly what the parsed entries take in memory
      return { value: new Tree(o.oid, entries), cost: 200 + entries.length * 180 + o.content.length };
    });
    return v instanceof Tree ? v : null;
  }

  async commit(oid: string): Promise<Commit | null> {
    const v = await this.cache.getOrLoad(`${this.repoId}:${oid}`, async () => {
      const o = await this.git.contents(oid);
      if (!o || o.type !== "commit") return null;
      return { value: { oid: o.oid, ...parseCommit(o.content) }, cost: 400 + o.content.length * 2 };
    });
    return v && !(v instanceof Tree) ? v : null;
  }

  /**
   * The entry at a path (binary components) under a tree, or null. The root itself, asked
   * for with no components, is returned as a tree entry with an empty name.
   */
  async entryAt(rootTree: string, parts: string[]): Promise<TreeEntry | null> {
    let entry: TreeEntry = { name: "", mode: "40000", oid: rootTree };
    for (const part of parts) {
      if (!isTree(entry)) return null;
      const tree = await this.tree(entry.oid);
      const next = tree?.get(part);
      if (!next) return null;
      entry = next;
    }
    return entry;
  }
}
