/**
 * The content API under load: GetFile and GetCommit on a repository of 50,000 files, against
 * the same calls answered by spawning one git process per request (bench/lib/git-per-request.ts),
 * measured in the same run on the same machine. Then Headwater alone at a fixed 200 requests
 * per second, for its latency.
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import { CodeCommitClient, CreateRepositoryCommand } from "@aws-sdk/client-codecommit";
import { ADMIN, startServer } from "../test/helpers/server.js";
import { signed } from "./api.js";
import { headwaterUrl } from "./git-transfer.js";
import { fastImportRepo, run } from "./lib/gen-repo.js";

export interface ContentRow {
  operation: string;
  target: string;
  mode: string;
  requestsPerSecond: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

export interface ContentResult {
  files: number;
  commits: number;
  samples: number;
  rows: ContentRow[];
}

const DIRS = 250;
const FILES_PER_DIR = 200;
const EXTRA_COMMITS = 99;
const SAMPLES = 20;

const filePath = (d: number, f: number) => `src/dir${String(d).padStart(3, "0")}/file${String(f).padStart(3, "0")}.txt`;

/** 50,000 small files in 250 folders, then 99 commits that each edit one of them (cached by path). */
async function generateFilesRepo(dir: string): Promise<void> {
  const t0 = 1_700_000_000;
  await fastImportRepo(dir, async ({ write, data }) => {
    await write(`commit refs/heads/main\ncommitter Bench <bench@example.com> ${t0} +0000\n${data("50,000 files\n")}`);
    for (let d = 0; d < DIRS; d++) {
      for (let f = 0; f < FILES_PER_DIR; f++) {
        const content = `file ${d}/${f}\n${crypto.randomBytes(150).toString("base64")}\n`;
        await write(`M 100644 inline ${filePath(d, f)}\n${data(content)}`);
      }
    }
    for (let i = 1; i <= EXTRA_COMMITS; i++) {
      await write(`commit refs/heads/main\ncommitter Bench <bench@example.com> ${t0 + i} +0000\n${data(`edit ${i}\n`)}`);
      await write(`M 100644 inline ${filePath(i % DIRS, i % FILES_PER_DIR)}\n${data(`edited in commit ${i}\n`)}`);
    }
  });
}

export async function startBaseline(gitDir: string, work: string): Promise<{ url: string; stop(): void }> {
  const portFile = path.join(work, ".baseline-port");
  fs.rmSync(portFile, { force: true });
  const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "lib/git-per-request.ts"), gitDir, portFile], {
    stdio: "inherit",
  });
  while (!fs.existsSync(portFile)) await new Promise((r) => setTimeout(r, 50));
  return { url: `http://127.0.0.1:${fs.readFileSync(portFile, "utf8")}`, stop: () => child.kill() };
}

export interface Load {
  seconds: number;
  connections: number;
  overallRate?: number;
  /** seconds before autocannon gives up on a request (its default is 10) */
  timeout?: number;
}

/** autocannon cycling through pre-signed requests (SigV4 allows replays within 15 minutes). */
export async function load(url: string, op: string, bodies: object[], opts: Load): Promise<Omit<ContentRow, "operation" | "target" | "mode">> {
  const requests = await Promise.all(
    bodies.map(async (b) => {
      const s = await signed(url, op, b);
      return { method: "POST" as const, path: "/", headers: s.headers, body: s.body };
    }),
  );
  const common = {
    url,
    connections: opts.connections,
    requests,
    ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
  };
  await autocannon({ ...common, duration: 2 }); // warm-up: connections, caches, JIT
  const r = await autocannon({ ...common, duration: opts.seconds });
  return { requestsPerSecond: r.requests.average, p50ms: r.latency.p50, p99ms: r.latency.p99, errors: r.errors + r.non2xx };
}

export async function benchContent(work: string, opts: { seconds: number }): Promise<ContentResult> {
  const source = path.join(work, "files-50k.git");
  console.error(`generating ${DIRS * FILES_PER_DIR} files (cached in ${source}) …`);
  await generateFilesRepo(source);
  const commits = (await gitLines(source, ["rev-list", "main"])).reverse();

  const server = await startServer({ dataDir: path.join(work, "content-data-" + Date.now()) });
  const baseline = await startBaseline(source, work);
  try {
    const sdk = new CodeCommitClient({ endpoint: server.url, region: "us-east-1", credentials: ADMIN });
    await sdk.send(new CreateRepositoryCommand({ repositoryName: "files" }));
    await run("git", ["--git-dir", source, "push", "-q", headwaterUrl(server, "files"), "main"]);

    // Each connection cycles through 20 files in 20 folders, or 20 commits. Not more: with long
    // request lists autocannon's rate limiting overshoots and stalls (seen with 500 copies of
    // one identical request), which would measure autocannon rather than the server.
    const files = Array.from({ length: SAMPLES }, (_, i) => ({
      repositoryName: "files",
      commitSpecifier: "main",
      filePath: filePath((i * 37) % DIRS, (i * 53) % FILES_PER_DIR),
    }));
    const commitBodies = commits.slice(-SAMPLES).map((commitId) => ({ repositoryName: "files", commitId }));
    const rows: ContentRow[] = [];
    const max: Load = { seconds: opts.seconds, connections: 16 };
    const fixed: Load = { seconds: opts.seconds, connections: 16, overallRate: 200 };
    for (const [op, bodies] of [
      ["GetFile", files],
      ["GetCommit", commitBodies],
    ] as const) {
      rows.push({ operation: op, target: "Headwater", mode: "max", ...(await load(server.url, op, bodies, max)) });
      rows.push({ operation: op, target: "git per request", mode: "max", ...(await load(baseline.url, op, bodies, max)) });
      rows.push({ operation: op, target: "Headwater", mode: "200/s", ...(await load(server.url, op, bodies, fixed)) });
    }
    return { files: DIRS * FILES_PER_DIR, commits: commits.length, samples: SAMPLES, rows };
  } finally {
    baseline.stop();
    await server.stop();
  }
}

async function gitLines(gitDir: string, args: string[]): Promise<string[]> {
  const { execFileSync } = await import("node:child_process");
  return execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8" }).trim().split("\n");
}
