import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CodeCommitClient } from "@aws-sdk/client-codecommit";
import { ADMIN, tmpDir } from "./server.js";

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** The AWS CLI v2 is Debian's package at /usr/bin/aws; v1 is the awscli module of the machine's python3. */
export const CLI_V2 = "/usr/bin/aws";

export function awsEnv(creds: Creds = ADMIN, region = "us-east-1"): Record<string, string> {
  const home = tmpDir("awshome");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_REGION: region,
    AWS_PAGER: "",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: path.join(home, "config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, "credentials"),
  };
  if (creds.sessionToken) env.AWS_SESSION_TOKEN = creds.sessionToken;
  return env;
}

function run(cmd: string, args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      let json: unknown;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        json = undefined;
      }
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr, json });
    });
    child.stdin?.on("error", () => {});
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Runs the AWS CLI (v2 by default) against the server. */
export function aws(
  endpoint: string,
  args: string[],
  opts: { version?: 1 | 2; creds?: Creds; region?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const env = { ...awsEnv(opts.creds, opts.region), ...opts.env };
  const full = ["--endpoint-url", endpoint, "--output", "json", ...args];
  if (opts.version === 1) return run("python3", ["-m", "awscli", ...full], env);
  return run(CLI_V2, full, env);
}

/** The error code the CLI printed: "An error occurred (CODE) when calling …". */
export function cliErrorCode(r: CliResult): string | undefined {
  return /An error occurred \(([^)]+)\)/.exec(r.stderr)?.[1];
}

export function codecommit(endpoint: string, creds: Creds = ADMIN, region = "us-east-1", extra: Record<string, unknown> = {}) {
  return new CodeCommitClient({ endpoint, region, credentials: creds, maxAttempts: 1, ...extra });
}

/** Runs a python3 snippet (boto3 is on the machine's python3) with the given environment. */
export function python(code: string, env: Record<string, string>): Promise<CliResult> {
  return run("python3", ["-c", code], env);
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A HOME for git with CodeCommit's credential-helper recipe configured. */
export function gitHome(creds: Creds = ADMIN, opts: { helper?: boolean; cliVersion?: 1 | 2; region?: string } = {}): Record<string, string> {
  const env = awsEnv(creds, opts.region);
  const home = env.HOME!;
  const cli = opts.cliVersion === 1 ? "python3 -m awscli" : CLI_V2;
  const lines = ["[user]", "\tname = Test User", "\temail = test@example.com", "[init]", "\tdefaultBranch = main"];
  if (opts.helper !== false) {
    lines.push("[credential]", `\thelper = !${cli} codecommit credential-helper --ignore-host-check $@`, "\tUseHttpPath = true");
  }
  fs.writeFileSync(path.join(home, ".gitconfig"), lines.join("\n") + "\n");
  return { ...env, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1" };
}

export function git(args: string[], opts: { cwd?: string; env: Record<string, string>; input?: string }): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = spawn("git", args, { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.stdin.on("error", () => {}); // git may exit without reading its input
    child.stdin.end(opts.input ?? "");
    child.on("close", (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }),
    );
  });
}

/** git that must succeed. */
export async function gitOk(args: string[], opts: { cwd?: string; env: Record<string, string>; input?: string }): Promise<string> {
  const r = await git(args, opts);
  if (r.code !== 0) throw new Error(`git ${args.join(" ")} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

/** A local repository with some commits, ready to push. */
export async function makeWorkRepo(env: Record<string, string>, files: Record<string, string> = { "README.md": "hello\n" }): Promise<string> {
  const dir = tmpDir("work");
  await gitOk(["init", "-q", "-b", "main", dir], { env });
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  await gitOk(["add", "-A"], { cwd: dir, env });
  await gitOk(["commit", "-qm", "initial commit"], { cwd: dir, env });
  return dir;
}
