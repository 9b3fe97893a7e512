import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, awsEnv, cliErrorCode, python, type Creds } from "../helpers/clients.js";
import { managed, userWith } from "../helpers/iam.js";
import { s3Client, sdkFailure, signedS3 } from "../helpers/s3.js";
import { ADMIN, startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

let server: ServerHandle;
const s3 = (creds: Creds = ADMIN) => s3Client(server.url, creds);
const failure = sdkFailure;
const cli = (args: string[], opts: { version?: 1 | 2; creds?: Creds } = {}) => aws(server.url, args, opts);

const crc32 = (data: Buffer | string) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(zlib.crc32(data) >>> 0);
  return b.toString("base64");
};
const md5Hex = (data: Buffer | string) => crypto.createHash("md5").update(data).digest("hex");
const text = async (bucket: string, key: string, versionId?: string) => (await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))).Body!.transformToString();
const tagsOf = async (bucket: string, key: string, versionId?: string) => (await s3().send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId }))).TagSet;

/** A file with these bytes, for the CLI's --body. */
function file(content: string | Buffer): string {
  const p = path.join(tmpDir("s3ct"), "body");
  fs.writeFileSync(p, content);
  return p;
}

beforeAll(async () => {
  server = await startServer();
  for (const b of ["plain", "src-versioned", "dst-versioned"]) await s3().send(new CreateBucketCommand({ Bucket: b }));
  for (const b of ["src-versioned", "dst-versioned"]) await s3().send(new PutBucketVersioningCommand({ Bucket: b, VersioningConfiguration: { Status: "Enabled" } }));
});
afterAll(async () => {
  await server?.stop();
});

