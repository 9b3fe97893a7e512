import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { admin, gitUrlWithCredentials, query, recordsOf, sleep, sns } from "../helpers/events.js";
import { startServer, type ServerHandle } from "../helpers/server.js";
import { Subscriber, type Received } from "../helpers/subscriber.js";

const ACCOUNT = "000000000000";
/** 20 s retry delays become 200 ms; 2-second attempt deadline. */
const FAST = ["--delivery-delay-scale", "0.01", "--delivery-timeout-seconds", "2"];

const subs: Subscriber[] = [];
async function subscriber(opts: Parameters<typeof Subscriber.start>[0] = {}): Promise<Subscriber> {
  const s = await Subscriber.start(opts);
  subs.push(s);
  return s;
}

async function topicWithSubscriber(server: ServerHandle, name: string, s: Subscriber, attributes?: Record<string, string>): Promise<{ topicArn: string; subArn: string }> {
  const topicArn = (await sns(server.url, ["create-topic", "--name", name])).json.TopicArn;
  const args = ["subscribe", "--topic-arn", topicArn, "--protocol", "http", "--notification-endpoint", s.url, "--return-subscription-arn"];
  if (attributes) args.push("--attributes", JSON.stringify(attributes));
  const subArn = (await sns(server.url, args)).json.SubscriptionArn;
  for (let i = 0; i < 100; i++) {
    const a = await sns(server.url, ["get-subscription-attributes", "--subscription-arn", subArn]);
    if (a.json?.Attributes?.PendingConfirmation === "false") return { topicArn, subArn };
    await sleep(100);
  }
  throw new Error("never confirmed");
}

const notificationsOf = (id: string) => (rs: Received[]) => rs.filter((r) => r.headers["x-amz-sns-message-id"] === id);

