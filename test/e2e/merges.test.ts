import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type ClientKind } from "../helpers/api.js";
import { aws, cliErrorCode, gitHome, gitOk, git } from "../helpers/clients.js";
import { notificationsIn, repoWithTrigger, topicWithSubscriber } from "../helpers/topics.js";
import { query } from "../helpers/events.js";
import { managed, userWith } from "../helpers/iam.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";
import { Subscriber } from "../helpers/subscriber.js";

/**
 * The nine merge operations against a real server, with the AWS CLI v2 and v1 and the SDK: every
 * merge compared with what `git merge` makes of the same commits in a work tree, the conflict
 * reports, conflict resolution, the modeled errors, racing merges, triggers and branch
 * protection.
 *
 * The history (base B):
 *   main      B → M: a.txt line 9 "9main", adds m.txt, c.txt "c-main"
 *   clean     B → : a.txt line 2 "2clean", adds n.txt, deletes b.txt   (lines merge; FILE_LEVEL conflict in a.txt)
 *   conflict  B → : a.txt line 9 "9conflict", deletes c.txt, tool.sh +x, d/e.txt "e2"   (a.txt and c.txt conflict)
 *   ff        M → : adds f.txt
 */
let server: ServerHandle;
let env: Record<string, string>;
let work: string;
const REPO = "merging";
const ADMIN_ARN = "arn:aws:iam::000000000000:user/admin";
const c: Record<string, string> = {};

const lines = (n: number, change: Record<number, string> = {}) =>
  Array.from({ length: n }, (_, i) => change[i + 1] ?? String(i + 1)).join("\n") + "\n";

function write(dir: string, files: Record<string, string | null>): void {
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    if (content === null) fs.rmSync(p);
    else {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
    }
  }
}

async function commit(dir: string, message: string, files: Record<string, string | null>, extra: () => Promise<void> = async () => {}): Promise<string> {
  write(dir, files);
  await extra();
  await gitOk(["add", "-A"], { cwd: dir, env });
  await gitOk(["commit", "-qm", message], { cwd: dir, env });
  return (await gitOk(["rev-parse", "HEAD"], { cwd: dir, env })).trim();
}

const url = (repo = REPO) => `${server.url}/v1/repos/${repo}`;

/** The history above, in a local repository, pushed to `repo`. */
async function makeHistory(repo: string): Promise<string> {
  const dir = tmpDir("merge-work");
  await gitOk(["init", "-q", "-b", "main", dir], { env });
  c.B = await commit(dir, "base", { "a.txt": lines(10), "b.txt": "b\n", "c.txt": "c\n", "d/e.txt": "e\n", "tool.sh": "echo\n" });
  await gitOk(["branch", "clean"], { cwd: dir, env });
  await gitOk(["branch", "conflict"], { cwd: dir, env });
  c.M = await commit(dir, "main", { "a.txt": lines(10, { 9: "9main" }), "m.txt": "m\n", "c.txt": "c-main\n" });
  await gitOk(["checkout", "-qb", "ff"], { cwd: dir, env });
  c.ff = await commit(dir, "ff", { "f.txt": "f\n" });
  await gitOk(["checkout", "-q", "clean"], { cwd: dir, env });
  c.clean = await commit(dir, "clean", { "a.txt": lines(10, { 2: "2clean" }), "n.txt": "n\n", "b.txt": null });
  await gitOk(["checkout", "-q", "conflict"], { cwd: dir, env });
  c.conflict = await commit(dir, "conflict", { "a.txt": lines(10, { 9: "9conflict" }), "c.txt": null, "d/e.txt": "e2\n" }, async () =>
    fs.chmodSync(path.join(dir, "tool.sh"), 0o755),
  );
  await gitOk(["checkout", "-q", "main"], { cwd: dir, env });
  expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: repo })).error).toBeUndefined();
  await gitOk(["push", "-q", url(repo), "main", "clean", "conflict", "ff"], { cwd: dir, env });
  return dir;
}

beforeAll(async () => {
  server = await startServer();
  env = gitHome();
  work = await makeHistory(REPO);
});
afterAll(async () => {
  await server?.stop();
});

async function tip(branch: string, repo = REPO): Promise<string> {
  return (await call(server.url, "sdk", "GetBranch", { repositoryName: repo, branchName: branch })).out.branch.commitId;
}

/** A new branch at a commit, to merge into without disturbing the others. */
async function branchAt(name: string, commitId: string, repo = REPO): Promise<void> {
  expect((await call(server.url, "sdk", "CreateBranch", { repositoryName: repo, branchName: name, commitId })).error).toBeUndefined();
}

/** What `git merge` makes of `source` merged into `destination` in a work tree: its tree, or its conflicting paths. */
async function gitMerge(destination: string, source: string, opts: { squash?: boolean; strategyOption?: string } = {}): Promise<{ tree?: string; conflicts?: string[] }> {
  await gitOk(["fetch", "-q", url(), "+refs/heads/*:refs/remotes/server/*"], { cwd: work, env });
  await gitOk(["checkout", "-q", "--detach", destination], { cwd: work, env });
  const args = ["merge", "-q", "--no-edit", ...(opts.squash ? ["--squash"] : []), ...(opts.strategyOption ? ["-X", opts.strategyOption] : []), source];
  const r = await git(args, { cwd: work, env });
  try {
    if (r.code === 0) {
      if (opts.squash) return { tree: (await gitOk(["write-tree"], { cwd: work, env })).trim() };
      return { tree: (await gitOk(["rev-parse", "HEAD^{tree}"], { cwd: work, env })).trim() };
    }
    const conflicts = (await gitOk(["diff", "--name-only", "--diff-filter=U"], { cwd: work, env })).trim().split("\n").filter(Boolean);
    return { conflicts: conflicts.sort() };
  } finally {
    await git(["merge", "--abort"], { cwd: work, env });
    await gitOk(["reset", "-q", "--hard"], { cwd: work, env });
    await gitOk(["checkout", "-q", "main"], { cwd: work, env });
  }
}

