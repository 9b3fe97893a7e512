import fs from "node:fs";
import path from "node:path";
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, awsEnv, cliErrorCode, python } from "../helpers/clients.js";
import { sleep, sns } from "../helpers/events.js";
import { managed, userWith } from "../helpers/iam.js";
import { s3Client } from "../helpers/s3.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";
import { Subscriber, type Received } from "../helpers/subscriber.js";
import { notificationsIn, topicWithSubscriber } from "../helpers/topics.js";

const FAST = ["--delivery-delay-scale", "0.01", "--delivery-timeout-seconds", "2"];
let server: ServerHandle;
let hook: Subscriber;
let topicArn: string;
const servers: ServerHandle[] = [];
const subscribers: Subscriber[] = [];

/** The topic policy S3 needs: the service may publish, for this account's buckets. */
function s3MayPublish(topic: string, bucketPattern = "arn:aws:s3:::*"): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "SNS:Publish", Resource: topic, Condition: { ArnLike: { "aws:SourceArn": bucketPattern } } }],
  });
}

async function allowS3(s: ServerHandle, topic: string, bucketPattern?: string): Promise<void> {
  const r = await sns(s.url, ["set-topic-attributes", "--topic-arn", topic, "--attribute-name", "Policy", "--attribute-value", s3MayPublish(topic, bucketPattern)]);
  expect(r.code, r.stderr).toBe(0);
}

function configFile(cfg: object): string {
  const f = path.join(tmpDir("notify"), "cfg.json");
  fs.writeFileSync(f, JSON.stringify(cfg));
  return `file://${f}`;
}

async function putConfig(s: ServerHandle, bucket: string, cfg: object) {
  return aws(s.url, ["s3api", "put-bucket-notification-configuration", "--bucket", bucket, "--notification-configuration", configFile(cfg)]);
}

/** The S3 event messages (not test events) received so far, parsed. */
function s3Records(rs: Received[]): any[] {
  return notificationsIn(rs)
    .map((n) => JSON.parse(n.json.Message))
    .filter((m) => m.Records)
    .map((m) => m.Records[0]);
}

beforeAll(async () => {
  server = await startServer({ args: FAST });
  servers.push(server);
  hook = await Subscriber.start();
  subscribers.push(hook);
  ({ topicArn } = await topicWithSubscriber(server, "bucket-events", hook));
  await allowS3(server, topicArn);
  const s3 = s3Client(server.url);
  await s3.send(new CreateBucketCommand({ Bucket: "watched" }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: "watched", VersioningConfiguration: { Status: "Enabled" } }));
  await s3.send(new CreateBucketCommand({ Bucket: "plain" }));
});
afterAll(async () => {
  for (const s of servers) await s.stop().catch(() => {});
  for (const s of subscribers) await s.close().catch(() => {});
});

