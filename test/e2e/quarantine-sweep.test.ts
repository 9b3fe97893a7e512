import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

/**
 * Issue 11, defect 7: a push interrupted mid-way (SIGKILL, power loss) leaves receive-pack's
 * quarantine, objects/tmp_objdir-incoming-XXXXXX, behind, objects and all. The server removes
 * those at start (src/git/quarantine.ts, called from app.ts), once no transfer can still be
 * using them: a directory unchanged for longer than the transfer time limit
 * (--git-timeout-seconds, 3600 by default) plus five minutes. Younger ones, and names that
 * are not git's quarantine, stay.
 */

const servers: ServerHandle[] = [];
async function start(dataDir?: string, args: string[] = []) {
  const s = await startServer({ dataDir, args });
  servers.push(s);
  return s;
}
afterEach(async () => {
  for (const s of servers.splice(0)) await s.kill();
});

const MINUTE = 60_000;

/** A quarantine as receive-pack leaves it (a half-written pack inside), last changed `ageMs` ago. */
function leaveQuarantine(gitDir: string, name: string, ageMs: number): string {
  const dir = path.join(gitDir, "objects", name);
  fs.mkdirSync(path.join(dir, "pack"), { recursive: true });
  fs.writeFileSync(path.join(dir, "pack", `tmp_pack_${crypto.randomBytes(3).toString("hex")}`), crypto.randomBytes(64 * 1024));
  // last: writing inside the directory changes its mtime, which is what the sweep reads
  const then = new Date(Date.now() - ageMs);
  fs.utimesSync(path.join(dir, "pack"), then, then);
  fs.utimesSync(dir, then, then);
  return dir;
}

function removedLogged(server: ServerHandle): string[] {
  return server.logs
    .map((l) => {
      try {
        return JSON.parse(l) as { msg?: string; removed?: string[] };
      } catch {
        return {};
      }
    })
    .filter((r) => r.msg === "removed objects an interrupted push left behind")
    .flatMap((r) => r.removed ?? []);
}

describe("quarantines of interrupted pushes", () => {
  it("are removed at start once older than the transfer time limit and its grace; younger ones and other names stay; the repository keeps working", async () => {
    const env = gitHome();
    let server = await start();
    const gitDirs: string[] = [];
    const work = await makeWorkRepo(env);
    for (const name of ["swept", "swept-too"]) {
      const r = await call(server.url, "sdk", "CreateRepository", { repositoryName: name });
      expect(r.error).toBeUndefined();
      gitDirs.push(path.join(server.dataDir, "repos", `${r.out.repositoryMetadata.repositoryId}.git`));
      await gitOk(["push", "-q", `${server.url}/v1/repos/${name}`, "main"], { cwd: work, env });
    }
    expect(await server.stop()).toBe(0);

    const [gitDir, other] = gitDirs as [string, string];
    const old = leaveQuarantine(gitDir, "tmp_objdir-incoming-Ab12Cd", 2 * 24 * 60 * MINUTE);
    const oldElsewhere = leaveQuarantine(other, "tmp_objdir-incoming-Zz9yX8", 3 * 60 * MINUTE);
    const fresh = leaveQuarantine(gitDir, "tmp_objdir-incoming-Fr3sh0", 0);
    // younger than 3600 s + 5 min: a push on another server sharing the directory may own it
    const hourOld = leaveQuarantine(gitDir, "tmp_objdir-incoming-H0urOl", 60 * MINUTE);
    // not git's name for a quarantine: never the sweep's to remove, however old
    const notOurs = leaveQuarantine(gitDir, "tmp_objdir-keep", 2 * 24 * 60 * MINUTE);

    server = await start(server.dataDir);
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(oldElsewhere)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
    expect(fs.existsSync(hourOld)).toBe(true);
    expect(fs.existsSync(notOurs)).toBe(true);
    expect(removedLogged(server).sort()).toEqual(["tmp_objdir-incoming-Ab12Cd", "tmp_objdir-incoming-Zz9yX8"]);

    // the repository clones and takes pushes as before
    const clone = tmpDir("after-sweep");
    await gitOk(["clone", "-q", `${server.url}/v1/repos/swept`, clone], { env });
    fs.writeFileSync(path.join(clone, "after.txt"), "after the sweep\n");
    await gitOk(["add", "after.txt"], { cwd: clone, env });
    await gitOk(["commit", "-qm", "after the sweep"], { cwd: clone, env });
    await gitOk(["push", "-q", "origin", "main"], { cwd: clone, env });
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: clone, env })).trim();
    expect((await call(server.url, "sdk", "GetBranch", { repositoryName: "swept", branchName: "main" })).out.branch.commitId).toBe(tip);
    execFileSync("git", ["--git-dir", gitDir, "fsck", "--full", "--no-progress"], { stdio: "pipe" });
    expect(await server.stop()).toBe(0);

    // the age follows the transfer time limit: with 60 s (so 6 minutes), the hour-old one goes too
    server = await start(server.dataDir, ["--git-timeout-seconds", "60"]);
    expect(fs.existsSync(hourOld)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
    expect(fs.existsSync(notOurs)).toBe(true);
    expect(removedLogged(server)).toEqual(["tmp_objdir-incoming-H0urOl"]);
  });
});
