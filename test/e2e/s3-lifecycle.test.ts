import fs from "node:fs";
import path from "node:path";
import {
  CreateBucketCommand,
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  GetObjectCommand,   HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, awsEnv, cliErrorCode, python } from "../helpers/clients.js";
import { sleep, sns } from "../helpers/events.js";
import { managed, userWith } from "../helpers/iam.js";
import { startPostgres } from "../helpers/postgres.js";
import { s3Client, signedS3 } from "../helpers/s3.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";
import { Subscriber } from "../helpers/subscriber.js";
import { notificationsIn, topicWithSubscriber } from "../helpers/topics.js";

// a lifecycle "day" of one second, swept five times a second
const LIFECYCLE = ["--bucket-lifecycle-day-ms", "1000", "--bucket-lifecycle-interval-seconds", "0.2", "--delivery-delay-scale", "0.01"];
let server: ServerHandle;
let hook: Subscriber;

function jsonFile(value: object): string {
  const f = path.join(tmpDir("lifecycle"), "cfg.json");
  fs.writeFileSync(f, JSON.stringify(value));
  return `file://${f}`;
}

function bodyFile(content: string): string {
  const f = path.join(tmpDir("body"), "body");
  fs.writeFileSync(f, content);
  return f;
}

const s3api = (args: string[], opts: Parameters<typeof aws>[2] = {}) => aws(server.url, ["s3api", ...args], opts);
const putLifecycle = (bucket: string, cfg: object, opts: Parameters<typeof aws>[2] = {}) =>
  s3api(["put-bucket-lifecycle-configuration", "--bucket", bucket, "--lifecycle-configuration", jsonFile(cfg)], opts);

async function bucket(name: string, versioned: boolean): Promise<void> {
  expect((await s3api(["create-bucket", "--bucket", name])).code).toBe(0);
  if (versioned) expect((await s3api(["put-bucket-versioning", "--bucket", name, "--versioning-configuration", "Status=Enabled"])).code).toBe(0);
}

async function put(b: string, key: string, content: string): Promise<string | undefined> {
  const r = await s3api(["put-object", "--bucket", b, "--key", key, "--body", bodyFile(content)]);
  expect(r.code, r.stderr).toBe(0);
  return r.json?.VersionId;
}

async function versions(b: string, prefix: string): Promise<{ Versions: any[]; DeleteMarkers: any[] }> {
  const r = await s3api(["list-object-versions", "--bucket", b, "--prefix", prefix]);
  expect(r.code, r.stderr).toBe(0);
  return { Versions: r.json?.Versions ?? [], DeleteMarkers: r.json?.DeleteMarkers ?? [] };
}

/** Polls until `pred` holds (the sweep runs in the background), failing after 30 s. */
async function eventually<T>(what: string, probe: () => Promise<T>, pred: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 150; i++) {
    last = await probe();
    if (pred(last)) return last;
    await sleep(200);
  }
  throw new Error(`${what} never happened; last seen: ${JSON.stringify(last)}`);
}

beforeAll(async () => {
  server = await startServer({ args: LIFECYCLE });
  hook = await Subscriber.start();
});
afterAll(async () => {
  await server?.stop();
  await hook?.close();
});