describe("PutBucketNotificationConfiguration", () => {
  it("configures with the AWS CLI: S3's s3:TestEvent reaches the topic, and Get returns the configuration with a generated Id", async () => {
    const put = await putConfig(server, "watched", {
      TopicConfigurations: [
        { TopicArn: topicArn, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "in/" }] } } },
        { Id: "removals", TopicArn: topicArn, Events: ["s3:ObjectRemoved:*"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "in/" }, { Name: "suffix", Value: ".txt" }] } } },
      ],
    });
    expect(put.code, put.stderr).toBe(0);
    const test = await hook.waitFor((rs) => notificationsIn(rs).find((n) => JSON.parse(n.json.Message).Event === "s3:TestEvent"));
    expect(test.json.Subject).toBe("Amazon S3 Notification");
    expect(JSON.parse(test.json.Message)).toMatchObject({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: "watched", RequestId: expect.any(String), HostId: expect.any(String) });

    const got = await aws(server.url, ["s3api", "get-bucket-notification-configuration", "--bucket", "watched"]);
    expect(got.code, got.stderr).toBe(0);
    const [created, removed] = got.json.TopicConfigurations;
    expect(created.Id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created).toMatchObject({ TopicArn: topicArn, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "Prefix", Value: "in/" }] } } });
    expect(removed).toMatchObject({ Id: "removals", Events: ["s3:ObjectRemoved:*"] });
    expect(removed.Filter.Key.FilterRules).toEqual([
      { Name: "Prefix", Value: "in/" },
      { Name: "Suffix", Value: ".txt" },
    ]);
  });

  it("a PUT and deletes arrive as S3's event records; keys outside the filters send nothing", async () => {
    const before = s3Records(hook.received).length;
    const put = await aws(server.url, ["s3api", "put-object", "--bucket", "watched", "--key", "in/red flower@1.txt", "--body", fileWith("hello")]);
    expect(put.code, put.stderr).toBe(0);
    const versionId = put.json.VersionId as string;
    // outside the prefix: nothing for this one
    expect((await aws(server.url, ["s3api", "put-object", "--bucket", "watched", "--key", "out/x.txt", "--body", fileWith("x")])).code).toBe(0);
    // a removal outside the suffix: nothing
    expect((await aws(server.url, ["s3api", "delete-object", "--bucket", "watched", "--key", "in/other.bin"])).code).toBe(0);
    const rm = await aws(server.url, ["s3api", "delete-object", "--bucket", "watched", "--key", "in/red flower@1.txt"]);
    expect(rm.code, rm.stderr).toBe(0);
    const del = await aws(server.url, ["s3api", "delete-object", "--bucket", "watched", "--key", "in/red flower@1.txt", "--version-id", versionId]);
    expect(del.code, del.stderr).toBe(0);

    const records = await hook.waitFor((rs) => {
      const all = s3Records(rs).slice(before);
      return all.length >= 3 && all;
    });
    await sleep(300);
    expect(s3Records(hook.received).slice(before)).toHaveLength(3);
    const [created, marker, removed] = records;
    expect(created).toMatchObject({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "us-east-1",
      eventName: "ObjectCreated:Put",
      userIdentity: { principalId: expect.stringMatching(/^AWS:/) },
      requestParameters: { sourceIPAddress: "127.0.0.1" },
      responseElements: { "x-amz-request-id": expect.any(String), "x-amz-id-2": expect.any(String) },
      s3: {
        s3SchemaVersion: "1.0",
        configurationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        bucket: { name: "watched", ownerIdentity: { principalId: expect.any(String) }, arn: "arn:aws:s3:::watched" },
        object: { key: "in/red+flower%401.txt", size: 5, eTag: "5d41402abc4b2a76b9719d911017c592", versionId },
      },
    });
    expect(Date.parse(created.eventTime)).toBeGreaterThan(0);
    expect(marker).toMatchObject({ eventName: "ObjectRemoved:DeleteMarkerCreated", s3: { configurationId: "removals", object: { key: "in/red+flower%401.txt", eTag: "d41d8cd98f00b204e9800998ecf8427e", versionId: rm.json.VersionId } } });
    expect(removed).toMatchObject({ eventName: "ObjectRemoved:Delete", s3: { object: { key: "in/red+flower%401.txt", versionId } } });
    expect(removed.s3.object.size).toBeUndefined();
    // the sequencer grows with each change of the key
    const seq = records.map((r: any) => r.s3.object.sequencer as string);
    expect(seq.every((s: string) => /^[0-9A-F]+$/.test(s))).toBe(true);
    expect([...seq].sort()).toEqual(seq);
    expect(new Set(seq).size).toBe(3);
  });

  it("an unversioned bucket: no versionId, and the delete is ObjectRemoved:Delete (boto3 configures it)", async () => {
    const cfg = { TopicConfigurations: [{ Id: "all", TopicArn: topicArn, Events: ["s3:ObjectCreated:Put", "s3:ObjectRemoved:Delete"] }] };
    const boto = await python(
      `import boto3, json, os
s3 = boto3.client("s3", endpoint_url=os.environ["HW"])
s3.put_bucket_notification_configuration(Bucket="plain", NotificationConfiguration=json.loads(os.environ["CFG"]))
print(json.dumps(s3.get_bucket_notification_configuration(Bucket="plain")["TopicConfigurations"]))`,
      { ...awsEnv(), HW: server.url, CFG: JSON.stringify(cfg) },
    );
    expect(boto.code, boto.stderr).toBe(0);
    expect(boto.json).toEqual(cfg.TopicConfigurations);
    const before = s3Records(hook.received).length;
    await s3Client(server.url).send(new PutObjectCommand({ Bucket: "plain", Key: "a", Body: "abc" }));
    expect((await aws(server.url, ["s3api", "delete-object", "--bucket", "plain", "--key", "a"])).code).toBe(0);
    const [created, removed] = await hook.waitFor((rs) => {
      const all = s3Records(rs).slice(before);
      return all.length >= 2 && all;
    });
    expect(created).toMatchObject({ eventName: "ObjectCreated:Put", s3: { bucket: { name: "plain" }, object: { key: "a", size: 3 } } });
    expect(created.s3.object.versionId).toBeUndefined();
    expect(removed.eventName).toBe("ObjectRemoved:Delete");
    expect(Object.keys(removed.s3.object).sort()).toEqual(["key", "sequencer"]);

    // DeleteObjects: one record per key removed
    await s3Client(server.url).send(new PutObjectCommand({ Bucket: "plain", Key: "b c", Body: "b" }));
    await s3Client(server.url).send(new PutObjectCommand({ Bucket: "plain", Key: "d", Body: "d" }));
    const mark = s3Records(hook.received).length;
    const batch = await aws(server.url, ["s3api", "delete-objects", "--bucket", "plain", "--delete", JSON.stringify({ Objects: [{ Key: "b c" }, { Key: "d" }, { Key: "never" }] })]);
    expect(batch.code, batch.stderr).toBe(0);
    const removals = await hook.waitFor((rs) => {
      const all = s3Records(rs).slice(mark).filter((r) => r.eventName === "ObjectRemoved:Delete");
      return all.length >= 2 && all;
    });
    expect(removals.map((r: any) => r.s3.object.key).sort()).toEqual(["b+c", "d"]);
  });

  it("refuses what S3 refuses, and keeps the configuration there was", async () => {
    const before = await aws(server.url, ["s3api", "get-bucket-notification-configuration", "--bucket", "watched"]);
    const orphan = (await sns(server.url, ["create-topic", "--name", "no-policy"])).json.TopicArn as string;
    const missing = topicArn.replace("bucket-events", "no-such-topic");
    const cases: Array<[object, string, RegExp]> = [
      [{ TopicConfigurations: [{ TopicArn: orphan, Events: ["s3:ObjectCreated:*"] }] }, "InvalidArgument", /Unable to validate the following destination configurations/],
      [{ TopicConfigurations: [{ TopicArn: missing, Events: ["s3:ObjectCreated:*"] }] }, "InvalidArgument", /Unable to validate/],
      [{ TopicConfigurations: [{ TopicArn: "not-an-arn", Events: ["s3:ObjectCreated:*"] }] }, "InvalidArgument", /The ARN could not be parsed/],
      [{ TopicConfigurations: [{ TopicArn: topicArn, Events: ["s3:ObjectCreated:Sometimes"] }] }, "InvalidArgument", /event is not supported/],
      [
        {
          TopicConfigurations: [
            { TopicArn: topicArn, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "logs/" }] } } },
            { TopicArn: topicArn, Events: ["s3:ObjectCreated:Put"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "logs/app/" }] } } },
          ],
        },
        "InvalidArgument",
        /Configurations overlap\. Configurations on the same bucket cannot share a common event type\./,
      ],
      [{ QueueConfigurations: [{ QueueArn: "arn:aws:sqs:us-east-1:000000000000:q", Events: ["s3:ObjectCreated:*"] }] }, "InvalidArgument", /Unable to validate/],
    ];
    for (const [cfg, code, message] of cases) {
      const r = await putConfig(server, "watched", cfg);
      expect(cliErrorCode(r), JSON.stringify(cfg)).toBe(code);
      expect(r.stderr).toMatch(message);
    }
    // disjoint prefixes for the same events are fine (checked on a bucket of its own)
    expect((await aws(server.url, ["s3api", "create-bucket", "--bucket", "disjoint"])).code).toBe(0);
    const ok = await putConfig(server, "disjoint", {
      TopicConfigurations: [
        { TopicArn: topicArn, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "a/" }] } } },
        { TopicArn: topicArn, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "b/" }] } } },
      ],
    });
    expect(ok.code, ok.stderr).toBe(0);
    const after = await aws(server.url, ["s3api", "get-bucket-notification-configuration", "--bucket", "watched"]);
    expect(after.json).toEqual(before.json);
    // the error names each destination it could not validate (S3's numbered members)
    const raw = await fetchError(orphan);
    expect(raw).toContain(`<ArgumentName1>${orphan}</ArgumentName1>`);
    expect(raw).toContain("<ArgumentValue1>Permissions on the destination topic do not allow S3 to publish notifications from this bucket</ArgumentValue1>");
  });

  it("a topic whose policy no longer lets S3 publish gets nothing (SNS would refuse S3), until it does again", async () => {
    expect((await aws(server.url, ["s3api", "create-bucket", "--bucket", "revoked"])).code).toBe(0);
    const { topicArn: topic } = await topicWithSubscriber(server, "revocable", hook);
    await allowS3(server, topic);
    expect((await putConfig(server, "revoked", { TopicConfigurations: [{ Id: "r", TopicArn: topic, Events: ["s3:ObjectCreated:*"] }] })).code).toBe(0);
    await allowS3(server, topic, "arn:aws:s3:::some-other-bucket");
    expect((await aws(server.url, ["s3api", "put-object", "--bucket", "revoked", "--key", "while-refused", "--body", fileWith("a")])).code).toBe(0);
    await allowS3(server, topic);
    expect((await aws(server.url, ["s3api", "put-object", "--bucket", "revoked", "--key", "after", "--body", fileWith("b")])).code).toBe(0);
    await hook.waitFor((rs) => s3Records(rs).some((r) => r.s3.bucket.name === "revoked" && r.s3.object.key === "after"));
    // one subscription's messages are delivered in the order they were published: the first PUT's would have come first
    expect(s3Records(hook.received).filter((r) => r.s3.bucket.name === "revoked").map((r) => r.s3.object.key)).toEqual(["after"]);
  });

  it("an empty configuration removes it", async () => {
    expect((await aws(server.url, ["s3api", "create-bucket", "--bucket", "cleared"])).code).toBe(0);
    expect((await putConfig(server, "cleared", { TopicConfigurations: [{ TopicArn: topicArn, Events: ["s3:ObjectCreated:*"] }] })).code).toBe(0);
    expect((await putConfig(server, "cleared", {})).code).toBe(0);
    const got = await aws(server.url, ["s3api", "get-bucket-notification-configuration", "--bucket", "cleared"]);
    expect(got.code, got.stderr).toBe(0);
    expect(got.json?.TopicConfigurations).toBeUndefined();
  });

  it("a read-only user reads the configuration and cannot change it", async () => {
    const reader = await userWith(server.url, "notify-reader", { managed: [managed("AmazonS3ReadOnlyAccess")] });
    const get = await aws(server.url, ["s3api", "get-bucket-notification-configuration", "--bucket", "watched"], { creds: reader });
    expect(get.code, get.stderr).toBe(0);
    const put = await aws(server.url, ["s3api", "put-bucket-notification-configuration", "--bucket", "watched", "--notification-configuration", configFile({})], { creds: reader });
    expect(cliErrorCode(put)).toBe("AccessDenied");
    expect(put.stderr).toContain("s3:PutBucketNotification");
    const still = await aws(server.url, ["s3api", "get-bucket-notification-configuration", "--bucket", "watched"]);
    expect(still.json.TopicConfigurations).toHaveLength(2);
  });
});

