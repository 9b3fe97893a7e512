import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type ClientKind } from "../helpers/api.js";
import { aws, cliErrorCode, git, gitHome, gitOk } from "../helpers/clients.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

/**
 * Writing content through the API (PutFile, DeleteFile, CreateCommit) with the AWS CLI v2 and
 * the SDK: what git then clones, every modeled error, the ref_events record, and writers
 * racing on one branch.
 */

const ADMIN_ARN = "arn:aws:iam::000000000000:user/admin";
const ZERO = "0".repeat(40);
const SUBMODULE_COMMIT = "0123456789abcdef0123456789abcdef01234567";
let server: ServerHandle;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startServer();
  env = gitHome();
});
afterAll(async () => {
  await server?.stop();
});

const clients: ClientKind[] = ["cli", "sdk"];

/** A blob member as each client takes it: bytes for the SDK, base64 text for the CLI v2. */
function blob(client: ClientKind, content: string | Buffer): unknown {
  const b = Buffer.from(content);
  return client === "sdk" ? b : b.toString("base64");
}

function bytes(v: unknown): Buffer {
  return typeof v === "string" ? Buffer.from(v, "base64") : Buffer.from(v as Uint8Array);
}

async function createRepo(name: string): Promise<string> {
  const r = await call(server.url, "sdk", "CreateRepository", { repositoryName: name });
  expect(r.error).toBeUndefined();
  return r.out.repositoryMetadata.repositoryId;
}

async function tip(repo: string, branch = "main"): Promise<string> {
  const r = await call(server.url, "sdk", "GetBranch", { repositoryName: repo, branchName: branch });
  return r.out?.branch?.commitId;
}

async function clone(repo: string): Promise<string> {
  const dir = tmpDir("clone");
  await gitOk(["clone", "-q", `${server.url}/v1/repos/${repo}`, dir], { env });
  return dir;
}

function events(repo: string): Array<{ source: string; actor_arn: string; refs: Array<{ ref: string; oldCommit: string; newCommit: string }> }> {
  const db = new Database(path.join(server.dataDir, "headwater.db"), { readonly: true });
  try {
    const rows = db.prepare("select source, actor_arn, refs from ref_events where repository_name = ? order by id").all(repo) as Array<{
      source: string;
      actor_arn: string;
      refs: string;
    }>;
    return rows.map((r) => ({ ...r, refs: JSON.parse(r.refs) }));
  } finally {
    db.close();
  }
}