describe("Put/Get/DeleteBucketLifecycleConfiguration", () => {
  it("stores the rules the AWS CLI sends and returns them; delete removes them (Get is then 404 NoSuchLifecycleConfiguration)", async () => {
    await bucket("configured", true);
    const missing = await s3api(["get-bucket-lifecycle-configuration", "--bucket", "configured"]);
    expect(cliErrorCode(missing)).toBe("NoSuchLifecycleConfiguration");
    const rules = [
      { ID: "bound-retention", Status: "Enabled", Filter: { Prefix: "" }, NoncurrentVersionExpiration: { NoncurrentDays: 30, NewerNoncurrentVersions: 3 } },
      { ID: "tmp", Status: "Disabled", Filter: { And: { Prefix: "tmp/", Tags: [{ Key: "kind", Value: "scratch" }], ObjectSizeGreaterThan: 10 } }, Expiration: { Days: 7 } },
      { ID: "markers", Status: "Enabled", Filter: { ObjectSizeLessThan: 1024 }, Expiration: { ExpiredObjectDeleteMarker: true } },
      { ID: "uploads", Status: "Enabled", Filter: { Prefix: "big/" }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
      { ID: "dated", Status: "Enabled", Filter: { Tag: { Key: "k", Value: "v" } }, Expiration: { Date: "2030-01-01T00:00:00Z" } },
    ];
    const putR = await putLifecycle("configured", { Rules: rules });
    expect(putR.code, putR.stderr).toBe(0);
    const got = await s3api(["get-bucket-lifecycle-configuration", "--bucket", "configured"]);
    expect(got.code, got.stderr).toBe(0);
    expect(got.json.Rules).toHaveLength(5);
    expect(got.json.Rules.slice(0, 4)).toEqual(rules.slice(0, 4));
    expect(got.json.Rules[4]).toMatchObject({ ID: "dated", Filter: { Tag: { Key: "k", Value: "v" } } });
    expect(Date.parse(got.json.Rules[4].Expiration.Date)).toBe(Date.parse("2030-01-01T00:00:00Z"));
    // (the CLI v2.9's model predates TransitionDefaultMinimumObjectSize; boto3's test reads it)

    const del = await s3api(["delete-bucket-lifecycle", "--bucket", "configured"]);
    expect(del.code, del.stderr).toBe(0);
    const gone = await s3api(["get-bucket-lifecycle-configuration", "--bucket", "configured"]);
    expect(cliErrorCode(gone)).toBe("NoSuchLifecycleConfiguration");
    expect(gone.stderr).toContain("The lifecycle configuration does not exist");
  });

  it("boto3 and the legacy top-level Prefix; a missing ID is made", async () => {
    await bucket("legacy", false);
    const r = await python(
      `import boto3, json, os
s3 = boto3.client("s3", endpoint_url=os.environ["HW"])
s3.put_bucket_lifecycle_configuration(Bucket="legacy", LifecycleConfiguration={"Rules": [{"Prefix": "logs/", "Status": "Enabled", "Expiration": {"Days": 90}}]})
got = s3.get_bucket_lifecycle_configuration(Bucket="legacy")
print(json.dumps([got["Rules"], got.get("TransitionDefaultMinimumObjectSize")]))`,
      { ...awsEnv(), HW: server.url },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual([[{ ID: expect.stringMatching(/^\w{1,255}$/), Prefix: "logs/", Status: "Enabled", Expiration: { Days: 90 } }], "all_storage_classes_128K"]);
  });

  it("the JavaScript SDK (its CRC32 checksum on Put) puts, gets and deletes a configuration", async () => {
    await bucket("sdk-rules", true);
    const sdk = s3Client(server.url);
    const Rules = [{ ID: "and", Status: "Enabled" as const, Filter: { And: { Prefix: "p/", Tags: [{ Key: "a", Value: "1" }] } }, Expiration: { Days: 30 } }];
    await sdk.send(new PutBucketLifecycleConfigurationCommand({ Bucket: "sdk-rules", LifecycleConfiguration: { Rules } }));
    const got = await sdk.send(new GetBucketLifecycleConfigurationCommand({ Bucket: "sdk-rules" }));
    expect(got.Rules).toEqual(Rules);
    await sdk.send(new DeleteBucketLifecycleCommand({ Bucket: "sdk-rules" }));
    const gone = await sdk.send(new GetBucketLifecycleConfigurationCommand({ Bucket: "sdk-rules" })).catch((e) => [e.name, e.$metadata?.httpStatusCode]);
    expect(gone).toEqual(["NoSuchLifecycleConfiguration", 404]);
  });

  it("refuses what S3 refuses, with S3's codes, and keeps the configuration there was", async () => {
    await bucket("strict", true);
    const good = { Rules: [{ ID: "one", Status: "Enabled", Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 5 } }] };
    expect((await putLifecycle("strict", good)).code).toBe(0);
    const rule = (extra: object) => ({ ID: "r", Status: "Enabled", Filter: { Prefix: "" }, ...extra });
    const cases: Array<[object, string, RegExp]> = [
      [{ Rules: [rule({ Expiration: { Days: 0 } })] }, "InvalidArgument", /'Days' for Expiration action must be a positive integer/],
      [{ Rules: [rule({ Expiration: { Days: -3 } })] }, "InvalidArgument", /'Days' for Expiration action must be a positive integer/],
      [{ Rules: [rule({ Expiration: { Date: "2030-01-01T12:00:00Z" } })] }, "InvalidArgument", /'Date' must be at midnight GMT/],
      [{ Rules: [rule({ NoncurrentVersionExpiration: { NoncurrentDays: 0 } })] }, "InvalidArgument", /'NoncurrentDays'/],
      [{ Rules: [rule({ Expiration: { Days: 1 } }), { ...rule({ Expiration: { Days: 2 } }) }] }, "InvalidArgument", /Rule ID must be unique/],
      [{ Rules: [rule({ Expiration: { Days: 1, ExpiredObjectDeleteMarker: true } })] }, "MalformedXML", /not well-formed/],
      [{ Rules: [{ ID: "r", Status: "Enabled", Filter: { Prefix: "" } }] }, "InvalidRequest", /At least one action needs to be specified in a rule/],
      [{ Rules: [{ ID: "r", Status: "Enabled", Prefix: "a/", Filter: { Prefix: "a/" }, Expiration: { Days: 1 } }] }, "MalformedXML", /not well-formed/],
      [{ Rules: [{ ID: "x".repeat(256), Status: "Enabled", Filter: {}, Expiration: { Days: 1 } }] }, "InvalidArgument", /ID length should not exceed allowed limit of 255/],
      [{ Rules: Array.from({ length: 1001 }, (_, i) => ({ ID: `r${i}`, Status: "Enabled", Filter: { Prefix: `p${i}/` }, Expiration: { Days: 1 } })) }, "InvalidArgument", /at most 1000 rules/],
    ];
    for (const [cfg, code, message] of cases) {
      const r = await putLifecycle("strict", cfg);
      expect(cliErrorCode(r), JSON.stringify(cfg).slice(0, 200)).toBe(code);
      expect(r.stderr).toMatch(message);
    }
    const after = await s3api(["get-bucket-lifecycle-configuration", "--bucket", "strict"]);
    expect(after.json.Rules).toEqual(good.Rules);
    // S3 marks the operation checksum-required: a body without Content-MD5 or a checksum is refused
    const xml = `<LifecycleConfiguration><Rule><ID>x</ID><Status>Enabled</Status><Filter/><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`;
    const bare = await signedS3(server.url, "PUT", "/strict", { body: xml, query: { lifecycle: "" } });
    expect(bare.status).toBe(400);
    expect(bare.body).toContain("<Code>InvalidRequest</Code>");
  });

  it("a read-only user reads the rules and can neither change nor delete them", async () => {
    await bucket("guarded", false);
    const cfg = { Rules: [{ ID: "a", Status: "Enabled", Filter: {}, Expiration: { Days: 365 } }] };
    expect((await putLifecycle("guarded", cfg)).code).toBe(0);
    const reader = await userWith(server.url, "lifecycle-reader", { managed: [managed("AmazonS3ReadOnlyAccess")] });
    const got = await s3api(["get-bucket-lifecycle-configuration", "--bucket", "guarded"], { creds: reader });
    expect(got.code, got.stderr).toBe(0);
    const put = await putLifecycle("guarded", { Rules: [{ ...cfg.Rules[0], Expiration: { Days: 1 } }] }, { creds: reader });
    expect(cliErrorCode(put)).toBe("AccessDenied");
    expect(put.stderr).toContain("s3:PutLifecycleConfiguration");
    const del = await s3api(["delete-bucket-lifecycle", "--bucket", "guarded"], { creds: reader });
    expect(cliErrorCode(del)).toBe("AccessDenied");
    expect((await s3api(["get-bucket-lifecycle-configuration", "--bucket", "guarded"])).json.Rules).toEqual(cfg.Rules);
  });
});

describe("x-amz-expiration", () => {
  it("PUT, GET and HEAD of a current version say when the earliest Expiration rule covering it is due, and by which rule", async () => {
    await bucket("announced", true);
    const rules = [
      { ID: "far", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Date: "2099-01-01T00:00:00Z" } },
      // 100,000 one-second days: about 28 hours from now, before 2099
      { ID: "near rule", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 100000 } },
      { ID: "off", Status: "Disabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 1 } },
    ];
    expect((await putLifecycle("announced", { Rules: rules })).code).toBe(0);
    const sdk = s3Client(server.url);
    const before = Date.now();
    const putR = await sdk.send(new PutObjectCommand({ Bucket: "announced", Key: "logs/a.log", Body: "a" }));
    const m = /^expiry-date="([^"]+)", rule-id="([^"]+)"$/.exec(putR.Expiration ?? "");
    expect(m, putR.Expiration).not.toBeNull();
    expect(decodeURIComponent(m![2]!)).toBe("near rule");
    const at = Date.parse(m![1]!);
    expect(at).toBeGreaterThan(before + 100000 * 1000 - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 100001 * 1000);
    expect(at % 1000).toBe(0);
    expect((await sdk.send(new HeadObjectCommand({ Bucket: "announced", Key: "logs/a.log" }))).Expiration).toBe(putR.Expiration);
    expect((await sdk.send(new GetObjectCommand({ Bucket: "announced", Key: "logs/a.log" }))).Expiration).toBe(putR.Expiration);
    // outside every rule: no header
    const other = await sdk.send(new PutObjectCommand({ Bucket: "announced", Key: "data/b", Body: "b" }));
    expect(other.Expiration).toBeUndefined();
    expect((await sdk.send(new HeadObjectCommand({ Bucket: "announced", Key: "data/b" }))).Expiration).toBeUndefined();
  });
});

