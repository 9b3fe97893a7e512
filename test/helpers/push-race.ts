import fs from "node:fs";
import path from "node:path";
import { CreateServiceSpecificCredentialCommand } from "@aws-sdk/client-iam";
import { expect } from "vitest";
import { call } from "./api.js";
import { git, gitHome, gitOk, makeWorkRepo } from "./clients.js";
import { iamClient, managed, userWith } from "./iam.js";
import { knownHostsFor, makeKey, sshGitEnv, sshUrl, uploadKey } from "./ssh.js";
import { ADMIN, tmpDir, type ServerHandle } from "./server.js";

/**
 * Pushes racing each other and API writes on one repository, and the checks that every
 * acknowledged change has exactly its own ref_events row (DESIGN principle 5).
 */

const ACCOUNT = "000000000000";
const MAIN = "refs/heads/main";
const ZERO = "0".repeat(40);
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;

export interface RecordedEvent {
  source: string;
  actor_arn: string;
  refs: string;
}

/** One ref change somebody was told had happened (an exit-0 push, a successful API call). */
interface Acknowledged {
  by: string;
  source: "push" | "api";
  ref: string;
  oldCommit?: string; // known for pushes (git's porcelain output), not for API calls
  newCommit: string;
}

interface Pusher {
  arn: string;
  env: Record<string, string>;
  url: string;
  dir: string;
}

/** A user who may push, with static HTTPS Git credentials in the URL (no credential helper per push). */
async function httpsPusher(servers: ServerHandle[], i: number, repo: string): Promise<(dir: string) => Pusher> {
  const name = `https-pusher-${i}`;
  await userWith(servers[0]!.url, name, { managed: [managed("AWSCodeCommitPowerUser")] });
  const c = (await iamClient(servers[0]!.url).send(new CreateServiceSpecificCredentialCommand({ UserName: name, ServiceName: "codecommit.amazonaws.com" })))
    .ServiceSpecificCredential!;
  const base = new URL(servers[i % servers.length]!.url);
  const url = `${base.protocol}//${encodeURIComponent(c.ServiceUserName!)}:${encodeURIComponent(c.ServicePassword!)}@${base.host}/v1/repos/${repo}`;
  return (dir) => ({ arn: userArn(name), env: gitHome(ADMIN, { helper: false }), url, dir });
}

async function sshPusher(servers: ServerHandle[], i: number, repo: string, knownHosts: string): Promise<(dir: string) => Pusher> {
  const name = `ssh-pusher-${i}`;
  await userWith(servers[0]!.url, name, { managed: [managed("AWSCodeCommitPowerUser")] });
  const key = makeKey("ed25519");
  const keyId = await uploadKey(servers[0]!.url, name, key);
  return (dir) => ({ arn: userArn(name), env: sshGitEnv(key, knownHosts), url: sshUrl(servers[i % servers.length]!, keyId, repo), dir });
}

/**
 * Force-pushes new commits of its own to main until `times` pushes were acknowledged (or after
 * four times as many attempts: most are refused when writers race); returns the acknowledged.
 */
async function pushLoop(p: Pusher, times: number, label: string): Promise<Acknowledged[]> {
  const acked: Acknowledged[] = [];
  for (let n = 0; acked.length < times && n < times * 4; n++) {
    await gitOk(["commit", "-q", "--allow-empty", "-m", `${label} push ${n}`], { cwd: p.dir, env: p.env });
    const r = await git(["-c", "core.abbrev=no", "push", "--porcelain", p.url, `+HEAD:${MAIN}`], { cwd: p.dir, env: p.env });
    if (r.code !== 0) {
      // refused: another writer moved main since git read it (git says so), so not acknowledged
      expect(r.stderr, r.stderr).toMatch(/cannot lock ref 'refs\/heads\/main': is at [0-9a-f]{40} but expected/);
      continue;
    }
    // "+\tHEAD:refs/heads/main\t<old>...<new> (forced update)" or " \t…\t<old>..<new>"
    const m = /^[+ ]\tHEAD:refs\/heads\/main\t([0-9a-f]{40})\.\.\.?([0-9a-f]{40})/m.exec(r.stdout);
    expect(m, `push output:\n${r.stdout}\n${r.stderr}`).toBeTruthy();
    acked.push({ by: p.arn, source: "push", ref: MAIN, oldCommit: m![1]!, newCommit: m![2]! });
  }
  return acked;
}

/** API writes on the repository until `stop` resolves: new branches, and commits on main. */
async function apiLoop(endpoint: string, repo: string, worker: number, seed: string, stop: { done: boolean }): Promise<Acknowledged[]> {
  const acked: Acknowledged[] = [];
  for (let n = 0; !stop.done; n++) {
    const kind = (worker + n) % 3;
    if (kind === 0) {
      const branchName = `api-${worker}-${n}`;
      const r = await call(endpoint, "sdk", "CreateBranch", { repositoryName: repo, branchName, commitId: seed });
      expect(r.error).toBeUndefined();
      acked.push({ by: userArn("admin"), source: "api", ref: `refs/heads/${branchName}`, newCommit: seed });
      continue;
    }
    const parent = (await call(endpoint, "sdk", "GetBranch", { repositoryName: repo, branchName: "main" })).out.branch.commitId as string;
    const r =
      kind === 1
        ? await call(endpoint, "sdk", "PutFile", {
            repositoryName: repo,
            branchName: "main",
            filePath: `api/${worker}-${n}.txt`,
            fileContent: Buffer.from(`${worker} ${n}\n`),
            parentCommitId: parent,
          })
        : await call(endpoint, "sdk", "CreateCommit", {
            repositoryName: repo,
            branchName: "main",
            parentCommitId: parent,
            putFiles: [{ filePath: `api/${worker}-${n}.md`, fileContent: Buffer.from(`${worker} ${n}\n`) }],
          });
    if (r.error) {
      // main moved between GetBranch and the write: refused, nothing changed
      expect(r.error).toBe("ParentCommitIdOutdatedException");
      continue;
    }
    acked.push({ by: userArn("admin"), source: "api", ref: MAIN, newCommit: r.out.commitId });
  }
  return acked;
}