function fsck(repoId: string): string {
  return execFileSync("git", ["--git-dir", path.join(server.dataDir, "repos", `${repoId}.git`), "fsck", "--strict", "--no-dangling", "--no-progress"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** A repository with content pushed by git: a file, a folder, a submodule and a tag named "release". */
async function seeded(name: string): Promise<{ id: string; head: string }> {
  const id = await createRepo(name);
  const work = tmpDir("seed");
  const g = (args: string[]) => gitOk(args, { cwd: work, env });
  await g(["init", "-q", "-b", "main", "."]);
  fs.writeFileSync(path.join(work, "README.md"), "readme\n");
  fs.mkdirSync(path.join(work, "dir/nested"), { recursive: true });
  fs.writeFileSync(path.join(work, "dir/file.txt"), "file\n");
  fs.writeFileSync(path.join(work, "dir/nested/only.txt"), "only\n");
  fs.mkdirSync(path.join(work, "keep/me"), { recursive: true });
  fs.writeFileSync(path.join(work, "keep/me/last.txt"), "last\n");
  await g(["add", "-A"]);
  await g(["update-index", "--add", "--cacheinfo", `160000,${SUBMODULE_COMMIT},sub`]);
  await g(["commit", "-qm", "seed"]);
  await g(["tag", "release"]);
  await g(["push", "-q", `${server.url}/v1/repos/${name}`, "main", "release"]);
  return { id, head: (await g(["rev-parse", "HEAD"])).trim() };
}

describe.each(clients)("PutFile with the %s", (client) => {
  const repo = `put-${client}`;
  let repoId: string;
  beforeAll(async () => {
    repoId = await createRepo(repo);
  });

  it("makes the first commit of an empty repository, which creates the branch and makes it the default", async () => {
    const r = await call(server.url, client, "PutFile", { repositoryName: repo, branchName: "trunk", filePath: "hello.txt", fileContent: blob(client, "hello\n") });
    expect(r.error).toBeUndefined();
    expect(Object.keys(r.out).sort()).toEqual(["blobId", "commitId", "treeId"]);
    expect(r.out.blobId).toBe("ce013625030ba8dba906f756967f9e9ca394464a"); // git hash-object of "hello\n"
    expect(await tip(repo, "trunk")).toBe(r.out.commitId);
    const meta = await call(server.url, client, "GetRepository", { repositoryName: repo });
    expect(meta.out.repositoryMetadata.defaultBranch).toBe("trunk");
    const commit = await call(server.url, client, "GetCommit", { repositoryName: repo, commitId: r.out.commitId });
    // no name or email given: the IAM user name, and a blank email, for author and committer
    expect(commit.out.commit).toMatchObject({ treeId: r.out.treeId, parents: [], message: "Added hello.txt", author: { name: "admin", email: "" } });
    expect(commit.out.commit.committer).toEqual(commit.out.commit.author);
    expect(commit.out.commit.author.date).toMatch(/^\d{10} \+0000$/);
    expect(events(repo)).toEqual([{ source: "api", actor_arn: ADMIN_ARN, refs: [{ ref: "refs/heads/trunk", oldCommit: ZERO, newCommit: r.out.commitId }] }]);
  });

  it("writes files git clones with their modes and exact bytes; the author is who the request names", async () => {
    const binary = crypto.randomBytes(4096);
    const puts: Array<[string, string | Buffer, string | undefined]> = [
      ["bin/tool.sh", "#!/bin/sh\necho tool\n", "EXECUTABLE"],
      ["/link", "hello.txt", "SYMLINK"],
      ["data/blob.bin", binary, undefined],
    ];
    for (const [filePath, content, fileMode] of puts) {
      const parent = await tip(repo, "trunk");
      const r = await call(server.url, client, "PutFile", {
        repositoryName: repo,
        branchName: "trunk",
        parentCommitId: parent,
        filePath,
        fileContent: blob(client, content),
        ...(fileMode ? { fileMode } : {}),
        name: "Mary Major",
        email: "mary_major@example.com",
        commitMessage: `put ${filePath}`,
      });
      expect(r.error).toBeUndefined();
      const c = await call(server.url, "sdk", "GetCommit", { repositoryName: repo, commitId: r.out.commitId });
      expect(c.out.commit).toMatchObject({ parents: [parent], message: `put ${filePath}`, author: { name: "Mary Major", email: "mary_major@example.com" } });
    }
    const dir = await clone(repo);
    const tree = await gitOk(["ls-tree", "-r", "HEAD"], { cwd: dir, env });
    expect(tree).toMatch(/^100755 blob \w+\tbin\/tool\.sh$/m);
    expect(tree).toMatch(/^120000 blob \w+\tlink$/m);
    expect(tree).toMatch(/^100644 blob \w+\tdata\/blob\.bin$/m);
    expect(tree).toMatch(/^100644 blob ce013625030ba8dba906f756967f9e9ca394464a\thello\.txt$/m);
    expect(fs.statSync(path.join(dir, "bin/tool.sh")).mode & 0o111).toBe(0o111);
    expect(fs.readlinkSync(path.join(dir, "link"))).toBe("hello.txt");
    expect(fs.readFileSync(path.join(dir, "data/blob.bin")).equals(binary)).toBe(true);
    // and the API reads back what it wrote
    const back = await call(server.url, client, "GetFile", { repositoryName: repo, filePath: "data/blob.bin" });
    expect(bytes(back.out.fileContent).equals(binary)).toBe(true);
    // a new mode for the same content is a change; the mode is kept when none is given
    const parent = await tip(repo, "trunk");
    const chmod = await call(server.url, client, "PutFile", {
      repositoryName: repo, branchName: "trunk", parentCommitId: parent, filePath: "hello.txt", fileContent: blob(client, "hello\n"), fileMode: "EXECUTABLE",
    });
    expect(chmod.error).toBeUndefined();
    const edit = await call(server.url, client, "PutFile", {
      repositoryName: repo, branchName: "trunk", parentCommitId: chmod.out.commitId, filePath: "hello.txt", fileContent: blob(client, "hello, again\n"),
    });
    const file = await call(server.url, client, "GetFile", { repositoryName: repo, filePath: "hello.txt", commitSpecifier: edit.out.commitId });
    expect(file.out.fileMode).toBe("EXECUTABLE");
    const events_ = events(repo);
    expect(events_).toHaveLength(6);
    expect(events_.every((e) => e.source === "api" && e.refs.length === 1 && e.refs[0]!.ref === "refs/heads/trunk")).toBe(true);
    expect(events_[5]!.refs[0]).toEqual({ ref: "refs/heads/trunk", oldCommit: chmod.out.commitId, newCommit: edit.out.commitId });
    expect(fsck(repoId)).toBe("");
  });

  it("refuses what CodeCommit refuses, and changes nothing", async () => {
    const seed = await seeded(`put-errors-${client}`);
    const repoName = `put-errors-${client}`;
    const put = (input: Record<string, unknown>) =>
      call(server.url, client, "PutFile", {
        repositoryName: repoName,
        branchName: "main",
        parentCommitId: seed.head,
        filePath: "new.txt",
        fileContent: blob(client, "new\n"),
        ...input,
      });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ parentCommitId: undefined }, "ParentCommitIdRequiredException"],
      [{ parentCommitId: "a".repeat(40) }, "ParentCommitDoesNotExistException"],
      [{ parentCommitId: "xyz" }, "InvalidParentCommitIdException"],
      [{ filePath: "README.md", fileContent: blob(client, "readme\n") }, "SameFileContentException"],
      [{ fileContent: blob(client, "") }, "FileContentRequiredException"],
      [{ filePath: "dir" }, "FileNameConflictsWithDirectoryNameException"],
      [{ filePath: "README.md/inside.txt" }, "DirectoryNameConflictsWithFileNameException"],
      [{ filePath: "sub" }, "FilePathConflictsWithSubmodulePathException"],
      [{ filePath: "sub/inside.txt" }, "FilePathConflictsWithSubmodulePathException"],
      [{ filePath: "a//b.txt" }, "InvalidPathException"],
      [{ filePath: "dir/.git/hooks/x" }, "InvalidPathException"],
      [{ filePath: "d/".repeat(21) + "f.txt" }, "InvalidPathException"],
      [{ branchName: "bad..name" }, "InvalidBranchNameException"],
      [{ branchName: "nope" }, "BranchDoesNotExistException"],
      [{ branchName: "release" }, "BranchNameIsTagNameException"],
      [{ fileMode: "WRITABLE" }, "InvalidFileModeException"],
      [{ name: "n".repeat(1025) }, "NameLengthExceededException"],
      [{ email: "mary<major>@example.com" }, "InvalidEmailException"],
      [{ commitMessage: "m".repeat(256 * 1024 + 1) }, "CommitMessageLengthExceededException"],
      [{ fileContent: blob(client, Buffer.alloc(6 * 1024 * 1024 + 1, 97)) }, "FileContentSizeLimitExceededException"],
      [{ repositoryName: "ghost" }, "RepositoryDoesNotExistException"],
    ];
    for (const [input, code] of cases) {
      const r = await put(input);
      expect([JSON.stringify(input).slice(0, 80), r.error]).toEqual([JSON.stringify(input).slice(0, 80), code]);
    }
    // after a change, the old tip is outdated
    const ok = await put({});
    expect(ok.error).toBeUndefined();
    const outdated = await put({ filePath: "other.txt" });
    expect(outdated.error).toBe("ParentCommitIdOutdatedException");
    expect(outdated.message).toContain(ok.out.commitId);
    expect(await tip(repoName)).toBe(ok.out.commitId);
    expect(events(repoName).filter((e) => e.source === "api")).toHaveLength(1);
  });
});