/** A file's content at a commit, through the API. */
async function fileAt(commitId: string, filePath: string): Promise<string | undefined> {
  const r = await call(server.url, "sdk", "GetFile", { repositoryName: REPO, commitSpecifier: commitId, filePath });
  return r.error ? undefined : Buffer.from(r.out.fileContent).toString("utf8");
}

async function commitOf(commitId: string) {
  return (await call(server.url, "sdk", "GetCommit", { repositoryName: REPO, commitId })).out.commit;
}

const pair = (source: string, destination: string, extra: Record<string, unknown> = {}) => ({
  repositoryName: REPO,
  sourceCommitSpecifier: source,
  destinationCommitSpecifier: destination,
  ...extra,
});

describe("GetMergeOptions", () => {
  const clients: ClientKind[] = ["cli", "cli1", "sdk"];
  for (const client of clients) {
    it(`says which merges are possible (${client})`, async () => {
      const ff = await call(server.url, client, "GetMergeOptions", pair("ff", "main"));
      expect(ff.out).toEqual({ mergeOptions: ["FAST_FORWARD_MERGE", "SQUASH_MERGE", "THREE_WAY_MERGE"], sourceCommitId: c.ff, destinationCommitId: c.M, baseCommitId: c.M });
      // FILE_LEVEL (the default): a.txt changed on both sides is a conflict
      const fileLevel = await call(server.url, client, "GetMergeOptions", pair("clean", "main"));
      expect(fileLevel.out).toEqual({ mergeOptions: [], sourceCommitId: c.clean, destinationCommitId: c.M, baseCommitId: c.B });
      const lineLevel = await call(server.url, client, "GetMergeOptions", pair("clean", "main", { conflictDetailLevel: "LINE_LEVEL" }));
      expect(lineLevel.out.mergeOptions).toEqual(["SQUASH_MERGE", "THREE_WAY_MERGE"]);
    });
  }

  it("counts a strategy that settles the conflicts", async () => {
    const automerge = await call(server.url, "sdk", "GetMergeOptions", pair("clean", "main", { conflictResolutionStrategy: "AUTOMERGE" }));
    expect(automerge.out.mergeOptions).toEqual(["SQUASH_MERGE", "THREE_WAY_MERGE"]);
    const none = await call(server.url, "sdk", "GetMergeOptions", pair("conflict", "main", { conflictDetailLevel: "LINE_LEVEL" }));
    expect(none.out.mergeOptions).toEqual([]);
    const source = await call(server.url, "sdk", "GetMergeOptions", pair("conflict", "main", { conflictDetailLevel: "LINE_LEVEL", conflictResolutionStrategy: "ACCEPT_SOURCE" }));
    expect(source.out.mergeOptions).toEqual(["SQUASH_MERGE", "THREE_WAY_MERGE"]);
  });
});

