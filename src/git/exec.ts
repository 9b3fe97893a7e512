import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args[0] ?? ""} failed (${exitCode}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
}

export interface RunOptions {
  cwd?: string;
  input?: string | Buffer;
  env?: Record<string, string>;
  /** exit codes that are answers, not failures (e.g. 1 for "not found") */
  okCodes?: number[];
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/**
 * Spawns the real git binary with a controlled environment (no user or system config, no
 * prompts) and keeps track of every running process, so shutdown can wait for them.
 */
export class GitRunner {
  private readonly active = new Set<ChildProcess>();
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly homeDir: string) {}

  /** The environment every git process gets. */
  baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: this.homeDir,
      LANG: "C",
      LC_ALL: "C",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_TERMINAL_PROMPT: "0",
      ...extra,
    };
  }

  spawn(args: string[], opts: SpawnOptions & { extraEnv?: Record<string, string> } = {}): ChildProcess {
    const child = spawn("git", args, {
      ...opts,
      env: this.baseEnv(opts.extraEnv),
      stdio: opts.stdio ?? ["pipe", "pipe", "pipe"],
    });
    this.active.add(child);
    const done = () => {
      this.active.delete(child);
      if (this.active.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    child.once("close", done);
    child.once("error", done); // a process that failed to start never closes
    return child;
  }

  run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = this.spawn(args, { cwd: opts.cwd, extraEnv: opts.env });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout!.on("data", (d: Buffer) => out.push(d));
      child.stderr!.on("data", (d: Buffer) => err.push(d));
      child.once("error", reject);
      child.once("close", (code) => {
        const result = { code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") };
        if (code === 0 || (code !== null && opts.okCodes?.includes(code))) resolve(result);
        else reject(new GitError(args, code, result.stderr));
      });
      child.stdin!.on("error", () => {}); // the process may exit before reading all input
      child.stdin!.end(opts.input ?? "");
    });
  }

  /** Resolves once no git process is running (or after the timeout). */
  async drain(timeoutMs: number): Promise<void> {
    if (this.active.size === 0) return;
    await Promise.race([
      new Promise<void>((r) => this.idleWaiters.push(r)),
      new Promise<void>((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }

  killAll(): void {
    for (const c of this.active) c.kill("SIGKILL");
  }
}
