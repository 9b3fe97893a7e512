/**
 * ListFileCommitHistory and GetBlobDifferences on a repository of 20,000 commits, against the
 * same calls answered by one git process per request (bench/lib/git-per-request.ts: `git
 * rev-list -- PATH`, `git diff`, on a copy without a commit-graph), measured in the same run.
 *
 * - history, new walk: each request names a path not asked before, so Headwater runs git's
 *   walk (over the commit-graph it wrote in the background); sequential, one at a time.
 * - history, repeated: 20 paths cycled by 4 connections; Headwater answers from its cached
 *   walks (what later pages and the same page asked again cost).
 * - blob differences: 20 pairs of versions cycled by 16 connections.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { CodeCommitClient, CreateRepositoryCommand } from "@aws-sdk/client-codecommit";
import { ADMIN, startServer } from "../test/helpers/server.js";
import { signed } from "./api.js";
import { load, startBaseline, type ContentRow, type Load } from "./content.js";
import { headwaterUrl } from "./git-transfer.js";
import { fastImportRepo, run } from "./lib/gen-repo.js";

export interface LatencyRow {
  target: string;
  requests: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

export interface HistoryResult {
  commits: number;
  /** the first walk, before the commit-graph was written (ms) */
  firstWalkMs: number;
  /** how long the background commit-graph write took to appear after it (ms) */
  graphReadyMs: number;
  newWalks: LatencyRow[];
  rows: Array<ContentRow & { connections: number }>;
}

const COMMITS = 20_000;
const FILES = 500;
const SAMPLES = 20;
const NEW_WALKS = 40;
const filePath = (i: number) => `src/mod${i % 20}/part${i % FILES}.txt`;

/** 20,000 commits, each editing one of 500 files in 20 folders (each file has 40 versions). Cached by path. */
async function generateHistoryRepo(dir: string): Promise<void> {
  // no commit-graph here: the per-process baseline runs on this copy as a plain repository would be
  await fastImportRepo(dir, async ({ write, data }) => {
    for (let i = 0; i < COMMITS; i++) {
      // ten lines of which one changes: a realistic small diff between versions
      const lines = Array.from({ length: 10 }, (_, l) => (l === i % 10 ? `edited in commit ${i}` : `line ${l} of ${filePath(i)} ${crypto.randomBytes(12).toString("hex")}`));
      await write(`commit refs/heads/main\ncommitter Bench <bench@example.com> ${1_700_000_000 + i} +0000\n${data(`commit ${i}\n`)}`);
      await write(`M 100644 inline ${filePath(i)}\n${data(lines.join("\n") + "\n")}`);
    }
  });
}

async function gitOut(gitDir: string, args: string[]): Promise<string[]> {
  const { execFileSync } = await import("node:child_process");
  return execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }).trim().split("\n");
}

/** One signed request at a time, each body once: per-request latency. */
async function sequential(url: string, op: string, bodies: object[]): Promise<{ times: number[]; errors: number }> {
  const times: number[] = [];
  let errors = 0;
  for (const b of bodies) {
    const s = await signed(url, op, b);
    const t = performance.now();
    const r = await fetch(url, { method: "POST", headers: s.headers, body: s.body });
    await r.arrayBuffer();
    times.push(performance.now() - t);
    if (r.status !== 200) errors++;
  }
  return { times, errors };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};

export async function benchHistory(work: string, opts: { seconds: number }): Promise<HistoryResult> {
  const source = path.join(work, "history-20k.git");
  console.error(`generating ${COMMITS} commits (cached in ${source}) …`);
  await generateHistoryRepo(source);
  const server = await startServer({ dataDir: path.join(work, "history-data-" + Date.now()) });
  const baseline = await startBaseline(source, work);
  try {
    const sdk = new CodeCommitClient({ endpoint: server.url, region: "us-east-1", credentials: ADMIN });
    const repo = await sdk.send(new CreateRepositoryCommand({ repositoryName: "history" }));
    await run("git", ["--git-dir", source, "push", "-q", headwaterUrl(server, "history"), "main"]);
    const chain = path.join(server.dataDir, "repos", `${repo.repositoryMetadata!.repositoryId}.git`, "objects/info/commit-graphs/commit-graph-chain");
    const history = (i: number) => ({ repositoryName: "history", commitSpecifier: "main", filePath: filePath(i) });

    // the first walk finds no commit-graph: git's slow path, once; the graph follows in the background
    const first = await sequential(server.url, "ListFileCommitHistory", [history(FILES - 1)]);
    const waitStart = performance.now();
    while (!fs.existsSync(chain)) await new Promise((r) => setTimeout(r, 20));
    const graphReadyMs = Math.round(performance.now() - waitStart);

    // paths 0..NEW_WALKS-1 are new to Headwater's cache; the samples come after them
    const fresh = Array.from({ length: NEW_WALKS }, (_, i) => history(i));
    const hw = await sequential(server.url, "ListFileCommitHistory", fresh);
    const base = await sequential(baseline.url, "ListFileCommitHistory", fresh);
    const newWalks: LatencyRow[] = [
      { target: "Headwater", requests: NEW_WALKS, p50ms: pct(hw.times, 50), p99ms: pct(hw.times, 99), errors: hw.errors },
      { target: "git process per request", requests: NEW_WALKS, p50ms: pct(base.times, 50), p99ms: pct(base.times, 99), errors: base.errors },
    ];

    const samples = Array.from({ length: SAMPLES }, (_, i) => history(NEW_WALKS + i * 7));
    const pairs = await Promise.all(
      Array.from({ length: SAMPLES }, async (_, i) => {
        const p = filePath(100 + i);
        const [a, b] = await gitOut(source, ["log", "-2", "--format=%H", "main", "--", p]);
        const [before, after] = await Promise.all([gitOut(source, ["rev-parse", `${b}:${p}`]), gitOut(source, ["rev-parse", `${a}:${p}`])]);
        return { repositoryName: "history", beforeBlobId: before[0]!, afterBlobId: after[0]! };
      }),
    );
    const rows: HistoryResult["rows"] = [];
    // History with 4 connections: 16 walks at once would keep the per-process baseline's two
    // cores busy for many seconds per round, and measure its queue rather than its walks
    for (const [op, bodies, connections] of [
      ["ListFileCommitHistory", samples, 4],
      ["GetBlobDifferences", pairs, 16],
    ] as const) {
      const max: Load = { seconds: opts.seconds, connections, timeout: 120 };
      rows.push({ operation: op, target: "Headwater", mode: "max", connections, ...(await load(server.url, op, bodies, max)) });
      rows.push({ operation: op, target: "git per request", mode: "max", connections, ...(await load(baseline.url, op, bodies, max)) });
    }
    return { commits: COMMITS, firstWalkMs: Math.round(first.times[0]!), graphReadyMs, newWalks, rows };
  } finally {
    baseline.stop();
    await server.stop();
  }
}
