import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LruCache } from "../../src/domain/content/lru-cache.js";
import { validateFilePath, validateFolderPath } from "../../src/domain/content/paths.js";
import { buildPack } from "../../src/git/object-writer.js";
import {
  canonicalMode,
  EMPTY_TREE_OID,
  fromBinary,
  hashObject,
  parseCommit,
  parseTree,
  serializeCommit,
  serializeTree,
  toBinary,
  type TreeEntry,
} from "../../src/git/objects.js";

function bareRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hw-objects-"));
  execFileSync("git", ["init", "-q", "--bare", dir]);
  return dir;
}

const gitIn = (dir: string, args: string[], input?: Buffer | string) =>
  execFileSync("git", args, { env: { ...process.env, GIT_DIR: dir }, input });

describe("git objects in JS agree with git", () => {
  it("hashes what git hash-object hashes, and knows the empty tree", () => {
    const dir = bareRepo();
    const body = Buffer.from("hello\n");
    expect(hashObject("blob", body)).toBe(gitIn(dir, ["hash-object", "--stdin"], body).toString().trim());
    expect(EMPTY_TREE_OID).toBe("4b825dc642cb6eb9a060e54bf8d69288fbee4904");
  });

  it("serialises trees in git's order (a folder sorts as if its name ended in /), as git mktree does", () => {
    const dir = bareRepo();
    const blob = gitIn(dir, ["hash-object", "-w", "--stdin"], "x").toString().trim();
    const sub = gitIn(dir, ["mktree"], `100644 blob ${blob}\tinner\n`).toString().trim();
    const entries: TreeEntry[] = [
      { name: "a", mode: "40000", oid: sub },
      { name: "a.txt", mode: "100644", oid: blob },
      { name: "a-b", mode: "100755", oid: blob },
      { name: "link", mode: "120000", oid: blob },
      { name: toBinary("ünï"), mode: "100644", oid: blob },
      { name: "mod", mode: "160000", oid: "0123456789abcdef0123456789abcdef01234567" },
    ];
    const ours = hashObject("tree", serializeTree(entries));
    const mktree = entries
      .map((e) => `${e.mode === "40000" ? "040000 tree" : e.mode === "160000" ? "160000 commit" : `${e.mode} blob`} ${e.oid}\t${fromBinary(e.name)}`)
      .join("\n");
    expect(ours).toBe(gitIn(dir, ["mktree", "--missing"], mktree + "\n").toString().trim());
    const parsed = parseTree(gitIn(dir, ["cat-file", "tree", ours]));
    expect(parsed.map((e) => fromBinary(e.name))).toEqual(["a-b", "a.txt", "a", "link", "mod", "ünï"]);
  });

  it("canonicalises modes as git does", () => {
    expect(canonicalMode("100664")).toBe("100644");
    expect(canonicalMode("100775")).toBe("100755");
    expect(canonicalMode("040000")).toBe("40000");
    expect(canonicalMode("120000")).toBe("120000");
    expect(canonicalMode("160000")).toBe("160000");
  });

  it("parses and builds commits: idents, parents, multi-line headers, encodings", () => {
    const signed = Buffer.from(
      "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 0123456789abcdef0123456789abcdef01234567\n" +
        "author Mary Major <mary@example.com> 1484167798 -0800\ncommitter Li Juan <li@example.com> 1484167799 +0530\n" +
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nmessage\n\nbody\n",
    );
    const c = parseCommit(signed);
    expect(c).toEqual({
      tree: EMPTY_TREE_OID,
      parents: ["0123456789abcdef0123456789abcdef01234567"],
      author: { name: "Mary Major", email: "mary@example.com", date: "1484167798 -0800" },
      committer: { name: "Li Juan", email: "li@example.com", date: "1484167799 +0530" },
      encoding: undefined,
      message: "message\n\nbody\n",
    });
    const latin1 = Buffer.concat([
      Buffer.from(`tree ${EMPTY_TREE_OID}\nauthor A <> 1 +0000\ncommitter A <> 1 +0000\nencoding ISO-8859-1\n\n`),
      Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
    ]);
    expect(parseCommit(latin1).message).toBe("café\n");
    const built = serializeCommit({ tree: EMPTY_TREE_OID, parents: [], author: c.author, committer: c.author, message: "m\n" });
    const dir = bareRepo();
    expect(hashObject("commit", built)).toBe(gitIn(dir, ["hash-object", "-t", "commit", "--stdin"], built).toString().trim());
  });

  it("builds packs git unpack-objects accepts with --strict", () => {
    const dir = bareRepo();
    const blob = Buffer.alloc(70_000, 7); // a size that needs several bytes of header
    const tree = serializeTree([{ name: "f", mode: "100644", oid: hashObject("blob", blob) }]);
    gitIn(dir, ["unpack-objects", "-q", "--strict"], buildPack([{ type: "blob", body: blob }, { type: "tree", body: tree }]));
    expect(gitIn(dir, ["cat-file", "-t", hashObject("tree", tree)]).toString().trim()).toBe("tree");
    expect(gitIn(dir, ["cat-file", "blob", hashObject("blob", blob)]).equals(blob)).toBe(true);
  });
});

describe("paths", () => {
  it("accepts CodeCommit's spellings and refuses what git could not store", () => {
    expect(validateFilePath("/examples/file.md").path).toBe("examples/file.md");
    expect(validateFolderPath("").path).toBe("");
    expect(validateFolderPath("/").path).toBe("");
    expect(validateFolderPath("/docs/").path).toBe("docs");
    expect(validateFilePath("ünï/x").parts).toEqual([toBinary("ünï"), "x"]);
    for (const bad of ["a//b", "a/./b", "../a", "a/", ".git/config", "x/.GIT/y", "x/.git./y", "git~1/x", "x/\u200c.git/y", "a\0b"]) {
      expect(() => validateFilePath(bad), bad).toThrow(expect.objectContaining({ code: "InvalidPathException" }));
    }
    expect(() => validateFilePath("d/".repeat(20) + "f")).not.toThrow();
    expect(() => validateFilePath("d/".repeat(21) + "f")).toThrow(expect.objectContaining({ code: "InvalidPathException" }));
    expect(() => validateFilePath("")).toThrow(expect.objectContaining({ code: "PathRequiredException" }));
    expect(() => validateFolderPath(undefined)).toThrow(expect.objectContaining({ code: "PathRequiredException" }));
  });
});

describe("the object cache", () => {
  it("evicts the least recently used past its budget, and shares one load between concurrent misses", async () => {
    const lru = new LruCache<string>(400);
    for (const k of ["a", "b", "c", "d"]) lru.set(k, k.toUpperCase(), 90);
    expect(lru.get("a")).toBe("A"); // a is now the most recent
    lru.set("e", "E", 90);
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBe("A");
    lru.set("huge", "H", 101); // over a quarter of the budget: not worth flushing the rest for
    expect(lru.get("huge")).toBeUndefined();
    expect(lru.size).toBe(4);
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      return { value: "D", cost: 10 };
    };
    expect(await Promise.all([lru.getOrLoad("z", load), lru.getOrLoad("z", load)])).toEqual(["D", "D"]);
    expect(loads).toBe(1);
    expect(await lru.getOrLoad("missing", async () => null)).toBeNull();
    expect(lru.get("missing")).toBeUndefined(); // misses are not remembered: the object may come
  });
});