describe("the lifecycle sweep", () => {
  it("NoncurrentVersionExpiration keeps the current version and the NewerNoncurrentVersions newest, and removes the rest", async () => {
    await bucket("retained", true);
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) ids.push((await put("retained", "build/app.zip", `build ${n}`))!);
    await put("retained", "other/keep.txt", "a");
    await put("retained", "other/keep.txt", "b");
    const cfg = { Rules: [{ ID: "bound", Status: "Enabled", Filter: { Prefix: "build/" }, NoncurrentVersionExpiration: { NoncurrentDays: 1, NewerNoncurrentVersions: 2 } }] };
    expect((await putLifecycle("retained", cfg)).code).toBe(0);
    const left = await eventually("noncurrent versions expiring", () => versions("retained", "build/"), (v) => v.Versions.length <= 3);
    // newest first: the current one and the two newest noncurrent ones
    expect(left.Versions.map((v) => v.VersionId)).toEqual([ids[4], ids[3], ids[2]]);
    expect(left.Versions[0].IsLatest).toBe(true);
    const got = await aws(server.url, ["s3", "cp", "s3://retained/build/app.zip", "-"]);
    expect(got.stdout).toBe("build 5");
    // outside the rule's prefix: both versions still there
    expect((await versions("retained", "other/")).Versions).toHaveLength(2);
  });

  it("Expiration puts a delete marker on a versioned bucket's current version (LifecycleExpiration:DeleteMarkerCreated), and ExpiredObjectDeleteMarker removes a marker left alone", async () => {
    const { topicArn } = await topicWithSubscriber(server, "lifecycle-events", hook);
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sns:Publish", Resource: topicArn }] });
    expect((await sns(server.url, ["set-topic-attributes", "--topic-arn", topicArn, "--attribute-name", "Policy", "--attribute-value", policy])).code).toBe(0);
    await bucket("expiring", true);
    const cfgN = { TopicConfigurations: [{ Id: "lc", TopicArn: topicArn, Events: ["s3:LifecycleExpiration:*"] }] };
    expect((await s3api(["put-bucket-notification-configuration", "--bucket", "expiring", "--notification-configuration", jsonFile(cfgN)])).code).toBe(0);
    const v1 = await put("expiring", "tmp/scratch.txt", "scratch");
    await put("expiring", "docs/readme.txt", "stays");
    // a key whose only version is a delete marker
    expect((await s3api(["delete-object", "--bucket", "expiring", "--key", "gone/old.txt"])).code).toBe(0);
    expect((await versions("expiring", "gone/")).DeleteMarkers).toHaveLength(1);
    // and one under the Days rule's prefix, removed once the marker itself is a day old
    expect((await s3api(["delete-object", "--bucket", "expiring", "--key", "tmp/lone.txt"])).code).toBe(0);
    const rules = [
      { ID: "tmp", Status: "Enabled", Filter: { Prefix: "tmp/" }, Expiration: { Days: 1 } },
      { ID: "markers", Status: "Enabled", Filter: { Prefix: "gone/" }, Expiration: { ExpiredObjectDeleteMarker: true } },
    ];
    expect((await putLifecycle("expiring", { Rules: rules })).code).toBe(0);

    const tmp = await eventually("the expiration's delete marker", () => versions("expiring", "tmp/"), (v) => v.DeleteMarkers.length === 1);
    expect(tmp.Versions.map((v) => [v.VersionId, v.IsLatest])).toEqual([[v1, false]]);
    expect(tmp.DeleteMarkers[0].IsLatest).toBe(true);
    await eventually("the lone delete marker's removal", () => versions("expiring", "gone/"), (v) => v.DeleteMarkers.length === 0 && v.Versions.length === 0);
    await eventually("the Days rule removing a lone marker", () => versions("expiring", "tmp/lone"), (v) => v.DeleteMarkers.length === 0);
    // the marker the sweep made is itself left alone: it is not the key's only version
    expect((await versions("expiring", "tmp/")).DeleteMarkers).toHaveLength(1);
    expect((await versions("expiring", "docs/")).Versions).toHaveLength(1);

    const records = await hook.waitFor((rs) => {
      const all = notificationsIn(rs)
        .map((n) => JSON.parse(n.json.Message).Records?.[0])
        .filter((r) => r?.s3?.bucket?.name === "expiring");
      return all.length >= 3 && all;
    });
    const byName = Object.fromEntries(records.filter((r: any) => r.s3.object.key !== "tmp/lone.txt").map((r: any) => [r.eventName, r]));
    expect(records.find((r: any) => r.s3.object.key === "tmp/lone.txt")?.eventName).toBe("LifecycleExpiration:Delete");
    expect(byName["LifecycleExpiration:DeleteMarkerCreated"]).toMatchObject({
      userIdentity: { principalId: "s3.amazonaws.com" },
      s3: { configurationId: "lc", object: { key: "tmp/scratch.txt", versionId: tmp.DeleteMarkers[0].VersionId } },
    });
    expect(byName["LifecycleExpiration:Delete"]).toMatchObject({ s3: { object: { key: "gone/old.txt" } } });
  });

  it("Expiration deletes an unversioned bucket's objects; a Disabled rule and objects outside a size filter are left", async () => {
    await bucket("a-disabled", false);
    await put("a-disabled", "old.txt", "kept");
    expect((await putLifecycle("a-disabled", { Rules: [{ ID: "off", Status: "Disabled", Filter: {}, Expiration: { Days: 1 } }] })).code).toBe(0);
    await bucket("z-unversioned", false);
    await put("z-unversioned", "small.txt", "tiny");
    await put("z-unversioned", "large.txt", "x".repeat(100));
    expect((await putLifecycle("z-unversioned", { Rules: [{ ID: "big", Status: "Enabled", Filter: { ObjectSizeGreaterThan: 50 }, Expiration: { Days: 1 } }] })).code).toBe(0);
    await eventually("the large object's expiry", () => versions("z-unversioned", ""), (v) => v.Versions.length === 1);
    const left = await versions("z-unversioned", "");
    expect(left.Versions.map((v) => v.Key)).toEqual(["small.txt"]);
    expect(left.DeleteMarkers).toHaveLength(0);
    // the sweep goes through buckets in name order, and old.txt was due before large.txt: had the
    // rule been enabled, the pass that expired large.txt would have expired old.txt first
    expect((await versions("a-disabled", "")).Versions.map((v) => v.Key)).toEqual(["old.txt"]);
  });
});