describe("GetMergeConflicts", () => {
  it("reports the paths git merge stops at, with CodeCommit's metadata (CLI v2)", async () => {
    const r = await aws(server.url, [
      "codecommit", "get-merge-conflicts", "--repository-name", REPO, "--source-commit-specifier", "conflict",
      "--destination-commit-specifier", "main", "--merge-option", "THREE_WAY_MERGE", "--conflict-detail-level", "LINE_LEVEL",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.mergeable).toBe(false);
    expect([r.json.sourceCommitId, r.json.destinationCommitId, r.json.baseCommitId]).toEqual([c.conflict, c.M, c.B]);
    const paths = r.json.conflictMetadataList.map((m: { filePath: string }) => m.filePath);
    expect(paths).toEqual((await gitMerge("server/main", "server/conflict")).conflicts);
    expect(paths).toEqual(["a.txt", "c.txt"]);
    const [a, cc] = r.json.conflictMetadataList;
    expect(a).toEqual({
      filePath: "a.txt",
      fileSizes: { source: 29, destination: 25, base: 21 },
      fileModes: { source: "NORMAL", destination: "NORMAL", base: "NORMAL" },
      objectTypes: { source: "FILE", destination: "FILE", base: "FILE" },
      numberOfConflicts: 1,
      isBinaryFile: { source: false, destination: false, base: false },
      contentConflict: true,
      fileModeConflict: false,
      objectTypeConflict: false,
      mergeOperations: { source: "M", destination: "M" },
    });
    expect(cc.mergeOperations).toEqual({ source: "D", destination: "M" });
    expect(cc.objectTypes).toEqual({ destination: "FILE", base: "FILE" });
    expect(cc.contentConflict).toBe(true);
  });

  it("at FILE_LEVEL, a file changed on both sides conflicts even where git merges its lines (CLI v1)", async () => {
    const r = await call(server.url, "cli1", "GetMergeConflicts", pair("clean", "main", { mergeOption: "SQUASH_MERGE" }));
    expect(r.error).toBeUndefined();
    expect(r.out.mergeable).toBe(false);
    expect(r.out.conflictMetadataList.map((m: { filePath: string }) => m.filePath)).toEqual(["a.txt"]);
    expect((await gitMerge("server/main", "server/clean")).tree).toBeDefined();
    const line = await call(server.url, "cli1", "GetMergeConflicts", pair("clean", "main", { mergeOption: "SQUASH_MERGE", conflictDetailLevel: "LINE_LEVEL" }));
    expect(line.out).toMatchObject({ mergeable: true, conflictMetadataList: [] });
  });

  it("pages by maxConflictFiles and nextToken; fast-forward asks only whether one is possible", async () => {
    const first = await call(server.url, "sdk", "GetMergeConflicts", pair("conflict", "main", { mergeOption: "THREE_WAY_MERGE", maxConflictFiles: 1 }));
    expect(first.out.conflictMetadataList.map((m: { filePath: string }) => m.filePath)).toEqual(["a.txt"]);
    expect(first.out.nextToken).toBeTruthy();
    const second = await call(server.url, "sdk", "GetMergeConflicts", pair("conflict", "main", { mergeOption: "THREE_WAY_MERGE", maxConflictFiles: 1, nextToken: first.out.nextToken }));
    expect(second.out.conflictMetadataList.map((m: { filePath: string }) => m.filePath)).toEqual(["c.txt"]);
    expect(second.out.nextToken).toBeUndefined();
    // a token of another query is refused
    const other = await call(server.url, "sdk", "GetMergeConflicts", pair("conflict", "main", { mergeOption: "SQUASH_MERGE", nextToken: first.out.nextToken }));
    expect(other.error).toBe("InvalidContinuationTokenException");
    const ff = await call(server.url, "sdk", "GetMergeConflicts", pair("ff", "main", { mergeOption: "FAST_FORWARD_MERGE" }));
    expect(ff.out).toMatchObject({ mergeable: true, conflictMetadataList: [] });
    const noFf = await call(server.url, "sdk", "GetMergeConflicts", pair("clean", "main", { mergeOption: "FAST_FORWARD_MERGE" }));
    expect(noFf.out.mergeable).toBe(false);
  });
});

describe("DescribeMergeConflicts and BatchDescribeMergeConflicts", () => {
  it("gives a file's merge hunks with base, source and destination ranges (CLI v2)", async () => {
    const r = await call(server.url, "cli", "DescribeMergeConflicts", pair("conflict", "main", { mergeOption: "THREE_WAY_MERGE", filePath: "a.txt" }));
    expect(r.error).toBeUndefined();
    expect(r.out.conflictMetadata.filePath).toBe("a.txt");
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    expect(r.out.mergeHunks).toEqual([
      {
        isConflict: true,
        source: { startLine: 8, endLine: 9, hunkContent: b64("9conflict\n") },
        destination: { startLine: 8, endLine: 9, hunkContent: b64("9main\n") },
        base: { startLine: 8, endLine: 9, hunkContent: b64("9\n") },
      },
    ]);
    expect(r.out.nextToken).toBeUndefined();
    expect([r.out.sourceCommitId, r.out.destinationCommitId, r.out.baseCommitId]).toEqual([c.conflict, c.M, c.B]);
  });

  it("pages hunks by maxMergeHunks (SDK); refuses fast-forward, a missing path and a missing file", async () => {
    // clean into main at FILE_LEVEL: a.txt has two hunks, one from each side, neither conflicting
    const first = await call(server.url, "sdk", "DescribeMergeConflicts", pair("clean", "main", { mergeOption: "SQUASH_MERGE", filePath: "a.txt", maxMergeHunks: 1 }));
    expect(first.error).toBeUndefined();
    expect(first.out.mergeHunks).toHaveLength(1);
    expect(first.out.mergeHunks[0].isConflict).toBe(false);
    expect(Buffer.from(first.out.mergeHunks[0].source.hunkContent, "base64").toString()).toBe("2clean\n");
    const second = await call(server.url, "sdk", "DescribeMergeConflicts", {
      ...pair("clean", "main", { mergeOption: "SQUASH_MERGE", filePath: "a.txt", maxMergeHunks: 1 }),
      nextToken: first.out.nextToken,
    });
    expect(Buffer.from(second.out.mergeHunks[0].destination.hunkContent, "base64").toString()).toBe("9main\n");
    expect(second.out.nextToken).toBeUndefined();

    const errs = await Promise.all([
      call(server.url, "sdk", "DescribeMergeConflicts", pair("conflict", "main", { mergeOption: "FAST_FORWARD_MERGE", filePath: "a.txt" })),
      call(server.url, "sdk", "DescribeMergeConflicts", pair("conflict", "main", { mergeOption: "THREE_WAY_MERGE" })),
      call(server.url, "sdk", "DescribeMergeConflicts", pair("conflict", "main", { mergeOption: "THREE_WAY_MERGE", filePath: "nowhere.txt" })),
      call(server.url, "sdk", "DescribeMergeConflicts", pair("conflict", "main", { mergeOption: "THREE_WAY_MERGE", filePath: "a.txt", maxMergeHunks: 0 })),
    ]);
    expect(errs.map((e) => e.error)).toEqual(["InvalidMergeOptionException", "PathRequiredException", "FileDoesNotExistException", "InvalidMaxMergeHunksException"]);
  });

  it("describes every conflict at once, with an error per unknown path (CLI v1 and SDK)", async () => {
    for (const client of ["cli1", "sdk"] as const) {
      const all = await call(server.url, client, "BatchDescribeMergeConflicts", pair("conflict", "main", { mergeOption: "THREE_WAY_MERGE" }));
      expect(all.error).toBeUndefined();
      expect(all.out.conflicts.map((x: { conflictMetadata: { filePath: string } }) => x.conflictMetadata.filePath)).toEqual(["a.txt", "c.txt"]);
      expect(all.out.conflicts[0].mergeHunks[0].isConflict).toBe(true);
      expect(all.out.errors).toEqual([]);
      const some = await call(server.url, client, "BatchDescribeMergeConflicts", pair("conflict", "main", { mergeOption: "SQUASH_MERGE", filePaths: ["c.txt", "nope.txt"] }));
      expect(some.out.conflicts.map((x: { conflictMetadata: { filePath: string } }) => x.conflictMetadata.filePath)).toEqual(["c.txt"]);
      expect(some.out.errors).toEqual([expect.objectContaining({ filePath: "nope.txt", exceptionName: "FileDoesNotExistException" })]);
    }
    const paged = await call(server.url, "sdk", "BatchDescribeMergeConflicts", pair("conflict", "main", { mergeOption: "THREE_WAY_MERGE", maxConflictFiles: 1 }));
    expect(paged.out.conflicts).toHaveLength(1);
    const rest = await call(server.url, "sdk", "BatchDescribeMergeConflicts", pair("conflict", "main", { mergeOption: "THREE_WAY_MERGE", maxConflictFiles: 1, nextToken: paged.out.nextToken }));
    expect(rest.out.conflicts[0].conflictMetadata.filePath).toBe("c.txt");
    expect((await call(server.url, "sdk", "BatchDescribeMergeConflicts", pair("conflict", "main", { mergeOption: "FAST_FORWARD_MERGE" }))).error).toBe("InvalidMergeOptionException");
  });
});

describe("merges compared with git merge", () => {
  it("MergeBranchesByThreeWay makes git's tree, with the author, email and message given, and moves the branch (CLI v2)", async () => {
    await branchAt("t-three", c.M);
    const r = await aws(server.url, [
      "codecommit", "merge-branches-by-three-way", "--repository-name", REPO, "--source-commit-specifier", "clean",
      "--destination-commit-specifier", "t-three", "--conflict-detail-level", "LINE_LEVEL",
      "--author-name", "Maria Garcia", "--email", "maria@example.com", "--commit-message", "Merging clean",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.treeId).toBe((await gitMerge("server/main", "server/clean")).tree);
    expect(await tip("t-three")).toBe(r.json.commitId);
    const made = await commitOf(r.json.commitId);
    expect(made.parents).toEqual([c.M, c.clean]);
    expect(made.author).toMatchObject({ name: "Maria Garcia", email: "maria@example.com" });
    expect(made.committer).toMatchObject({ name: "Maria Garcia", email: "maria@example.com" });
    expect(made.message).toBe("Merging clean");
    // what git clones is the same merge
    const dir = tmpDir("merge-clone");
    await gitOk(["clone", "-q", "-b", "t-three", url(), dir], { env });
    expect(fs.readFileSync(path.join(dir, "a.txt"), "utf8")).toBe(lines(10, { 2: "2clean", 9: "9main" }));
    expect(fs.existsSync(path.join(dir, "b.txt"))).toBe(false);
    // recorded in the ledger as the caller's API change
    const events = query<{ refs: string; actor_arn: string; source: string }>(server.dataDir, "select refs, actor_arn, source from ref_events where repository_name = ? order by id", REPO);
    const last = events[events.length - 1]!;
    expect({ ...last, refs: JSON.parse(last.refs) }).toEqual({
      source: "api",
      actor_arn: ADMIN_ARN,
      refs: [{ ref: "refs/heads/t-three", oldCommit: c.M, newCommit: r.json.commitId }],
    });
  });

  it("MergeBranchesBySquash makes the same tree on one parent, with the defaults for author and message (CLI v1)", async () => {
    await branchAt("t-squash", c.M);
    const r = await call(server.url, "cli1", "MergeBranchesBySquash", pair("clean", "t-squash", { conflictDetailLevel: "LINE_LEVEL" }));
    expect(r.error).toBeUndefined();
    expect(r.out.treeId).toBe((await gitMerge("server/main", "server/clean", { squash: true })).tree);
    const made = await commitOf(r.out.commitId);
    expect(made.parents).toEqual([c.M]);
    expect(made.author.name).toBe("admin");
    expect(made.message).toBe("Squash merge of clean into t-squash");
    expect(await tip("t-squash")).toBe(r.out.commitId);
  });

  it("MergeBranchesByFastForward moves the branch to the source, or refuses when it cannot (SDK)", async () => {
    await branchAt("t-ff", c.M);
    const r = await call(server.url, "sdk", "MergeBranchesByFastForward", pair("ff", "t-ff"));
    expect(r.out).toEqual({ commitId: c.ff, treeId: (await commitOf(c.ff)).treeId });
    expect(await tip("t-ff")).toBe(c.ff);
    const refused = await call(server.url, "sdk", "MergeBranchesByFastForward", pair("clean", "t-ff"));
    expect(refused.error).toBe("ManualMergeRequiredException");
    expect(await tip("t-ff")).toBe(c.ff);
    // targetBranch: merge ff's history into another branch than the destination names
    await branchAt("t-ff2", c.M);
    const targeted = await call(server.url, "cli", "MergeBranchesByFastForward", pair("ff", c.M, { targetBranch: "t-ff2" }));
    expect(targeted.out.commitId).toBe(c.ff);
    expect(await tip("t-ff2")).toBe(c.ff);
  });

  it("CreateUnreferencedMergeCommit makes the merge commit and moves nothing (SDK and CLI v2)", async () => {
    const before = await tip("main");
    for (const client of ["sdk", "cli"] as const) {
      const r = await call(server.url, client, "CreateUnreferencedMergeCommit", pair("clean", "main", { mergeOption: "THREE_WAY_MERGE", conflictDetailLevel: "LINE_LEVEL", commitMessage: "try" }));
      expect(r.error).toBeUndefined();
      expect(r.out.treeId).toBe((await gitMerge("server/main", "server/clean")).tree);
      expect((await commitOf(r.out.commitId)).parents).toEqual([c.M, c.clean]);
    }
    expect(await tip("main")).toBe(before);
    const squash = await call(server.url, "sdk", "CreateUnreferencedMergeCommit", pair("clean", "main", { mergeOption: "SQUASH_MERGE", conflictDetailLevel: "LINE_LEVEL" }));
    expect((await commitOf(squash.out.commitId)).parents).toEqual([c.M]);
    const errs = await Promise.all([
      call(server.url, "sdk", "CreateUnreferencedMergeCommit", pair("clean", "main", { mergeOption: "FAST_FORWARD_MERGE" })),
      call(server.url, "sdk", "CreateUnreferencedMergeCommit", pair("clean", "main")),
      call(server.url, "sdk", "CreateUnreferencedMergeCommit", pair("conflict", "main", { mergeOption: "THREE_WAY_MERGE", conflictDetailLevel: "LINE_LEVEL" })),
    ]);
    expect(errs.map((e) => e.error)).toEqual(["InvalidMergeOptionException", "MergeOptionRequiredException", "ManualMergeRequiredException"]);
  });

  it("ACCEPT_SOURCE and ACCEPT_DESTINATION take one side whole; AUTOMERGE at FILE_LEVEL merges git's lines", async () => {
    const accept = async (strategy: string, level = "LINE_LEVEL") => {
      const r = await call(server.url, "sdk", "CreateUnreferencedMergeCommit", pair("conflict", "main", { mergeOption: "THREE_WAY_MERGE", conflictDetailLevel: level, conflictResolutionStrategy: strategy }));
      expect(r.error).toBeUndefined();
      return r.out.commitId as string;
    };
    const theirs = await accept("ACCEPT_SOURCE");
    expect(await fileAt(theirs, "a.txt")).toBe(lines(10, { 9: "9conflict" }));
    expect(await fileAt(theirs, "c.txt")).toBeUndefined(); // the source deleted it
    expect(await fileAt(theirs, "d/e.txt")).toBe("e2\n"); // merged cleanly, kept
    const ours = await accept("ACCEPT_DESTINATION");
    expect(await fileAt(ours, "a.txt")).toBe(lines(10, { 9: "9main" }));
    expect(await fileAt(ours, "c.txt")).toBe("c-main\n");
    // git's -X ours gives the destination's side of each conflicting hunk: the same tree here
    const gitOurs = await gitMerge("server/main", "server/conflict", { strategyOption: "ours" });
    expect(gitOurs.conflicts ?? []).toEqual(["c.txt"]); // -X does not settle a modify/delete
    const auto = await call(server.url, "sdk", "CreateUnreferencedMergeCommit", pair("clean", "main", { mergeOption: "THREE_WAY_MERGE", conflictResolutionStrategy: "AUTOMERGE" }));
    expect(auto.out.treeId).toBe((await gitMerge("server/main", "server/clean")).tree);
  });

  it("conflictResolution settles each conflict by its entry; keepEmptyFolders keeps an emptied folder (CLI v2 and SDK)", async () => {
    await branchAt("t-resolved", c.M);
    const content = "resolved\n";
    const r = await call(server.url, "cli", "MergeBranchesByThreeWay", pair("conflict", "t-resolved", {
      conflictDetailLevel: "LINE_LEVEL",
      conflictResolutionStrategy: "AUTOMERGE",
      conflictResolution: {
        replaceContents: [{ filePath: "a.txt", replacementType: "USE_NEW_CONTENT", content: Buffer.from(content).toString("base64"), fileMode: "EXECUTABLE" }],
        deleteFiles: [{ filePath: "c.txt" }],
      },
    }));
    expect(r.error).toBeUndefined();
    expect(await fileAt(r.out.commitId, "a.txt")).toBe(content);
    expect(await fileAt(r.out.commitId, "c.txt")).toBeUndefined();
    const folder = await call(server.url, "sdk", "GetFolder", { repositoryName: REPO, commitSpecifier: r.out.commitId, folderPath: "/" });
    const files = Object.fromEntries(folder.out.files.map((f: { relativePath: string; fileMode: string }) => [f.relativePath, f.fileMode]));
    expect(files).toMatchObject({ "a.txt": "EXECUTABLE", "tool.sh": "EXECUTABLE", "m.txt": "NORMAL" });
    expect(await tip("t-resolved")).toBe(r.out.commitId);

    // KEEP_BASE with a mode, and setFileModes (SDK: content as bytes)
    const kept = await call(server.url, "sdk", "CreateUnreferencedMergeCommit", pair("conflict", "main", {
      mergeOption: "SQUASH_MERGE",
      conflictDetailLevel: "LINE_LEVEL",
      conflictResolution: {
        replaceContents: [{ filePath: "a.txt", replacementType: "KEEP_BASE" }, { filePath: "c.txt", replacementType: "USE_NEW_CONTENT", content: Buffer.from("new c\n") }],
        setFileModes: [{ filePath: "c.txt", fileMode: "EXECUTABLE" }],
      },
    }));
    expect(kept.error).toBeUndefined();
    expect(await fileAt(kept.out.commitId, "a.txt")).toBe(lines(10));
    expect(await fileAt(kept.out.commitId, "c.txt")).toBe("new c\n");
  });

  it("a resolution that deletes a folder's last file keeps the folder with .gitkeep when asked", async () => {
    const dir = tmpDir("merge-keep");
    const repo = "merging-keep";
    await gitOk(["init", "-q", "-b", "main", dir], { env });
    await commit(dir, "base", { "top.txt": "t\n", "only/x.txt": "x\n" });
    await gitOk(["branch", "side"], { cwd: dir, env });
    await commit(dir, "main", { "only/x.txt": "x-main\n" });
    await gitOk(["checkout", "-q", "side"], { cwd: dir, env });
    await commit(dir, "side", { "only/x.txt": "x-side\n" });
    expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: repo })).error).toBeUndefined();
    await gitOk(["push", "-q", url(repo), "main", "side"], { cwd: dir, env });
    const merge = (keepEmptyFolders: boolean) =>
      call(server.url, "sdk", "CreateUnreferencedMergeCommit", {
        repositoryName: repo, sourceCommitSpecifier: "side", destinationCommitSpecifier: "main", mergeOption: "THREE_WAY_MERGE",
        keepEmptyFolders, conflictResolution: { deleteFiles: [{ filePath: "only/x.txt" }] },
      });
    const kept = await merge(true);
    expect(kept.error).toBeUndefined();
    const folder = await call(server.url, "sdk", "GetFolder", { repositoryName: repo, commitSpecifier: kept.out.commitId, folderPath: "only" });
    expect(folder.out.files.map((f: { relativePath: string }) => f.relativePath)).toEqual([".gitkeep"]);
    const dropped = await merge(false);
    const root = await call(server.url, "sdk", "GetFolder", { repositoryName: repo, commitSpecifier: dropped.out.commitId, folderPath: "/" });
    expect(root.out.subFolders).toEqual([]);
  });

  it("GetMergeCommit names the commit that merged the source, once it is merged", async () => {
    await branchAt("t-gmc", c.M);
    const before = await call(server.url, "sdk", "GetMergeCommit", pair("clean", "t-gmc"));
    expect(before.out).toEqual({ sourceCommitId: c.clean, destinationCommitId: c.M, baseCommitId: c.B });
    const merged = await call(server.url, "sdk", "MergeBranchesByThreeWay", pair("clean", "t-gmc", { conflictDetailLevel: "LINE_LEVEL" }));
    for (const client of ["cli", "cli1", "sdk"] as const) {
      const after = await call(server.url, client, "GetMergeCommit", pair("clean", "t-gmc"));
      expect(after.out).toEqual({ sourceCommitId: c.clean, destinationCommitId: merged.out.commitId, baseCommitId: c.clean, mergedCommitId: merged.out.commitId });
    }
    // fast-forwarded: the source itself is on the destination's line
    const ff = await call(server.url, "sdk", "GetMergeCommit", pair("main", "ff"));
    expect(ff.out.mergedCommitId).toBe(c.M);
  });
});

