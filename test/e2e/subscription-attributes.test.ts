import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, sleep, sns } from "../helpers/events.js";
import { startServer, type ServerHandle } from "../helpers/server.js";
import { Subscriber, type Received } from "../helpers/subscriber.js";
import { notificationsIn, topicWithSubscriber } from "../helpers/topics.js";

/**
 * SetSubscriptionAttributes with the AWS CLI v2, seen where it matters: in what the endpoint
 * receives next. (Messages to one subscription arrive in order, so a message published before
 * one that arrived and not received itself was not sent.)
 */
describe("SetSubscriptionAttributes changes what is delivered", () => {
  let server: ServerHandle;
  let s: Subscriber;
  let topicArn: string;
  let subArn: string;
  beforeAll(async () => {
    // 20 s retry delays become 1 s, a 1-second delay 50 ms
    server = await startServer({ args: ["--delivery-delay-scale", "0.05", "--delivery-timeout-seconds", "2"] });
    s = await Subscriber.start();
    ({ topicArn, subArn } = await topicWithSubscriber(server, "codecommit-attrs", s));
  });
  afterAll(async () => {
    await s?.close();
    await server?.stop();
  });

  const set = async (name: string, value: string) => {
    const r = await sns(server.url, ["set-subscription-attributes", "--subscription-arn", subArn, "--attribute-name", name, "--attribute-value", value]);
    expect(r.code, r.stderr).toBe(0);
  };
  const attributes = async () => (await sns(server.url, ["get-subscription-attributes", "--subscription-arn", subArn])).json.Attributes as Record<string, string>;
  const publish = async (message: string, kind?: string) => {
    const args = ["publish", "--topic-arn", topicArn, "--message", message];
    if (kind) args.push("--message-attributes", JSON.stringify({ kind: { DataType: "String", StringValue: kind } }));
    const r = await sns(server.url, args);
    expect(r.code, r.stderr).toBe(0);
    return r.json.MessageId as string;
  };
  const arrival = (id: string) => s.waitFor((rs) => rs.find((r) => r.headers["x-amz-sns-message-id"] === id));
  const ids = (rs: Received[]) => notificationsIn(rs).map((r) => r.headers["x-amz-sns-message-id"]);

  it("RawMessageDelivery: the bare message while true, the signed envelope again once false", async () => {
    const enveloped = await arrival(await publish("p1"));
    expect(enveloped.json).toMatchObject({ Type: "Notification", Message: "p1" });
    expect(enveloped.headers["x-amz-sns-rawdelivery"]).toBeUndefined();

    await set("RawMessageDelivery", "true");
    expect((await attributes()).RawMessageDelivery).toBe("true");
    const raw = await arrival(await publish("p2", "push"));
    expect(raw.body).toBe("p2");
    expect(raw.headers["x-amz-sns-rawdelivery"]).toBe("true");
    expect(raw.headers["x-amz-sns-subscription-arn"]).toBe(subArn);

    await set("RawMessageDelivery", "false");
    const again = await arrival(await publish("p3"));
    expect(again.json).toMatchObject({ Type: "Notification", Message: "p3" });
  });

  it("FilterPolicy: set, only matching messages arrive; cleared with {}, all arrive again", async () => {
    await set("FilterPolicy", JSON.stringify({ kind: ["push"] }));
    expect(JSON.parse((await attributes()).FilterPolicy!)).toEqual({ kind: ["push"] });
    const tag = await publish("a tag", "tag");
    const none = await publish("no attributes");
    const push = await publish("a push", "push");
    await arrival(push);
    expect(ids(s.received)).not.toContain(tag);
    expect(ids(s.received)).not.toContain(none);

    await set("FilterPolicy", "{}");
    const tag2 = await publish("another tag", "tag");
    await arrival(tag2);
    expect(ids(s.received).slice(-2)).toEqual([push, tag2]);
  });

  it("DeliveryPolicy: its retries, content type and throttle apply to the next messages", async () => {
    const policy = {
      healthyRetryPolicy: { numRetries: 1, minDelayTarget: 1, maxDelayTarget: 1 },
      requestPolicy: { headerContentType: "application/json" },
    };
    await set("DeliveryPolicy", JSON.stringify(policy));
    const effective = JSON.parse((await attributes()).EffectiveDeliveryPolicy!);
    expect(effective.healthyRetryPolicy).toMatchObject({ numRetries: 1, minDelayTarget: 1, maxDelayTarget: 1 });
    expect(effective.requestPolicy).toEqual({ headerContentType: "application/json" });

    s.respondWith((r) => (r.json?.Message === "refused" ? 503 : 200));
    const refused = await publish("refused");
    const byId = (rs: Received[]) => rs.filter((r) => r.headers["x-amz-sns-message-id"] === refused);
    const tries = await s.waitFor((rs) => (byId(rs).length >= 2 ? byId(rs) : undefined));
    // one retry (not SNS's default three), 50 ms later (not 1 s)
    expect(tries[1]!.at - tries[0]!.at).toBeLessThan(900);
    for (const t of tries) expect(t.headers["content-type"]).toBe("application/json");
    let d: any;
    for (let i = 0; i < 50 && d?.status !== "failed"; i++) {
      await sleep(100);
      d = ((await admin(server.dataDir, ["list-deliveries"])).json.deliveries as any[]).find((x) => x.messageId === refused);
    }
    expect(d).toMatchObject({ status: "failed", attempts: 2, lastStatusCode: 503 });
    expect(byId(s.received)).toHaveLength(2);
    s.respondWith(undefined);

    // a throttle of 4 a second: five messages take at least a second
    await set("DeliveryPolicy", JSON.stringify({ throttlePolicy: { maxReceivesPerSecond: 4 } }));
    const batch = await sns(server.url, ["publish-batch", "--topic-arn", topicArn, "--publish-batch-request-entries", JSON.stringify([1, 2, 3, 4, 5].map((i) => ({ Id: `t${i}`, Message: `throttled ${i}` })))]);
    expect(batch.code, batch.stderr).toBe(0);
    const want = (batch.json.Successful as Array<{ MessageId: string }>).map((e) => e.MessageId);
    const got = await s.waitFor((rs) => {
      const mine = notificationsIn(rs).filter((r) => want.includes(r.headers["x-amz-sns-message-id"] as string));
      return mine.length >= 5 ? mine : undefined;
    });
    expect(got.map((r) => r.headers["x-amz-sns-message-id"])).toEqual(want);
    for (let i = 1; i < got.length; i++) expect(got[i]!.at - got[i - 1]!.at).toBeGreaterThanOrEqual(240);
    expect(got[4]!.at - got[0]!.at).toBeLessThan(4000);
    expect(got[0]!.headers["content-type"]).toBe("text/plain; charset=UTF-8"); // the new policy has no request policy
  });
});
