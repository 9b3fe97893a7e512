import fs from "node:fs";
import https from "node:https";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsEnv, cliErrorCode, python } from "../helpers/clients.js";
import { sleep, sns } from "../helpers/events.js";
import { startServer, type ServerHandle } from "../helpers/server.js";
import { Subscriber, httpGet, validateWithSnsValidator, verifySnsSignature, type Received } from "../helpers/subscriber.js";

const ACCOUNT = "000000000000";
const OUR_HOST = /^127\.0\.0\.1:\d+$/;

let server: ServerHandle;
let ca: string;
let caFile: string;
const subs: Subscriber[] = [];

beforeAll(async () => {
  server = await startServer({ args: ["--tls-self-signed"] });
  caFile = path.join(server.dataDir, "tls", "self-signed.crt");
  ca = fs.readFileSync(caFile, "utf8");
  https.globalAgent.options.ca = ca;
});
afterAll(async () => {
  for (const s of subs) await s.close();
  await server?.stop();
});

const cli = (args: string[], opts: { creds?: { accessKeyId: string; secretAccessKey: string } } = {}) => sns(server.url, args, { ca: caFile, ...opts });

async function subscriber(opts: Parameters<typeof Subscriber.start>[0] = {}): Promise<Subscriber> {
  const s = await Subscriber.start({ ca, ...opts });
  subs.push(s);
  return s;
}

async function topic(name: string, attributes?: Record<string, string>): Promise<string> {
  const args = ["create-topic", "--name", name];
  if (attributes) args.push("--attributes", JSON.stringify(attributes));
  const r = await cli(args);
  expect(r.code, r.stderr).toBe(0);
  return r.json.TopicArn;
}

/** Subscribes an endpoint and waits until it has confirmed (through SubscribeURL). */
async function subscribed(topicArn: string, s: Subscriber, attributes?: Record<string, string>): Promise<string> {
  const args = ["subscribe", "--topic-arn", topicArn, "--protocol", "http", "--notification-endpoint", s.url, "--return-subscription-arn"];
  if (attributes) args.push("--attributes", JSON.stringify(attributes));
  const r = await cli(args);
  expect(r.code, r.stderr).toBe(0);
  const arn = r.json.SubscriptionArn as string;
  for (let i = 0; i < 100; i++) {
    const a = await cli(["get-subscription-attributes", "--subscription-arn", arn]);
    if (a.json?.Attributes?.PendingConfirmation === "false") return arn;
    await sleep(100);
  }
  throw new Error("the subscription was never confirmed");
}