describe("retries, the failed list and redelivery", () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startServer({ args: FAST });
  });
  afterAll(async () => {
    for (const s of subs.splice(0)) await s.close();
    await server?.stop();
  });

  async function deliveriesOf(messageId: string) {
    const r = await admin(server.dataDir, ["list-deliveries", "--limit", "1000"]);
    expect(r.code, r.stderr).toBe(0);
    return (r.json.deliveries as any[]).filter((d) => d.messageId === messageId);
  }

  it("retries a subscriber that fails twice: the third attempt delivers the same message, 200 ms apart", async () => {
    let notifications = 0;
    const s = await subscriber({ respond: (r) => (r.headers["x-amz-sns-message-type"] === "Notification" && ++notifications <= 2 ? 500 : 200) });
    const { topicArn } = await topicWithSubscriber(server, "retry-twice", s);
    const id = (await sns(server.url, ["publish", "--topic-arn", topicArn, "--message", "third time lucky"])).json.MessageId;
    const got = await s.waitFor((rs) => (notificationsOf(id)(rs).length >= 3 ? notificationsOf(id)(rs) : undefined));
    expect(got.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(new Set(got.map((r) => r.json.MessageId))).toEqual(new Set([id]));
    expect(new Set(got.map((r) => r.body)).size).toBe(1); // byte for byte the same message, signature included
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(180);
    expect(got[2]!.at - got[1]!.at).toBeGreaterThanOrEqual(180);
    await sleep(500);
    expect(notificationsOf(id)(s.received)).toHaveLength(3);

    const [d] = await deliveriesOf(id);
    expect(d).toMatchObject({ status: "delivered", kind: "http", messageType: "Notification", endpoint: s.url, attempts: 3, topicArn });
    expect(d.attemptLog.map((a: any) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [1, "retry", 500],
      [2, "retry", 500],
      [3, "success", 200],
    ]);
    for (const a of d.attemptLog) {
      expect(a.latencyMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(a.startedAt)).toBeGreaterThan(0);
    }
  });

  it("keeps a message whose retries ran out in the failed list, and redelivers it on request", async () => {
    let healthy = false;
    const s = await subscriber({ respond: (r) => (r.headers["x-amz-sns-message-type"] === "Notification" && !healthy ? 503 : 200) });
    const { topicArn } = await topicWithSubscriber(server, "never-succeeds", s);
    const id = (await sns(server.url, ["publish", "--topic-arn", topicArn, "--message", "undeliverable"])).json.MessageId;
    // the default policy: the first attempt and 3 retries
    await s.waitFor((rs) => notificationsOf(id)(rs).length >= 4);
    let d;
    for (let i = 0; i < 50; i++) {
      [d] = await deliveriesOf(id);
      if (d.status === "failed") break;
      await sleep(100);
    }
    expect(d).toMatchObject({ status: "failed", attempts: 4, lastStatusCode: 503, lastError: "HTTP 503" });
    expect(d.attemptLog.map((a: any) => a.outcome)).toEqual(["retry", "retry", "retry", "failed"]);
    const failed = await admin(server.dataDir, ["list-deliveries", "--status", "failed"]);
    expect(failed.json.deliveries.map((x: any) => x.id)).toContain(d.id);
    await sleep(500);
    expect(notificationsOf(id)(s.received)).toHaveLength(4);

    healthy = true;
    const again = await admin(server.dataDir, ["redeliver", "--delivery-id", String(d.id)]);
    expect(again.json).toEqual({ requeued: 1 });
    const got = await s.waitFor((rs) => (notificationsOf(id)(rs).length >= 5 ? notificationsOf(id)(rs) : undefined));
    expect(got[4]!.answered).toBe(200);
    expect(got[4]!.body).toBe(got[0]!.body);
    for (let i = 0; i < 50; i++) {
      [d] = await deliveriesOf(id);
      if (d.status === "delivered") break;
      await sleep(100);
    }
    expect(d).toMatchObject({ status: "delivered", attempts: 5 });
    expect((await admin(server.dataDir, ["redeliver", "--delivery-id", String(d.id)])).json).toEqual({ requeued: 0 });
  });

  it("does not retry client errors (4xx), honours the subscription's DeliveryPolicy, and times out silent endpoints", async () => {
    const s404 = await subscriber({ respond: (r) => (r.headers["x-amz-sns-message-type"] === "Notification" ? 404 : 200) });
    const t404 = await topicWithSubscriber(server, "client-error", s404);
    const id404 = (await sns(server.url, ["publish", "--topic-arn", t404.topicArn, "--message", "m"])).json.MessageId;

    const s500 = await subscriber({ respond: (r) => (r.headers["x-amz-sns-message-type"] === "Notification" ? 500 : 200) });
    const policy = { healthyRetryPolicy: { numRetries: 1, minDelayTarget: 1, maxDelayTarget: 1 } };
    const t500 = await topicWithSubscriber(server, "one-retry", s500, { DeliveryPolicy: JSON.stringify(policy) });
    const id500 = (await sns(server.url, ["publish", "--topic-arn", t500.topicArn, "--message", "m"])).json.MessageId;

    let first = true;
    const slow = await subscriber({
      respond: (r) => {
        if (r.headers["x-amz-sns-message-type"] !== "Notification") return 200;
        const hang = first;
        first = false;
        return hang ? "hang" : 200;
      },
    });
    const tSlow = await topicWithSubscriber(server, "slow", slow);
    const idSlow = (await sns(server.url, ["publish", "--topic-arn", tSlow.topicArn, "--message", "m"])).json.MessageId;

    await s500.waitFor((rs) => notificationsOf(id500)(rs).length >= 2);
    await slow.waitFor((rs) => notificationsOf(idSlow)(rs).length >= 2, 20_000);
    await sleep(800);
    expect(notificationsOf(id404)(s404.received)).toHaveLength(1);
    expect(notificationsOf(id500)(s500.received)).toHaveLength(2);
    const list = (await admin(server.dataDir, ["list-deliveries", "--limit", "1000"])).json.deliveries as any[];
    expect(list.find((d) => d.messageId === id404)).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 404 });
    expect(list.find((d) => d.messageId === id500)).toMatchObject({ status: "failed", attempts: 2 });
    const slowD = list.find((d) => d.messageId === idSlow);
    expect(slowD).toMatchObject({ status: "delivered", attempts: 2 });
    expect(slowD.attemptLog[0]).toMatchObject({ outcome: "retry", error: "no response within 2 seconds" });
    expect(slowD.attemptLog[0].latencyMs).toBeGreaterThanOrEqual(1900);
  });
});

