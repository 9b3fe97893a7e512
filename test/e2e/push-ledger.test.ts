import { execFile } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { refEvents } from "../helpers/events.js";
import { raceAndCheck } from "../helpers/push-race.js";
import { startServer, type ServerHandle } from "../helpers/server.js";

/**
 * A push takes its repository's ref lock from git's pre-receive hook until it is recorded, so
 * pushes that race other pushes and API writes on the same branch each get exactly their own
 * ref_events row: none merged into another writer's event, none missing (DESIGN principle 5).
 */
let server: ServerHandle;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

/** Runs a shell command line (fd 3 closed, whatever the test runner has there); never rejects. */
function sh(line: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", `exec 3>&-; ${line}`], { env }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

describe("racing writers of one repository", () => {
  it("force-pushes over HTTPS and SSH while API calls move refs: every acknowledged change is its own event", async () => {
    const r = await raceAndCheck({
      servers: [server],
      repo: "race",
      httpsPushers: 4,
      sshPushers: 2,
      pushesEach: 4,
      apiWorkers: 4,
      events: () => refEvents(server.dataDir).filter((e) => e.repository_name === "race"),
    });
    // the race is real: pushes and API writes both landed
    expect(r.pushes).toBeGreaterThan(5);
    expect(r.apiWrites).toBeGreaterThan(5);
  });
});

describe("Headwater's receive hooks outside Headwater", () => {
  it("do nothing for an operator's own git, and refuse (not skip the lock) when Headwater's socket is missing", async () => {
    const created = await call(server.url, "sdk", "CreateRepository", { repositoryName: "by-hand" });
    const gitDir = path.join(server.dataDir, "repos", `${created.out.repositoryMetadata.repositoryId}.git`);
    const hooks = path.join(server.dataDir, "receive-hooks");
    const env = gitHome();
    const work = await makeWorkRepo(env);
    // (a local push's receive-pack does not inherit -c options: they go to it directly)
    const push = `git push -q --receive-pack="git -c core.hooksPath='${hooks}' receive-pack" '${gitDir}' HEAD:refs/heads/`;
    // git on the repository directly, even with Headwater's hooks configured: no wait, no refusal
    expect(await sh(`${push}operator`, env)).toMatchObject({ code: 0 });
    // receive-pack marked as Headwater's but without the server on fd 3: refused, nothing moved
    const refused = await sh(`${push}unlocked`, { ...env, HEADWATER_RECEIVE_HOOKS: "1" });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("Headwater could not lock the repository's references; nothing was changed.");
    expect(refused.stderr).toContain("pre-receive hook declined");
    const refs = await gitOk(["--git-dir", gitDir, "for-each-ref", "--format=%(refname)"], { env });
    expect(refs.trim().split("\n")).toEqual(["refs/heads/operator"]);
  });
});
