import type { ChildProcess, SpawnOptions } from "node:child_process";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CatFilePool } from "../../src/git/cat-file.js";
import { GitRunner } from "../../src/git/exec.js";

/**
 * The pool of long-lived `git cat-file --batch-command` readers, with the real git: one process
 * per repository however many reads, closed when idle, at most `max` of them (least recently
 * used first out), and requests already made still answered when their process is evicted.
 */

/** The real runner, keeping every process it starts. */
class RecordingRunner extends GitRunner {
  readonly started: Array<{ args: string[]; child: ChildProcess; exited: boolean }> = [];

  override spawn(args: string[], opts: SpawnOptions & { extraEnv?: Record<string, string> } = {}): ChildProcess {
    const child = super.spawn(args, opts);
    const rec = { args, child, exited: false };
    child.once("close", () => (rec.exited = true));
    this.started.push(rec);
    return child;
  }

  running(): number {
    return this.started.filter((s) => !s.exited).length;
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hw-pool-"));

/** A bare repository holding one blob; returns its directory and the blob's ID. */
function repo(name: string): { dir: string; blob: string } {
  const dir = path.join(tmp, `${name}.git`);
  execFileSync("git", ["init", "-q", "--bare", dir]);
  const blob = execFileSync("git", ["hash-object", "-w", "--stdin"], { env: { ...process.env, GIT_DIR: dir }, input: `content of ${name}\n` })
    .toString()
    .trim();
  return { dir, blob };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
};

let pool: CatFilePool | undefined;
afterEach(() => pool?.closeAll());

describe("CatFilePool", () => {
  it("answers any number of reads of one repository with one process", async () => {
    const runner = new RecordingRunner(tmp);
    pool = new CatFilePool(runner);
    const a = repo("one");
    for (let i = 0; i < 50; i++) {
      const o = await pool.get(a.dir).contents(a.blob);
      expect(o?.content.toString()).toBe("content of one\n");
    }
    // and pipelined reads, issued at once
    const many = await Promise.all(Array.from({ length: 50 }, () => pool!.get(a.dir).info(a.blob)));
    expect(many.every((o) => o?.type === "blob")).toBe(true);
    expect(runner.started.map((s) => s.args)).toEqual([["cat-file", "--batch-command"]]);
  });

  it("closes a reader that has been idle for the timeout, and starts a new one when needed", async () => {
    const runner = new RecordingRunner(tmp);
    pool = new CatFilePool(runner, 64, 100);
    const a = repo("idle");
    await pool.get(a.dir).info(a.blob);
    expect(runner.running()).toBe(1);
    // still in use: kept
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 40));
      await pool.get(a.dir).info(a.blob);
    }
    expect(runner.started).toHaveLength(1);
    await until(() => runner.running() === 0);
    expect((await pool.get(a.dir).info(a.blob))?.type).toBe("blob");
    expect(runner.started).toHaveLength(2);
  });

  it("holds at most `max` readers, evicting the least recently used", async () => {
    const runner = new RecordingRunner(tmp);
    pool = new CatFilePool(runner, 2, 60_000);
    const [a, b, c] = [repo("a"), repo("b"), repo("c")];
    await pool.get(a.dir).info(a.blob);
    await pool.get(b.dir).info(b.blob);
    await pool.get(a.dir).info(a.blob); // a is now the most recently used: b goes for c
    expect((await pool.get(c.dir).contents(c.blob))?.content.toString()).toBe("content of c\n");
    await until(() => runner.running() === 2);
    expect(runner.started).toHaveLength(3);
    await pool.get(a.dir).info(a.blob); // a kept its reader
    expect(runner.started).toHaveLength(3);
    await pool.get(b.dir).info(b.blob); // b needs a new one (and c's or a's goes)
    expect(runner.started).toHaveLength(4);
    await until(() => runner.running() === 2);
  });

  it("answers the requests already made to a reader it evicts", async () => {
    const runner = new RecordingRunner(tmp);
    pool = new CatFilePool(runner, 1, 60_000);
    const [a, b] = [repo("busy-a"), repo("busy-b")];
    await pool.get(a.dir).info(a.blob);
    // requests to a are under way when b's reader takes its place (every reader is busy)
    const pending = Array.from({ length: 20 }, () => pool!.get(a.dir).contents(a.blob));
    const fromB = pool.get(b.dir).contents(b.blob);
    for (const p of pending) expect((await p)?.content.toString()).toBe("content of busy-a\n");
    expect((await fromB)?.content.toString()).toBe("content of busy-b\n");
    await until(() => runner.running() === 1);
    expect(runner.started).toHaveLength(2);
  });
});
