import { afterEach, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { admin, sleep, sns } from "../helpers/events.js";
import { startServer, type ServerHandle } from "../helpers/server.js";
import { Subscriber, type Received } from "../helpers/subscriber.js";
import { branchesOf, notificationsIn, repoWithTrigger, topicWithSubscriber } from "../helpers/topics.js";

/**
 * "Delivery is at least once; ordering per repository is kept": a destination gets its messages
 * in the order they were queued, also when one of them has to be retried.
 */

/** SNS's default policy (3 retries 20 s apart) with 2-second retries; 2-second attempt deadline. */
const ARGS = ["--delivery-delay-scale", "0.1", "--delivery-timeout-seconds", "2"];

const servers: ServerHandle[] = [];
const subs: Subscriber[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.kill();
  for (const s of subs.splice(0)) await s.close();
});

async function start(dataDir?: string, extra: string[] = []): Promise<ServerHandle> {
  const s = await startServer({ dataDir, args: [...ARGS, ...extra] });
  servers.push(s);
  return s;
}

async function subscriber(): Promise<Subscriber> {
  const s = await Subscriber.start();
  subs.push(s);
  return s;
}

/** From now on, the next notification is answered 500 once; everything else 200. */
function failNextNotificationOnce(s: Subscriber): void {
  let failed = false;
  s.respondWith((r) => {
    if (r.headers["x-amz-sns-message-type"] !== "Notification" || failed) return 200;
    failed = true;
    return 500;
  });
}

const waitForNotifications = (s: Subscriber, n: number, timeoutMs = 30_000) =>
  s.waitFor((rs) => (notificationsIn(rs).length >= n ? notificationsIn(rs) : undefined), timeoutMs);

/** A repository with a trigger to a topic the subscriber is confirmed on, and main pushed (its event delivered). */
async function repositoryWatchedBy(server: ServerHandle, s: Subscriber, repo: string): Promise<string> {
  const { topicArn } = await topicWithSubscriber(server, `codecommit-${repo}`, s);
  await repoWithTrigger(server, repo, topicArn);
  const env = gitHome();
  const work = await makeWorkRepo(env);
  await gitOk(["push", "-q", `${server.url}/v1/repos/${repo}`, "main"], { cwd: work, env });
  await waitForNotifications(s, 1);
  return (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
}

async function createBranches(server: ServerHandle, repo: string, commitId: string, names: string[]): Promise<void> {
  for (const branchName of names) {
    expect((await call(server.url, "sdk", "CreateBranch", { repositoryName: repo, branchName, commitId })).error).toBeUndefined();
  }
}

describe("one destination's messages arrive in order, a retried one first", () => {
  it("holds back events made while the first waits for its retry: b1 (500), b1, b2, b3, b4", async () => {
    const s = await subscriber();
    const server = await start();
    const commit = await repositoryWatchedBy(server, s, "live-order");
    failNextNotificationOnce(s);
    await createBranches(server, "live-order", commit, ["b1", "b2", "b3", "b4"]);

    const got = (await waitForNotifications(s, 6)).slice(1);
    await sleep(500); // and nothing more
    expect(notificationsIn(s.received)).toHaveLength(6);
    expect(branchesOf(got)).toEqual(["b1", "b1", "b2", "b3", "b4"]);
    expect(got.map((r) => r.answered)).toEqual([500, 200, 200, 200, 200]);
    // the retry waited its 2 seconds, and b2 only went after it
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(1800);
    expect(got[1]!.json.MessageId).toBe(got[0]!.json.MessageId);

    // the held-back messages were not attempted while they waited: one attempt each
    const log = (await admin(server.dataDir, ["list-deliveries", "--limit", "100"])).json.deliveries as Array<{ messageId: string; attempts: number; status: string }>;
    const attempts = (r: Received) => log.find((d) => d.messageId === r.json.MessageId)!;
    expect(got.map(attempts).map((d) => [d.status, d.attempts])).toEqual([
      ["delivered", 2],
      ["delivered", 2],
      ["delivered", 1],
      ["delivered", 1],
      ["delivered", 1],
    ]);
  });

  it("holds back messages claimed together with the failing first one (a backlog drained at start)", async () => {
    const s = await subscriber();
    let server = await start();
    const commit = await repositoryWatchedBy(server, s, "backlog-order");
    await server.stop();
    // a process that records events but does not deliver them
    server = await start(server.dataDir, ["--delivery-workers=false"]);
    await createBranches(server, "backlog-order", commit, ["b1", "b2", "b3", "b4", "b5", "b6"]);
    await server.stop();

    failNextNotificationOnce(s);
    await start(server.dataDir);
    const got = (await waitForNotifications(s, 8)).slice(1);
    await sleep(500);
    expect(notificationsIn(s.received)).toHaveLength(8);
    expect(branchesOf(got)).toEqual(["b1", "b1", "b2", "b3", "b4", "b5", "b6"]);
    expect(got.map((r) => r.answered)).toEqual([500, 200, 200, 200, 200, 200, 200]);
  });

  it("lets later messages go once the first fails for good (a 4xx), and sends a redelivered one before newer ones", async () => {
    const s = await subscriber();
    const server = await start();
    const { topicArn } = await topicWithSubscriber(server, "order-redeliver", s);
    const publish = async (message: string) => {
      const r = await sns(server.url, ["publish", "--topic-arn", topicArn, "--message", message]);
      expect(r.code, r.stderr).toBe(0);
      return r.json.MessageId as string;
    };
    // m1 is refused (400: not retried, failed at once); m2 follows it
    s.respondWith((r) => (r.json?.Message === "m1" ? 400 : 200));
    const m1 = await publish("m1");
    await publish("m2");
    await waitForNotifications(s, 2);
    expect(notificationsIn(s.received).map((r) => [r.json.Message, r.answered])).toEqual([
      ["m1", 400],
      ["m2", 200],
    ]);
    const failed = (await admin(server.dataDir, ["list-deliveries", "--status", "failed"])).json.deliveries as Array<{ id: number; messageId: string }>;
    const d1 = failed.find((d) => d.messageId === m1)!;
    expect(d1).toBeDefined();

    // redelivered, m1 fails once more (503) and is retried; m3, published meanwhile, waits for it
    failNextNotificationOnce(s);
    expect((await admin(server.dataDir, ["redeliver", "--delivery-id", String(d1.id)])).json).toEqual({ requeued: 1 });
    await publish("m3");
    const got = (await waitForNotifications(s, 5)).slice(2);
    await sleep(500);
    expect(notificationsIn(s.received)).toHaveLength(5);
    expect(got.map((r) => [r.json.Message, r.answered])).toEqual([
      ["m1", 500],
      ["m1", 200],
      ["m3", 200],
    ]);
  });
});