async function publish(topicArn: string, args: string[] = []): Promise<string> {
  const r = await cli(["publish", "--topic-arn", topicArn, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.json.MessageId;
}

const byId = (id: string) => (rs: Received[]) => rs.find((r) => r.headers["x-amz-sns-message-id"] === id);

/** boto3 (python3) against the server: each step's result, or its error code, message and status. */
async function boto3(steps: string): Promise<Record<string, any>> {
  const code = `
import boto3, botocore, json, os
c = boto3.client("sns", endpoint_url=os.environ["E"], verify=os.environ["CA"], region_name="us-east-1")
out = {}
def step(name, fn):
    try:
        r = fn()
        if isinstance(r, dict): r.pop("ResponseMetadata", None)
        out[name] = r
    except botocore.exceptions.ClientError as e:
        out[name] = {"error": e.response["Error"]["Code"], "message": e.response["Error"].get("Message"), "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
${steps}
print(json.dumps(out, default=str))
`;
  const r = await python(code, { ...awsEnv(), E: server.url, CA: caFile });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("SNS operations and errors, with the AWS CLI v2 and boto3", () => {
  it("creates topics idempotently, lists them in pages, reads and sets attributes", async () => {
    const arn = await topic("codecommit-attrs", { DisplayName: "Pushes" });
    expect(arn).toBe(`arn:aws:sns:us-east-1:${ACCOUNT}:codecommit-attrs`);
    expect(await topic("codecommit-attrs", { DisplayName: "Pushes" })).toBe(arn);
    expect(await topic("codecommit-attrs")).toBe(arn);
    const clash = await cli(["create-topic", "--name", "codecommit-attrs", "--attributes", '{"DisplayName":"Other"}']);
    expect(cliErrorCode(clash)).toBe("InvalidParameter");
    expect(clash.stderr).toContain("Invalid parameter: Attributes Reason: Topic already exists with different attributes");

    const got = (await cli(["get-topic-attributes", "--topic-arn", arn])).json.Attributes;
    expect(got).toMatchObject({
      Owner: ACCOUNT,
      TopicArn: arn,
      DisplayName: "Pushes",
      SubscriptionsConfirmed: "0",
      SubscriptionsPending: "0",
      SubscriptionsDeleted: "0",
    });
    expect(JSON.parse(got.EffectiveDeliveryPolicy)).toEqual({
      http: {
        defaultHealthyRetryPolicy: { minDelayTarget: 20, maxDelayTarget: 20, numRetries: 3, numMaxDelayRetries: 0, numNoDelayRetries: 0, numMinDelayRetries: 0, backoffFunction: "linear" },
        disableSubscriptionOverrides: false,
        defaultRequestPolicy: { headerContentType: "text/plain; charset=UTF-8" },
      },
    });
    expect(JSON.parse(got.Policy)).toMatchObject({ Version: "2008-10-17", Id: "__default_policy_ID", Statement: [{ Resource: arn, Condition: { StringEquals: { "AWS:SourceOwner": ACCOUNT } } }] });
    expect(got.SignatureVersion).toBeUndefined();

    const policy = JSON.stringify({ http: { defaultHealthyRetryPolicy: { minDelayTarget: 5, maxDelayTarget: 30, numRetries: 5, backoffFunction: "exponential" } } });
    for (const [name, value] of [["DisplayName", "Git pushes"], ["SignatureVersion", "2"], ["DeliveryPolicy", policy]]) {
      const r = await cli(["set-topic-attributes", "--topic-arn", arn, "--attribute-name", name!, "--attribute-value", value!]);
      expect(r.code, r.stderr).toBe(0);
    }
    const after = (await cli(["get-topic-attributes", "--topic-arn", arn])).json.Attributes;
    expect(after).toMatchObject({ DisplayName: "Git pushes", SignatureVersion: "2", DeliveryPolicy: policy });
    expect(JSON.parse(after.EffectiveDeliveryPolicy).http.defaultHealthyRetryPolicy).toMatchObject({ minDelayTarget: 5, maxDelayTarget: 30, numRetries: 5, backoffFunction: "exponential" });

    const errors = await boto3(`
arn = "${arn}"
step("fifo", lambda: c.set_topic_attributes(TopicArn=arn, AttributeName="FifoTopic", AttributeValue="true"))
step("unknown", lambda: c.set_topic_attributes(TopicArn=arn, AttributeName="Colour", AttributeValue="red"))
step("sigv", lambda: c.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="3"))
step("policy", lambda: c.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue='{"http":{"defaultHealthyRetryPolicy":{"numRetries":101}}}'))
step("name", lambda: c.create_topic(Name="has space"))
step("missing", lambda: c.get_topic_attributes(TopicArn=arn + "-nope"))
step("short", lambda: c.get_topic_attributes(TopicArn="nope"))
step("region", lambda: c.get_topic_attributes(TopicArn="arn:aws:sns:eu-west-1:${ACCOUNT}:codecommit-attrs"))
step("delete-missing", lambda: c.delete_topic(TopicArn=arn + "-never"))
`);
    expect(errors.fifo).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: AttributeName", status: 400 });
    expect(errors.unknown).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: AttributeName" });
    expect(errors.sigv).toMatchObject({ error: "InvalidParameter" });
    expect(errors.policy).toMatchObject({ error: "InvalidParameter", message: expect.stringContaining("DeliveryPolicy") });
    expect(errors.name).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: Topic Name" });
    expect(errors.missing).toMatchObject({ error: "NotFound", message: "Topic does not exist", status: 404 });
    expect(errors.short).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1" });
    expect(errors.region).toMatchObject({ error: "InvalidParameter" });
    expect(errors["delete-missing"]).toEqual({}); // DeleteTopic is idempotent

    // ListTopics pages 100 at a time; boto3's paginator follows NextToken
    const listed = await boto3(`
for i in range(120): c.create_topic(Name="page-%03d" % i)
first = c.list_topics()
step("first", lambda: {"n": len(first["Topics"]), "next": "NextToken" in first})
step("all", lambda: {"arns": [t["TopicArn"] for p in c.get_paginator("list_topics").paginate() for t in p["Topics"]]})
step("bad-token", lambda: c.list_topics(NextToken="garbage"))
`);
    expect(listed.first).toEqual({ n: 100, next: true });
    const all: string[] = listed.all.arns;
    expect(all.filter((a) => a.includes(":page-"))).toHaveLength(120);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual(all);
    expect(listed["bad-token"]).toMatchObject({ error: "InvalidParameter" });
    const deleted = await boto3(`
for i in range(120): c.delete_topic(TopicArn="arn:aws:sns:us-east-1:${ACCOUNT}:page-%03d" % i)
step("left", lambda: {"n": len([t for p in c.get_paginator("list_topics").paginate() for t in p["Topics"] if ":page-" in t["TopicArn"]])})
`);
    expect(deleted.left).toEqual({ n: 0 });
  });

  it("tags topics", async () => {
    const arn = await topic("codecommit-tags");
    const r = await boto3(`
arn = "${arn}"
step("tag", lambda: c.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "git"}, {"Key": "env", "Value": "prod"}]))
step("list", lambda: c.list_tags_for_resource(ResourceArn=arn))
step("untag", lambda: c.untag_resource(ResourceArn=arn, TagKeys=["env"]))
step("list2", lambda: c.list_tags_for_resource(ResourceArn=arn))
step("missing", lambda: c.list_tags_for_resource(ResourceArn=arn + "-x"))
step("too-many", lambda: c.tag_resource(ResourceArn=arn, Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)]))
step("create-with-tags", lambda: c.create_topic(Name="codecommit-tagged", Tags=[{"Key": "a", "Value": "1"}]))
step("create-other-tags", lambda: c.create_topic(Name="codecommit-tagged", Tags=[{"Key": "a", "Value": "2"}]))
`);
    expect(r.tag).toEqual({});
    expect(r.list.Tags).toEqual([{ Key: "env", Value: "prod" }, { Key: "team", Value: "git" }]);
    expect(r.list2.Tags).toEqual([{ Key: "team", Value: "git" }]);
    expect(r.missing).toMatchObject({ error: "ResourceNotFound", status: 404 });
    expect(r["too-many"]).toMatchObject({ error: "TagLimitExceeded" });
    expect(r["create-with-tags"].TopicArn).toMatch(/codecommit-tagged$/);
    expect(r["create-other-tags"]).toMatchObject({ error: "InvalidParameter", message: expect.stringContaining("different tags") });
    const cliList = await cli(["list-tags-for-resource", "--resource-arn", arn]);
    expect(cliList.json.Tags).toEqual([{ Key: "team", Value: "git" }]);
  });

  it("answers bad subscriptions and publishes with SNS's errors", async () => {
    const arn = await topic("codecommit-errors");
    const r = await boto3(`
arn = "${arn}"
step("email", lambda: c.subscribe(TopicArn=arn, Protocol="email", Endpoint="a@example.com"))
step("bogus", lambda: c.subscribe(TopicArn=arn, Protocol="pigeon", Endpoint="x"))
step("mismatch", lambda: c.subscribe(TopicArn=arn, Protocol="https", Endpoint="http://127.0.0.1:1/x"))
step("no-topic", lambda: c.subscribe(TopicArn=arn + "-x", Protocol="http", Endpoint="http://127.0.0.1:1/x"))
step("raw", lambda: c.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://127.0.0.1:1/x", Attributes={"RawMessageDelivery": "yes"}))
step("filter", lambda: c.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://127.0.0.1:1/x", Attributes={"FilterPolicy": '{"a": "not-a-list"}'}))
step("token", lambda: c.confirm_subscription(TopicArn=arn, Token="nope"))
step("unsubscribe", lambda: c.unsubscribe(SubscriptionArn=arn + ":0a7e3c1e-5f1e-4b5e-9c1a-3d2f1e0b9a88"))
step("sub-attrs", lambda: c.get_subscription_attributes(SubscriptionArn=arn + ":0a7e3c1e-5f1e-4b5e-9c1a-3d2f1e0b9a88"))
step("empty", lambda: c.publish(TopicArn=arn, Message=""))
step("long", lambda: c.publish(TopicArn=arn, Message="x" * 262145))
step("subject", lambda: c.publish(TopicArn=arn, Message="m", Subject="line\\nbreak"))
step("structure", lambda: c.publish(TopicArn=arn, Message='{"http": "x"}', MessageStructure="json"))
step("structure-json", lambda: c.publish(TopicArn=arn, Message='not json', MessageStructure="json"))
step("attr-empty", lambda: c.publish(TopicArn=arn, Message="m", MessageAttributes={"a": {"DataType": "String", "StringValue": ""}}))
step("attr-type", lambda: c.publish(TopicArn=arn, Message="m", MessageAttributes={"a": {"DataType": "Date", "StringValue": "x"}}))
step("attr-number", lambda: c.publish(TopicArn=arn, Message="m", MessageAttributes={"a": {"DataType": "Number", "StringValue": "ten"}}))
step("no-topic-publish", lambda: c.publish(TopicArn=arn + "-x", Message="m"))
step("batch-empty", lambda: c.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[]))
step("batch-dupe", lambda: c.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[{"Id": "a", "Message": "1"}, {"Id": "a", "Message": "2"}]))
step("batch-many", lambda: c.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[{"Id": "i%d" % i, "Message": "m"} for i in range(11)]))
step("batch-mixed", lambda: c.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[{"Id": "ok", "Message": "fine"}, {"Id": "bad", "Message": "m", "Subject": ""}]))
`);
    expect(r.email).toMatchObject({ error: "InvalidParameter", status: 400 });
    expect(r.bogus).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: Amazon SNS does not support this protocol string: pigeon" });
    expect(r.mismatch).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: Endpoint must match the specified protocol" });
    expect(r["no-topic"]).toMatchObject({ error: "NotFound", message: "Topic does not exist", status: 404 });
    expect(r.raw).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: RawMessageDelivery: Invalid value [yes]. Must be true or false." });
    expect(r.filter).toMatchObject({ error: "InvalidParameter", message: expect.stringContaining("FilterPolicy") });
    expect(r.token).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: Token" });
    expect(r.unsubscribe).toMatchObject({ error: "NotFound", message: "Subscription does not exist", status: 404 });
    expect(r["sub-attrs"]).toMatchObject({ error: "NotFound" });
    expect(r.empty).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: Empty message" });
    expect(r.long).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: Message too long" });
    expect(r.subject).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: Subject" });
    expect(r.structure).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: Message Structure - No default entry in JSON message body" });
    expect(r["structure-json"]).toMatchObject({ error: "InvalidParameter", message: "Invalid parameter: Message Structure - JSON message body failed to parse" });
    expect(r["attr-empty"]).toMatchObject({ error: "ParameterValueInvalid", message: expect.stringContaining("must contain non-empty message attribute value") });
    expect(r["attr-type"]).toMatchObject({ error: "ParameterValueInvalid" });
    expect(r["attr-number"]).toMatchObject({ error: "ParameterValueInvalid" });
    expect(r["no-topic-publish"]).toMatchObject({ error: "NotFound" });
    expect(r["batch-empty"]).toMatchObject({ error: "EmptyBatchRequest" });
    expect(r["batch-dupe"]).toMatchObject({ error: "BatchEntryIdsNotDistinct" });
    expect(r["batch-many"]).toMatchObject({ error: "TooManyEntriesInBatchRequest" });
    expect(r["batch-mixed"].Successful).toEqual([{ Id: "ok", MessageId: expect.stringMatching(/^[0-9a-f-]{36}$/) }]);
    expect(r["batch-mixed"].Failed).toEqual([{ Id: "bad", Code: "InvalidParameter", Message: "Invalid parameter: Subject", SenderFault: true }]);

    // the CLI v2 parses the same codes
    const cliErr = await cli(["publish", "--topic-arn", `${arn}-x`, "--message", "m"]);
    expect(cliErrorCode(cliErr)).toBe("NotFound");
    const cliSub = await cli(["subscribe", "--topic-arn", arn, "--protocol", "sms", "--notification-endpoint", "+15555550100"]);
    expect(cliErrorCode(cliSub)).toBe("InvalidParameter");
  });

  it("authorizes every operation through IAM: AuthorizationError (403) on denial", async () => {
    const creds = (
      await boto3(`
iam = boto3.client("iam", endpoint_url=os.environ["E"], verify=os.environ["CA"], region_name="us-east-1")
iam.create_user(UserName="sns-power")
iam.attach_user_policy(UserName="sns-power", PolicyArn="arn:aws:iam::aws:policy/AWSCodeCommitPowerUser")
k = iam.create_access_key(UserName="sns-power")["AccessKey"]
step("key", lambda: {"accessKeyId": k["AccessKeyId"], "secretAccessKey": k["SecretAccessKey"]})
`)
    ).key;
    const allowed = await topic("codecommit-power");
    const other = await topic("elsewhere");
    // PowerUser: list and read on *, subscribe only to codecommit* topics, no CreateTopic
    const create = await cli(["create-topic", "--name", "codecommit-new"], { creds });
    expect(cliErrorCode(create)).toBe("AuthorizationError");
    expect(create.stderr).toContain("is not authorized to perform: sns:CreateTopic on resource: arn:aws:sns:us-east-1:000000000000:codecommit-new");
    expect((await cli(["list-topics"], { creds })).code).toBe(0);
    expect((await cli(["get-topic-attributes", "--topic-arn", other], { creds })).code).toBe(0);
    const s1 = await cli(["subscribe", "--topic-arn", allowed, "--protocol", "http", "--notification-endpoint", "http://127.0.0.1:9/x"], { creds });
    expect(s1.code, s1.stderr).toBe(0);
    const s2 = await cli(["subscribe", "--topic-arn", other, "--protocol", "http", "--notification-endpoint", "http://127.0.0.1:9/x"], { creds });
    expect(cliErrorCode(s2)).toBe("AuthorizationError");
    const pub = await cli(["publish", "--topic-arn", allowed, "--message", "m"], { creds });
    expect(cliErrorCode(pub)).toBe("AuthorizationError");
  });
});

describe("HTTP delivery as SNS does it", () => {
  it("signs with SignatureVersion 1 and 2, serves the certificate, and sns-validator accepts every message", async () => {
    const arn = await topic("codecommit-signed");
    const s = await subscriber();
    await subscribed(arn, s);
    const conf = s.ofType("SubscriptionConfirmation")[0]!;
    await validateWithSnsValidator(conf.json, OUR_HOST);
    expect(conf.json.SignatureVersion).toBe("1");
    const cert = await httpGet(conf.json.SigningCertURL, ca);
    expect(cert.status).toBe(200);
    expect(cert.body).toBe(fs.readFileSync(path.join(server.dataDir, "sns", "signing-cert.pem"), "utf8"));

    const id1 = await publish(arn, ["--message", "line one\nline two \u00e9\u2603", "--subject", "Signed (v1)"]);
    const n1 = await s.waitFor(byId(id1));
    expect(n1.json.SignatureVersion).toBe("1");
    expect(n1.json.Message).toBe("line one\nline two \u00e9\u2603");
    await validateWithSnsValidator(n1.json, OUR_HOST);

    await cli(["set-topic-attributes", "--topic-arn", arn, "--attribute-name", "SignatureVersion", "--attribute-value", "2"]);
    const id2 = await publish(arn, ["--message", "second", "--message-attributes", '{"kind":{"DataType":"String","StringValue":"push"},"n":{"DataType":"Number","StringValue":"3"}}']);
    const n2 = await s.waitFor(byId(id2));
    expect(n2.json.SignatureVersion).toBe("2");
    expect(n2.json.Subject).toBeUndefined();
    expect(n2.json.MessageAttributes).toEqual({ kind: { Type: "String", Value: "push" }, n: { Type: "Number", Value: "3" } });
    await validateWithSnsValidator(n2.json, OUR_HOST);
    // a tampered message fails
    await expect(validateWithSnsValidator({ ...n2.json, Message: "forged" }, OUR_HOST)).rejects.toThrow(/signature is invalid/);
  });

  it("delivers raw messages, per-protocol bodies, the subscription's content type, and honours filter policies", async () => {
    const arn = await topic("codecommit-shapes");
    const raw = await subscriber();
    const json = await subscriber();
    const filtered = await subscriber();
    const bodyFiltered = await subscriber();
    await subscribed(arn, raw, { RawMessageDelivery: "true" });
    await subscribed(arn, json, { DeliveryPolicy: JSON.stringify({ requestPolicy: { headerContentType: "application/json" } }) });
    await subscribed(arn, filtered, { FilterPolicy: JSON.stringify({ kind: ["push", { prefix: "tag-" }], size: [{ numeric: [">", 10] }] }) });
    await subscribed(arn, bodyFiltered, { FilterPolicyScope: "MessageBody", FilterPolicy: JSON.stringify({ detail: { branch: ["main"] } }) });

    const attrs = (kind: string, size: number) => JSON.stringify({ kind: { DataType: "String", StringValue: kind }, size: { DataType: "Number", StringValue: String(size) } });
    const a = await publish(arn, ["--message", JSON.stringify({ detail: { branch: "main" } }), "--message-attributes", attrs("push", 11)]);
    const b = await publish(arn, ["--message", JSON.stringify({ detail: { branch: "dev" } }), "--message-attributes", attrs("tag-v1", 5)]);
    const c = await publish(arn, ["--message-structure", "json", "--message", JSON.stringify({ default: "everyone", http: "plain http", https: "tls" }), "--message-attributes", attrs("tag-v2", 12)]);

    const rawGot = await raw.waitFor((rs) => (rs.filter((r) => r.headers["x-amz-sns-message-type"] === "Notification").length >= 3 ? rs : undefined));
    const rawA = rawGot.find(byIdPred(a))!;
    expect(rawA.body).toBe(JSON.stringify({ detail: { branch: "main" } }));
    expect(rawA.headers["x-amz-sns-rawdelivery"]).toBe("true");
    expect(rawA.headers["x-amz-sns-subscription-arn"]).toMatch(new RegExp(`^${arn}:`));
    expect(rawGot.find(byIdPred(c))!.body).toBe("plain http");

    const jsonC = await json.waitFor(byId(c));
    expect(jsonC.headers["content-type"]).toBe("application/json");
    expect(jsonC.json.Message).toBe("plain http");
    await validateWithSnsValidator(jsonC.json, OUR_HOST);

    // attributes: a (push, 11) and c (tag-v2, 12) pass; b (size 5) does not
    await filtered.waitFor(byId(c));
    await bodyFiltered.waitFor(byId(a));
    await sleep(300);
    expect(filtered.notifications().map((r) => r.headers["x-amz-sns-message-id"])).toEqual([a, c]);
    // body: only a has detail.branch main (c's http body is not JSON)
    expect(bodyFiltered.notifications().map((r) => r.headers["x-amz-sns-message-id"])).toEqual([a]);
    expect(b).toBeTruthy();
  });

  it("delivers every message of a PublishBatch, in order, each with its own subject, attributes, body and signature", async () => {
    const arn = await topic("codecommit-batch");
    const s = await subscriber();
    await subscribed(arn, s);
    const entries = [
      { Id: "first", Message: "one", Subject: "Batch 1" },
      { Id: "second", Message: "two", MessageAttributes: { kind: { DataType: "String", StringValue: "push" } } },
      { Id: "third", Message: JSON.stringify({ default: "three", http: "three over http" }), MessageStructure: "json" },
    ];
    const r = await cli(["publish-batch", "--topic-arn", arn, "--publish-batch-request-entries", JSON.stringify(entries)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.Failed ?? []).toEqual([]);
    expect(r.json.Successful.map((e: { Id: string }) => e.Id)).toEqual(["first", "second", "third"]);
    const ids = r.json.Successful.map((e: { MessageId: string }) => e.MessageId);
    const got = await s.waitFor((rs) => {
      const ns = rs.filter((x) => x.headers["x-amz-sns-message-type"] === "Notification");
      return ns.length >= 3 ? ns : undefined;
    });
    await sleep(300);
    expect(s.notifications()).toHaveLength(3);
    expect(got.map((n) => n.json.MessageId)).toEqual(ids);
    expect(got.map((n) => n.headers["x-amz-sns-message-id"])).toEqual(ids);
    expect(got[0]!.json).toMatchObject({ Message: "one", Subject: "Batch 1" });
    expect(got[1]!.json.MessageAttributes).toEqual({ kind: { Type: "String", Value: "push" } });
    expect(got[1]!.json.Subject).toBeUndefined();
    expect(got[2]!.json.Message).toBe("three over http");
    for (const n of got) await validateWithSnsValidator(n.json, OUR_HOST);
  });

  it("unsubscribes with an UnsubscribeConfirmation, restores through its SubscribeURL, and follows UnsubscribeURL", async () => {
    const arn = await topic("codecommit-unsub");
    const s = await subscriber({ confirm: true });
    const subArn = await subscribed(arn, s);
    expect((await cli(["unsubscribe", "--subscription-arn", subArn])).code).toBe(0);
    const bye = await s.waitFor((rs) => rs.find((r) => r.json?.Type === "UnsubscribeConfirmation"));
    expect(bye.headers["x-amz-sns-subscription-arn"]).toBe(subArn);
    expect(bye.json.Message).toBe(`You have chosen to deactivate subscription ${subArn}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.`);
    const cert = fs.readFileSync(path.join(server.dataDir, "sns", "signing-cert.pem"), "utf8");
    expect(verifySnsSignature(bye.json, cert)).toBe(true);
    const attrs = (await cli(["get-topic-attributes", "--topic-arn", arn])).json.Attributes;
    expect(attrs).toMatchObject({ SubscriptionsConfirmed: "0", SubscriptionsDeleted: "1" });
    const gone = await publish(arn, ["--message", "not for you"]);

    // the link in the UnsubscribeConfirmation restores the subscription
    const restored = await httpGet(bye.json.SubscribeURL, ca);
    expect(restored.status).toBe(200);
    expect(restored.body).toContain(`<SubscriptionArn>${subArn}</SubscriptionArn>`);
    const back = await publish(arn, ["--message", "welcome back"]);
    await s.waitFor(byId(back));
    expect(s.received.some(byIdPred(gone))).toBe(false);

    // UnsubscribeURL, unsigned, as a person clicking it
    const n = s.received.find(byIdPred(back))!;
    const link = await httpGet(n.json.UnsubscribeURL, ca);
    expect(link.status).toBe(200);
    expect(link.body).toContain("<UnsubscribeResponse");
    expect((await cli(["list-subscriptions-by-topic", "--topic-arn", arn])).json.Subscriptions).toEqual([]);
  });

  it("confirms with the signed ConfirmSubscription call; AuthenticateOnUnsubscribe then refuses the unsigned link", async () => {
    const arn = await topic("codecommit-strict");
    const s = await subscriber({ confirm: false });
    const r = await cli(["subscribe", "--topic-arn", arn, "--protocol", "http", "--notification-endpoint", s.url]);
    expect(r.json.SubscriptionArn).toBe("pending confirmation");
    const pending = (await cli(["list-subscriptions"])).json.Subscriptions.find((x: { TopicArn: string }) => x.TopicArn === arn);
    expect(pending.SubscriptionArn).toBe("PendingConfirmation");
    const conf = await s.waitFor((rs) => rs.find((x) => x.json?.Type === "SubscriptionConfirmation"));
    const confirmed = await cli(["confirm-subscription", "--topic-arn", arn, "--token", conf.json.Token, "--authenticate-on-unsubscribe", "true"]);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    const subArn = confirmed.json.SubscriptionArn;
    expect((await cli(["get-subscription-attributes", "--subscription-arn", subArn])).json.Attributes).toMatchObject({
      ConfirmationWasAuthenticated: "true",
      PendingConfirmation: "false",
      RawMessageDelivery: "false",
      Protocol: "http",
      Endpoint: s.url,
      Owner: ACCOUNT,
      TopicArn: arn,
      SubscriptionArn: subArn,
      SubscriptionPrincipal: `arn:aws:iam::${ACCOUNT}:user/admin`,
    });
    const link = await httpGet(`${server.url}/?Action=Unsubscribe&SubscriptionArn=${subArn}`, ca);
    expect(link.status).toBe(403);
    expect(link.body).toContain("<Code>AuthorizationError</Code>");
    expect((await cli(["unsubscribe", "--subscription-arn", subArn])).code).toBe(0);
  });
});

const byIdPred = (id: string) => (r: Received) => r.headers["x-amz-sns-message-id"] === id;