describe("never lost", () => {
  const servers: ServerHandle[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.kill();
    for (const s of subs.splice(0)) await s.close();
  });
  async function start(dataDir?: string, args: string[] = []) {
    const s = await startServer({ dataDir, args: [...FAST, ...args] });
    servers.push(s);
    return s;
  }

  async function repoWithTrigger(server: ServerHandle, repo: string, s: Subscriber): Promise<string> {
    const { topicArn } = await topicWithSubscriber(server, `codecommit-${repo}`, s);
    expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: repo })).error).toBeUndefined();
    const put = await call(server.url, "sdk", "PutRepositoryTriggers", {
      repositoryName: repo,
      triggers: [{ name: "all", destinationArn: topicArn, branches: [], events: ["all"] }],
    });
    expect(put.error).toBeUndefined();
    return topicArn;
  }

  it("delivers after a SIGKILL between the push and its fan-out (the outbox row waits)", async () => {
    const s = await subscriber();
    let server = await start();
    await repoWithTrigger(server, "killed", s);
    await server.stop();
    // a process that records events but does not deliver them, then dies
    server = await start(server.dataDir, ["--delivery-workers=false"]);
    const env = gitHome();
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/killed`, "main"], { cwd: work, env });
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    // recorded, and not yet read by the triggers' reader of the outbox
    expect(query(server.dataDir, "select id from ref_events where id > (select position from outbox_cursors where consumer = 'triggers')")).toHaveLength(1);
    await server.kill();
    await sleep(300);
    expect(s.notifications()).toHaveLength(0);

    await start(server.dataDir);
    const n = await s.waitFor((rs) => rs.find((r) => r.headers["x-amz-sns-message-type"] === "Notification"));
    expect(recordsOf(n)[0].codecommit.references).toEqual([{ commit: tip, ref: "refs/heads/main", created: true }]);
    await sleep(500);
    expect(s.notifications()).toHaveLength(1);
  });

  it("delivers after a SIGKILL during the delivery itself (again, with the same MessageId)", async () => {
    let hang = true;
    const s = await subscriber({ respond: (r) => (r.headers["x-amz-sns-message-type"] === "Notification" && hang ? "hang" : 200) });
    const server = await start(undefined, ["--delivery-timeout-seconds", "60"]);
    await repoWithTrigger(server, "mid-flight", s);
    const env = gitHome();
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/mid-flight`, "main"], { cwd: work, env });
    const first = await s.waitFor((rs) => rs.find((r) => r.headers["x-amz-sns-message-type"] === "Notification"));
    await server.kill(); // the subscriber got the request, the server never heard back
    hang = false;
    await start(server.dataDir);
    const again = await s.waitFor((rs) => rs.filter((r) => r.headers["x-amz-sns-message-type"] === "Notification")[1]);
    expect(again.json.MessageId).toBe(first.json.MessageId);
    // the same message and signature (the server's URLs moved: the test restarts it on a new port)
    const { SigningCertURL: _a, UnsubscribeURL: _b, ...kept } = first.json;
    expect(again.json).toMatchObject(kept);
    await sleep(500);
    expect(s.notifications()).toHaveLength(2);
  });

  it("delivers after a SIGKILL while the subscriber is down (its retry waits in the queue; the same MessageId)", async () => {
    const s = await subscriber();
    // retries 5 s apart: the server is killed while the first one waits
    const args = ["--delivery-delay-scale", "0.25", "--delivery-timeout-seconds", "2"];
    const first = await startServer({ args });
    servers.push(first);
    await repoWithTrigger(first, "subscriber-down", s);
    const port = s.port;
    await s.close();
    const env = gitHome();
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${first.url}/v1/repos/subscriber-down`, "main"], { cwd: work, env });
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    // the push is acknowledged, its event recorded and tried once (refused), not delivered
    let tried: any;
    for (let i = 0; i < 100 && !tried; i++) {
      await sleep(100);
      const log = (await admin(first.dataDir, ["list-deliveries"])).json.deliveries as any[];
      tried = log.find((d) => d.messageType === "Notification" && d.attempts >= 1);
    }
    expect(tried).toMatchObject({ status: "pending", attempts: 1, lastError: expect.stringContaining("ECONNREFUSED") });
    await first.kill();

    const back = await subscriber({ port });
    expect(back.url).toBe(s.url);
    const again = await startServer({ dataDir: first.dataDir, args });
    servers.push(again);
    const n = await back.waitFor((rs) => rs.find((r) => r.headers["x-amz-sns-message-type"] === "Notification"), 30_000);
    expect(n.json.MessageId).toBe(tried.messageId);
    expect(recordsOf(n)[0].codecommit.references).toEqual([{ commit: tip, ref: "refs/heads/main", created: true }]);
    await sleep(500);
    expect(back.notifications()).toHaveLength(1);
    const log = (await admin(again.dataDir, ["list-deliveries"])).json.deliveries as any[];
    expect(log.find((d) => d.id === tried.id)).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("200 pushes from 10 clients: 200 events, none lost, each branch's in order", async () => {
    const s = await subscriber();
    const server = await start();
    await repoWithTrigger(server, "busy", s);
    const url = (await gitUrlWithCredentials(server))("busy");
    const env = gitHome(undefined, { helper: false });
    const pushed: Array<{ ref: string; commit: string; created: boolean }> = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, client) => {
        const work = await makeWorkRepo(env, { [`client-${client}.txt`]: "0\n" });
        for (let i = 0; i < 20; i++) {
          if (i > 0) await gitOk(["commit", "-q", "--allow-empty", "-m", `push ${i}`], { cwd: work, env });
          const commit = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
          await gitOk(["push", "-q", url, `HEAD:refs/heads/client-${client}`], { cwd: work, env });
          pushed.push({ ref: `refs/heads/client-${client}`, commit, created: i === 0 });
        }
      }),
    );
    expect(pushed).toHaveLength(200);
    const got = await s.waitFor((rs) => {
      const ns = rs.filter((r) => r.headers["x-amz-sns-message-type"] === "Notification");
      return ns.length >= 200 ? ns : undefined;
    }, 60_000);
    await sleep(500);
    expect(s.notifications()).toHaveLength(200);
    const delivered = got.map((n) => {
      const r = recordsOf(n)[0];
      expect(r.codecommit.references).toHaveLength(1);
      return { ...r.codecommit.references[0], eventId: r.eventId };
    });
    expect(new Set(delivered.map((d) => d.eventId)).size).toBe(200);
    const key = (d: { ref: string; commit: string }) => `${d.ref} ${d.commit}`;
    expect(delivered.map(key).sort()).toEqual(pushed.map(key).sort());
    for (const d of delivered) expect(d.created === true).toBe(pushed.find((p) => key(p) === key(d))!.created);
    // each client's branch: its notifications arrive in the order of its pushes
    for (let c = 0; c < 10; c++) {
      const ref = `refs/heads/client-${c}`;
      expect(delivered.filter((d) => d.ref === ref).map((d) => d.commit)).toEqual(pushed.filter((p) => p.ref === ref).map((p) => p.commit));
    }
    expect(query(server.dataDir, "select count(*) as n from ref_events where repository_name = 'busy'")[0]).toEqual({ n: 200 });
    expect(query(server.dataDir, "select count(*) as n from ref_events where id > (select position from outbox_cursors where consumer = 'triggers')")[0]).toEqual({ n: 0 });
  });
});

