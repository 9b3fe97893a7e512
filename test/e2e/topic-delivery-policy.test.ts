import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { admin, sleep, sns } from "../helpers/events.js";
import { startServer, type ServerHandle } from "../helpers/server.js";
import { Subscriber, type Received } from "../helpers/subscriber.js";
import { notificationsIn, repoWithTrigger, topicWithSubscriber } from "../helpers/topics.js";

/**
 * A topic's DeliveryPolicy (SetTopicAttributes, AWS CLI v2) governs real deliveries: its retry
 * policy for subscriptions without their own, over theirs with disableSubscriptionOverrides,
 * its content type, and its throttle.
 */
describe("the topic's DeliveryPolicy", () => {
  let server: ServerHandle;
  const subs: Subscriber[] = [];
  beforeAll(async () => {
    // a 10-second delay becomes 500 ms; SNS's default 20 s would be 1 s
    server = await startServer({ args: ["--delivery-delay-scale", "0.05", "--delivery-timeout-seconds", "2"] });
  });
  afterAll(async () => {
    for (const s of subs) await s.close();
    await server?.stop();
  });

  async function subscriber(): Promise<Subscriber> {
    const s = await Subscriber.start();
    subs.push(s);
    return s;
  }
  const setPolicy = async (topicArn: string, policy: unknown) => {
    const r = await sns(server.url, ["set-topic-attributes", "--topic-arn", topicArn, "--attribute-name", "DeliveryPolicy", "--attribute-value", JSON.stringify(policy)]);
    expect(r.code, r.stderr).toBe(0);
  };
  const publish = async (topicArn: string, message: string) => {
    const r = await sns(server.url, ["publish", "--topic-arn", topicArn, "--message", message]);
    expect(r.code, r.stderr).toBe(0);
    return r.json.MessageId as string;
  };
  const attemptsOf = (s: Subscriber, id: string) => s.received.filter((r) => r.headers["x-amz-sns-message-id"] === id);
  async function finalDelivery(messageId: string): Promise<any> {
    let d: any;
    for (let i = 0; i < 100 && !(d && d.status !== "pending"); i++) {
      await sleep(100);
      d = ((await admin(server.dataDir, ["list-deliveries", "--limit", "1000"])).json.deliveries as any[]).find((x) => x.messageId === messageId);
    }
    return d;
  }
  const retryPolicy = { numRetries: 2, minDelayTarget: 10, maxDelayTarget: 10, backoffFunction: "linear" };

  it("retries a failing subscriber by the topic's policy, with the topic's content type", async () => {
    const s = await subscriber();
    const { topicArn } = await topicWithSubscriber(server, "codecommit-topic-policy", s);
    await setPolicy(topicArn, { http: { defaultHealthyRetryPolicy: retryPolicy, defaultRequestPolicy: { headerContentType: "application/json; charset=UTF-8" } } });
    s.respondWith((r) => (r.headers["x-amz-sns-message-type"] === "Notification" ? 503 : 200));
    const id = await publish(topicArn, "refused");
    const tries = await s.waitFor(() => (attemptsOf(s, id).length >= 3 ? attemptsOf(s, id) : undefined));
    expect(await finalDelivery(id)).toMatchObject({ status: "failed", attempts: 3 });
    await sleep(1200);
    expect(attemptsOf(s, id)).toHaveLength(3); // two retries, not the default three
    for (let i = 1; i < 3; i++) {
      const gap = tries[i]!.at - tries[i - 1]!.at;
      expect(gap).toBeGreaterThanOrEqual(450);
      expect(gap).toBeLessThan(950); // 10 s scaled, not the default 20 s
    }
    for (const t of tries) expect(t.headers["content-type"]).toBe("application/json; charset=UTF-8");
  });

  it("lets a subscription's own policy win, unless the topic disables subscription overrides", async () => {
    const s = await subscriber();
    const own = { healthyRetryPolicy: { numRetries: 0 }, requestPolicy: { headerContentType: "text/xml" } };
    const { topicArn } = await topicWithSubscriber(server, "codecommit-overrides", s, { attributes: { DeliveryPolicy: JSON.stringify(own) } });
    const http = { defaultHealthyRetryPolicy: retryPolicy, defaultRequestPolicy: { headerContentType: "application/json" } };
    await setPolicy(topicArn, { http });
    s.respondWith((r) => (r.headers["x-amz-sns-message-type"] === "Notification" ? 500 : 200));

    const ownWins = await publish(topicArn, "the subscription's policy");
    expect(await finalDelivery(ownWins)).toMatchObject({ status: "failed", attempts: 1 });
    expect(attemptsOf(s, ownWins).map((r) => r.headers["content-type"])).toEqual(["text/xml"]);

    await setPolicy(topicArn, { http: { ...http, disableSubscriptionOverrides: true } });
    const topicWins = await publish(topicArn, "the topic's policy");
    expect(await finalDelivery(topicWins)).toMatchObject({ status: "failed", attempts: 3 });
    expect(attemptsOf(s, topicWins).map((r) => r.headers["content-type"])).toEqual(["application/json", "application/json", "application/json"]);
  });

  it("throttles to maxReceivesPerSecond, also for a message arriving just after the queue emptied", async () => {
    const s = await subscriber();
    const { topicArn } = await topicWithSubscriber(server, "codecommit-throttled", s);
    await setPolicy(topicArn, { http: { defaultThrottlePolicy: { maxReceivesPerSecond: 2 } } });
    await repoWithTrigger(server, "throttled", topicArn);
    const env = gitHome();
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/throttled`, "main"], { cwd: work, env });
    const commitId = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    await s.waitFor((rs) => notificationsIn(rs).length >= 1);

    const entries = [1, 2, 3, 4].map((i) => ({ Id: `m${i}`, Message: `burst ${i}` }));
    const batch = await sns(server.url, ["publish-batch", "--topic-arn", topicArn, "--publish-batch-request-entries", JSON.stringify(entries)]);
    expect(batch.code, batch.stderr).toBe(0);
    await s.waitFor((rs) => notificationsIn(rs).length >= 5);
    // the next one (CreateBranch: milliseconds) as soon as the burst is through: it waits its turn
    expect((await call(server.url, "sdk", "CreateBranch", { repositoryName: "throttled", branchName: "late", commitId })).error).toBeUndefined();
    const all: Received[] = await s.waitFor((rs) => (notificationsIn(rs).length >= 6 ? notificationsIn(rs) : undefined));
    expect(all.slice(1, 5).map((r) => r.json.Message)).toEqual(["burst 1", "burst 2", "burst 3", "burst 4"]);
    expect(JSON.parse(all[5]!.json.Message).Records[0].codecommit.references[0].ref).toBe("refs/heads/late");
    for (let i = 2; i < all.length; i++) expect(all[i]!.at - all[i - 1]!.at).toBeGreaterThanOrEqual(480);
    expect(all[4]!.at - all[1]!.at).toBeLessThan(3000); // about 1.5 s: throttled, not stalled
  });
});