describe.each(clients)("DeleteFile with the %s", (client) => {
  const repo = `delete-${client}`;
  let head: string;
  beforeAll(async () => {
    head = (await seeded(repo)).head;
  });

  it("deletes a file; a folder it empties goes, unless keepEmptyFolders keeps it with a .gitkeep", async () => {
    const only = (await call(server.url, "sdk", "GetFile", { repositoryName: repo, filePath: "dir/nested/only.txt" })).out.blobId;
    const r = await call(server.url, client, "DeleteFile", { repositoryName: repo, branchName: "main", parentCommitId: head, filePath: "/dir/nested/only.txt" });
    expect(r.error).toBeUndefined();
    expect(r.out).toEqual({ commitId: expect.any(String), blobId: only, treeId: expect.any(String), filePath: "dir/nested/only.txt" });
    expect((await call(server.url, client, "GetFolder", { repositoryName: repo, folderPath: "dir/nested" })).error).toBe("FolderDoesNotExistException");
    expect((await call(server.url, client, "GetCommit", { repositoryName: repo, commitId: r.out.commitId })).out.commit.message).toBe(
      "Deleted dir/nested/only.txt",
    );

    const kept = await call(server.url, client, "DeleteFile", {
      repositoryName: repo,
      branchName: "main",
      parentCommitId: r.out.commitId,
      filePath: "keep/me/last.txt",
      keepEmptyFolders: true,
      commitMessage: "keep the folder",
      name: "Li Juan",
      email: "li_juan@example.com",
    });
    expect(kept.error).toBeUndefined();
    const folder = await call(server.url, client, "GetFolder", { repositoryName: repo, folderPath: "keep/me" });
    expect(folder.out.files).toEqual([
      { blobId: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", absolutePath: "keep/me/.gitkeep", relativePath: ".gitkeep", fileMode: "NORMAL" },
    ]);
    const dir = await clone(repo);
    expect(fs.existsSync(path.join(dir, "keep/me/.gitkeep"))).toBe(true);
    expect(fs.existsSync(path.join(dir, "dir/nested"))).toBe(false);
    expect(fs.readFileSync(path.join(dir, "dir/file.txt"), "utf8")).toBe("file\n");
    const log = await gitOk(["log", "-1", "--format=%an <%ae>%n%B"], { cwd: dir, env });
    expect(log.trim()).toBe("Li Juan <li_juan@example.com>\nkeep the folder");
    head = kept.out.commitId;
  });

  it("errors", async () => {
    const del = (input: Record<string, unknown>) =>
      call(server.url, client, "DeleteFile", { repositoryName: repo, branchName: "main", parentCommitId: head, filePath: "README.md", ...input });
    expect((await del({ filePath: "nope.txt" })).error).toBe("FileDoesNotExistException");
    expect((await del({ filePath: "dir" })).error).toBe("FileDoesNotExistException");
    expect((await del({ filePath: "../x" })).error).toBe("InvalidPathException");
    expect((await del({ branchName: "nope" })).error).toBe("BranchDoesNotExistException");
    expect((await del({ parentCommitId: "b".repeat(40) })).error).toBe("ParentCommitDoesNotExistException");
    expect((await del({ email: "bad\nemail" })).error).toBe("InvalidEmailException");
    const ok = await del({});
    expect(ok.error).toBeUndefined();
    expect((await del({ filePath: "dir/file.txt" })).error).toBe("ParentCommitIdOutdatedException");
    head = ok.out.commitId;
  });
});

describe.each(clients)("CreateCommit with the %s", (client) => {
  const repo = `commit-${client}`;
  let head: string;
  let repoId: string;
  beforeAll(async () => {
    ({ id: repoId, head } = await seeded(repo));
  });
  const commit = (input: Record<string, unknown>) =>
    call(server.url, client, "CreateCommit", { repositoryName: repo, branchName: "main", parentCommitId: head, ...input });

  it("puts, copies, moves, deletes and changes modes in one commit, and says what it did", async () => {
    const blobOf = async (p: string) => (await call(server.url, "sdk", "GetFile", { repositoryName: repo, filePath: p, commitSpecifier: head })).out.blobId;
    const readme = await blobOf("README.md");
    const file = await blobOf("dir/file.txt");
    const only = await blobOf("dir/nested/only.txt");
    const r = await commit({
      authorName: "Saanvi Sarkar",
      email: "saanvi_sarkar@example.com",
      commitMessage: "rearrange",
      putFiles: [
        { filePath: "new/one.txt", fileContent: blob(client, "one\n") },
        { filePath: "README.md", fileContent: blob(client, "readme, updated\n") },
        { filePath: "copies/file.txt", sourceFile: { filePath: "dir/file.txt" } },
        { filePath: "moved/only.sh", fileMode: "EXECUTABLE", sourceFile: { filePath: "dir/nested/only.txt", isMove: true } },
      ],
      setFileModes: [{ filePath: "dir/file.txt", fileMode: "EXECUTABLE" }],
    });
    expect(r.error).toBeUndefined();
    expect(r.out).toEqual({
      commitId: expect.any(String),
      treeId: expect.any(String),
      filesAdded: [
        { absolutePath: "new/one.txt", blobId: "5626abf0f72e58d7a153368ba57db4c673c0e171", fileMode: "NORMAL" },
        { absolutePath: "copies/file.txt", blobId: file, fileMode: "NORMAL" },
        { absolutePath: "moved/only.sh", blobId: only, fileMode: "EXECUTABLE" },
      ],
      filesUpdated: [
        { absolutePath: "README.md", blobId: expect.any(String), fileMode: "NORMAL" },
        { absolutePath: "dir/file.txt", blobId: file, fileMode: "EXECUTABLE" },
      ],
      filesDeleted: [{ absolutePath: "dir/nested/only.txt", blobId: only, fileMode: "NORMAL" }],
    });
    expect(r.out.filesUpdated[0].blobId).not.toBe(readme);

    const dir = await clone(repo);
    const raw = await gitOk(["diff-tree", "-r", "--no-renames", "--name-status", "HEAD~1", "HEAD"], { cwd: dir, env });
    expect(raw.trim().split("\n").sort()).toEqual(
      ["A\tcopies/file.txt", "A\tmoved/only.sh", "A\tnew/one.txt", "D\tdir/nested/only.txt", "M\tREADME.md", "M\tdir/file.txt"].sort(),
    );
    expect(fs.statSync(path.join(dir, "dir/file.txt")).mode & 0o100).toBe(0o100);
    expect(fs.statSync(path.join(dir, "moved/only.sh")).mode & 0o100).toBe(0o100);
    expect(await gitOk(["log", "-1", "--format=%an|%ae|%cn|%ce|%B"], { cwd: dir, env })).toBe(
      "Saanvi Sarkar|saanvi_sarkar@example.com|Saanvi Sarkar|saanvi_sarkar@example.com|rearrange\n",
    );
    head = r.out.commitId;
    expect(fsck(repoId)).toBe("");
  });

  it("keeps an emptied folder with a .gitkeep when asked, and reports it as added", async () => {
    const r = await commit({ deleteFiles: [{ filePath: "keep/me/last.txt" }], keepEmptyFolders: true });
    expect(r.error).toBeUndefined();
    expect(r.out.filesAdded).toEqual([
      { absolutePath: "keep/me/.gitkeep", blobId: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", fileMode: "NORMAL" },
    ]);
    expect(r.out.filesDeleted).toEqual([expect.objectContaining({ absolutePath: "keep/me/last.txt" })]);
    head = r.out.commitId;
  });

  it("refuses what CodeCommit refuses", async () => {
    const put = (p: string, content = "x") => ({ filePath: p, fileContent: blob(client, content) });
    const big = (p: string, mb: number) => ({ filePath: p, fileContent: blob(client, Buffer.alloc(Math.round(mb * 1024 * 1024), 98)) });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, "FileEntryRequiredException"],
      [{ deleteFiles: Array.from({ length: 101 }, (_, i) => ({ filePath: `f${i}` })) }, "MaximumFileEntriesExceededException"],
      [{ putFiles: [put("x"), put("x/y")] }, "PutFileEntryConflictException"],
      [{ putFiles: [{ filePath: "x" }] }, "SourceFileOrContentRequiredException"],
      [{ putFiles: [{ ...put("x"), sourceFile: { filePath: "README.md" } }] }, "FileContentAndSourceFileSpecifiedException"],
      [{ putFiles: [put("README.md")], deleteFiles: [{ filePath: "README.md" }] }, "SamePathRequestException"],
      [{ deleteFiles: [{ filePath: "README.md" }, { filePath: "/README.md" }] }, "SamePathRequestException"],
      [{ putFiles: [{ filePath: "y", sourceFile: { filePath: "README.md", isMove: true } }], deleteFiles: [{ filePath: "README.md" }] }, "SamePathRequestException"],
      [{ putFiles: [{ filePath: "y", sourceFile: { filePath: "keep/me/.gitkeep" } }] }, "RestrictedSourceFileException"],
      [{ putFiles: [{ filePath: "y", sourceFile: { filePath: "nope.txt" } }] }, "FileDoesNotExistException"],
      [{ deleteFiles: [{ filePath: "nope.txt" }] }, "FileDoesNotExistException"],
      [{ setFileModes: [{ filePath: "nope.txt", fileMode: "NORMAL" }] }, "FileDoesNotExistException"],
      [{ setFileModes: [{ filePath: "README.md", fileMode: "BAD" }] }, "InvalidFileModeException"],
      [{ putFiles: [put("README.md", "readme, updated\n")] }, "NoChangeException"],
      [{ setFileModes: [{ filePath: "README.md", fileMode: "NORMAL" }] }, "NoChangeException"],
      [{ putFiles: [put("dir")] }, "FileNameConflictsWithDirectoryNameException"],
      [{ putFiles: [put("README.md/x")] }, "DirectoryNameConflictsWithFileNameException"],
      [{ putFiles: [put("sub/x")] }, "FilePathConflictsWithSubmodulePathException"],
      [{ putFiles: [put("a//b")] }, "InvalidPathException"],
      [{ putFiles: [big("one/a", 3.6), big("two/b", 3.6)] }, "FileContentSizeLimitExceededException"],
      [{ putFiles: [big("one/a", 6.5)] }, "FileContentSizeLimitExceededException"],
      [{ putFiles: [big("one/a", 3.2), big("one/b", 3.2)] }, "FolderContentSizeLimitExceededException"],
      [{ putFiles: [put("x")], parentCommitId: undefined }, "ParentCommitIdRequiredException"],
      [{ putFiles: [put("x")], branchName: "release" }, "BranchNameIsTagNameException"],
      [{ putFiles: [put("x")], authorName: "n".repeat(1025) }, "NameLengthExceededException"],
      [{ putFiles: [put("x")], commitMessage: "m".repeat(256 * 1024 + 1) }, "CommitMessageLengthExceededException"],
    ];
    for (const [input, code] of cases) {
      const r = await commit(input);
      expect([JSON.stringify(input).slice(0, 100), r.error]).toEqual([JSON.stringify(input).slice(0, 100), code]);
    }
    const seedHead = (await call(server.url, "sdk", "GetCommit", { repositoryName: repo, commitId: head })).out.commit.parents[0];
    expect((await commit({ putFiles: [put("x")], parentCommitId: seedHead })).error).toBe("ParentCommitIdOutdatedException");
    expect(await tip(repo)).toBe(head);
  });

  it("makes the first commit of an empty repository without a parent", async () => {
    const name = `commit-empty-${client}`;
    await createRepo(name);
    const r = await call(server.url, client, "CreateCommit", {
      repositoryName: name,
      branchName: "main",
      putFiles: [{ filePath: "readme.md", fileContent: blob(client, "Welcome to our team repository.") }],
    });
    expect(r.error).toBeUndefined();
    expect(r.out.filesAdded).toEqual([{ absolutePath: "readme.md", blobId: expect.any(String), fileMode: "NORMAL" }]);
    expect(r.out.filesUpdated).toEqual([]);
    expect(r.out.filesDeleted).toEqual([]);
    expect((await call(server.url, client, "GetRepository", { repositoryName: name })).out.repositoryMetadata.defaultBranch).toBe("main");
    expect(events(name)).toEqual([{ source: "api", actor_arn: ADMIN_ARN, refs: [{ ref: "refs/heads/main", oldCommit: ZERO, newCommit: r.out.commitId }] }]);
  });
});

