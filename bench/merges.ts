/**
 * Merges on a repository of 20,000 commits and 50,000 files: two branches that differ by 100
 * files (50 changed on each side since their merge base), merged cleanly.
 *
 * - Headwater: GetMergeConflicts (THREE_WAY_MERGE) and MergeBranchesByThreeWay into a fresh
 *   branch at main's tip each run (git merge-tree, no work tree), one request at a time.
 * - Baseline, what a merge costs without a server that merges: `git checkout` + `git merge` in
 *   a work tree. Cold: a clone without a checkout (its index empty), so the checkout writes the
 *   50,000 files, as a bot or CI job merging for you would. Warm: a work tree already at main,
 *   so only `git checkout -B` of a new branch and `git merge` are timed (a person's own clone).
 */
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { CodeCommitClient, CreateBranchCommand, CreateRepositoryCommand, GetBranchCommand } from "@aws-sdk/client-codecommit";
import { ADMIN, startServer } from "../test/helpers/server.js";
import { signed } from "./api.js";
import { load, type ContentRow } from "./content.js";
import { headwaterUrl } from "./git-transfer.js";
import { fastImportRepo, run } from "./lib/gen-repo.js";

const FILES = 50_000;
const COMMITS = 20_000;
const SIDE = 50;
const filePath = (i: number) => `src/dir${i % 100}/file${i}.txt`;

export interface MergeBenchResult {
  commits: number;
  files: number;
  runs: number;
  /** medians, seconds */
  seconds: { getMergeConflicts: number; mergeThreeWay: number; coldCheckoutMerge: number; warmCheckoutMerge: number };
  /** GetPullRequest over 20 pull requests, 16 connections: as fast as possible, and at 200 req/s */
  getPullRequest: Array<Omit<ContentRow, "operation" | "target">>;
}

/** main: one commit adding 50,000 files, then single-file edits; feature and main then each change 50 other files. */
async function generate(dir: string): Promise<void> {
  await fastImportRepo(dir, async ({ write, data }) => {
    const at = (i: number) => `committer Bench <bench@example.com> ${1_700_000_000 + i} +0000\n`;
    await write(`commit refs/heads/main\n${at(0)}${data("50,000 files\n")}`);
    for (let i = 0; i < FILES; i++) await write(`M 100644 inline ${filePath(i)}\n${data(`file ${i}\nsecond line\nthird line\n`)}`);
    for (let c = 1; c < COMMITS - 1; c++) {
      await write(`commit refs/heads/main\n${at(c)}${data(`edit ${c}\n`)}`);
      await write(`M 100644 inline ${filePath((c * 7919) % FILES)}\n${data(`file edited by commit ${c}\nsecond line\nthird line\n`)}`);
    }
    // the branch point, then one commit on each side, 50 files each, no file on both
    await write(`reset refs/heads/feature\nfrom refs/heads/main\n\n`);
    await write(`commit refs/heads/feature\n${at(COMMITS)}${data("feature: 50 files\n")}`);
    for (let i = 0; i < SIDE; i++) await write(`M 100644 inline ${filePath(i * 2)}\n${data(`feature's version of ${i * 2}\n`)}`);
    await write(`commit refs/heads/main\n${at(COMMITS + 1)}${data("main: 50 files\n")}`);
    for (let i = 0; i < SIDE; i++) await write(`M 100644 inline ${filePath(i * 2 + 1)}\n${data(`main's version of ${i * 2 + 1}\n`)}`);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function callOk(url: string, op: string, body: object): Promise<void> {
  const s = await signed(url, op, body);
  const r = await fetch(url, { method: "POST", headers: s.headers, body: s.body });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${op}: ${r.status} ${text}`);
}

export async function benchMerges(work: string, opts: { runs: number; seconds: number }): Promise<MergeBenchResult> {
  const source = path.join(work, "merges-source.git");
  await generate(source);
  const server = await startServer({ dataDir: path.join(work, "merges-data-" + Date.now()) });
  const baseline = path.join(work, "merges-baseline-" + Date.now());
  try {
    const sdk = new CodeCommitClient({ endpoint: server.url, region: "us-east-1", credentials: ADMIN, maxAttempts: 1 });
    await sdk.send(new CreateRepositoryCommand({ repositoryName: "merges" }));
    await run("git", ["--git-dir", source, "push", "-q", headwaterUrl(server, "merges"), "main", "feature"]);
    const main = (await sdk.send(new GetBranchCommand({ repositoryName: "merges", branchName: "main" }))).branch!.commitId!;

    const conflicts: number[] = [];
    const merges: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      conflicts.push(
        await timed(() => callOk(server.url, "GetMergeConflicts", { repositoryName: "merges", sourceCommitSpecifier: "feature", destinationCommitSpecifier: "main", mergeOption: "THREE_WAY_MERGE" })),
      );
      await sdk.send(new CreateBranchCommand({ repositoryName: "merges", branchName: `target-${i}`, commitId: main }));
      merges.push(
        await timed(() =>
          callOk(server.url, "MergeBranchesByThreeWay", { repositoryName: "merges", sourceCommitSpecifier: "feature", destinationCommitSpecifier: `target-${i}`, targetBranch: `target-${i}` }),
        ),
      );
    }

    // pull requests of feature into 20 branches at main's tip, read under load
    const prs: object[] = [];
    for (let i = 0; i < 20; i++) {
      await sdk.send(new CreateBranchCommand({ repositoryName: "merges", branchName: `review-${i}`, commitId: main }));
      const s = await signed(server.url, "CreatePullRequest", { title: `review ${i}`, targets: [{ repositoryName: "merges", sourceReference: "feature", destinationReference: `review-${i}` }] });
      const r = await fetch(server.url, { method: "POST", headers: s.headers, body: s.body });
      const body = (await r.json()) as { pullRequest: { pullRequestId: string } };
      prs.push({ pullRequestId: body.pullRequest.pullRequestId });
    }
    const getPullRequest = [
      { mode: "max", ...(await load(server.url, "GetPullRequest", prs, { seconds: opts.seconds, connections: 16 })) },
      { mode: "200/s", ...(await load(server.url, "GetPullRequest", prs, { seconds: opts.seconds, connections: 16, overallRate: 200 })) },
    ];

    const git = (cwd: string, args: string[]) => run("git", ["-C", cwd, "-c", "user.name=Bench", "-c", "user.email=bench@example.com", ...args]);
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const dir = `${baseline}-cold-${i}`;
      await run("git", ["clone", "-q", "--no-checkout", source, dir]);
      cold.push(await timed(async () => {
        await git(dir, ["checkout", "-q", "-B", "target", "origin/main"]);
        await git(dir, ["merge", "-q", "--no-edit", "origin/feature"]);
      }));
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const dir = `${baseline}-warm`;
    await run("git", ["clone", "-q", source, dir]);
    for (let i = 0; i < opts.runs; i++) {
      await git(dir, ["checkout", "-q", "main"]);
      warm.push(await timed(async () => {
        await git(dir, ["checkout", "-q", "-B", `target-${i}`, "main"]);
        await git(dir, ["merge", "-q", "--no-edit", "origin/feature"]);
      }));
    }
    fs.rmSync(dir, { recursive: true, force: true });
    return {
      commits: COMMITS,
      files: FILES,
      runs: opts.runs,
      seconds: { getMergeConflicts: median(conflicts), mergeThreeWay: median(merges), coldCheckoutMerge: median(cold), warmCheckoutMerge: median(warm) },
      getPullRequest,
    };
  } finally {
    await server.stop();
  }
}
