import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";

/** What a generator writes into git fast-import's input: `write` waits when the pipe is full. */
export interface FastImportFeed {
  write(s: string): Promise<void>;
  /** fast-import's `data` command for `s` */
  data(s: string): string;
}

/**
 * A bare repository at `dir` filled by `feed` through git fast-import, then repacked. Cached by
 * path: a repository finished before (its `.complete` marker) is kept as it is.
 */
export async function fastImportRepo(dir: string, feed: (f: FastImportFeed) => Promise<void>): Promise<void> {
  if (fs.existsSync(`${dir}/.complete`)) return;
  fs.rmSync(dir, { recursive: true, force: true });
  await run("git", ["init", "-q", "--bare", "--initial-branch=main", dir]);
  const child = spawn("git", ["fast-import", "--quiet"], { cwd: dir, env: { ...process.env, GIT_DIR: dir }, stdio: ["pipe", "inherit", "inherit"] });
  const done = new Promise<void>((resolve, reject) => child.on("close", (c) => (c === 0 ? resolve() : reject(new Error(`fast-import ${c}`)))));
  await feed({
    write: async (s) => {
      if (!child.stdin.write(s)) await new Promise((r) => child.stdin.once("drain", r));
    },
    data: (s) => `data ${Buffer.byteLength(s)}\n${s}\n`,
  });
  child.stdin.end();
  await done;
  await run("git", ["--git-dir", dir, "repack", "-a", "-d", "-q"]);
  fs.writeFileSync(`${dir}/.complete`, "");
}

/**
 * A bare repository of `commits` commits and about `megabytes` MB of packed data (random,
 * incompressible contents spread over 500 files), with `base` 200 commits behind `main`.
 */
export async function generateRepo(dir: string, commits: number, megabytes: number): Promise<void> {
  // base64 of random bytes deflates to ~3/4 of its length
  const perCommit = Math.ceil(((megabytes * 1024 * 1024) / commits / 0.76) / 4) * 4;
  const t0 = 1_700_000_000;
  await fastImportRepo(dir, async ({ write, data }) => {
    for (let i = 0; i < commits; i++) {
      const contents = crypto.randomBytes((perCommit * 3) / 4).toString("base64");
      await write(`commit refs/heads/main\ncommitter Bench <bench@example.com> ${t0 + i} +0000\n${data(`commit ${i}\n`)}`);
      await write(`M 100644 inline files/${i % 500}.txt\n${data(contents)}`);
      if (i === commits - 201) await write(`reset refs/heads/base\nfrom refs/heads/main\n\n`);
    }
  });
}

export function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")}: ${code}\n${err}`))));
  });
}

export function du(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(`${entry.parentPath}/${entry.name}`).size;
  }
  return total;
}
