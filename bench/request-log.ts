/**
 * The cost of the per-request log line: the same signed GetRepository under autocannon against a
 * server at `--log-level info` (a line per call) and one at `--log-level warn` (only refusals),
 * in alternating runs in one process. Each server writes its log to a file, as a server under
 * systemd or in a container hands it to something else; read through a pipe by this process, the
 * lines would cost the measuring side too.
 */
import fs from "node:fs";
import path from "node:path";
import { CodeCommitClient, CreateRepositoryCommand } from "@aws-sdk/client-codecommit";
import { ADMIN, startServer, type ServerHandle } from "../test/helpers/server.js";
import { benchApi, type ApiResult } from "./api.js";
import { freePort } from "./lib/ports.js";
import { median } from "./lib/stats.js";

export interface RequestLogResult {
  seconds: number;
  rounds: number;
  info: ApiResult[];
  warn: ApiResult[];
  /** the median run of each */
  infoRun: ApiResult;
  warnRun: ApiResult;
  /**
   * the median over rounds of warn's requests/s ÷ info's in the same round: on a shared machine,
   * the two runs of a round met the most alike load
   */
  pairedRatio: number;
  /** bytes of log per request at info, and lines written during the info runs per request served */
  bytesPerRequest: number;
  linesPerRequest: number;
}

export async function benchRequestLog(work: string, opts: { seconds: number; rounds: number }): Promise<RequestLogResult> {
  const files = { info: path.join(work, "log-info.log"), warn: path.join(work, "log-warn.log") };
  for (const f of Object.values(files)) fs.rmSync(f, { force: true });
  const servers: Record<"info" | "warn", ServerHandle> = {
    info: await startServer({ args: ["--log-level", "info"], logFile: files.info }),
    // no "headwater is ready" line at warn: ports chosen here, and /health asked
    warn: await startServer({ args: ["--log-level", "warn"], logFile: files.warn, ports: { http: await freePort(), ssh: await freePort() } }),
  };
  try {
    for (const s of Object.values(servers)) {
      await new CodeCommitClient({ endpoint: s.url, region: "us-east-1", credentials: ADMIN }).send(new CreateRepositoryCommand({ repositoryName: "logged" }));
    }
    const input = { repositoryName: "logged" };
    const info: ApiResult[] = [];
    const warn: ApiResult[] = [];
    const sizeBefore = fs.statSync(files.info).size;
    const linesBefore = countLines(files.info);
    let served = 0;
    for (let i = 0; i < opts.rounds; i++) {
      // alternate which goes first, so neither always runs on the warmer machine
      for (const level of i % 2 ? (["warn", "info"] as const) : (["info", "warn"] as const)) {
        const r = await benchApi(servers[level], "GetRepository", input, { seconds: opts.seconds, connections: 16 });
        (level === "info" ? info : warn).push(r);
        // benchApi warms up for 2 s before it measures: those requests are logged too
        if (level === "info") served += r.responses;
      }
    }
    const bytes = fs.statSync(files.info).size - sizeBefore;
    const lines = countLines(files.info) - linesBefore;
    return {
      seconds: opts.seconds,
      rounds: opts.rounds,
      info,
      warn,
      pairedRatio: median(info.map((r, k) => warn[k]!.requestsPerSecond / r.requestsPerSecond)),
      infoRun: medianRun(info),
      warnRun: medianRun(warn),
      bytesPerRequest: bytes / lines,
      linesPerRequest: lines / served,
    };
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
}

function medianRun(runs: ApiResult[]): ApiResult {
  return [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(runs.length / 2)]!;
}

function countLines(file: string): number {
  const text = fs.readFileSync(file);
  let n = 0;
  for (const b of text) if (b === 10) n++;
  return n;
}
