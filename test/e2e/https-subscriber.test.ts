import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { admin, recordsOf, sleep, sns } from "../helpers/events.js";
import { startServer, type ServerHandle } from "../helpers/server.js";
import { Subscriber } from "../helpers/subscriber.js";
import { makeTestCa, type TestCa } from "../helpers/test-ca.js";
import { notificationsIn, repoWithTrigger, topicWithSubscriber } from "../helpers/topics.js";

/**
 * HTTPS subscriptions, as Git Integration for Jira makes them: the endpoint's certificate comes
 * from a CA of its own, which the server is told to trust with NODE_EXTRA_CA_CERTS.
 */
describe("an HTTPS subscriber with a private CA", () => {
  let ca: TestCa;
  let sub: Subscriber;
  const servers: ServerHandle[] = [];
  beforeAll(async () => {
    ca = makeTestCa();
    sub = await Subscriber.start({ tls: { key: ca.key, cert: ca.cert }, path: "/rest/gitplugin/1.0/webhook" });
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await sub?.close();
  });

  it("is confirmed and receives trigger notifications when the server trusts its CA", async () => {
    const server = await startServer({ args: ["--delivery-delay-scale", "0.01"], env: { NODE_EXTRA_CA_CERTS: ca.caFile } });
    servers.push(server);
    expect(sub.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    const { topicArn, subArn } = await topicWithSubscriber(server, "codecommit-jira-tls", sub);
    const listed = await sns(server.url, ["list-subscriptions-by-topic", "--topic-arn", topicArn]);
    expect(listed.json.Subscriptions).toEqual([expect.objectContaining({ SubscriptionArn: subArn, Protocol: "https", Endpoint: sub.url })]);
    expect(sub.ofType("SubscriptionConfirmation")).toHaveLength(1);

    await repoWithTrigger(server, "tls-demo", topicArn);
    const env = gitHome();
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/tls-demo`, "main"], { cwd: work, env });
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    const n = await sub.waitFor((rs) => notificationsIn(rs)[0]);
    expect(n.path).toBe("/rest/gitplugin/1.0/webhook");
    expect(n.headers["x-amz-sns-subscription-arn"]).toBe(subArn);
    expect(n.json.Subject).toBe("UPDATE: AWS CodeCommit us-east-1 push: tls-demo");
    expect(recordsOf(n)[0].codecommit.references).toEqual([{ commit: tip, ref: "refs/heads/main", created: true }]);

    // an https subscription gets the https body of a MessageStructure=json message
    const pub = await sns(server.url, ["publish", "--topic-arn", topicArn, "--message-structure", "json", "--message", JSON.stringify({ default: "plain", http: "for http", https: "for https" })]);
    expect(pub.code, pub.stderr).toBe(0);
    const m = await sub.waitFor((rs) => rs.find((r) => r.headers["x-amz-sns-message-id"] === pub.json.MessageId));
    expect(m.json.Message).toBe("for https");
  });

  it("is not sent anything by a server that does not trust its CA: the attempts fail on the certificate", async () => {
    const server = await startServer({ args: ["--delivery-delay-scale", "0.01"] });
    servers.push(server);
    const seen = sub.received.length;
    const topicArn = (await sns(server.url, ["create-topic", "--name", "codecommit-untrusted"])).json.TopicArn;
    const r = await sns(server.url, ["subscribe", "--topic-arn", topicArn, "--protocol", "https", "--notification-endpoint", sub.url]);
    expect(r.json.SubscriptionArn).toBe("pending confirmation");
    // the default policy: the first attempt and 3 retries, 200 ms apart here
    let d: any;
    for (let i = 0; i < 100 && d?.status !== "failed"; i++) {
      await sleep(100);
      d = ((await admin(server.dataDir, ["list-deliveries"])).json.deliveries as any[]).find((x) => x.messageType === "SubscriptionConfirmation");
    }
    expect(d).toMatchObject({ status: "failed", attempts: 4, endpoint: sub.url });
    expect(d.lastError).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|certificate/i);
    expect(sub.received.length).toBe(seen);
    const attrs = await sns(server.url, ["list-subscriptions-by-topic", "--topic-arn", topicArn]);
    expect(attrs.json.Subscriptions[0].SubscriptionArn).toBe("PendingConfirmation");
  });
});
