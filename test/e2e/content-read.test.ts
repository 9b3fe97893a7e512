import { paginateGetDifferences, paginateListFileCommitHistory } from "@aws-sdk/client-codecommit";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type ClientKind } from "../helpers/api.js";
import { aws, codecommit, gitHome, gitOk } from "../helpers/clients.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

/**
 * Reading content pushed with git: every read operation, with the AWS CLI v2 and the SDK,
 * compared with what git itself reports (ls-tree, diff-tree, log, cat-file).
 * ListFileCommitHistory is newer than Debian's CLI v2 (2.9.19), so the CLI v1 drives it;
 * GetBlobDifferences is only in the JS SDK's model.
 */

const REPO = "content";
let server: ServerHandle;
let env: Record<string, string>;
let work: string;
let c1: string;
let c2: string;
let c3: string;
let tagV1: string; // the annotated tag object
const SUBMODULE_COMMIT = "0123456789abcdef0123456789abcdef01234567";
const BIG = 6 * 1024 * 1024 + 1;

const g = (args: string[], extra: Record<string, string> = {}) => gitOk(args, { cwd: work, env: { ...env, ...extra } });
const write = (name: string, content: string | Buffer) => {
  fs.mkdirSync(path.dirname(path.join(work, name)), { recursive: true });
  fs.writeFileSync(path.join(work, name), content);
};
const poem = (changes: Record<number, string> = {}) =>
  Array.from({ length: 30 }, (_, i) => changes[i + 1] ?? `line ${i + 1} of the poem`).join("\n") + "\n";

async function commitAt(message: string, date: string): Promise<string> {
  await g(["add", "-A"]);
  // a submodule without its checkout: `add -A` would take the gitlink out of the index again
  await g(["update-index", "--add", "--cacheinfo", `160000,${SUBMODULE_COMMIT},vendor/lib`]);
  await g(["commit", "-q", "-m", message], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
  return (await g(["rev-parse", "HEAD"])).trim();
}

beforeAll(async () => {
  server = await startServer();
  env = gitHome();
  expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: REPO })).error).toBeUndefined();
  expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: "void" })).error).toBeUndefined();
  work = tmpDir("content-work");
  await gitOk(["init", "-q", "-b", "main", work], { env });

  write("README.md", "# Read me\n");
  write("bin/run.sh", "#!/bin/sh\necho run\n");
  fs.chmodSync(path.join(work, "bin/run.sh"), 0o755);
  write("docs/guide/intro.md", "intro\n");
  write("docs/guide/deep/a/b/c.txt", "deep\n");
  write("ünï code.txt", "unicode\n");
  write("a.txt", "sorts before the a/ folder\n");
  write("a/inside.txt", "inside a\n");
  write("poem.txt", poem());
  write("binary.dat", Buffer.from([0, 1, 2, 3, 0, 255, 10]));
  write("big.bin", crypto.randomBytes(BIG));
  write(".gitmodules", '[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = https://example.com/lib.git\n');
  fs.symlinkSync("README.md", path.join(work, "link"));
  c1 = await commitAt("first commit\n\nwith a body\n", "1484167798 -0800");
  await g(["tag", "-a", "v1", "-m", "version 1"]);
  tagV1 = (await g(["rev-parse", "v1"])).trim();

  write("README.md", "# Read me, again\n");
  fs.chmodSync(path.join(work, "docs/guide/intro.md"), 0o755);
  fs.rmSync(path.join(work, "ünï code.txt"));
  write("docs/new.txt", "new\n");
  fs.rmSync(path.join(work, "link"));
  fs.symlinkSync("docs/new.txt", path.join(work, "link"));
  write("poem.txt", poem({ 5: "line 5, changed", 15: "line  15 of  the poem", 25: "line 25, changed" }));
  write("binary.dat", Buffer.from([0, 9, 9, 9, 0, 255, 10]));
  c2 = await commitAt("second commit", "1484254198 +0530");
  await g(["tag", "light"]);

  write("docs/guide/intro.md", "intro, rewritten\n");
  c3 = await commitAt("third commit\n", "1484340598 +0000");
  await g(["push", "-q", `${server.url}/v1/repos/${REPO}`, "main", "--tags"]);
});
afterAll(async () => {
  await server?.stop();
});

const clients: ClientKind[] = ["cli", "sdk"];

/** Blob output of either client as bytes: base64 text from the CLI, Uint8Array from the SDK. */
function bytes(v: unknown): Buffer {
  return typeof v === "string" ? Buffer.from(v, "base64") : Buffer.from(v as Uint8Array);
}

interface LsEntry {
  mode: string;
  type: string;
  oid: string;
  name: string;
}

function catBlob(oid: string): Buffer {
  return execFileSync("git", ["cat-file", "blob", oid], { cwd: work, env });
}

async function lsTree(treeish: string, recursive = false): Promise<LsEntry[]> {
  const out = await g(["ls-tree", "-z", ...(recursive ? ["-r"] : []), treeish]);
  return out
    .split("\0")
    .filter(Boolean)
    .map((line) => {
      const [meta, name] = line.split("\t") as [string, string];
      const [mode, type, oid] = meta.split(" ") as [string, string, string];
      return { mode, type, oid, name };
    });
}