describe("reads follow repository changes at once", () => {
  it("a renamed or deleted repository is not read under its old name", async () => {
    await createRepo("moving");
    const put = await call(server.url, "sdk", "PutFile", { repositoryName: "moving", branchName: "main", filePath: "f.txt", fileContent: Buffer.from("f\n") });
    expect(put.error).toBeUndefined();
    const read = (repositoryName: string) => call(server.url, "sdk", "GetFile", { repositoryName, filePath: "f.txt" });
    expect((await read("moving")).error).toBeUndefined();
    await call(server.url, "sdk", "UpdateRepositoryName", { oldName: "moving", newName: "moved" });
    expect((await read("moving")).error).toBe("RepositoryDoesNotExistException");
    expect((await read("moved")).out.commitId).toBe(put.out.commitId);
    await call(server.url, "sdk", "DeleteRepository", { repositoryName: "moved" });
    expect((await read("moved")).error).toBe("RepositoryDoesNotExistException");
    await createRepo("moved");
    expect((await read("moved")).error).toBe("CommitDoesNotExistException"); // the new, empty one
  });
});

describe("members only the SDK can leave out (the CLIs check required members themselves)", () => {
  it("names the missing member", async () => {
    const { head } = await seeded("required");
    const sdk = (op: string, input: Record<string, unknown>) => call(server.url, "sdk", op, { repositoryName: "required", ...input });
    expect((await sdk("PutFile", { filePath: "x", fileContent: Buffer.from("x") })).error).toBe("BranchNameRequiredException");
    expect((await sdk("PutFile", { branchName: "main", parentCommitId: head, fileContent: Buffer.from("x") })).error).toBe("PathRequiredException");
    expect((await sdk("PutFile", { branchName: "main", parentCommitId: head, filePath: "x" })).error).toBe("FileContentRequiredException");
    expect((await sdk("DeleteFile", { branchName: "main", filePath: "README.md" })).error).toBe("ParentCommitIdRequiredException");
    expect((await sdk("DeleteFile", { branchName: "main", parentCommitId: head })).error).toBe("PathRequiredException");
    expect((await sdk("CreateCommit", { branchName: "main", parentCommitId: head, setFileModes: [{ filePath: "README.md" }] })).error).toBe(
      "FileModeRequiredException",
    );
    expect((await sdk("CreateCommit", { branchName: "main", parentCommitId: head, putFiles: [{ fileContent: Buffer.from("x") }] })).error).toBe(
      "PathRequiredException",
    );
    expect((await call(server.url, "sdk", "CreateCommit", { branchName: "main" })).error).toBe("RepositoryNameRequiredException");
  });
});