describe("durability", () => {
  it("an acknowledged PUT is announced after a SIGKILL: the event was committed with the version", async () => {
    const s = await Subscriber.start();
    subscribers.push(s);
    // the first process delivers nothing: whatever arrives later was in the database
    const first = await startServer({ args: [...FAST] });
    servers.push(first);
    const { topicArn: topic } = await topicWithSubscriber(first, "crash-events", s);
    await allowS3(first, topic);
    expect((await aws(first.url, ["s3api", "create-bucket", "--bucket", "crashy"])).code).toBe(0);
    expect((await putConfig(first, "crashy", { TopicConfigurations: [{ TopicArn: topic, Events: ["s3:ObjectCreated:*"] }] })).code).toBe(0);
    await s.waitFor((rs) => notificationsIn(rs).length >= 1);
    await first.stop();
    const second = await startServer({ dataDir: first.dataDir, args: [...FAST, "--delivery-workers=false"] });
    servers.push(second);
    const put = await aws(second.url, ["s3api", "put-object", "--bucket", "crashy", "--key", "kept.txt", "--body", fileWith("survives")]);
    expect(put.code, put.stderr).toBe(0);
    await second.kill();
    expect(s3Records(s.received)).toHaveLength(0);

    const third = await startServer({ dataDir: first.dataDir, args: FAST });
    servers.push(third);
    const [record] = await s.waitFor((rs) => s3Records(rs).length >= 1 && s3Records(rs), 30_000);
    expect(record).toMatchObject({ eventName: "ObjectCreated:Put", s3: { bucket: { name: "crashy" }, object: { key: "kept.txt", size: 8 } } });
    const got = await aws(third.url, ["s3", "cp", "s3://crashy/kept.txt", "-"]);
    expect(got.stdout).toBe("survives");
  });
});

function fileWith(content: string): string {
  const f = path.join(tmpDir("body"), "body");
  fs.writeFileSync(f, content);
  return f;
}

/** The raw error document of a refused PutBucketNotificationConfiguration (signed by the SDK's signer). */
async function fetchError(topic: string): Promise<string> {
  const { signedS3 } = await import("../helpers/s3.js");
  const body = `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TopicConfiguration><Topic>${topic}</Topic><Event>s3:ObjectCreated:*</Event></TopicConfiguration></NotificationConfiguration>`;
  const r = await signedS3(server.url, "PUT", "/watched", { body, query: { notification: "" } });
  expect(r.status).toBe(400);
  return r.body.toString();
}