/** `git diff-tree -r` as CodeCommit differences (A/M/D; a type change T is a modification). */
async function diffTree(before: string, after: string): Promise<unknown[]> {
  const parts = (await g(["diff-tree", "-r", "-z", "--no-renames", before, after])).split("\0").filter(Boolean);
  const out: unknown[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const [oldMode, newMode, oldOid, newOid, status] = parts[i]!.slice(1).split(" ") as string[];
    const p = parts[i + 1]!;
    out.push({
      ...(status !== "A" ? { beforeBlob: { blobId: oldOid, path: p, mode: oldMode } } : {}),
      ...(status !== "D" ? { afterBlob: { blobId: newOid, path: p, mode: newMode } } : {}),
      changeType: status === "T" ? "M" : status,
    });
  }
  return out;
}

async function gitCommit(id: string) {
  const f = (await g(["log", "-1", "--date=raw", "--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd", id])).trim().split("\0");
  const raw = await g(["cat-file", "commit", id]);
  return {
    commitId: f[0],
    treeId: f[1],
    parents: f[2] ? f[2].split(" ") : [],
    message: raw.slice(raw.indexOf("\n\n") + 2),
    author: { name: f[3], email: f[4], date: f[5] },
    committer: { name: f[6], email: f[7], date: f[8] },
    additionalData: "",
  };
}

describe.each(clients)("commits with the %s", (client) => {
  it("GetCommit reports what git has, dates as git writes them", async () => {
    for (const id of [c1, c2, c3]) {
      const r = await call(server.url, client, "GetCommit", { repositoryName: REPO, commitId: id });
      expect(r.out.commit).toEqual(await gitCommit(id));
    }
    const r = await call(server.url, client, "GetCommit", { repositoryName: REPO, commitId: c1 });
    expect(r.out.commit.author.date).toBe("1484167798 -0800");
    expect(r.out.commit.message).toBe("first commit\n\nwith a body\n");
  });

  it("GetCommit errors", async () => {
    const c = (input: Record<string, unknown>) => call(server.url, client, "GetCommit", { repositoryName: REPO, ...input });
    expect((await c({ commitId: "f".repeat(40) })).error).toBe("CommitIdDoesNotExistException");
    expect((await c({ commitId: c1.slice(0, 7) })).error).toBe("InvalidCommitIdException");
    expect((await c({ commitId: "not-a-sha" })).error).toBe("InvalidCommitIdException");
    // the ID of a tree is an object, but not a commit
    expect((await c({ commitId: (await gitCommit(c1)).treeId })).error).toBe("CommitIdDoesNotExistException");
    expect((await call(server.url, client, "GetCommit", { repositoryName: "ghost", commitId: c1 })).error).toBe("RepositoryDoesNotExistException");
    expect((await call(server.url, client, "GetCommit", { repositoryName: "bad name!", commitId: c1 })).error).toBe("InvalidRepositoryNameException");
  });

  it("BatchGetCommits returns the commits it finds and an error for each it does not", async () => {
    const missing = "e".repeat(40);
    const r = await call(server.url, client, "BatchGetCommits", { repositoryName: REPO, commitIds: [c3, missing, c1, "abc123"] });
    expect(r.out.commits).toEqual([await gitCommit(c3), await gitCommit(c1)]);
    expect(r.out.errors).toEqual([
      expect.objectContaining({ commitId: missing, errorCode: "CommitIdDoesNotExistException" }),
      expect.objectContaining({ commitId: "abc123", errorCode: "InvalidCommitIdException" }),
    ]);
    const c = (commitIds: unknown) => call(server.url, client, "BatchGetCommits", { repositoryName: REPO, commitIds });
    // an ID in upper case names the same commit (as in GetCommit): asked for in both spellings,
    // or twice, it is returned once, with git's lower-case ID
    const twice = await c([c1, c1.toUpperCase(), c2.toUpperCase(), c1]);
    expect(twice.out.commits).toEqual([await gitCommit(c1), await gitCommit(c2)]);
    expect(twice.out.errors).toEqual([]);
    const missingTwice = await c([missing.toUpperCase(), missing]);
    expect(missingTwice.out.errors).toEqual([expect.objectContaining({ commitId: missing.toUpperCase(), errorCode: "CommitIdDoesNotExistException" })]);
    expect((await c(Array.from({ length: 101 }, () => c1))).error).toBe("CommitIdsLimitExceededException");
    expect((await c([])).error).toBe("CommitIdsListRequiredException");
    expect((await call(server.url, client, "BatchGetCommits", { repositoryName: "ghost", commitIds: [c1] })).error).toBe(
      "RepositoryDoesNotExistException",
    );
  });
});

