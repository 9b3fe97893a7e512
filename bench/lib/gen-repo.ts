import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";

/**
 * A bare repository of `commits` commits and about `megabytes` MB of packed data, made with
 * git fast-import (random, incompressible contents spread over 500 files). Cached by path.
 */
export async function generateRepo(dir: string, commits: number, megabytes: number): Promise<void> {
  if (fs.existsSync(`${dir}/.complete`)) return;
  fs.rmSync(dir, { recursive: true, force: true });
  await run("git", ["init", "-q", "--bare", "--initial-branch=main", dir]);
  // base64 of random bytes deflates to ~3/4 of its length
  const perCommit = Math.ceil(((megabytes * 1024 * 1024) / commits / 0.76) / 4) * 4;
  const child = spawn("git", ["fast-import", "--quiet"], { cwd: dir, env: { ...process.env, GIT_DIR: dir }, stdio: ["pipe", "inherit", "inherit"] });
  const done = new Promise<void>((resolve, reject) => child.on("close", (c) => (c === 0 ? resolve() : reject(new Error(`fast-import ${c}`)))));
  const t0 = 1_700_000_000;
  for (let i = 0; i < commits; i++) {
    const data = crypto.randomBytes((perCommit * 3) / 4).toString("base64");
    const msg = `commit ${i}\n`;
    const chunk =
      `commit refs/heads/main\n` +
      `committer Bench <bench@example.com> ${t0 + i} +0000\n` +
      `data ${Buffer.byteLength(msg)}\n${msg}` +
      `M 100644 inline files/${i % 500}.txt\n` +
      `data ${Buffer.byteLength(data)}\n${data}\n`;
    if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once("drain", r));
    if (i === commits - 201) child.stdin.write(`reset refs/heads/base\nfrom refs/heads/main\n\n`);
  }
  child.stdin.end();
  await done;
  await run("git", ["--git-dir", dir, "repack", "-a", "-d", "-q"]);
  fs.writeFileSync(`${dir}/.complete`, "");
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