describe("Expiration by Date", () => {
  it("a Date already past expires what the rule covers at the next sweep (a delete marker on a versioned bucket)", async () => {
    await bucket("dated", true);
    const v = await put("dated", "old/a", "a");
    await put("dated", "new/b", "b");
    expect((await putLifecycle("dated", { Rules: [{ ID: "past", Status: "Enabled", Filter: { Prefix: "old/" }, Expiration: { Date: "2020-01-01T00:00:00Z" } }] })).code).toBe(0);
    const after = await eventually("the dated expiry", () => versions("dated", ""), (x) => x.DeleteMarkers.length === 1);
    expect(after.DeleteMarkers.map((m) => [m.Key, m.IsLatest])).toEqual([["old/a", true]]);
    expect(after.Versions.map((x) => [x.Key, x.VersionId === v || x.Key === "new/b", x.IsLatest])).toEqual([
      ["new/b", true, true],
      ["old/a", true, false],
    ]);
  });
});

describe("several processes on one PostgreSQL", () => {
  it("sweep in turns and in batches: each of 250 keys' noncurrent version is removed once, and announced once", async () => {
    const pg = await startPostgres();
    pg.createDatabase("lifecycle");
    const args = [...LIFECYCLE, "--database-url", pg.url("lifecycle")];
    const a = await startServer({ args });
    const b = await startServer({ dataDir: a.dataDir, args });
    const s = await Subscriber.start();
    try {
      const sdk = s3Client(a.url);
      const { topicArn } = await topicWithSubscriber(a, "pg-lifecycle", s);
      const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sns:Publish", Resource: topicArn }] });
      expect((await sns(a.url, ["set-topic-attributes", "--topic-arn", topicArn, "--attribute-name", "Policy", "--attribute-value", policy])).code).toBe(0);
      await sdk.send(new CreateBucketCommand({ Bucket: "shared" }));
      await sdk.send(new PutBucketVersioningCommand({ Bucket: "shared", VersioningConfiguration: { Status: "Enabled" } }));
      await sdk.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: "shared",
          NotificationConfiguration: { TopicConfigurations: [{ Id: "lc", TopicArn: topicArn, Events: ["s3:LifecycleExpiration:Delete"] }] },
        }),
      );
      const keys = Array.from({ length: 250 }, (_, i) => `k/${String(i).padStart(3, "0")}`);
      const old = new Map<string, string>();
      for (let i = 0; i < keys.length; i += 25) {
        await Promise.all(
          keys.slice(i, i + 25).map(async (key) => {
            old.set(key, (await sdk.send(new PutObjectCommand({ Bucket: "shared", Key: key, Body: "old" }))).VersionId!);
            await sdk.send(new PutObjectCommand({ Bucket: "shared", Key: key, Body: "new" }));
          }),
        );
      }
      const rule = { Rules: [{ ID: "bound", Status: "Enabled", Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] };
      const putR = await aws(b.url, ["s3api", "put-bucket-lifecycle-configuration", "--bucket", "shared", "--lifecycle-configuration", jsonFile(rule)]);
      expect(putR.code, putR.stderr).toBe(0);
      const countVersions = async () => {
        let n = 0;
        let marker: { KeyMarker?: string; VersionIdMarker?: string } = {};
        for (;;) {
          const page = await sdk.send(new ListObjectVersionsCommand({ Bucket: "shared", ...marker }));
          n += page.Versions?.length ?? 0;
          if (!page.IsTruncated) return n;
          marker = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
        }
      };
      await eventually("250 noncurrent versions expiring", countVersions, (n) => n === 250);
      const records = () =>
        notificationsIn(s.received)
          .map((n) => JSON.parse(n.json.Message).Records?.[0])
          .filter(Boolean);
      await s.waitFor(() => records().length >= 250, 60_000);
      // both processes have swept several times since; nothing was removed or announced twice
      await sleep(1000);
      const seen = records().map((r: any) => `${r.s3.object.key} ${r.s3.object.versionId}`);
      expect(seen).toHaveLength(250);
      expect(new Set(seen)).toEqual(new Set(keys.map((k) => `${k} ${old.get(k)}`)));
      expect(pg.query("lifecycle", "select count(*)::int as n from s3_versions where bucket = 'shared' and latest = 1")[0]!.n).toBe(250);
    } finally {
      await a.stop();
      await b.stop();
      await s.close();
      pg.stop();
    }
  });
});