describe.each(clients)("blobs and files with the %s", (client) => {
  it("GetBlob returns exactly the bytes git stores", async () => {
    for (const name of ["README.md", "binary.dat", "link", "bin/run.sh"]) {
      const oid = (await g(["rev-parse", `${c2}:${name}`])).trim();
      const r = await call(server.url, client, "GetBlob", { repositoryName: REPO, blobId: oid });
      expect(bytes(r.out.content).equals(catBlob(oid))).toBe(true);
    }
  });

  it("GetBlob errors, FileTooLargeException above 6 MB", async () => {
    const c = (blobId: string) => call(server.url, client, "GetBlob", { repositoryName: REPO, blobId });
    const big = await c((await g(["rev-parse", `${c1}:big.bin`])).trim());
    expect(big.error).toBe("FileTooLargeException");
    expect(big.message).toContain(String(BIG));
    expect((await c("a".repeat(40))).error).toBe("BlobIdDoesNotExistException");
    expect((await c(c1)).error).toBe("BlobIdDoesNotExistException"); // a commit, not a blob
    expect((await c("xyz")).error).toBe("InvalidBlobIdException");
  });

  it("GetFile reads a file at every kind of commit specifier", async () => {
    const readme = async (spec?: string) => {
      const r = await call(server.url, client, "GetFile", { repositoryName: REPO, filePath: "README.md", ...(spec ? { commitSpecifier: spec } : {}) });
      expect(r.error).toBeUndefined();
      return [r.out.commitId, bytes(r.out.fileContent).toString()];
    };
    const v1 = [c1, "# Read me\n"];
    const v3 = [c3, "# Read me, again\n"];
    expect(await readme()).toEqual(v3); // the default branch's head
    expect(await readme("HEAD")).toEqual(v3);
    expect(await readme("main")).toEqual(v3);
    expect(await readme("refs/heads/main")).toEqual(v3);
    expect(await readme(c1)).toEqual(v1);
    expect(await readme(c1.toUpperCase())).toEqual(v1);
    expect(await readme("v1")).toEqual(v1); // an annotated tag, peeled to its commit
    expect(await readme("refs/tags/v1")).toEqual(v1);
    expect(await readme(tagV1)).toEqual(v1); // the tag object's own ID
    expect(await readme("light")).toEqual([c2, "# Read me, again\n"]);
  });

  it("GetFile reports every member, modes as CodeCommit names them, paths without a leading slash", async () => {
    for (const [p, mode] of [
      ["/bin/run.sh", "EXECUTABLE"],
      ["docs/guide/deep/a/b/c.txt", "NORMAL"],
      ["link", "SYMLINK"],
    ] as const) {
      const r = await call(server.url, client, "GetFile", { repositoryName: REPO, commitSpecifier: c2, filePath: p });
      const rel = p.replace(/^\//, "");
      const oid = (await g(["rev-parse", `${c2}:${rel}`])).trim();
      const content = catBlob(oid);
      expect(r.out).toEqual({
        commitId: c2,
        blobId: oid,
        filePath: rel,
        fileMode: mode,
        fileSize: content.length,
        fileContent: expect.anything(),
      });
      expect(bytes(r.out.fileContent).equals(content)).toBe(true);
    }
    // a symbolic link's content is its target
    const link = await call(server.url, client, "GetFile", { repositoryName: REPO, commitSpecifier: c2, filePath: "link" });
    expect(bytes(link.out.fileContent).toString()).toBe("docs/new.txt");
    const uni = await call(server.url, client, "GetFile", { repositoryName: REPO, commitSpecifier: c1, filePath: "ünï code.txt" });
    expect(bytes(uni.out.fileContent).toString()).toBe("unicode\n");
    expect(uni.out.filePath).toBe("ünï code.txt");
  });

  it("GetFile errors", async () => {
    const c = (input: Record<string, unknown>) => call(server.url, client, "GetFile", { repositoryName: REPO, ...input });
    expect((await c({ filePath: "nope.txt" })).error).toBe("FileDoesNotExistException");
    expect((await c({ filePath: "docs" })).error).toBe("FileDoesNotExistException"); // a folder
    expect((await c({ filePath: "vendor/lib" })).error).toBe("FileDoesNotExistException"); // a submodule
    expect((await c({ filePath: "README.md/x" })).error).toBe("FileDoesNotExistException");
    expect((await c({ filePath: "ünï code.txt", commitSpecifier: c2 })).error).toBe("FileDoesNotExistException");
    expect((await c({ filePath: "big.bin" })).error).toBe("FileTooLargeException");
    expect((await c({ filePath: "docs//x" })).error).toBe("InvalidPathException");
    expect((await c({ filePath: "../etc/passwd" })).error).toBe("InvalidPathException");
    expect((await c({ filePath: "a/.git/config" })).error).toBe("InvalidPathException");
    expect((await c({ filePath: "x/".repeat(21) + "f" })).error).toBe("InvalidPathException");
    expect((await c({ filePath: "f".repeat(4097) })).error).toBe("InvalidPathException");
    expect((await c({ filePath: "README.md", commitSpecifier: "nope" })).error).toBe("CommitDoesNotExistException");
    expect((await c({ filePath: "README.md", commitSpecifier: "d".repeat(40) })).error).toBe("CommitDoesNotExistException");
    expect((await c({ filePath: "README.md", commitSpecifier: "main~1" })).error).toBe("InvalidCommitException");
    expect((await c({ filePath: "README.md", commitSpecifier: "main:README.md" })).error).toBe("InvalidCommitException");
    const tree = (await gitCommit(c1)).treeId!;
    expect((await c({ filePath: "README.md", commitSpecifier: tree })).error).toBe("InvalidCommitException");
    // an empty repository has no default branch to read from
    expect((await call(server.url, client, "GetFile", { repositoryName: "void", filePath: "README.md" })).error).toBe(
      "CommitDoesNotExistException",
    );
  });
});

describe.each(clients)("folders with the %s", (client) => {
  async function expected(commit: string, folder: string) {
    const entries = await lsTree(folder ? `${commit}:${folder}` : commit);
    const abs = (n: string) => (folder ? `${folder}/${n}` : n);
    return {
      subFolders: entries.filter((e) => e.type === "tree").map((e) => ({ treeId: e.oid, absolutePath: abs(e.name), relativePath: e.name })),
      files: entries
        .filter((e) => e.type === "blob" && e.mode !== "120000")
        .map((e) => ({ blobId: e.oid, absolutePath: abs(e.name), relativePath: e.name, fileMode: e.mode === "100755" ? "EXECUTABLE" : "NORMAL" })),
      symbolicLinks: entries
        .filter((e) => e.mode === "120000")
        .map((e) => ({ blobId: e.oid, absolutePath: abs(e.name), relativePath: e.name, fileMode: "SYMLINK" })),
      subModules: entries.filter((e) => e.type === "commit").map((e) => ({ commitId: e.oid, absolutePath: abs(e.name), relativePath: e.name })),
    };
  }

  it("GetFolder lists what git ls-tree lists, sorted as git sorts, each kind in its list", async () => {
    for (const [input, folder] of [
      ["", ""],
      ["/", ""],
      ["docs", "docs"],
      ["/docs/guide", "docs/guide"],
      ["docs/guide/", "docs/guide"],
      ["vendor", "vendor"],
      ["a", "a"],
    ] as const) {
      const r = await call(server.url, client, "GetFolder", { repositoryName: REPO, commitSpecifier: c1, folderPath: input });
      expect(r.error).toBeUndefined();
      const treeId = (await g(["rev-parse", folder ? `${c1}:${folder}` : `${c1}^{tree}`])).trim();
      expect(r.out).toEqual({ commitId: c1, folderPath: folder, treeId, ...(await expected(c1, folder)) });
    }
    const root = await call(server.url, client, "GetFolder", { repositoryName: REPO, folderPath: "" });
    expect(root.out.commitId).toBe(c3);
    expect(root.out.symbolicLinks.map((l: { absolutePath: string }) => l.absolutePath)).toEqual(["link"]);
    const vendor = await call(server.url, client, "GetFolder", { repositoryName: REPO, folderPath: "vendor" });
    expect(vendor.out.subModules).toEqual([{ commitId: SUBMODULE_COMMIT, absolutePath: "vendor/lib", relativePath: "lib" }]);
  });

  it("GetFolder errors", async () => {
    const c = (input: Record<string, unknown>) => call(server.url, client, "GetFolder", { repositoryName: REPO, ...input });
    expect((await c({ folderPath: "README.md" })).error).toBe("FolderDoesNotExistException");
    expect((await c({ folderPath: "nope" })).error).toBe("FolderDoesNotExistException");
    expect((await c({ folderPath: "vendor/lib" })).error).toBe("FolderDoesNotExistException");
    expect((await c({ folderPath: "docs/../.." })).error).toBe("InvalidPathException");
    expect((await c({ folderPath: "", commitSpecifier: "no/such/branch" })).error).toBe("CommitDoesNotExistException");
    expect((await c({ folderPath: "", commitSpecifier: "bad..name" })).error).toBe("InvalidCommitException");
  });
});

describe.each(clients)("differences with the %s", (client) => {
  it("GetDifferences reports what git diff-tree -r reports", async () => {
    for (const [before, after] of [
      [c1, c2],
      [c2, c3],
      [c1, c3],
      [c3, c1],
    ] as const) {
      const r = await call(server.url, client, "GetDifferences", { repositoryName: REPO, beforeCommitSpecifier: before, afterCommitSpecifier: after });
      expect(r.out.differences).toEqual(await diffTree(before, after));
    }
    // branch, tag and HEAD specifiers
    const r = await call(server.url, client, "GetDifferences", { repositoryName: REPO, beforeCommitSpecifier: "v1", afterCommitSpecifier: "HEAD" });
    expect(r.out.differences).toEqual(await diffTree(c1, c3));
  });

  it("GetDifferences without a before commit lists every file as added, submodules included", async () => {
    const r = await call(server.url, client, "GetDifferences", { repositoryName: REPO, afterCommitSpecifier: c1 });
    const all = await lsTree(c1, true);
    expect(r.out.differences).toEqual(all.map((e) => ({ afterBlob: { blobId: e.oid, path: e.name, mode: e.mode }, changeType: "A" })));
    expect(r.out.differences.find((d: { afterBlob: { path: string } }) => d.afterBlob.path === "vendor/lib").afterBlob.mode).toBe("160000");
  });

  it("GetDifferences limited to a path, and between a folder and its new name", async () => {
    const r = await call(server.url, client, "GetDifferences", {
      repositoryName: REPO,
      beforeCommitSpecifier: c1,
      afterCommitSpecifier: c3,
      afterPath: "docs",
    });
    expect(r.out.differences).toEqual((await diffTree(c1, c3)).filter((d) => JSON.stringify(d).includes('"path":"docs/')));
    const file = await call(server.url, client, "GetDifferences", {
      repositoryName: REPO,
      beforeCommitSpecifier: c1,
      afterCommitSpecifier: c2,
      beforePath: "README.md",
    });
    expect(file.out.differences).toHaveLength(1);
    expect(file.out.differences[0].afterBlob.path).toBe("README.md");
    // a folder against another (a folder and its new name): compared entry by entry, below each
    const moved = await call(server.url, client, "GetDifferences", {
      repositoryName: REPO,
      beforeCommitSpecifier: c1,
      afterCommitSpecifier: c1,
      beforePath: "docs/guide/deep/a",
      afterPath: "a",
    });
    expect(moved.out.differences).toEqual([
      {
        beforeBlob: { blobId: (await g(["rev-parse", `${c1}:docs/guide/deep/a/b/c.txt`])).trim(), path: "docs/guide/deep/a/b/c.txt", mode: "100644" },
        changeType: "D",
      },
      { afterBlob: { blobId: (await g(["rev-parse", `${c1}:a/inside.txt`])).trim(), path: "a/inside.txt", mode: "100644" }, changeType: "A" },
    ]);
  });

  it("GetDifferences pages with MaxResults and NextToken, and the CLI follows the pages", async () => {
    const expectedAll = (await lsTree(c3, true)).map((e) => e.name);
    // --page-size makes the CLI ask for small pages and merge them
    if (client === "cli") {
      const r = await aws(server.url, ["codecommit", "get-differences", "--repository-name", REPO, "--after-commit-specifier", c3, "--page-size", "3"]);
      expect(r.code).toBe(0);
      expect(r.json.differences.map((d: { afterBlob: { path: string } }) => d.afterBlob.path)).toEqual(expectedAll);
    } else {
      const paths: string[] = [];
      let pages = 0;
      for await (const page of paginateGetDifferences({ client: codecommit(server.url), pageSize: 3 }, { repositoryName: REPO, afterCommitSpecifier: c3 })) {
        expect(page.differences!.length).toBeLessThanOrEqual(3);
        paths.push(...page.differences!.map((d) => d.afterBlob!.path!));
        pages++;
      }
      expect(paths).toEqual(expectedAll);
      expect(pages).toBe(Math.ceil(expectedAll.length / 3));
    }
  });

  it("GetDifferences errors", async () => {
    const c = (input: Record<string, unknown>) => call(server.url, client, "GetDifferences", { repositoryName: REPO, ...input });
    expect((await c({ afterCommitSpecifier: "nope" })).error).toBe("CommitDoesNotExistException");
    expect((await c({ afterCommitSpecifier: "main", beforeCommitSpecifier: "a".repeat(40) })).error).toBe("CommitDoesNotExistException");
    expect((await c({ afterCommitSpecifier: "HEAD^" })).error).toBe("InvalidCommitException");
    expect((await c({ afterCommitSpecifier: "main", afterPath: "no/such" })).error).toBe("PathDoesNotExistException");
    expect((await c({ afterCommitSpecifier: "main", afterPath: "a//b" })).error).toBe("InvalidPathException");
    expect((await c({ afterCommitSpecifier: "main", NextToken: "garbage" })).error).toBe("InvalidContinuationTokenException");
    expect((await c({ afterCommitSpecifier: "main", MaxResults: 0 })).error).toBe("InvalidMaxResultsException");
  });
});

describe.each(["cli1", "sdk"] as ClientKind[])("file history with the %s", (client) => {
  it("ListFileCommitHistory lists what git log lists, as a DAG of versions", async () => {
    const file = "docs/guide/intro.md";
    const r = await call(server.url, client, "ListFileCommitHistory", { repositoryName: REPO, filePath: file });
    expect(r.error).toBeUndefined();
    const log = (await g(["log", "--format=%H", "--", file])).trim().split("\n");
    expect(r.out.revisionDag.map((v: { commit: { commitId: string } }) => v.commit.commitId)).toEqual(log);
    expect(r.out.revisionDag[0].commit).toEqual(await gitCommit(c3));
    const blobs = await Promise.all(log.map(async (c) => (await g(["rev-parse", `${c}:${file}`])).trim()));
    expect(r.out.revisionDag.map((v: { blobId: string }) => v.blobId)).toEqual(blobs);
    expect(r.out.revisionDag.map((v: { path: string }) => v.path)).toEqual([file, file, file]);
    expect(r.out.revisionDag.map((v: { revisionChildren: string[] }) => v.revisionChildren)).toEqual([[], [c3], [c2]]);

    // from an older commit, with a leading slash
    const old = await call(server.url, client, "ListFileCommitHistory", { repositoryName: REPO, filePath: "/README.md", commitSpecifier: "v1" });
    expect(old.out.revisionDag.map((v: { commit: { commitId: string } }) => v.commit.commitId)).toEqual([c1]);
    // a deleted file: the commit that deleted it has no blob
    const gone = await call(server.url, client, "ListFileCommitHistory", { repositoryName: REPO, filePath: "ünï code.txt" });
    expect(gone.out.revisionDag.map((v: { commit: { commitId: string }; blobId?: string }) => [v.commit.commitId, v.blobId ?? null])).toEqual([
      [c2, null],
      [c1, (await g(["rev-parse", `${c1}:ünï code.txt`])).trim()],
    ]);
  });

  it("ListFileCommitHistory pages", async () => {
    const file = "docs/guide/intro.md";
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const r = await call(server.url, client, "ListFileCommitHistory", {
        repositoryName: REPO,
        filePath: file,
        maxResults: 1,
        ...(token ? { nextToken: token } : {}),
      });
      expect(r.out.revisionDag.length).toBeLessThanOrEqual(1);
      ids.push(...r.out.revisionDag.map((v: { commit: { commitId: string } }) => v.commit.commitId));
      token = r.out.nextToken;
    } while (token);
    expect(ids).toEqual([c3, c2, c1]);
    if (client === "sdk") {
      const all: string[] = [];
      for await (const page of paginateListFileCommitHistory({ client: codecommit(server.url), pageSize: 2 }, { repositoryName: REPO, filePath: file })) {
        all.push(...page.revisionDag!.map((v) => v.commit!.commitId!));
      }
      expect(all).toEqual([c3, c2, c1]);
    }
  });

  it("ListFileCommitHistory errors", async () => {
    const c = (input: Record<string, unknown>) => call(server.url, client, "ListFileCommitHistory", { repositoryName: REPO, filePath: "README.md", ...input });
    expect((await c({ commitSpecifier: "nope" })).error).toBe("CommitDoesNotExistException");
    expect((await c({ commitSpecifier: "bad..spec" })).error).toBe("InvalidCommitException");
    expect((await c({ maxResults: 0 })).error).toBe("InvalidMaxResultsException");
    expect((await c({ nextToken: "bm9wZQ" })).error).toBe("InvalidContinuationTokenException");
    expect((await call(server.url, client, "ListFileCommitHistory", { repositoryName: "ghost", filePath: "x" })).error).toBe(
      "RepositoryDoesNotExistException",
    );
    expect((await call(server.url, client, "ListFileCommitHistory", { repositoryName: "void", filePath: "x" })).error).toBe(
      "CommitDoesNotExistException",
    );
  });
});

