import Database from "better-sqlite3";
import { GetBranchCommand, GetRepositoryCommand, ListBranchesCommand } from "@aws-sdk/client-codecommit";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { codecommit, git, gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { recordsOf, refEvents } from "../helpers/events.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";
import { Subscriber } from "../helpers/subscriber.js";
import { notificationsIn, topicWithSubscriber } from "../helpers/topics.js";

const servers: ServerHandle[] = [];
async function start(dataDir?: string, args: string[] = []) {
  const s = await startServer({ dataDir, args });
  servers.push(s);
  return s;
}
const subscribers: Subscriber[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.kill();
  for (const s of subscribers.splice(0)) await s.close();
});

async function createRepo(server: ServerHandle, name: string): Promise<string> {
  const r = await call(server.url, "sdk", "CreateRepository", { repositoryName: name });
  expect(r.error).toBeUndefined();
  return path.join(server.dataDir, "repos", `${r.out.repositoryMetadata.repositoryId}.git`);
}

function addRandomCommit(work: string, env: Record<string, string>, mb: number): Promise<string> {
  execFileSync("head", ["-c", String(mb * 1024 * 1024), "/dev/urandom"], {
    stdio: ["ignore", fs.openSync(path.join(work, `big-${Date.now()}.bin`), "w"), "inherit"],
  });
  return gitOk(["add", "."], { cwd: work, env }).then(() => gitOk(["commit", "-qm", `${mb} MB`], { cwd: work, env }));
}

describe("restarts", () => {
  it("keeps repositories, metadata, branches and content across a graceful restart", async () => {
    const env = gitHome();
    let server = await start();
    await createRepo(server, "keep");
    await call(server.url, "sdk", "UpdateRepositoryDescription", { repositoryName: "keep", repositoryDescription: "still here" });
    await call(server.url, "sdk", "TagResource", { resourceArn: "arn:aws:codecommit:us-east-1:000000000000:keep", tags: { a: "b" } });
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/keep`, "main", "main:side"], { cwd: work, env });
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    expect(await server.stop()).toBe(0);

    server = await start(server.dataDir);
    const sdk = codecommit(server.url);
    const meta = (await sdk.send(new GetRepositoryCommand({ repositoryName: "keep" }))).repositoryMetadata!;
    expect(meta.repositoryDescription).toBe("still here");
    expect(meta.defaultBranch).toBe("main");
    expect((await sdk.send(new ListBranchesCommand({ repositoryName: "keep" }))).branches?.sort()).toEqual(["main", "side"]);
    expect((await call(server.url, "sdk", "ListTagsForResource", { resourceArn: meta.Arn })).out.tags).toEqual({ a: "b" });
    const dir = tmpDir("after-restart");
    await gitOk(["clone", "-q", `${server.url}/v1/repos/keep`, dir], { env });
    expect((await gitOk(["rev-parse", "HEAD"], { cwd: dir, env })).trim()).toBe(tip);
  });

  it("lets a running push finish when stopped with SIGTERM", async () => {
    const env = gitHome();
    const server = await start();
    const gitDir = await createRepo(server, "graceful");
    const work = await makeWorkRepo(env);
    await addRandomCommit(work, env, 60);
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    const push = git(["-c", "pack.window=0", "push", `${server.url}/v1/repos/graceful`, "main"], { cwd: work, env });
    // wait until the pack is arriving (receive-pack's quarantine exists), then ask the server to stop
    await waitFor(() => fs.readdirSync(path.join(gitDir, "objects")).some((e) => e.startsWith("tmp_objdir-incoming-")), 50, 60_000);
    const exit = server.stop();
    const r = await push;
    expect(r.code).toBe(0);
    expect(await exit).toBe(0);
    const again = await start(server.dataDir);
    expect((await codecommit(again.url).send(new GetBranchCommand({ repositoryName: "graceful", branchName: "main" }))).branch?.commitId).toBe(tip);
  });

  it("a SIGKILL in the middle of a push leaves a repository git fsck accepts and the API serves", async () => {
    const env = gitHome();
    const server = await start();
    const gitDir = await createRepo(server, "crashy");
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/crashy`, "main"], { cwd: work, env });
    const before = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    await addRandomCommit(work, env, 150);

    const child = spawn("git", ["-c", "pack.window=0", "push", `${server.url}/v1/repos/crashy`, "main"], { cwd: work, env, stdio: "ignore" });
    const pushDone = new Promise<number | null>((r) => child.on("close", r));
    // kill once receive-pack has started writing the incoming pack into its quarantine
    await waitFor(() => fs.readdirSync(path.join(gitDir, "objects")).some((e) => e.startsWith("tmp_objdir-incoming-")), 50, 60_000);
    await server.kill();
    expect(await pushDone).not.toBe(0);

    execFileSync("git", ["--git-dir", gitDir, "fsck", "--full", "--no-progress"], { stdio: "pipe" });
    const again = await start(server.dataDir);
    const sdk = codecommit(again.url);
    expect((await sdk.send(new GetBranchCommand({ repositoryName: "crashy", branchName: "main" }))).branch?.commitId).toBe(before);
    const dir = tmpDir("after-crash");
    await gitOk(["clone", "-q", `${again.url}/v1/repos/crashy`, dir], { env });
    expect((await gitOk(["rev-parse", "HEAD"], { cwd: dir, env })).trim()).toBe(before);
    // and the interrupted push can simply be retried
    await gitOk(["-c", "pack.window=0", "push", "-q", `${again.url}/v1/repos/crashy`, "main"], { cwd: work, env });
  });
});

