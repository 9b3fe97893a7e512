import crypto from "node:crypto";

/**
 * Git's object formats, parsed and built in JS so that reading a tree or a commit costs one
 * pipelined cat-file request and no process, and so that new trees and commits can be hashed
 * before anything is written.
 *
 * Names inside trees are raw bytes. They are kept as "binary strings" (latin1: one char per
 * byte), so JS string comparison is git's byte order and no name is mangled by decoding; use
 * `fromBinary`/`toBinary` at the edges.
 */

/** The modes git writes (canonical); anything else read from a tree is canonicalised like git does. */
export type EntryMode = "100644" | "100755" | "120000" | "160000" | "40000";

export interface TreeEntry {
  /** binary string (latin1) of the entry's name bytes */
  name: string;
  mode: EntryMode;
  oid: string;
}


export function toBinary(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

export function fromBinary(s: string): string {
  return Buffer.from(s, "latin1").toString("utf8");
}

export function isTree(e: { mode: EntryMode }): boolean {
  return e.mode === "40000";
}

/** What git's canon_mode does: any regular file is 644 or 755, by its owner-execute bit. */
export function canonicalMode(octal: string): EntryMode {
  const m = parseInt(octal, 8);
  switch (m & 0o170000) {
    case 0o040000:
      return "40000";
    case 0o120000:
      return "120000";
    case 0o160000:
      return "160000";
    default:
      return m & 0o100 ? "100755" : "100644";
  }
}

/** Raw tree object: repeated `<octal mode> SP <name> NUL <20-byte id>`. */
export function parseTree(buf: Buffer, hashBytes = 20): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    const nul = buf.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 1 + hashBytes > buf.length) throw new Error("malformed tree object");
    entries.push({
      mode: canonicalMode(buf.toString("latin1", i, sp)),
      name: buf.toString("latin1", sp + 1, nul),
      oid: buf.toString("hex", nul + 1, nul + 1 + hashBytes),
    });
    i = nul + 1 + hashBytes;
  }
  return entries;
}

/** The key git sorts tree entries by: directories compare as if their name ended in "/". */
export function sortKey(e: TreeEntry): string {
  return isTree(e) ? e.name + "/" : e.name;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Serialises entries (in any order) as git writes a tree: sorted, canonical modes. */
export function serializeTree(entries: Iterable<TreeEntry>): Buffer {
  const sorted = [...entries].sort((a, b) => compareKeys(sortKey(a), sortKey(b)));
  const parts: Buffer[] = [];
  for (const e of sorted) {
    parts.push(Buffer.from(`${e.mode} ${e.name}\0`, "latin1"), Buffer.from(e.oid, "hex"));
  }
  return Buffer.concat(parts);
}

export type ObjectType = "blob" | "tree" | "commit" | "tag";

export function hashObject(type: ObjectType, body: Buffer): string {
  return crypto.createHash("sha1").update(`${type} ${body.length}\0`).update(body).digest("hex");
}

export const EMPTY_TREE_OID = hashObject("tree", Buffer.alloc(0));

/** An identity line as git stores it: `Name <email> 1484167798 -0800`. */
export interface Ident {
  name: string;
  email: string;
  /** seconds since the epoch and offset, as git writes them: `1484167798 -0800` */
  date: string;
}

export interface RawCommit {
  tree: string;
  parents: string[];
  author: Ident;
  committer: Ident;
  /** the `encoding` header, when the message is not UTF-8 */
  encoding?: string;
  message: string;
}

export function parseIdent(line: string): Ident {
  const lt = line.lastIndexOf(" <");
  const gt = line.lastIndexOf("> ");
  if (lt < 0 || gt < lt) {
    // git itself is lenient with broken idents; keep whatever is there as the name
    return { name: line, email: "", date: "" };
  }
  return { name: line.slice(0, lt), email: line.slice(lt + 2, gt), date: line.slice(gt + 2) };
}

/**
 * Raw commit object: headers (one per line; a leading space continues the previous one, as
 * in `gpgsig`), a blank line, the message. Header values are UTF-8 in practice; the message
 * is decoded by its `encoding` header when it has one.
 */
export function parseCommit(buf: Buffer): RawCommit {
  const end = buf.indexOf("\n\n");
  const head = (end < 0 ? buf : buf.subarray(0, end)).toString("utf8");
  const body = end < 0 ? Buffer.alloc(0) : buf.subarray(end + 2);
  let tree = "";
  const parents: string[] = [];
  let author: Ident = { name: "", email: "", date: "" };
  let committer: Ident = { name: "", email: "", date: "" };
  let encoding: string | undefined;
  for (const line of head.split("\n")) {
    if (line.startsWith(" ")) continue; // continuation of a multi-line header (gpgsig, mergetag)
    const sp = line.indexOf(" ");
    const key = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? "" : line.slice(sp + 1);
    if (key === "tree") tree = value;
    else if (key === "parent") parents.push(value);
    else if (key === "author") author = parseIdent(value);
    else if (key === "committer") committer = parseIdent(value);
    else if (key === "encoding") encoding = value;
  }
  return { tree, parents, author, committer, encoding, message: decodeMessage(body, encoding) };
}

function decodeMessage(body: Buffer, encoding: string | undefined): string {
  if (!encoding || /^utf-?8$/i.test(encoding)) return body.toString("utf8");
  try {
    return new TextDecoder(encoding).decode(body);
  } catch {
    return body.toString("utf8"); // an encoding Node does not know: show the bytes as UTF-8
  }
}

export function formatIdent(i: Ident): string {
  return `${i.name} <${i.email}> ${i.date}`;
}

/** Serialises a commit as git writes one (no signature, UTF-8 message). */
export function serializeCommit(c: { tree: string; parents: string[]; author: Ident; committer: Ident; message: string }): Buffer {
  const lines = [`tree ${c.tree}`, ...c.parents.map((p) => `parent ${p}`), `author ${formatIdent(c.author)}`, `committer ${formatIdent(c.committer)}`];
  return Buffer.from(lines.join("\n") + "\n\n" + c.message, "utf8");
}