describe("GetBlobDifferences (only the JS SDK's model has it)", () => {
  const sdk = (input: Record<string, unknown>) => call(server.url, "sdk", "GetBlobDifferences", { repositoryName: REPO, ...input });
  let before: string;
  let after: string;
  beforeAll(async () => {
    before = (await g(["rev-parse", `${c1}:poem.txt`])).trim();
    after = (await g(["rev-parse", `${c2}:poem.txt`])).trim();
  });

  /** Our hunks written back as unified diff text, to compare with git's own. */
  function unified(hunks: Array<{ beforeStartLine: number; beforeLineCount: number; afterStartLine: number; afterLineCount: number; changes: Array<{ type: string; content: string }> }>): string {
    const sign = { CONTEXT: " ", ADD: "+", DELETE: "-" } as Record<string, string>;
    return hunks
      .map((h) => [`@@ -${h.beforeStartLine},${h.beforeLineCount} +${h.afterStartLine},${h.afterLineCount} @@`, ...h.changes.map((c) => sign[c.type] + c.content)].join("\n"))
      .join("\n");
  }
  async function gitUnified(args: string[]): Promise<string> {
    const out = await g(["diff", ...args, before, after]);
    return out
      .split("\n")
      .slice(out.split("\n").findIndex((l) => l.startsWith("@@")))
      .map((l) => l.replace(/^(@@ [^@]+ @@).*$/, "$1").replace(/^@@ -(\d+) /, "@@ -$1,1 ").replace(/ \+(\d+) @@$/, " +$1,1 @@"))
      .join("\n")
      .trimEnd();
  }

  it("returns git's hunks, line numbers included, with and without whitespace changes", async () => {
    const r = await sdk({ beforeBlobId: before, afterBlobId: after });
    expect(r.error).toBeUndefined();
    expect(r.out.isBinary).toBe(false);
    expect(r.out.hunks).toHaveLength(3);
    expect(unified(r.out.hunks)).toBe(await gitUnified(["-U3"]));
    expect(r.out.hunks[0].changes).toContainEqual({ type: "DELETE", beforeLineNumber: 5, content: "line 5 of the poem" });
    expect(r.out.hunks[0].changes).toContainEqual({ type: "ADD", afterLineNumber: 5, content: "line 5, changed" });
    expect(r.out.beforeBlobSize).toBe(Buffer.byteLength(poem()));

    const ws = await sdk({ beforeBlobId: before, afterBlobId: after, ignoreWhitespace: true });
    expect(ws.out.hunks).toHaveLength(2);
    expect(unified(ws.out.hunks)).toBe(await gitUnified(["-U3", "-w"]));
    const wide = await sdk({ beforeBlobId: before, afterBlobId: after, contextLines: 10 });
    expect(wide.out.hunks).toHaveLength(1); // hunks closer than twice the context merge
    expect(unified(wide.out.hunks)).toBe(await gitUnified(["-U10"]));
    const none = await sdk({ beforeBlobId: before, afterBlobId: after, contextLines: 0 });
    expect(unified(none.out.hunks)).toBe(await gitUnified(["-U0"]));
  });

  it("pages hunks, diffs against nothing, and calls binary content binary", async () => {
    const first = await sdk({ beforeBlobId: before, afterBlobId: after, MaxResults: 2 });
    expect(first.out.hunks).toHaveLength(2);
    const second = await sdk({ beforeBlobId: before, afterBlobId: after, MaxResults: 2, NextToken: first.out.NextToken });
    expect(second.out.hunks).toHaveLength(1);
    expect(second.out.NextToken).toBeUndefined();

    const added = await sdk({ afterBlobId: after });
    expect(added.out.beforeBlobSize).toBe(0);
    expect(added.out.hunks).toEqual([
      expect.objectContaining({ beforeStartLine: 0, beforeLineCount: 0, afterStartLine: 1, afterLineCount: 30 }),
    ]);
    expect(added.out.hunks[0].changes[29]).toEqual({ type: "ADD", afterLineNumber: 30, content: "line 30 of the poem" });

    const same = await sdk({ beforeBlobId: after, afterBlobId: after });
    expect(same.out.hunks).toEqual([]);
    const bin = await sdk({
      beforeBlobId: (await g(["rev-parse", `${c1}:binary.dat`])).trim(),
      afterBlobId: (await g(["rev-parse", `${c2}:binary.dat`])).trim(),
    });
    expect(bin.out).toEqual({ hunks: [], isBinary: true, beforeBlobSize: 7, afterBlobSize: 7 });
  });

  it("errors", async () => {
    expect((await sdk({})).error).toBe("BlobIdRequiredException");
    expect((await sdk({ afterBlobId: "zz" })).error).toBe("InvalidBlobIdException");
    expect((await sdk({ afterBlobId: "b".repeat(40) })).error).toBe("BlobIdDoesNotExistException");
    expect((await sdk({ afterBlobId: after, beforeBlobId: c1 })).error).toBe("BlobIdDoesNotExistException");
    expect((await sdk({ afterBlobId: (await g(["rev-parse", `${c1}:big.bin`])).trim() })).error).toBe("FileTooLargeException");
    expect((await sdk({ afterBlobId: after, contextLines: 21 })).error).toBe("ValidationException");
    expect((await sdk({ afterBlobId: after, MaxResults: -1 })).error).toBe("InvalidMaxResultsException");
    expect((await sdk({ afterBlobId: after, NextToken: "garbage" })).error).toBe("InvalidContinuationTokenException");
    expect((await call(server.url, "sdk", "GetBlobDifferences", { repositoryName: "ghost", afterBlobId: after })).error).toBe(
      "RepositoryDoesNotExistException",
    );
  });
});