describe("every ref change is recorded (the outbox the events issue delivers from)", () => {
  it("records pushes as one row per push, API changes as their own rows, and repairs what a crash missed", async () => {
    const env = gitHome();
    let server = await start();
    const gitDir = await createRepo(server, "ledger");
    // a subscriber of the repository's trigger: the repaired changes must reach it too
    const sub = await Subscriber.start();
    subscribers.push(sub);
    const { topicArn } = await topicWithSubscriber(server, "codecommit-ledger", sub);
    const put = await call(server.url, "sdk", "PutRepositoryTriggers", { repositoryName: "ledger", triggers: [{ name: "all", destinationArn: topicArn, branches: [], events: ["all"] }] });
    expect(put.error).toBeUndefined();
    const work = await makeWorkRepo(env);
    const c1 = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    await gitOk(["push", "-q", `${server.url}/v1/repos/ledger`, "main", "main:refs/heads/dev", "main:refs/tags/v1"], { cwd: work, env });
    await call(server.url, "sdk", "CreateBranch", { repositoryName: "ledger", branchName: "api-made", commitId: c1 });
    await call(server.url, "sdk", "DeleteBranch", { repositoryName: "ledger", branchName: "dev" });
    const admin = "arn:aws:iam::000000000000:user/admin";
    let rows = refEvents(server.dataDir);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ source: "push", actor_arn: admin, repository_name: "ledger" });
    expect(JSON.parse(rows[0]!.refs).map((r: { ref: string }) => r.ref)).toEqual(["refs/heads/dev", "refs/heads/main", "refs/tags/v1"]);
    expect(JSON.parse(rows[1]!.refs)).toEqual([{ ref: "refs/heads/api-made", oldCommit: "0".repeat(40), newCommit: c1 }]);
    expect(rows[2]).toMatchObject({ source: "api" });
    expect(JSON.parse(rows[2]!.refs)).toEqual([{ ref: "refs/heads/dev", oldCommit: c1, newCommit: "0".repeat(40) }]);

    // a ref that moved while nothing recorded it (a crash between git and the database)
    expect(await server.stop()).toBe(0);
    execFileSync("git", ["--git-dir", gitDir, "update-ref", "refs/heads/sneaky", c1]);
    // and a push whose intent was written but never finished
    const db = new Database(path.join(server.dataDir, "headwater.db"));
    const repoId = path.basename(gitDir, ".git");
    db.prepare("insert into ref_intents (id, repository_id, actor_arn, source, refs, started_at) values (?, ?, ?, ?, ?, ?)").run(
      "intent-1", repoId, "arn:aws:iam::000000000000:user/pusher", "push", JSON.stringify(["refs/heads/pushed"]), Date.now(),
    );
    db.close();
    execFileSync("git", ["--git-dir", gitDir, "update-ref", "refs/heads/pushed", c1]);
    server = await start(server.dataDir);
    rows = refEvents(server.dataDir);
    expect(rows).toHaveLength(5);
    expect(rows[3]).toMatchObject({ source: "push", actor_arn: "arn:aws:iam::000000000000:user/pusher" });
    expect(JSON.parse(rows[3]!.refs)[0].ref).toBe("refs/heads/pushed");
    expect(rows[4]).toMatchObject({ source: "repair" });
    expect(JSON.parse(rows[4]!.refs)[0].ref).toBe("refs/heads/sneaky");

    // and the subscriber is told of both, after the three changes it heard of before
    const got = await sub.waitFor((rs) => (notificationsIn(rs).length >= 5 ? notificationsIn(rs) : undefined), 30_000);
    await sleep(500);
    expect(notificationsIn(sub.received)).toHaveLength(5);
    const told = got.slice(3).map((n) => {
      const r = recordsOf(n)[0];
      return { ref: r.codecommit.references[0].ref, commit: r.codecommit.references[0].commit, by: r.userIdentityARN };
    });
    expect(told).toEqual([
      { ref: "refs/heads/pushed", commit: c1, by: "arn:aws:iam::000000000000:user/pusher" },
      { ref: "refs/heads/sneaky", commit: c1, by: "arn:aws:iam::000000000000:root" },
    ]);
  });
});

export function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cond: () => boolean, everyMs: number, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await sleep(everyMs);
  }
}