describe("errors", () => {
  it("answers each bad request with the model's error and changes nothing", async () => {
    await branchAt("t-errors", c.M);
    const ref = (extra: Record<string, unknown>) => ({ repositoryName: REPO, sourceCommitSpecifier: "clean", destinationCommitSpecifier: "t-errors", ...extra });
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      ["missing repository", "MergeBranchesByThreeWay", ref({ repositoryName: "no-such-repo" }), "RepositoryDoesNotExistException"],
      ["no repository name", "GetMergeOptions", ref({ repositoryName: undefined }), "RepositoryNameRequiredException"],
      ["no source", "MergeBranchesBySquash", ref({ sourceCommitSpecifier: undefined }), "CommitRequiredException"],
      ["unknown source", "MergeBranchesByThreeWay", ref({ sourceCommitSpecifier: "no-such-branch" }), "CommitDoesNotExistException"],
      ["malformed source", "GetMergeOptions", ref({ sourceCommitSpecifier: "bad..name" }), "InvalidCommitException"],
      ["malformed source (GetMergeConflicts)", "GetMergeConflicts", ref({ sourceCommitSpecifier: "bad..name", mergeOption: "SQUASH_MERGE" }), "InvalidSourceCommitSpecifierException"],
      ["malformed destination (GetMergeConflicts)", "GetMergeConflicts", ref({ destinationCommitSpecifier: "bad..name", mergeOption: "SQUASH_MERGE" }), "InvalidDestinationCommitSpecifierException"],
      ["missing target branch", "MergeBranchesByThreeWay", ref({ targetBranch: "no-such-branch" }), "BranchDoesNotExistException"],
      ["invalid target branch", "MergeBranchesBySquash", ref({ targetBranch: "bad..name" }), "InvalidBranchNameException"],
      ["a tag as target", "MergeBranchesByFastForward", ref({ sourceCommitSpecifier: "ff", targetBranch: "refs/tags/v1" }), "InvalidTargetBranchException"],
      ["a commit ID as destination, no target", "MergeBranchesByFastForward", ref({ sourceCommitSpecifier: "ff", destinationCommitSpecifier: c.M }), "InvalidTargetBranchException"],
      ["HEAD as destination, no target", "MergeBranchesByThreeWay", ref({ destinationCommitSpecifier: "HEAD" }), "InvalidTargetBranchException"],
      ["empty target branch", "MergeBranchesByThreeWay", ref({ targetBranch: "" }), "BranchNameRequiredException"],
      ["bad detail level", "MergeBranchesByThreeWay", ref({ conflictDetailLevel: "WORD_LEVEL" }), "InvalidConflictDetailLevelException"],
      ["bad strategy", "MergeBranchesBySquash", ref({ conflictResolutionStrategy: "ACCEPT_BOTH" }), "InvalidConflictResolutionStrategyException"],
      ["bad merge option", "GetMergeConflicts", ref({ mergeOption: "OCTOPUS_MERGE" }), "InvalidMergeOptionException"],
      ["no merge option", "GetMergeConflicts", ref({}), "MergeOptionRequiredException"],
      ["bad maxConflictFiles", "GetMergeConflicts", ref({ mergeOption: "SQUASH_MERGE", maxConflictFiles: 0 }), "InvalidMaxConflictFilesException"],
      ["bad token", "GetMergeConflicts", ref({ mergeOption: "SQUASH_MERGE", nextToken: "not-a-token" }), "InvalidContinuationTokenException"],
      ["conflicts left", "MergeBranchesByThreeWay", ref({}), "ManualMergeRequiredException"],
      ["long name", "MergeBranchesByThreeWay", ref({ authorName: "x".repeat(1025) }), "NameLengthExceededException"],
      ["bad email", "MergeBranchesBySquash", ref({ email: "a<b>" }), "InvalidEmailException"],
      ["long message", "MergeBranchesByThreeWay", ref({ commitMessage: "x".repeat(256 * 1024 + 1) }), "CommitMessageLengthExceededException"],
    ];
    const resolution = (conflictResolution: unknown) => ref({ sourceCommitSpecifier: "conflict", conflictDetailLevel: "LINE_LEVEL", conflictResolution });
    cases.push(
      ["resolution of a path without conflict", "MergeBranchesByThreeWay", resolution({ deleteFiles: [{ filePath: "m.txt" }] }), "InvalidConflictResolutionException"],
      ["no replacement type", "MergeBranchesByThreeWay", resolution({ replaceContents: [{ filePath: "a.txt" }] }), "ReplacementTypeRequiredException"],
      ["bad replacement type", "MergeBranchesByThreeWay", resolution({ replaceContents: [{ filePath: "a.txt", replacementType: "KEEP_BOTH" }] }), "InvalidReplacementTypeException"],
      ["new content missing", "MergeBranchesByThreeWay", resolution({ replaceContents: [{ filePath: "a.txt", replacementType: "USE_NEW_CONTENT" }] }), "ReplacementContentRequiredException"],
      ["content with KEEP_SOURCE", "MergeBranchesByThreeWay", resolution({ replaceContents: [{ filePath: "a.txt", replacementType: "KEEP_SOURCE", content: Buffer.from("x") }] }), "InvalidReplacementContentException"],
      ["two entries for one path", "MergeBranchesByThreeWay", resolution({ replaceContents: [{ filePath: "a.txt", replacementType: "KEEP_SOURCE" }], deleteFiles: [{ filePath: "a.txt" }] }), "MultipleConflictResolutionEntriesException"],
      ["no file mode", "MergeBranchesBySquash", resolution({ setFileModes: [{ filePath: "a.txt" }] }), "FileModeRequiredException"],
      ["bad file mode", "MergeBranchesBySquash", resolution({ setFileModes: [{ filePath: "a.txt", fileMode: "WRITABLE" }] }), "InvalidFileModeException"],
      ["no path", "MergeBranchesBySquash", resolution({ deleteFiles: [{}] }), "PathRequiredException"],
      ["bad path", "MergeBranchesBySquash", resolution({ deleteFiles: [{ filePath: "a/../b" }] }), "InvalidPathException"],
      ["too many entries", "MergeBranchesBySquash", resolution({ deleteFiles: Array.from({ length: 101 }, (_, i) => ({ filePath: `f${i}` })) }), "MaximumConflictResolutionEntriesExceededException"],
      ["content too large", "CreateUnreferencedMergeCommit", { ...resolution({ replaceContents: [{ filePath: "a.txt", replacementType: "USE_NEW_CONTENT", content: Buffer.alloc(6 * 1024 * 1024 + 1) }] }), mergeOption: "SQUASH_MERGE" }, "FileContentSizeLimitExceededException"],
    );
    await gitOk(["push", "-q", url(), `${c.M}:refs/tags/v1`], { cwd: work, env });
    const events = () => query(server.dataDir, "select id from ref_events").length;
    const before = events();
    for (const [what, op, input, code] of cases) {
      const r = await call(server.url, "sdk", op, input);
      expect(`${what}: ${r.error}`).toBe(`${what}: ${code}`);
      expect(r.message, what).toBeTruthy();
    }
    expect(await tip("t-errors")).toBe(c.M);
    expect(events()).toBe(before); // no ref moved
    // the CLI prints the same codes
    const cli = await aws(server.url, ["codecommit", "merge-branches-by-three-way", "--repository-name", REPO, "--source-commit-specifier", "conflict", "--destination-commit-specifier", "t-errors", "--conflict-resolution-strategy", "BOTH"]);
    expect(cliErrorCode(cli)).toBe("InvalidConflictResolutionStrategyException");
  });

  it("merging what the destination already has changes nothing", async () => {
    await branchAt("t-same", c.M);
    for (const op of ["MergeBranchesByFastForward", "MergeBranchesBySquash", "MergeBranchesByThreeWay"]) {
      const same = await call(server.url, "sdk", op, pair("t-same", "t-same"));
      expect(same.out, op).toEqual({ commitId: c.M, treeId: (await commitOf(c.M)).treeId });
    }
    const older = await call(server.url, "sdk", "MergeBranchesByThreeWay", pair(c.B, "t-same"));
    expect(older.out.commitId).toBe(c.M);
    expect(await tip("t-same")).toBe(c.M);
    const ffBack = await call(server.url, "sdk", "MergeBranchesByFastForward", pair(c.B, "t-same"));
    expect(ffBack.error).toBe("ManualMergeRequiredException");
  });

  it("merges racing on one branch: each lands on the one before it or gets ConcurrentReferenceUpdateException, none is lost", async () => {
    const dir = tmpDir("merge-race");
    const repo = "merging-race";
    await gitOk(["init", "-q", "-b", "main", dir], { env });
    await commit(dir, "base", { "base.txt": "b\n" });
    const sources: string[] = [];
    for (let i = 0; i < 8; i++) {
      await gitOk(["checkout", "-q", "-b", `s${i}`, "main"], { cwd: dir, env });
      await commit(dir, `s${i}`, { [`s${i}.txt`]: `${i}\n` });
      sources.push(`s${i}`);
    }
    await gitOk(["checkout", "-q", "main"], { cwd: dir, env });
    expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: repo })).error).toBeUndefined();
    await gitOk(["push", "-q", url(repo), "main", ...sources], { cwd: dir, env });
    const results = await Promise.all(
      sources.map((s) => call(server.url, "sdk", "MergeBranchesByThreeWay", { repositoryName: repo, sourceCommitSpecifier: s, destinationCommitSpecifier: "main" })),
    );
    const landed = sources.filter((_, i) => !results[i]!.error);
    for (const r of results) if (r.error) expect(r.error).toBe("ConcurrentReferenceUpdateException");
    expect(landed.length).toBeGreaterThan(0);
    const final = await tip("main", repo);
    const root = await call(server.url, "sdk", "GetFolder", { repositoryName: repo, commitSpecifier: final, folderPath: "/" });
    const files = root.out.files.map((f: { relativePath: string }) => f.relativePath).sort();
    expect(files).toEqual(["base.txt", ...landed.map((s) => `${s}.txt`)].sort());
    // each successful merge is in main's history: first parents chain them
    const chain = query<{ refs: string }>(server.dataDir, "select refs from ref_events where repository_name = ? and source = 'api' order by id", repo).map((r) => JSON.parse(r.refs)[0]);
    expect(chain).toHaveLength(landed.length);
    for (let i = 1; i < chain.length; i++) expect(chain[i].oldCommit).toBe(chain[i - 1].newCommit);
    expect(chain[chain.length - 1].newCommit).toBe(final);
  });
});