describe("members only the SDK can leave out (the CLIs check required members themselves)", () => {
  it("names the missing member", async () => {
    const sdk = (op: string, input: Record<string, unknown>) => call(server.url, "sdk", op, input);
    expect((await sdk("GetCommit", { repositoryName: REPO })).error).toBe("CommitIdRequiredException");
    expect((await sdk("GetCommit", { commitId: c1 })).error).toBe("RepositoryNameRequiredException");
    expect((await sdk("BatchGetCommits", { repositoryName: REPO })).error).toBe("CommitIdsListRequiredException");
    expect((await sdk("GetBlob", { repositoryName: REPO })).error).toBe("BlobIdRequiredException");
    expect((await sdk("GetFile", { repositoryName: REPO })).error).toBe("PathRequiredException");
    expect((await sdk("GetFolder", { repositoryName: REPO })).error).toBe("PathRequiredException");
    expect((await sdk("GetDifferences", { repositoryName: REPO })).error).toBe("CommitRequiredException");
    expect((await sdk("ListFileCommitHistory", { repositoryName: REPO })).error).toBe("PathRequiredException");
  });
});

describe.each(["cli1", "sdk"] as ClientKind[])("history with a merge, with the %s", (client) => {
  // main: m1 ─ m2 ─ m3 ─ M ─ m4, side: m1 ─ s1 ─ s2 ─┘ (M merges side). f.txt changes on both
  // sides and in M (which differs from both parents); side.txt only on the side branch; the
  // commit dates interleave (s1 is dated before m2), so git's topological order is not its
  // date order.
  const REPO_M = `merged-${client}`;
  let mw: string;
  const mg = (args: string[], date?: string) =>
    gitOk(args, { cwd: mw, env: { ...env, ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}) } });
  const put = (name: string, content: string) => fs.writeFileSync(path.join(mw, name), content);
  const ten = (changes: Record<number, string>) => Array.from({ length: 10 }, (_, i) => changes[i + 1] ?? `f line ${i + 1}`).join("\n") + "\n";
  const ids: Record<string, string> = {};
  const commit = async (name: string, date: string) => {
    await mg(["add", "-A"]);
    await mg(["commit", "-q", "-m", name], date);
    ids[name] = (await mg(["rev-parse", "HEAD"])).trim();
  };

  beforeAll(async () => {
    expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: REPO_M })).error).toBeUndefined();
    mw = tmpDir("merged-work");
    await gitOk(["init", "-q", "-b", "main", mw], { env });
    put("f.txt", ten({}));
    put("other.txt", "other\n");
    await commit("m1", "1500000000 +0000");
    await mg(["checkout", "-q", "-b", "side"]);
    put("f.txt", ten({ 10: "f line 10, from the side" }));
    put("side.txt", "side\n");
    await commit("s1", "1500000050 +0000"); // older than m2, made later
    await mg(["checkout", "-q", "main"]);
    put("f.txt", ten({ 1: "f line 1, on main" }));
    await commit("m2", "1500000100 +0000");
    put("other.txt", "other, again\n");
    await commit("m3", "1500000300 +0000");
    await mg(["checkout", "-q", "side"]);
    put("side.txt", "side, again\n");
    await commit("s2", "1500000400 +0000");
    await mg(["checkout", "-q", "main"]);
    await mg(["merge", "-q", "--no-ff", "--no-edit", "side"], "1500000500 +0000");
    // the merge also changes f.txt itself
    put("f.txt", ten({ 1: "f line 1, on main", 5: "f line 5, in the merge", 10: "f line 10, from the side" }));
    await mg(["add", "-A"]);
    await mg(["commit", "-q", "--amend", "--no-edit"], "1500000500 +0000");
    ids.M = (await mg(["rev-parse", "HEAD"])).trim();
    put("f.txt", ten({ 1: "f line 1, on main", 5: "f line 5, in the merge", 10: "f line 10, from the side", 7: "after" }));
    await commit("m4", "1500000600 +0000");
    await mg(["push", "-q", `${server.url}/v1/repos/${REPO_M}`, "main", "side"]);
  });

  /** git's own walk: commits in topological order and each one's parents as git rewrote them. */
  async function gitWalk(file: string): Promise<Array<{ commit: string; parents: string[] }>> {
    const out = (await mg(["log", "--topo-order", "--parents", "--format=%H %P", "--", file])).trim().split("\n");
    return out.map((l) => {
      const [commit, ...parents] = l.split(" ");
      return { commit: commit!, parents };
    });
  }

  it("GetCommit reports both parents of the merge, in git's order", async () => {
    const r = await call(server.url, client === "cli1" ? "cli" : "sdk", "GetCommit", { repositoryName: REPO_M, commitId: ids.M });
    expect(r.out.commit.parents).toEqual([ids.m3, ids.s2]);
    expect(r.out.commit.parents).toEqual((await mg(["log", "-1", "--format=%P", ids.M!])).trim().split(" "));
  });

  it("GetDifferences from either parent of the merge is what git diff-tree reports", async () => {
    const diffTreeHere = async (before: string, after: string) => {
      const parts = (await mg(["diff-tree", "-r", "-z", "--no-renames", before, after])).split("\0").filter(Boolean);
      const out: unknown[] = [];
      for (let i = 0; i < parts.length; i += 2) {
        const [oldMode, newMode, oldOid, newOid, status] = parts[i]!.slice(1).split(" ") as string[];
        out.push({
          ...(status !== "A" ? { beforeBlob: { blobId: oldOid, path: parts[i + 1], mode: oldMode } } : {}),
          ...(status !== "D" ? { afterBlob: { blobId: newOid, path: parts[i + 1], mode: newMode } } : {}),
          changeType: status,
        });
      }
      return out;
    };
    for (const parent of [ids.m3!, ids.s2!, ids.m1!]) {
      const r = await call(server.url, client === "cli1" ? "cli" : "sdk", "GetDifferences", {
        repositoryName: REPO_M,
        beforeCommitSpecifier: parent,
        afterCommitSpecifier: ids.M,
      });
      expect(r.out.differences).toEqual(await diffTreeHere(parent, ids.M!));
      expect(r.out.differences.length).toBeGreaterThan(0);
    }
  });

  it("ListFileCommitHistory follows git's simplified history through the merge: order, versions and children", async () => {
    for (const file of ["f.txt", "side.txt", "other.txt"]) {
      const walk = await gitWalk(file);
      const r = await call(server.url, client, "ListFileCommitHistory", { repositoryName: REPO_M, filePath: file });
      expect(r.error).toBeUndefined();
      const dag = r.out.revisionDag as Array<{ commit: { commitId: string; parents: string[] }; blobId?: string; revisionChildren: string[] }>;
      expect(dag.map((v) => v.commit.commitId), file).toEqual(walk.map((w) => w.commit));
      // revisionChildren: the versions whose (rewritten) parents name this one
      for (const v of dag) {
        const children = walk.filter((w) => w.parents.includes(v.commit.commitId)).map((w) => w.commit);
        expect(v.revisionChildren, `${file} ${v.commit.commitId}`).toEqual(children);
        expect(v.blobId).toBe((await mg(["rev-parse", `${v.commit.commitId}:${file}`])).trim());
      }
    }
    // f.txt: the merge is a version (it differs from both parents), both branches' edits are
    // in the history, and the side's edit is a parent version of the merge
    const f = (await gitWalk("f.txt")).map((w) => w.commit);
    expect(f).toEqual(expect.arrayContaining([ids.m4, ids.M, ids.m2, ids.s1, ids.m1]));
    expect(f).not.toContain(ids.m3);
    expect(f).not.toContain(ids.s2);
    // the side's edit is older than m2: topological order (the DAG's, children before parents)
    // is not plain git log's date order here, and the API follows the former
    const byDate = (await mg(["log", "--format=%H", "--", "f.txt"])).trim().split("\n");
    expect(byDate).not.toEqual(f);
    expect([...byDate].sort()).toEqual([...f].sort());
    // side.txt: the merge took the side's version as it was, so git drops it from the history
    expect((await gitWalk("side.txt")).map((w) => w.commit)).toEqual([ids.s2, ids.s1]);
  });

  it("pages of one version give the same history as one page", async () => {
    const walk = await gitWalk("f.txt");
    const seen: Array<{ id: string; children: string[] }> = [];
    let token: string | undefined;
    do {
      const r = await call(server.url, client, "ListFileCommitHistory", {
        repositoryName: REPO_M,
        filePath: "f.txt",
        maxResults: 1,
        ...(token ? { nextToken: token } : {}),
      });
      seen.push(...r.out.revisionDag.map((v: { commit: { commitId: string }; revisionChildren: string[] }) => ({ id: v.commit.commitId, children: v.revisionChildren })));
      token = r.out.nextToken;
    } while (token);
    expect(seen).toEqual(walk.map((w) => ({ id: w.commit, children: walk.filter((c) => c.parents.includes(w.commit)).map((c) => c.commit) })));
  });
});
