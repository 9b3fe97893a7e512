import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const ADMIN = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

export interface ServerHandle {
  url: string;
  port: number;
  /** the SSH listener's port, and its host keys' SHA256 fingerprints by type, as logged at start */
  sshPort: number;
  sshHostKeys: Record<string, string>;
  dataDir: string;
  proc: ChildProcess;
  /** the server's output lines (stdout's JSON log and stderr), as they arrive; stderr's only with `logFile` */
  logs: string[];
  /** stop with SIGTERM and wait for the exit code */
  stop(): Promise<number | null>;
  /** SIGKILL, no grace */
  kill(): Promise<void>;
  /** peak resident memory of the server so far, in bytes (VmHWM) */
  peakRss(): number;
  rss(): number;
  /** starts peakRss over from the current RSS (Linux's clear_refs) */
  resetPeakRss(): void;
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hw-${prefix}-`));
}

export interface StartOptions {
  dataDir?: string;
  args?: string[];
  env?: Record<string, string>;
  /** leave out the admin key pair from the environment */
  noAdminEnv?: boolean;
  /**
   * the server's stdout (its log) goes to this file, not through a pipe into `logs`: for
   * benchmarks, where reading thousands of lines a second would cost the measuring process
   */
  logFile?: string;
  /**
   * listen on these ports and wait for /health to answer, instead of for the "headwater is ready"
   * line (an info line: a server at --log-level warn does not write it); sshHostKeys stays empty
   */
  ports?: { http: number; ssh: number };
}

/** Starts a real server process (the built CLI) on free ports and waits until it is ready. */
export async function startServer(opts: StartOptions = {}): Promise<ServerHandle> {
  const dataDir = opts.dataDir ?? tmpDir("data");
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...(opts.noAdminEnv
      ? {}
      : { HEADWATER_ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId, HEADWATER_ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey }),
    ...opts.env,
  };
  const logFd = opts.logFile ? fs.openSync(opts.logFile, "a") : undefined;
  let logOffset = logFd !== undefined ? fs.fstatSync(logFd).size : 0;
  let poll: NodeJS.Timeout | undefined;
  const proc = spawn(
    process.execPath,
    [
      path.join(ROOT, "dist/cli/main.js"),
      "serve",
      "--data-dir",
      dataDir,
      "--http-port",
      String(opts.ports?.http ?? 0),
      "--ssh-port",
      String(opts.ports?.ssh ?? 0),
      ...(opts.args ?? []),
    ],
    { env, stdio: ["ignore", logFd ?? "pipe", "pipe"] },
  );
  if (logFd !== undefined) fs.closeSync(logFd);
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  let sshPort = 0;
  let sshHostKeys: Record<string, string> = {};
  const ready = new Promise<string>((resolve, reject) => {
    const onLine = (line: string) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; url?: string; sshPort?: number; sshHostKeys?: Record<string, string> };
        if (rec.msg === "headwater is ready" && rec.url) {
          sshPort = rec.sshPort ?? 0;
          sshHostKeys = rec.sshHostKeys ?? {};
          resolve(rec.url);
        }
      } catch {
        /* not JSON */
      }
    };
    if (opts.ports) {
      const url = `http://127.0.0.1:${opts.ports.http}`;
      sshPort = opts.ports.ssh;
      poll = setInterval(() => {
        fetch(`${url}/health`).then(
          (r) => r.ok && resolve(url),
          () => {},
        );
      }, 50);
    } else if (opts.logFile) {
      // the ready line, read off the file until it is there
      const file = opts.logFile;
      poll = setInterval(() => {
        const text = fs.readFileSync(file).subarray(logOffset).toString("utf8");
        const end = text.lastIndexOf("\n");
        if (end < 0) return;
        logOffset += Buffer.byteLength(text.slice(0, end + 1));
        for (const line of text.slice(0, end).split("\n")) onLine(line);
      }, 50);
    } else {
      readline.createInterface({ input: proc.stdout! }).on("line", (line) => {
        logs.push(line);
        onLine(line);
      });
    }
    const errRl = readline.createInterface({ input: proc.stderr! });
    errRl.on("line", (line) => logs.push(line));
    exited.then((code) => reject(new Error(`server exited with ${code} before it was ready:\n${logs.join("\n")}`)));
  });
  const url = await ready.finally(() => clearInterval(poll));
  const port = Number(new URL(url).port);
  const status = (field: string) => {
    try {
      const text = fs.readFileSync(`/proc/${proc.pid}/status`, "utf8");
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  return {
    url,
    port,
    sshPort,
    sshHostKeys,
    dataDir,
    proc,
    logs,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill("SIGTERM");
      return exited;
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGKILL");
      await exited;
    },
    peakRss: () => status("VmHWM"),
    rss: () => status("VmRSS"),
    resetPeakRss: () => fs.writeFileSync(`/proc/${proc.pid}/clear_refs`, "5"),
  };
}