describe("writers racing on one branch", () => {
  it("20 parallel CreateCommit calls: exactly one success per tip, every commit lands in the end, git fsck is clean", async () => {
    const repo = "race";
    const { id, head } = await seeded(repo);
    const parents = new Map<string, string>(); // parent → the one commit made on it
    let firstRound = 0;

    async function writer(i: number, start: string): Promise<void> {
      let parent = start;
      for (let attempt = 0; ; attempt++) {
        const r = await call(server.url, "sdk", "CreateCommit", {
          repositoryName: repo,
          branchName: "main",
          parentCommitId: parent,
          putFiles: [{ filePath: `writers/w${i}.txt`, fileContent: Buffer.from(`writer ${i}\n`) }],
          commitMessage: `writer ${i}`,
        });
        if (!r.error) {
          expect(parents.has(parent)).toBe(false);
          parents.set(parent, r.out.commitId);
          if (attempt === 0) firstRound++;
          return;
        }
        expect(r.error).toBe("ParentCommitIdOutdatedException");
        parent = await tip(repo);
      }
    }
    // every writer starts from the same tip, at once
    await Promise.all(Array.from({ length: 20 }, (_, i) => writer(i, head)));

    expect(firstRound).toBe(1);
    expect(parents.size).toBe(20);
    // the successes form one line of history from the seed: nothing was overwritten
    const chain: string[] = [];
    for (let c = head; parents.has(c); c = parents.get(c)!) chain.push(parents.get(c)!);
    expect(chain).toHaveLength(20);
    expect(await tip(repo)).toBe(chain[19]);
    const dir = await clone(repo);
    const log = (await gitOk(["log", "--format=%H", `${head}..HEAD`], { cwd: dir, env })).trim().split("\n").reverse();
    expect(log).toEqual(chain);
    expect(fs.readdirSync(path.join(dir, "writers")).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `w${i}.txt`).sort());
    expect(fsck(id)).toBe("");
    const recorded = events(repo).filter((e) => e.source === "api");
    expect(recorded.map((e) => e.refs[0]!.newCommit)).toEqual(chain);
  });

  /**
   * A clone whose next push stops after git has read the server's ref advertisement (and so
   * fixed the old value it will send) and before it sends its commands: a pre-push hook waits
   * for a file. `release()` lets the push go on.
   */
  async function pausedPush(dir: string): Promise<{ started: Promise<void>; release(): void; done: Promise<{ code: number; stderr: string }> }> {
    const ready = path.join(dir, ".git", "push-ready");
    const go = path.join(dir, ".git", "push-go");
    const hook = path.join(dir, ".git", "hooks", "pre-push");
    fs.writeFileSync(hook, `#!/bin/sh\n: > '${ready}'\nwhile [ ! -e '${go}' ]; do sleep 0.05; done\nexit 0\n`, { mode: 0o755 });
    const done = git(["push", "origin", "main"], { cwd: dir, env });
    const started = (async () => {
      while (!fs.existsSync(ready)) await new Promise((r) => setTimeout(r, 20));
    })();
    return { started, release: () => fs.writeFileSync(go, ""), done };
  }

  async function commitIn(dir: string, file: string): Promise<string> {
    fs.writeFileSync(path.join(dir, file), `${file}\n`);
    await gitOk(["add", "."], { cwd: dir, env });
    await gitOk(["commit", "-qm", `add ${file}`], { cwd: dir, env });
    return (await gitOk(["rev-parse", "HEAD"], { cwd: dir, env })).trim();
  }

  it("a push prepared on the old tip, sent after a CreateCommit landed: git's compare-and-swap refuses it, nothing is lost", async () => {
    const repo = "race-push-late";
    const { id, head: base } = await seeded(repo);
    const dir = await clone(repo);
    const pushed = await commitIn(dir, "pushed.txt");
    const push = await pausedPush(dir);
    await push.started; // the client holds base as the branch's old value now

    const api = await call(server.url, "sdk", "CreateCommit", {
      repositoryName: repo,
      branchName: "main",
      parentCommitId: base,
      putFiles: [{ filePath: "api.txt", fileContent: Buffer.from("api\n") }],
    });
    expect(api.error).toBeUndefined();
    push.release();
    const result = await push.done;

    // the client's own check passed (base was the tip it was told of): receive-pack's ref
    // update, which compares with base, is what refused it
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/\[remote rejected\] main -> main \((failed to update ref|cannot lock ref[^)]*)\)/);
    expect(await tip(repo)).toBe(api.out.commitId);
    const apiCommit = await call(server.url, "sdk", "GetCommit", { repositoryName: repo, commitId: api.out.commitId });
    expect(apiCommit.out.commit.parents).toEqual([base]);
    // recorded: the seeding push and the API commit; the refused push changed nothing
    const recorded = events(repo);
    expect(recorded.map((e) => e.source)).toEqual(["push", "api"]);
    expect(recorded[1]!.refs).toEqual([{ ref: "refs/heads/main", oldCommit: base, newCommit: api.out.commitId }]);

    // nothing lost: the refused commit is still the client's, and goes in on top of the API's
    await gitOk(["pull", "-q", "--rebase", "origin", "main"], { cwd: dir, env });
    await gitOk(["push", "-q", "origin", "main"], { cwd: dir, env });
    const final = await tip(repo);
    expect(final).not.toBe(pushed); // rebased
    const log = (await gitOk(["log", "--format=%s", `${base}..${final}`], { cwd: dir, env })).trim().split("\n");
    expect(log).toEqual(["add pushed.txt", "Added 1 file"]);
    const after = await clone(repo);
    expect(fs.readFileSync(path.join(after, "api.txt"), "utf8")).toBe("api\n");
    expect(fs.readFileSync(path.join(after, "pushed.txt"), "utf8")).toBe("pushed.txt\n");
    expect(fsck(id)).toBe("");
  });

  it("a CreateCommit prepared on the old tip, sent after a push landed: ParentCommitIdOutdatedException, nothing is lost", async () => {
    const repo = "race-api-late";
    const { id, head: base } = await seeded(repo);
    // the API client read the tip and built its request on it …
    const request = {
      repositoryName: repo,
      branchName: "main",
      parentCommitId: base,
      putFiles: [{ filePath: "api.txt", fileContent: Buffer.from("api\n") }],
    };
    // … and a push landed before it was sent
    const dir = await clone(repo);
    const pushed = await commitIn(dir, "pushed.txt");
    const push = await pausedPush(dir);
    await push.started;
    push.release();
    expect((await push.done).code).toBe(0);
    expect(await tip(repo)).toBe(pushed);

    for (const client of clients) {
      const late = await call(server.url, client, "CreateCommit", { ...request, putFiles: [{ filePath: "api.txt", fileContent: blob(client, "api\n") }] });
      expect(late.error).toBe("ParentCommitIdOutdatedException");
      expect(late.message).toContain(pushed); // it says what the tip is now
    }
    expect(await tip(repo)).toBe(pushed);
    // retried on the tip it is told of, it goes in on top of the push
    const retried = await call(server.url, "sdk", "CreateCommit", { ...request, parentCommitId: pushed });
    expect(retried.error).toBeUndefined();
    const c = await call(server.url, "sdk", "GetCommit", { repositoryName: repo, commitId: retried.out.commitId });
    expect(c.out.commit.parents).toEqual([pushed]);
    expect(events(repo).slice(-2).map((e) => [e.source, e.refs[0]!.oldCommit, e.refs[0]!.newCommit])).toEqual([
      ["push", base, pushed],
      ["api", pushed, retried.out.commitId],
    ]);
    expect(fsck(id)).toBe("");
  });
});