describe("CopyObject", () => {
  for (const version of [2, 1] as const) {
    it(`CLI v${version}: aws s3 cp s3://a/x s3://b/y copies the bytes, Content-Type and metadata`, async () => {
      const data = crypto.randomBytes(100_000);
      await s3().send(new PutObjectCommand({ Bucket: "plain", Key: `cp-v${version}/src.bin`, Body: data, ContentType: "application/x-src", Metadata: { team: "alpha" } }));
      const r = await cli(["s3", "cp", `s3://plain/cp-v${version}/src.bin`, `s3://dst-versioned/cp-v${version}/copy.bin`], { version });
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const got = await s3().send(new GetObjectCommand({ Bucket: "dst-versioned", Key: `cp-v${version}/copy.bin` }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
      expect([got.ETag, got.ContentType, got.Metadata, typeof got.VersionId]).toEqual([`"${md5Hex(data)}"`, "application/x-src", { team: "alpha" }, "string"]);
      // sync between buckets lists the source and copies each key; a second sync has nothing to do
      await s3().send(new PutObjectCommand({ Bucket: "plain", Key: `cp-v${version}/sub/two.txt`, Body: "2" }));
      const sync = await cli(["s3", "sync", `s3://plain/cp-v${version}/`, `s3://dst-versioned/sync-v${version}/`], { version });
      expect([sync.code, sync.stdout.match(/copy: /g)?.length]).toEqual([0, 2]);
      expect(await text("dst-versioned", `sync-v${version}/sub/two.txt`)).toBe("2");
      expect((await cli(["s3", "sync", `s3://plain/cp-v${version}/`, `s3://dst-versioned/sync-v${version}/`], { version })).stdout.trim()).toBe("");
    });
  }

  it("s3api copy-object: a version by versionId, COPY keeps the source's metadata, REPLACE takes the request's; versioned to versioned", async () => {
    const v1 = (await cli(["s3api", "put-object", "--bucket", "src-versioned", "--key", "doc.txt", "--body", file("one"), "--content-type", "text/one", "--metadata", "rev=1", "--cache-control", "max-age=1"])).json.VersionId;
    const v2 = (await cli(["s3api", "put-object", "--bucket", "src-versioned", "--key", "doc.txt", "--body", file("two"), "--metadata", "rev=2"])).json.VersionId;
    expect(v1).not.toBe(v2);

    const old = await cli(["s3api", "copy-object", "--bucket", "dst-versioned", "--key", "doc.txt", "--copy-source", `src-versioned/doc.txt?versionId=${v1}`]);
    expect(old.stderr).toBe("");
    expect([old.json.CopySourceVersionId, old.json.CopyObjectResult.ETag]).toEqual([v1, `"${md5Hex("one")}"`]);
    const head = (await cli(["s3api", "head-object", "--bucket", "dst-versioned", "--key", "doc.txt"])).json;
    expect([head.VersionId, head.ContentType, head.Metadata, head.CacheControl, head.ContentLength]).toEqual([old.json.VersionId, "text/one", { rev: "1" }, "max-age=1", 3]);

    // without a versionId: the current version; the destination gets a second version of its own
    const cur = await cli(["s3api", "copy-object", "--bucket", "dst-versioned", "--key", "doc.txt", "--copy-source", "/src-versioned/doc.txt", "--metadata-directive", "REPLACE", "--content-type", "text/replaced", "--metadata", "new=yes"]);
    expect(cur.json.CopySourceVersionId).toBe(v2);
    expect(cur.json.VersionId).not.toBe(old.json.VersionId);
    const replaced = (await cli(["s3api", "head-object", "--bucket", "dst-versioned", "--key", "doc.txt"])).json;
    expect([replaced.ContentType, replaced.Metadata, replaced.CacheControl]).toEqual(["text/replaced", { new: "yes" }, undefined]);
    expect(await text("dst-versioned", "doc.txt")).toBe("two");
    expect(await text("dst-versioned", "doc.txt", old.json.VersionId)).toBe("one");
    const versions = (await cli(["s3api", "list-object-versions", "--bucket", "dst-versioned", "--prefix", "doc.txt"])).json.Versions;
    expect(versions.map((v: { VersionId: string }) => v.VersionId)).toEqual([cur.json.VersionId, old.json.VersionId]);
  });

  it("the JavaScript SDK's CopyObjectCommand: an encoded key, the result's ETag, LastModified and CRC32, both version headers", async () => {
    const key = "odd key/ä+b%20c.txt";
    const put = await s3().send(new PutObjectCommand({ Bucket: "src-versioned", Key: key, Body: "odd bytes" }));
    const r = await s3().send(new CopyObjectCommand({ Bucket: "plain", Key: "from-odd.txt", CopySource: `src-versioned/${encodeURIComponent(key)}` }));
    expect(r.CopyObjectResult?.ETag).toBe(put.ETag);
    expect(r.CopyObjectResult?.ChecksumCRC32).toBe(crc32("odd bytes"));
    expect(r.CopyObjectResult?.LastModified).toBeInstanceOf(Date);
    expect(Math.abs(r.CopyObjectResult!.LastModified!.getTime() - Date.now())).toBeLessThan(3_600_000);
    // an unversioned destination has no version ID to show; the source's is sent
    expect([r.VersionId, r.CopySourceVersionId]).toEqual([undefined, put.VersionId]);
    const got = await s3().send(new GetObjectCommand({ Bucket: "plain", Key: "from-odd.txt", ChecksumMode: "ENABLED" }));
    expect([await got.Body!.transformToString(), got.ChecksumCRC32]).toEqual(["odd bytes", crc32("odd bytes")]);
    // a checksum asked for is computed over the copied bytes
    const sha = await s3().send(new CopyObjectCommand({ Bucket: "plain", Key: "from-odd-sha.txt", CopySource: `src-versioned/${encodeURIComponent(key)}`, ChecksumAlgorithm: "SHA256" }));
    expect(sha.CopyObjectResult?.ChecksumSHA256).toBe(crypto.createHash("sha256").update("odd bytes").digest("base64"));
  });

  it("copy-source preconditions: each false one is 412 PreconditionFailed naming it, and the destination is unchanged", async () => {
    const put = await s3().send(new PutObjectCommand({ Bucket: "plain", Key: "cond-src", Body: "source" }));
    await s3().send(new PutObjectCommand({ Bucket: "plain", Key: "cond-dst", Body: "before" }));
    const etag = put.ETag!;
    const past = new Date(Date.now() - 3_600_000);
    const future = new Date(Date.now() + 3_600_000);
    const copy = (extra: Record<string, unknown>) => s3().send(new CopyObjectCommand({ Bucket: "plain", Key: "cond-dst", CopySource: "plain/cond-src", ...extra }));
    const refused: Array<[Record<string, unknown>, string]> = [
      [{ CopySourceIfMatch: '"00000000000000000000000000000000"' }, "x-amz-copy-source-If-Match"],
      [{ CopySourceIfNoneMatch: etag }, "x-amz-copy-source-If-None-Match"],
      [{ CopySourceIfUnmodifiedSince: past }, "x-amz-copy-source-If-Unmodified-Since"],
      [{ CopySourceIfModifiedSince: new Date() }, "x-amz-copy-source-If-Modified-Since"],
      // a false if-none-match decides even when if-modified-since holds
      [{ CopySourceIfNoneMatch: etag, CopySourceIfModifiedSince: past }, "x-amz-copy-source-If-None-Match"],
    ];
    for (const [extra, condition] of refused) {
      const f = await failure(copy(extra));
      expect([condition, f.name, f.status]).toEqual([condition, "PreconditionFailed", 412]);
    }
    const raw = await signedS3(server.url, "PUT", "/plain/cond-dst", { headers: { "x-amz-copy-source": "/plain/cond-src", "x-amz-copy-source-if-match": '"nope"' } });
    expect(raw.status).toBe(412);
    expect(raw.body).toContain("<Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>x-amz-copy-source-If-Match</Condition>");
    expect(await text("plain", "cond-dst")).toBe("before");
    // a conditional write on the destination, as PutObject's: If-None-Match * refuses to overwrite
    const exists = await signedS3(server.url, "PUT", "/plain/cond-dst", { headers: { "x-amz-copy-source": "/plain/cond-src", "if-none-match": "*" } });
    expect([exists.status, /<Condition>([^<]+)/.exec(exists.body)?.[1]]).toEqual([412, "If-None-Match"]);
    expect(await text("plain", "cond-dst")).toBe("before");
    // true conditions copy; a true if-match overrides a false if-unmodified-since
    for (const extra of [{ CopySourceIfMatch: etag }, { CopySourceIfNoneMatch: '"0000"' }, { CopySourceIfModifiedSince: past }, { CopySourceIfUnmodifiedSince: future }, { CopySourceIfMatch: etag, CopySourceIfUnmodifiedSince: past }]) {
      expect((await copy(extra)).CopyObjectResult?.ETag).toBe(etag);
    }
    expect(await text("plain", "cond-dst")).toBe("source");
  });

  it("refuses a copy onto itself without a change, allows it with REPLACE, and restores an older version by copying it over the current one", async () => {
    await cli(["s3api", "put-object", "--bucket", "plain", "--key", "self.txt", "--body", file("self"), "--metadata", "a=1"]);
    const same = await cli(["s3api", "copy-object", "--bucket", "plain", "--key", "self.txt", "--copy-source", "plain/self.txt"]);
    expect(cliErrorCode(same)).toBe("InvalidRequest");
    expect(same.stderr).toContain(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
    const replace = await cli(["s3api", "copy-object", "--bucket", "plain", "--key", "self.txt", "--copy-source", "plain/self.txt", "--metadata-directive", "REPLACE", "--metadata", "a=2"]);
    expect(replace.code).toBe(0);
    expect((await cli(["s3api", "head-object", "--bucket", "plain", "--key", "self.txt"])).json.Metadata).toEqual({ a: "2" });
    // a website redirect is a change too, and COPY keeps the metadata beside it
    await s3().send(new CopyObjectCommand({ Bucket: "plain", Key: "self.txt", CopySource: "plain/self.txt", WebsiteRedirectLocation: "/elsewhere.html" }));
    const redirected = await s3().send(new HeadObjectCommand({ Bucket: "plain", Key: "self.txt" }));
    expect([redirected.WebsiteRedirectLocation, redirected.Metadata]).toEqual(["/elsewhere.html", { a: "2" }]);

    const v1 = (await s3().send(new PutObjectCommand({ Bucket: "src-versioned", Key: "restore.txt", Body: "good" }))).VersionId!;
    const v2 = (await s3().send(new PutObjectCommand({ Bucket: "src-versioned", Key: "restore.txt", Body: "bad" }))).VersionId!;
    const current = await failure(s3().send(new CopyObjectCommand({ Bucket: "src-versioned", Key: "restore.txt", CopySource: `src-versioned/restore.txt?versionId=${v2}` })));
    expect([current.name, current.status]).toEqual(["InvalidRequest", 400]);
    const restored = await s3().send(new CopyObjectCommand({ Bucket: "src-versioned", Key: "restore.txt", CopySource: `src-versioned/restore.txt?versionId=${v1}` }));
    expect(restored.CopySourceVersionId).toBe(v1);
    expect(await text("src-versioned", "restore.txt")).toBe("good");
  });

  it("names a missing source, version, bucket or delete marker S3's way, and a bad copy source or directive, changing nothing", async () => {
    await s3().send(new PutObjectCommand({ Bucket: "src-versioned", Key: "marked.txt", Body: "x" }));
    const marker = (await s3().send(new DeleteObjectCommand({ Bucket: "src-versioned", Key: "marked.txt" }))).VersionId!;
    await s3().send(new PutObjectCommand({ Bucket: "plain", Key: "untouched", Body: "untouched" }));
    const copy = (source: string, extra: Record<string, unknown> = {}) =>
      s3()
        .send(new CopyObjectCommand({ Bucket: "plain", Key: "untouched", CopySource: source, ...extra }))
        .then(
          () => ({ name: "accepted", status: 200 }),
          (e) => ({ name: e.name as string, status: e.$metadata?.httpStatusCode as number }),
        );
    const cases: Array<[string, Record<string, unknown>, string, number]> = [
      ["plain/no-such-key", {}, "NoSuchKey", 404],
      ["src-versioned/marked.txt", {}, "NoSuchKey", 404],
      [`src-versioned/marked.txt?versionId=${marker}`, {}, "InvalidRequest", 400],
      [`src-versioned/marked.txt?versionId=${"A".repeat(32)}`, {}, "NoSuchVersion", 404],
      ["src-versioned/marked.txt?versionId=bogus", {}, "InvalidArgument", 400],
      ["no-such-bucket/k", {}, "NoSuchBucket", 404],
      ["just-a-bucket", {}, "InvalidArgument", 400],
      ["plain/untouched", { MetadataDirective: "MERGE" }, "InvalidArgument", 400],
      ["plain/untouched", { TaggingDirective: "MERGE" }, "InvalidArgument", 400],
    ];
    for (const [source, extra, code, status] of cases) {
      const f = await copy(source, extra);
      expect([source, f.name, f.status]).toEqual([source, code, status]);
    }
    const raw = await signedS3(server.url, "PUT", "/plain/untouched", { headers: { "x-amz-copy-source": "src-versioned/marked.txt" } });
    expect([raw.status, raw.headers["x-amz-delete-marker"]]).toEqual([404, "true"]);
    const bad = await signedS3(server.url, "PUT", "/plain/untouched", { headers: { "x-amz-copy-source": "just-a-bucket" } });
    expect(bad.body).toContain("<Message>Copy Source must mention the source bucket and key: sourcebucket/sourcekey</Message><ArgumentName>x-amz-copy-source</ArgumentName>");
    const missingDest = await failure(s3().send(new CopyObjectCommand({ Bucket: "no-such-dest", Key: "k", CopySource: "plain/untouched" })));
    expect([missingDest.name, missingDest.status]).toEqual(["NoSuchBucket", 404]);
    expect(await text("plain", "untouched")).toBe("untouched");
  });

  it("tagging directive: COPY takes the source version's tags, REPLACE the request's x-amz-tagging (boto3)", async () => {
    const script = `
import boto3, json
s3 = boto3.client("s3", endpoint_url=${JSON.stringify(server.url)})
s3.put_object(Bucket="plain", Key="tagged-src", Body=b"t", Tagging="env=prod&owner=team%20a")
s3.copy_object(Bucket="plain", Key="tag-copied", CopySource={"Bucket": "plain", "Key": "tagged-src"})
s3.copy_object(Bucket="plain", Key="tag-replaced", CopySource="plain/tagged-src", TaggingDirective="REPLACE", Tagging="only=this")
s3.copy_object(Bucket="plain", Key="tag-cleared", CopySource="plain/tagged-src", TaggingDirective="REPLACE")
out = {k: s3.get_object_tagging(Bucket="plain", Key=k)["TagSet"] for k in ["tag-copied", "tag-replaced", "tag-cleared"]}
out["count"] = s3.head_object(Bucket="plain", Key="tag-copied").get("ResponseMetadata")["HTTPHeaders"].get("x-amz-tagging-count")
print(json.dumps(out))
`;
    const r = await python(script, awsEnv(ADMIN));
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      "tag-copied": [
        { Key: "env", Value: "prod" },
        { Key: "owner", Value: "team a" },
      ],
      "tag-replaced": [{ Key: "only", Value: "this" }],
      "tag-cleared": [],
      count: "2",
    });
  });
});

describe("streaming", () => {
  it("a 256 MB copy streams through the ObjectStore: the server's peak RSS grows by less than 64 MB, and the bytes match", async () => {
    const size = 256 * 1024 * 1024;
    const dir = tmpDir("s3big");
    const src = path.join(dir, "big.bin");
    // a random 1 MiB block repeated (random enough for MD5 and for a wrong offset to show)
    const block = crypto.randomBytes(1024 * 1024);
    const fd = fs.openSync(src, "w");
    const whole = crypto.createHash("md5");
    for (let i = 0; i < size / block.length; i++) {
      block.writeUInt32BE(i, 0);
      fs.writeSync(fd, block);
      whole.update(block);
    }
    fs.closeSync(fd);
    await s3().send(new PutObjectCommand({ Bucket: "plain", Key: "big.bin", Body: fs.createReadStream(src), ContentLength: size }));
    server.resetPeakRss();
    const before = server.rss();
    const started = process.hrtime.bigint();
    const r = await s3().send(new CopyObjectCommand({ Bucket: "dst-versioned", Key: "big-copy.bin", CopySource: "plain/big.bin" }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const grew = server.peakRss() - before;
    // a measurement for the report, not an assertion
    console.log(`copy of ${size / 1024 ** 2} MB in ${seconds.toFixed(2)} s: server RSS ${Math.round(before / 1024 ** 2)} MB before, peak ${Math.round(server.peakRss() / 1024 ** 2)} MB`);
    expect(grew).toBeLessThan(64 * 1024 * 1024);
    expect(r.CopyObjectResult?.ETag).toBe(`"${whole.digest("hex")}"`);
    expect(r.CopyObjectResult?.ChecksumCRC32).toBeDefined();
    const head = await s3().send(new HeadObjectCommand({ Bucket: "dst-versioned", Key: "big-copy.bin", Range: "bytes=0-0" }));
    expect(head.ContentLength).toBe(1);
  });
});

describe("durability", () => {
  it("a copy killed mid-way leaves no version and no stray bytes; the source is intact", async () => {
    const dataDir = tmpDir("s3copycrash");
    let crashy = await startServer({ dataDir });
    const size = 128 * 1024 * 1024;
    const src = path.join(tmpDir("s3copysrc"), "src.bin");
    const block = crypto.randomBytes(1024 * 1024);
    const fd = fs.openSync(src, "w");
    for (let i = 0; i < size / block.length; i++) fs.writeSync(fd, block);
    fs.closeSync(fd);
    const c = s3Client(crashy.url);
    await c.send(new CreateBucketCommand({ Bucket: "crash" }));
    const put = await c.send(new PutObjectCommand({ Bucket: "crash", Key: "src.bin", Body: fs.createReadStream(src), ContentLength: size }));
    const objects = path.join(dataDir, "objects");
    const blobs = () => fs.readdirSync(objects).filter((d) => /^[0-9a-f]{2}$/.test(d)).flatMap((d) => fs.readdirSync(path.join(objects, d)));
    const before = blobs();
    const copying = c.send(new CopyObjectCommand({ Bucket: "crash", Key: "copy.bin", CopySource: "crash/src.bin" })).then(
      () => "acknowledged",
      () => "failed",
    );
    // the copy's bytes are being written: kill the server now
    while (fs.readdirSync(path.join(objects, "tmp")).length === 0 && blobs().length === before.length) await new Promise((r) => setTimeout(r, 5));
    await crashy.kill();
    const outcome = await copying;
    crashy = await startServer({ dataDir });
    try {
      const again = s3Client(crashy.url);
      if (outcome === "acknowledged") {
        // it finished before the kill: then it must be whole
        expect((await again.send(new HeadObjectCommand({ Bucket: "crash", Key: "copy.bin" }))).ETag).toBe(put.ETag);
      } else {
        expect((await failure(again.send(new HeadObjectCommand({ Bucket: "crash", Key: "copy.bin" })))).status).toBe(404);
        expect(blobs().sort()).toEqual([...before].sort());
      }
      expect(fs.readdirSync(path.join(objects, "tmp"))).toEqual([]);
      const head = await again.send(new HeadObjectCommand({ Bucket: "crash", Key: "src.bin" }));
      expect([head.ETag, head.ContentLength]).toEqual([put.ETag, size]);
      console.log(`copy killed mid-way: ${outcome === "acknowledged" ? "it had finished first" : "not acknowledged, nothing left"}`);
    } finally {
      await crashy.stop();
    }
  });
});

describe("object tagging", () => {
  it("put/get/delete-object-tagging per version; a new PUT has no tags; x-amz-tagging-count on GET and HEAD", async () => {
    const v1 = (await cli(["s3api", "put-object", "--bucket", "src-versioned", "--key", "t.txt", "--body", file("1")])).json.VersionId;
    const put = await cli(["s3api", "put-object-tagging", "--bucket", "src-versioned", "--key", "t.txt", "--tagging", JSON.stringify({ TagSet: [{ Key: "stage", Value: "one" }, { Key: "empty", Value: "" }] })]);
    expect([put.code, put.json.VersionId]).toEqual([0, v1]);
    const v2 = (await cli(["s3api", "put-object", "--bucket", "src-versioned", "--key", "t.txt", "--body", file("2")])).json.VersionId;
    const latest = await cli(["s3api", "get-object-tagging", "--bucket", "src-versioned", "--key", "t.txt"]);
    expect([latest.json.VersionId, latest.json.TagSet]).toEqual([v2, []]);
    const first = await cli(["s3api", "get-object-tagging", "--bucket", "src-versioned", "--key", "t.txt", "--version-id", v1]);
    expect(first.json.TagSet).toEqual([
      { Key: "stage", Value: "one" },
      { Key: "empty", Value: "" },
    ]);
    // (CLI v2.9's model has no TagCount on HeadObject: the SDK reads the header)
    expect((await s3().send(new HeadObjectCommand({ Bucket: "src-versioned", Key: "t.txt", VersionId: v1 }))).TagCount).toBe(2);
    expect((await s3().send(new HeadObjectCommand({ Bucket: "src-versioned", Key: "t.txt" }))).TagCount).toBeUndefined();
    const sdkGet = await s3().send(new GetObjectCommand({ Bucket: "src-versioned", Key: "t.txt", VersionId: v1 }));
    expect(sdkGet.TagCount).toBe(2);
    // tagging a version by ID leaves the current one alone
    await s3().send(new PutObjectTaggingCommand({ Bucket: "src-versioned", Key: "t.txt", VersionId: v1, Tagging: { TagSet: [{ Key: "stage", Value: "retagged" }] } }));
    expect(await tagsOf("src-versioned", "t.txt", v1)).toEqual([{ Key: "stage", Value: "retagged" }]);
    expect(await tagsOf("src-versioned", "t.txt")).toEqual([]);
    const del = await cli(["s3api", "delete-object-tagging", "--bucket", "src-versioned", "--key", "t.txt", "--version-id", v1]);
    expect([del.code, del.json.VersionId]).toEqual([0, v1]);
    expect(await tagsOf("src-versioned", "t.txt", v1)).toEqual([]);
    expect((await s3().send(new HeadObjectCommand({ Bucket: "src-versioned", Key: "t.txt", VersionId: v1 }))).TagCount).toBeUndefined();
  });

  for (const version of [2, 1] as const) {
    it(`CLI v${version}: put-object --tagging sets URL-encoded tags`, async () => {
      const key = `put-tagging-v${version}`;
      const r = await cli(["s3api", "put-object", "--bucket", "plain", "--key", key, "--body", file("x"), "--tagging", "a=1&b%20c=d%2Fe&f"], { version });
      expect(r.stderr).toBe("");
      expect(await tagsOf("plain", key)).toEqual([
        { Key: "a", Value: "1" },
        { Key: "b c", Value: "d/e" },
        { Key: "f", Value: "" },
      ]);
      expect((await cli(["s3api", "get-object-tagging", "--bucket", "plain", "--key", key], { version })).json.TagSet).toHaveLength(3);
    });
  }

  it("the SDK's PutObject Tagging, and boto3's put_object_tagging (which sends a CRC32, no Content-MD5)", async () => {
    await s3().send(new PutObjectCommand({ Bucket: "plain", Key: "sdk-tagged", Body: "s", Tagging: "k=v&x=y" }));
    expect((await s3().send(new HeadObjectCommand({ Bucket: "plain", Key: "sdk-tagged" }))).TagCount).toBe(2);
    const script = `
import boto3, json
s3 = boto3.client("s3", endpoint_url=${JSON.stringify(server.url)})
s3.put_object_tagging(Bucket="plain", Key="sdk-tagged", Tagging={"TagSet": [{"Key": "boto", "Value": "3"}]})
print(json.dumps(s3.get_object_tagging(Bucket="plain", Key="sdk-tagged")["TagSet"]))
`;
    const r = await python(script, awsEnv(ADMIN));
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([{ Key: "boto", Value: "3" }]);
  });

  it("S3's limits and errors: count, length, characters, duplicates, aws:, bad XML or header, a missing key or a delete marker; nothing changes", async () => {
    await s3().send(new PutObjectCommand({ Bucket: "plain", Key: "limits", Body: "l", Tagging: "keep=me" }));
    const putTags = (TagSet: Array<{ Key: string; Value: string }>, key = "limits") => failure(s3().send(new PutObjectTaggingCommand({ Bucket: "plain", Key: key, Tagging: { TagSet } })));
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    const cases: Array<[string, Array<{ Key: string; Value: string }>, string, string]> = [
      ["11 tags", eleven, "BadRequest", "Object tags cannot be greater than 10"],
      ["a duplicate key", [{ Key: "a", Value: "1" }, { Key: "a", Value: "2" }], "InvalidTag", "Cannot provide multiple Tags with the same key"],
      ["a 129-character key", [{ Key: "k".repeat(129), Value: "" }], "InvalidTag", "The TagKey you have provided is invalid"],
      ["an empty key", [{ Key: "", Value: "v" }], "InvalidTag", "The TagKey you have provided is invalid"],
      ["a 257-character value", [{ Key: "k", Value: "v".repeat(257) }], "InvalidTag", "The TagValue you have provided is invalid"],
      ["a key with a comma", [{ Key: "a,b", Value: "" }], "InvalidTag", "The TagKey you have provided is invalid"],
      ["an aws: key", [{ Key: "aws:thing", Value: "v" }], "InvalidTag", "Your TagKey cannot be prefixed with aws:"],
    ];
    for (const [what, tags, code, message] of cases) {
      const f = await putTags(tags);
      expect([what, f.name, f.status, f.message]).toEqual([what, code, 400, message]);
    }
    // the most S3 allows: 10 tags, 128-character keys (here with letters beyond ASCII), 256-character values
    const most = Array.from({ length: 10 }, (_, i) => ({ Key: `${i}`.padEnd(128, "é"), Value: "ü @:/=+-_.".padEnd(256, "v") }));
    await s3().send(new PutObjectTaggingCommand({ Bucket: "plain", Key: "limits", Tagging: { TagSet: most } }));
    expect(await tagsOf("plain", "limits")).toEqual(most);
    await s3().send(new PutObjectTaggingCommand({ Bucket: "plain", Key: "limits", Tagging: { TagSet: [{ Key: "keep", Value: "me" }] } }));

    const xml = (body: string) => signedS3(server.url, "PUT", "/plain/limits", { query: { tagging: "" }, body, headers: { "content-md5": crypto.createHash("md5").update(body).digest("base64") } });
    for (const body of ["<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>", "<Tagging></Tagging>", "<Other/>", "not xml <"]) {
      const r = await xml(body);
      expect([body, r.status, /<Code>([^<]+)/.exec(r.body)?.[1]]).toEqual([body, 400, "MalformedXML"]);
    }
    const noChecksum = await signedS3(server.url, "PUT", "/plain/limits", { query: { tagging: "" }, body: "<Tagging><TagSet/></Tagging>" });
    expect([noChecksum.status, /<Code>([^<]+)/.exec(noChecksum.body)?.[1]]).toEqual([400, "InvalidRequest"]);
    for (const header of ["a=1&a=2", "a=b=c", "a=%zz"]) {
      const r = await failure(s3().send(new PutObjectCommand({ Bucket: "plain", Key: "limits", Body: "replaced", Tagging: header })));
      expect([header, r.name, r.status]).toEqual([header, "InvalidArgument", 400]);
    }
    const twelve = Array.from({ length: 12 }, (_, i) => `t${i}=v`).join("&");
    expect((await failure(s3().send(new PutObjectCommand({ Bucket: "plain", Key: "limits", Body: "replaced", Tagging: twelve })))).name).toBe("BadRequest");
    expect(await tagsOf("plain", "limits")).toEqual([{ Key: "keep", Value: "me" }]);
    expect(await text("plain", "limits")).toBe("l");

    expect((await putTags([{ Key: "a", Value: "b" }], "no-such-key")).name).toBe("NoSuchKey");
    expect((await failure(s3().send(new GetObjectTaggingCommand({ Bucket: "plain", Key: "no-such-key" })))).name).toBe("NoSuchKey");
    expect((await failure(s3().send(new GetObjectTaggingCommand({ Bucket: "no-such-bucket", Key: "k" })))).name).toBe("NoSuchBucket");
    await s3().send(new PutObjectCommand({ Bucket: "src-versioned", Key: "tag-marker", Body: "m" }));
    const marker = (await s3().send(new DeleteObjectCommand({ Bucket: "src-versioned", Key: "tag-marker" }))).VersionId!;
    const onMarker = await failure(s3().send(new GetObjectTaggingCommand({ Bucket: "src-versioned", Key: "tag-marker" })));
    expect([onMarker.name, onMarker.status]).toEqual(["NoSuchKey", 404]);
    const byId = await failure(s3().send(new PutObjectTaggingCommand({ Bucket: "src-versioned", Key: "tag-marker", VersionId: marker, Tagging: { TagSet: [] } })));
    expect([byId.name, byId.status]).toEqual(["MethodNotAllowed", 405]);
    const badVersion = await failure(s3().send(new GetObjectTaggingCommand({ Bucket: "src-versioned", Key: "tag-marker", VersionId: "A".repeat(32) })));
    expect([badVersion.name, badVersion.status]).toEqual(["NoSuchVersion", 404]);
  });
});

describe("bucket tagging", () => {
  it("aws s3api put/get/delete-bucket-tagging: NoSuchTagSet before and after, a Put replaces the set", async () => {
    await cli(["s3api", "create-bucket", "--bucket", "tagged-bucket"]);
    const none = await cli(["s3api", "get-bucket-tagging", "--bucket", "tagged-bucket"]);
    expect(cliErrorCode(none)).toBe("NoSuchTagSet");
    expect(none.stderr).toContain("The TagSet does not exist");
    expect((await cli(["s3api", "put-bucket-tagging", "--bucket", "tagged-bucket", "--tagging", "TagSet=[{Key=cost-center,Value=42},{Key=team,Value=build}]"])).code).toBe(0);
    expect((await cli(["s3api", "get-bucket-tagging", "--bucket", "tagged-bucket"])).json.TagSet).toEqual([
      { Key: "cost-center", Value: "42" },
      { Key: "team", Value: "build" },
    ]);
    await cli(["s3api", "put-bucket-tagging", "--bucket", "tagged-bucket", "--tagging", "TagSet=[{Key=team,Value=ops}]"]);
    expect((await cli(["s3api", "get-bucket-tagging", "--bucket", "tagged-bucket"])).json.TagSet).toEqual([{ Key: "team", Value: "ops" }]);
    const del = await cli(["s3api", "delete-bucket-tagging", "--bucket", "tagged-bucket"]);
    expect([del.code, del.stderr]).toEqual([0, ""]);
    expect(cliErrorCode(await cli(["s3api", "get-bucket-tagging", "--bucket", "tagged-bucket"]))).toBe("NoSuchTagSet");
    expect(cliErrorCode(await cli(["s3api", "get-bucket-tagging", "--bucket", "no-such-bucket"]))).toBe("NoSuchBucket");
    // on the wire: Put and Delete answer 204, as S3 does; Get gives the document in S3's namespace
    const body = "<Tagging><TagSet><Tag><Key>wire</Key><Value>yes</Value></Tag></TagSet></Tagging>";
    const put = await signedS3(server.url, "PUT", "/tagged-bucket", { query: { tagging: "" }, body, headers: { "content-md5": crypto.createHash("md5").update(body).digest("base64") } });
    expect(put.status).toBe(204);
    const got = await signedS3(server.url, "GET", "/tagged-bucket", { query: { tagging: "" } });
    expect([got.status, got.body]).toEqual([200, '<?xml version="1.0" encoding="UTF-8"?>\n<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>wire</Key><Value>yes</Value></Tag></TagSet></Tagging>']);
    expect((await signedS3(server.url, "DELETE", "/tagged-bucket", { query: { tagging: "" } })).status).toBe(204);
  });

  it("boto3: 50 tags are kept, 51 or a duplicate key are refused and change nothing", async () => {
    const script = `
import boto3, json, botocore
s3 = boto3.client("s3", endpoint_url=${JSON.stringify(server.url)})
s3.create_bucket(Bucket="fifty-tags")
fifty = [{"Key": "k%02d" % i, "Value": "v"} for i in range(50)]
s3.put_bucket_tagging(Bucket="fifty-tags", Tagging={"TagSet": fifty})
out = {"kept": len(s3.get_bucket_tagging(Bucket="fifty-tags")["TagSet"])}
for name, tags in [("fiftyone", fifty + [{"Key": "one-more", "Value": "v"}]), ("duplicate", [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])]:
    try:
        s3.put_bucket_tagging(Bucket="fifty-tags", Tagging={"TagSet": tags})
        out[name] = "accepted"
    except botocore.exceptions.ClientError as e:
        out[name] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
out["after"] = len(s3.get_bucket_tagging(Bucket="fifty-tags")["TagSet"])
print(json.dumps(out))
`;
    const r = await python(script, awsEnv(ADMIN));
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ kept: 50, fiftyone: ["BadRequest", 400], duplicate: ["InvalidTag", 400], after: 50 });
  });
});

describe("IAM", () => {
  let reader: Creds;
  let writer: Creds;
  beforeAll(async () => {
    await s3().send(new CreateBucketCommand({ Bucket: "iam-src" }));
    await s3().send(new CreateBucketCommand({ Bucket: "iam-dst" }));
    await s3().send(new PutObjectCommand({ Bucket: "iam-src", Key: "secret.txt", Body: "secret", Tagging: "level=high" }));
    await s3().send(new PutObjectCommand({ Bucket: "iam-src", Key: "open/ok.txt", Body: "ok" }));
    reader = await userWith(server.url, "s3-tag-reader", { managed: [managed("AmazonS3ReadOnlyAccess")] });
    writer = await userWith(server.url, "s3-copier", {
      inline: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::iam-dst/*" },
          { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::iam-src/open/*" },
        ],
      },
    });
  });

  it("AmazonS3ReadOnlyAccess gets object and bucket tags but cannot put or delete them, nor copy", async () => {
    await s3().send(new PutObjectCommand({ Bucket: "iam-dst", Key: "existing", Body: "x" }));
    await cli(["s3api", "put-bucket-tagging", "--bucket", "iam-src", "--tagging", "TagSet=[{Key=a,Value=b}]"]);
    const as = (args: string[]) => cli(args, { creds: reader });
    expect((await as(["s3api", "get-object-tagging", "--bucket", "iam-src", "--key", "secret.txt"])).json.TagSet).toEqual([{ Key: "level", Value: "high" }]);
    expect((await as(["s3api", "get-bucket-tagging", "--bucket", "iam-src"])).json.TagSet).toEqual([{ Key: "a", Value: "b" }]);
    for (const args of [
      ["s3api", "put-object-tagging", "--bucket", "iam-src", "--key", "secret.txt", "--tagging", "TagSet=[]"],
      ["s3api", "delete-object-tagging", "--bucket", "iam-src", "--key", "secret.txt"],
      ["s3api", "put-bucket-tagging", "--bucket", "iam-src", "--tagging", "TagSet=[]"],
      ["s3api", "delete-bucket-tagging", "--bucket", "iam-src"],
      ["s3api", "copy-object", "--bucket", "iam-dst", "--key", "existing", "--copy-source", "iam-src/secret.txt"],
    ]) {
      expect([args[1], cliErrorCode(await as(args))]).toEqual([args[1], "AccessDenied"]);
    }
    expect(await tagsOf("iam-src", "secret.txt")).toEqual([{ Key: "level", Value: "high" }]);
    expect((await cli(["s3api", "get-bucket-tagging", "--bucket", "iam-src"])).json.TagSet).toEqual([{ Key: "a", Value: "b" }]);
    expect(await text("iam-dst", "existing")).toBe("x");
  });

  it("CopyObject needs s3:GetObject on the source as well as s3:PutObject on the destination; setting tags needs s3:PutObjectTagging", async () => {
    const denied = await failure(s3(writer).send(new CopyObjectCommand({ Bucket: "iam-dst", Key: "stolen.txt", CopySource: "iam-src/secret.txt" })));
    expect([denied.name, denied.status]).toEqual(["AccessDenied", 403]);
    expect((await failure(s3().send(new HeadObjectCommand({ Bucket: "iam-dst", Key: "stolen.txt" })))).status).toBe(404);
    // allowed on both: copied, and the source's tags come along (no tags set by the request)
    const ok = await s3(writer).send(new CopyObjectCommand({ Bucket: "iam-dst", Key: "copied.txt", CopySource: "iam-src/open/ok.txt" }));
    expect(ok.CopyObjectResult?.ETag).toBe(`"${md5Hex("ok")}"`);
    // the destination refused: readable source, a bucket the user may not write
    expect((await failure(s3(writer).send(new CopyObjectCommand({ Bucket: "iam-src", Key: "open/again.txt", CopySource: "iam-src/open/ok.txt" })))).name).toBe("AccessDenied");
    const tagged = await failure(s3(writer).send(new PutObjectCommand({ Bucket: "iam-dst", Key: "tagged.txt", Body: "t", Tagging: "a=b" })));
    expect([tagged.name, tagged.status]).toEqual(["AccessDenied", 403]);
    expect((await s3(writer).send(new PutObjectCommand({ Bucket: "iam-dst", Key: "untagged.txt", Body: "t" }))).ETag).toBe(`"${md5Hex("t")}"`);
  });

  it("the tags a request sets are its s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys condition keys", async () => {
    const tagger = await userWith(server.url, "s3-dev-tagger", {
      inline: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "s3:PutObjectTagging", Resource: "arn:aws:s3:::iam-src/*", Condition: { StringEquals: { "s3:RequestObjectTag/stage": "dev" } } },
          { Effect: "Deny", Action: "s3:PutObjectTagging", Resource: "*", Condition: { "ForAnyValue:StringEquals": { "s3:RequestObjectTagKeys": ["owner"] } } },
        ],
      },
    });
    const tag = (TagSet: Array<{ Key: string; Value: string }>) =>
      s3(tagger)
        .send(new PutObjectTaggingCommand({ Bucket: "iam-src", Key: "open/ok.txt", Tagging: { TagSet } }))
        .then(
          () => "allowed",
          (e) => e.name as string,
        );
    expect(await tag([{ Key: "stage", Value: "dev" }])).toBe("allowed");
    expect(await tag([{ Key: "stage", Value: "prod" }])).toBe("AccessDenied");
    expect(await tag([])).toBe("AccessDenied");
    expect(await tag([{ Key: "stage", Value: "dev" }, { Key: "owner", Value: "me" }])).toBe("AccessDenied");
    expect(await tagsOf("iam-src", "open/ok.txt")).toEqual([{ Key: "stage", Value: "dev" }]);
  });
});