export interface RaceOptions {
  /** the repository's servers: pushers and API workers take turns among them */
  servers: ServerHandle[];
  repo: string;
  httpsPushers: number;
  sshPushers: number;
  pushesEach: number;
  apiWorkers: number;
  /** the repository's ref_events rows, oldest first */
  events(): RecordedEvent[];
}

/**
 * Creates the repository, seeds main, then races the pushers (force-pushing main) against API
 * writers (CreateBranch, PutFile and CreateCommit), and checks the outbox: each acknowledged
 * change is exactly one row of its own with its own actor and old→new, main's history is one
 * contiguous chain, and nothing else was recorded.
 */
export async function raceAndCheck(o: RaceOptions): Promise<{ pushes: number; apiWrites: number }> {
  const first = o.servers[0]!;
  expect((await call(first.url, "sdk", "CreateRepository", { repositoryName: o.repo })).error).toBeUndefined();
  const adminEnv = gitHome();
  const seedWork = await makeWorkRepo(adminEnv);
  await gitOk(["push", "-q", `${first.url}/v1/repos/${o.repo}`, "main"], { cwd: seedWork, env: adminEnv });
  const seed = (await gitOk(["rev-parse", "HEAD"], { cwd: seedWork, env: adminEnv })).trim();

  const knownHosts = path.join(tmpDir("race-known"), "known_hosts");
  fs.writeFileSync(knownHosts, (await Promise.all(o.servers.map((s) => knownHostsFor(s).then((f) => fs.readFileSync(f, "utf8"))))).join(""));
  const makers = [
    ...(await Promise.all(Array.from({ length: o.httpsPushers }, (_, i) => httpsPusher(o.servers, i, o.repo)))),
    ...(await Promise.all(Array.from({ length: o.sshPushers }, (_, i) => sshPusher(o.servers, i, o.repo, knownHosts)))),
  ];
  // every pusher starts from a clone of the seed, so it has the objects main points at
  const pushers = await Promise.all(
    makers.map(async (make, i) => {
      const dir = tmpDir(`racer-${i}`);
      await gitOk(["clone", "-q", seedWork, dir], { env: adminEnv });
      return make(dir);
    }),
  );

  const stop = { done: false };
  const api = Array.from({ length: o.apiWorkers }, (_, w) => apiLoop(o.servers[w % o.servers.length]!.url, o.repo, w, seed, stop));
  const pushed = (await Promise.all(pushers.map((p, i) => pushLoop(p, o.pushesEach, `pusher ${i}`)))).flat();
  stop.done = true;
  const apiWrites = (await Promise.all(api)).flat();

  // the outbox, without the seed push
  const events = o.events().map((e) => ({ ...e, changes: JSON.parse(e.refs) as Array<{ ref: string; oldCommit: string; newCommit: string }> }));
  expect(events[0]!.changes).toEqual([{ ref: MAIN, oldCommit: ZERO, newCommit: seed }]);
  const recorded = events.slice(1);

  // Every acknowledged change: one row of its own, its actor, and for pushes exactly the
  // old→new git reported. Collected first, so a failure shows all that went wrong at once.
  const wrong: string[] = [];
  for (const a of [...pushed, ...apiWrites]) {
    const what = `${a.source} by ${a.by.split("/").pop()} of ${a.ref} to ${a.newCommit.slice(0, 10)}`;
    const rows = recorded.filter((e) => e.changes.some((c) => c.ref === a.ref && c.newCommit === a.newCommit));
    if (rows.length !== 1) {
      wrong.push(`${what}: ${rows.length} rows`);
      continue;
    }
    const row = rows[0]!;
    if (row.source !== a.source || row.actor_arn !== a.by) wrong.push(`${what}: recorded as ${row.source} by ${row.actor_arn.split("/").pop()}`);
    if (row.changes.length !== 1) wrong.push(`${what}: recorded with ${row.changes.length - 1} other changes`);
    else if (a.oldCommit && row.changes[0]!.oldCommit !== a.oldCommit) {
      wrong.push(`${what}: recorded from ${row.changes[0]!.oldCommit.slice(0, 10)}, git moved it from ${a.oldCommit.slice(0, 10)}`);
    }
  }
  expect(wrong, `${wrong.length} problems among ${pushed.length} acknowledged pushes and ${apiWrites.length} API writes`).toEqual([]);
  // nothing recorded that nobody was told about, and main's history is one unbroken chain
  expect(recorded).toHaveLength(pushed.length + apiWrites.length);
  const mainChanges = events.flatMap((e) => e.changes.filter((c) => c.ref === MAIN));
  for (let i = 1; i < mainChanges.length; i++) expect(mainChanges[i]!.oldCommit, `main change ${i}`).toBe(mainChanges[i - 1]!.newCommit);
  const tip = (await call(first.url, "sdk", "GetBranch", { repositoryName: o.repo, branchName: "main" })).out.branch.commitId;
  expect(mainChanges[mainChanges.length - 1]!.newCommit).toBe(tip);
  return { pushes: pushed.length, apiWrites: apiWrites.length };
}