describe("the CLI's own input forms: fileb://, shorthand lists", () => {
  it("put-file takes the file's bytes from fileb:// (CLI v2 and v1)", async () => {
    for (const version of [2, 1] as const) {
      const repo = `fileb-v${version}`;
      const { id, head } = await seeded(repo);
      const file = path.join(tmpDir("fileb"), "tool.bin");
      const content = Buffer.concat([Buffer.from("#!/bin/sh\n"), crypto.randomBytes(4096)]);
      fs.writeFileSync(file, content);
      const r = await aws(
        server.url,
        [
          "codecommit", "put-file", "--repository-name", repo, "--branch-name", "main", "--parent-commit-id", head,
          "--file-path", "bin/tool.bin", "--file-content", `fileb://${file}`, "--file-mode", "EXECUTABLE",
          "--name", "Mary Major", "--email", "mary_major@example.com", "--commit-message", "from a file",
        ],
        { version },
      );
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(r.json.blobId).toBe(execFileSync("git", ["hash-object", file], { encoding: "utf8" }).trim());
      const dir = await clone(repo);
      expect(fs.readFileSync(path.join(dir, "bin/tool.bin")).equals(content)).toBe(true);
      expect(await gitOk(["ls-tree", "HEAD", "bin/tool.bin"], { cwd: dir, env })).toMatch(/^100755 blob /);
      expect(await gitOk(["log", "-1", "--format=%an <%ae> %s"], { cwd: dir, env })).toBe("Mary Major <mary_major@example.com> from a file\n");
      expect(fsck(id)).toBe("");
    }
  });

  it("create-commit takes --put-files, --delete-files and --set-file-modes in shorthand (CLI v2)", async () => {
    const repo = "shorthand";
    const { head } = await seeded(repo);
    const hello = Buffer.from("hello, world"); // 12 bytes: base64 without padding
    const r = await aws(server.url, [
      "codecommit", "create-commit", "--repository-name", repo, "--branch-name", "main", "--parent-commit-id", head,
      "--commit-message", "shorthand", "--author-name", "Li Juan", "--email", "li_juan@example.com",
      "--put-files",
      `filePath=new/hello.txt,fileContent=${hello.toString("base64")}`,
      "filePath=copies/file.txt,sourceFile={filePath=dir/file.txt}",
      "filePath=moved.txt,fileMode=EXECUTABLE,sourceFile={filePath=keep/me/last.txt,isMove=true}",
      "--delete-files", "filePath=README.md",
      "--set-file-modes", "filePath=dir/file.txt,fileMode=EXECUTABLE",
    ]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.json.filesAdded.map((f: { absolutePath: string }) => f.absolutePath)).toEqual(["new/hello.txt", "copies/file.txt", "moved.txt"]);
    expect(r.json.filesDeleted.map((f: { absolutePath: string }) => f.absolutePath).sort()).toEqual(["README.md", "keep/me/last.txt"]);
    expect(r.json.filesUpdated).toEqual([expect.objectContaining({ absolutePath: "dir/file.txt", fileMode: "EXECUTABLE" })]);
    const dir = await clone(repo);
    expect(fs.readFileSync(path.join(dir, "new/hello.txt"), "utf8")).toBe("hello, world");
    expect(fs.readFileSync(path.join(dir, "copies/file.txt"), "utf8")).toBe("file\n");
    expect(fs.readFileSync(path.join(dir, "moved.txt"), "utf8")).toBe("last\n");
    expect(fs.existsSync(path.join(dir, "README.md"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "keep"))).toBe(false);
    const tree = await gitOk(["ls-tree", "-r", "HEAD"], { cwd: dir, env });
    expect(tree).toMatch(/^100755 blob \w+\tdir\/file\.txt$/m);
    expect(tree).toMatch(/^100755 blob \w+\tmoved\.txt$/m);
  });

  it("a 10 MB file, too large for the request itself, is FileContentSizeLimitExceededException (not HTTP 413)", async () => {
    const repo = "too-large";
    const { head } = await seeded(repo);
    const file = path.join(tmpDir("big"), "10MB.bin");
    const big = crypto.randomBytes(10 * 1024 * 1024);
    fs.writeFileSync(file, big);
    const putArgs = ["codecommit", "put-file", "--repository-name", repo, "--branch-name", "main", "--parent-commit-id", head, "--file-path", "big.bin", "--file-content", `fileb://${file}`];
    for (const version of [2, 1] as const) {
      const r = await aws(server.url, putArgs, { version });
      expect(r.code).not.toBe(0);
      expect(cliErrorCode(r)).toBe("FileContentSizeLimitExceededException");
      expect(r.stderr).toMatch(/6 MB/);
    }
    // CreateCommit: the CLI v2 from a JSON file, and the SDK
    const input = path.join(tmpDir("big-json"), "input.json");
    fs.writeFileSync(input, JSON.stringify({ repositoryName: repo, branchName: "main", parentCommitId: head, putFiles: [{ filePath: "big.bin", fileContent: big.toString("base64") }] }));
    const cli = await aws(server.url, ["codecommit", "create-commit", "--cli-input-json", `file://${input}`]);
    expect(cliErrorCode(cli)).toBe("FileContentSizeLimitExceededException");
    const sdk = await call(server.url, "sdk", "CreateCommit", { repositoryName: repo, branchName: "main", parentCommitId: head, putFiles: [{ filePath: "big.bin", fileContent: big }] });
    expect(sdk.error).toBe("FileContentSizeLimitExceededException");
    const sdkPut = await call(server.url, "sdk", "PutFile", { repositoryName: repo, branchName: "main", parentCommitId: head, filePath: "big.bin", fileContent: big });
    expect(sdkPut.error).toBe("FileContentSizeLimitExceededException");
    // nothing changed, and the server still answers on the same connections
    expect(await tip(repo)).toBe(head);
    expect(events(repo).filter((e) => e.source === "api")).toEqual([]);
  });
});