describe("triggers and branch protection", () => {
  it("a merge fires the repository's trigger with the destination's reference change", async () => {
    const sub = await Subscriber.start();
    try {
      const { topicArn } = await topicWithSubscriber(server, "merges", sub);
      const repo = "merging-trigger";
      await repoWithTrigger(server, repo, topicArn);
      const dir = tmpDir("merge-trig");
      await gitOk(["init", "-q", "-b", "main", dir], { env });
      await commit(dir, "base", { "x.txt": "x\n" });
      await gitOk(["checkout", "-q", "-b", "topic"], { cwd: dir, env });
      await commit(dir, "topic", { "y.txt": "y\n" });
      await gitOk(["checkout", "-q", "main"], { cwd: dir, env });
      await commit(dir, "more", { "z.txt": "z\n" });
      await gitOk(["push", "-q", url(repo), "main", "topic"], { cwd: dir, env });
      const pushed = (await sub.waitFor((rs) => (notificationsIn(rs).length >= 1 ? rs : undefined)), notificationsIn(sub.received).length);
      const m = await call(server.url, "cli", "MergeBranchesByThreeWay", { repositoryName: repo, sourceCommitSpecifier: "topic", destinationCommitSpecifier: "main" });
      expect(m.error).toBeUndefined();
      const n = await sub.waitFor((rs) =>
        notificationsIn(rs).slice(pushed - 1).find((x) => JSON.parse(x.json.Message).Records.some((rec: { codecommit: { references: Array<{ commit: string }> } }) => rec.codecommit.references[0]!.commit === m.out.commitId)),
      );
      const record = JSON.parse(n.json.Message).Records[0];
      expect(record.codecommit.references[0]).toMatchObject({ ref: "refs/heads/main", commit: m.out.commitId });
      expect(record.userIdentityARN).toBe(ADMIN_ARN);
    } finally {
      await sub.close();
    }
  });

  it("AWS's branch-protection policy refuses MergeBranchesBy* into main and allows them elsewhere", async () => {
    const deny = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Action: [
            "codecommit:GitPush", "codecommit:DeleteBranch", "codecommit:PutFile",
            "codecommit:MergeBranchesByFastForward", "codecommit:MergeBranchesBySquash", "codecommit:MergeBranchesByThreeWay",
            "codecommit:MergePullRequestByFastForward", "codecommit:MergePullRequestBySquash", "codecommit:MergePullRequestByThreeWay",
          ],
          Resource: `arn:aws:codecommit:us-east-1:000000000000:${REPO}`,
          Condition: { StringEqualsIfExists: { "codecommit:References": ["refs/heads/main"] }, Null: { "codecommit:References": "false" } },
        },
      ],
    };
    const dev = await userWith(server.url, "merge-dev", { inline: deny, managed: [managed("AWSCodeCommitPowerUser")] });
    const mainBefore = await tip("main");
    const refused: Array<[string, Record<string, unknown>]> = [
      ["MergeBranchesByFastForward", pair("ff", "main")],
      ["MergeBranchesBySquash", pair("clean", "main", { conflictDetailLevel: "LINE_LEVEL" })],
      ["MergeBranchesByThreeWay", pair("clean", "main", { conflictDetailLevel: "LINE_LEVEL" })],
      ["MergeBranchesByThreeWay", pair("clean", c.M, { targetBranch: "main", conflictDetailLevel: "LINE_LEVEL" })],
      ["MergeBranchesByThreeWay", pair("clean", "refs/heads/main", { conflictDetailLevel: "LINE_LEVEL" })],
    ];
    for (const [op, input] of refused) {
      const r = await call(server.url, "sdk", op, input, dev);
      expect(r.error, `${op} ${JSON.stringify(input)}`).toBe("AccessDeniedException");
    }
    expect(await tip("main")).toBe(mainBefore);
    const cli = await aws(server.url, ["codecommit", "merge-branches-by-fast-forward", "--repository-name", REPO, "--source-commit-specifier", "ff", "--destination-commit-specifier", "main"], { creds: dev });
    expect(cliErrorCode(cli)).toBe("AccessDeniedException");

    for (const [i, op] of ["MergeBranchesByFastForward", "MergeBranchesBySquash", "MergeBranchesByThreeWay"].entries()) {
      await branchAt(`dev-${i}`, c.M);
      const r = await call(server.url, "sdk", op, pair(op.endsWith("FastForward") ? "ff" : "clean", `dev-${i}`, { conflictDetailLevel: "LINE_LEVEL" }), dev);
      expect(r.error, op).toBeUndefined();
      expect(await tip(`dev-${i}`)).toBe(r.out.commitId);
    }
    // reading conflicts is not a branch change: allowed on main
    expect((await call(server.url, "sdk", "GetMergeConflicts", pair("clean", "main", { mergeOption: "THREE_WAY_MERGE" }), dev)).error).toBeUndefined();
  });
});
