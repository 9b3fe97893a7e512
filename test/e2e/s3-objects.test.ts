import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, awsEnv, cliErrorCode, python } from "../helpers/clients.js";
import { s3Client, sdkFailure, signedS3 } from "../helpers/s3.js";
import { ADMIN, startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

let server: ServerHandle;
const s3 = () => s3Client(server.url);

const failure = sdkFailure;

const crc32 = (data: Buffer | string) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(zlib.crc32(data) >>> 0);
  return b.toString("base64");
};

beforeAll(async () => {
  server = await startServer();
  await s3().send(new CreateBucketCommand({ Bucket: "objects" }));
  await s3().send(new CreateBucketCommand({ Bucket: "versioned" }));
  await s3().send(new PutBucketVersioningCommand({ Bucket: "versioned", VersioningConfiguration: { Status: "Enabled" } }));
});
afterAll(async () => {
  await server?.stop();
});

describe("the JavaScript SDK", () => {
  it("puts a Buffer and a stream (aws-chunked with a CRC32 trailer), and reads them back with its checksum validation", async () => {
    const data = crypto.randomBytes(300_000);
    const put = await s3().send(new PutObjectCommand({ Bucket: "objects", Key: "buf.bin", Body: data, ContentType: "application/x-test", Metadata: { team: "alpha" } }));
    expect(put.ETag).toBe(`"${crypto.createHash("md5").update(data).digest("hex")}"`);
    expect(put.ChecksumCRC32).toBe(crc32(data));
    const file = path.join(tmpDir("s3obj"), "stream.bin");
    fs.writeFileSync(file, data);
    const streamed = await s3().send(new PutObjectCommand({ Bucket: "objects", Key: "stream.bin", Body: fs.createReadStream(file), ContentLength: data.length }));
    expect(streamed.ChecksumCRC32).toBe(crc32(data));
    for (const key of ["buf.bin", "stream.bin"]) {
      const got = await s3().send(new GetObjectCommand({ Bucket: "objects", Key: key }));
      expect(got.ChecksumCRC32).toBe(crc32(data));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
    }
    const head = await s3().send(new HeadObjectCommand({ Bucket: "objects", Key: "buf.bin" }));
    expect([head.ContentType, head.ContentLength, head.Metadata, head.ETag, head.VersionId]).toEqual(["application/x-test", data.length, { team: "alpha" }, put.ETag, undefined]);
    expect(head.LastModified).toBeInstanceOf(Date);
    // no aws-chunked framing stored, and no aws-chunked Content-Encoding either
    const streamHead = await s3().send(new HeadObjectCommand({ Bucket: "objects", Key: "stream.bin" }));
    expect([streamHead.ContentLength, streamHead.ContentEncoding, streamHead.ContentType]).toEqual([data.length, undefined, "application/octet-stream"]);
  });

  it("serves ranges (206 with Content-Range, no full-object checksum) and refuses unsatisfiable ones with 416", async () => {
    await s3().send(new PutObjectCommand({ Bucket: "objects", Key: "digits", Body: "0123456789" }));
    const cases: Array<[string, string, string]> = [
      ["bytes=0-8", "012345678", "bytes 0-8/10"],
      ["bytes=1-", "123456789", "bytes 1-9/10"],
      ["bytes=-2", "89", "bytes 8-9/10"],
      ["bytes=-15", "0123456789", "bytes 0-9/10"],
      ["bytes=0-100", "0123456789", "bytes 0-9/10"],
    ];
    for (const [range, body, contentRange] of cases) {
      const got = await s3().send(new GetObjectCommand({ Bucket: "objects", Key: "digits", Range: range }));
      expect([range, await got.Body!.transformToString(), got.ContentRange, got.$metadata.httpStatusCode, got.ChecksumCRC32]).toEqual([range, body, contentRange, 206, undefined]);
    }
    const ignored = await s3().send(new GetObjectCommand({ Bucket: "objects", Key: "digits", Range: "bytes=0-1,3-4" }));
    expect([ignored.$metadata.httpStatusCode, await ignored.Body!.transformToString()]).toEqual([200, "0123456789"]);
    for (const range of ["bytes=100-200", "bytes=-0", "bytes=10-", "bytes=100-"]) {
      const raw = await signedS3(server.url, "GET", "/objects/digits", { headers: { range } });
      expect(raw.status).toBe(416);
      expect(raw.body).toContain(`<Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message><ActualObjectSize>10</ActualObjectSize><RangeRequested>${range}</RangeRequested>`);
    }
    expect((await failure(s3().send(new GetObjectCommand({ Bucket: "objects", Key: "missing", Range: "bytes=0-1" })))).name).toBe("NoSuchKey");
  });

  it("honours If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since in S3's order", async () => {
    const put = await s3().send(new PutObjectCommand({ Bucket: "objects", Key: "cond", Body: "conditional" }));
    const etag = put.ETag!;
    const past = new Date(Date.now() - 3600_000);
    const future = new Date(Date.now() + 3600_000);
    const get = (extra: Record<string, unknown>) => s3().send(new GetObjectCommand({ Bucket: "objects", Key: "cond", ...extra }));
    expect((await get({ IfMatch: etag })).$metadata.httpStatusCode).toBe(200);
    expect((await get({ IfMatch: "*" })).$metadata.httpStatusCode).toBe(200);
    const noMatch = await failure(get({ IfMatch: '"0000"' }));
    expect([noMatch.name, noMatch.status]).toEqual(["PreconditionFailed", 412]);
    expect((await failure(get({ IfNoneMatch: etag }))).status).toBe(304);
    expect((await failure(get({ IfNoneMatch: etag.replace(/"/g, "") }))).status).toBe(304);
    const status = async (extra: Record<string, unknown>) => (await get(extra).then((r) => r.$metadata, (e) => e.$metadata)).httpStatusCode;
    // a date in the future is ignored; modified since an hour ago; not since now
    expect(await status({ IfModifiedSince: future })).toBe(200);
    expect(await status({ IfModifiedSince: past })).toBe(200);
    expect(await status({ IfModifiedSince: new Date(Date.now() + 1000) })).toBe(200);
    expect(await status({ IfModifiedSince: new Date() })).toBe(304);
    expect(await status({ IfUnmodifiedSince: past })).toBe(412);
    expect(await status({ IfUnmodifiedSince: future })).toBe(200);
    // precedence: a true If-Match overrides a false If-Unmodified-Since; a false If-Match wins over If-None-Match
    expect(await status({ IfMatch: etag, IfUnmodifiedSince: past })).toBe(200);
    expect(await status({ IfMatch: '"0000"', IfNoneMatch: etag })).toBe(412);
    expect(await status({ IfNoneMatch: etag, IfModifiedSince: past })).toBe(304);
    expect(await status({ IfNoneMatch: '"0000"', IfModifiedSince: past })).toBe(200);
    const head = await s3().send(new HeadObjectCommand({ Bucket: "objects", Key: "cond", IfNoneMatch: etag })).then(
      () => 200,
      (e) => e.$metadata.httpStatusCode,
    );
    expect(head).toBe(304);
    // a conditional write: If-None-Match * refuses to overwrite
    const exists = await failure(s3().send(new PutObjectCommand({ Bucket: "objects", Key: "cond", Body: "again", IfNoneMatch: "*" })));
    expect([exists.name, exists.status]).toEqual(["PreconditionFailed", 412]);
    expect(await (await get({})).Body!.transformToString()).toBe("conditional");
  });

  it("deletes many keys with DeleteObjects (quiet and not), each key on its own", async () => {
    for (const k of ["d/1", "d/2", "d/3"]) await s3().send(new PutObjectCommand({ Bucket: "objects", Key: k, Body: k }));
    const r = await s3().send(new DeleteObjectsCommand({ Bucket: "objects", Delete: { Objects: [{ Key: "d/1" }, { Key: "d/missing" }] } }));
    expect(r.Deleted?.map((d) => d.Key).sort()).toEqual(["d/1", "d/missing"]);
    expect(r.Errors).toBeUndefined();
    const quiet = await s3().send(new DeleteObjectsCommand({ Bucket: "objects", Delete: { Quiet: true, Objects: [{ Key: "d/2" }, { Key: "d/3", VersionId: "not-a-version" }] } }));
    expect(quiet.Deleted).toBeUndefined();
    expect(quiet.Errors).toEqual([expect.objectContaining({ Key: "d/3", Code: "NoSuchVersion" })]);
    expect((await s3().send(new ListObjectsV2Command({ Bucket: "objects", Prefix: "d/" }))).Contents?.map((c) => c.Key)).toEqual(["d/3"]);
    // the SDK writes a carriage return in a key as `&#13;`, and a literal "&#13;" as `&amp;#13;`: each names its own key
    for (const k of ["e/cr\rkey", "e/&#13;literal"]) await s3().send(new PutObjectCommand({ Bucket: "objects", Key: k, Body: k }));
    const refs = await s3().send(new DeleteObjectsCommand({ Bucket: "objects", Delete: { Objects: [{ Key: "e/cr\rkey" }] } }));
    expect(refs.Deleted?.map((d) => d.Key)).toEqual(["e/cr\rkey"]);
    expect((await s3().send(new ListObjectsV2Command({ Bucket: "objects", Prefix: "e/" }))).Contents?.map((c) => c.Key)).toEqual(["e/&#13;literal"]);
    await s3().send(new DeleteObjectsCommand({ Bucket: "objects", Delete: { Objects: [{ Key: "e/&#13;literal" }] } }));
    expect((await s3().send(new ListObjectsV2Command({ Bucket: "objects", Prefix: "e/" }))).KeyCount).toBe(0);
    // checksum-required: neither Content-MD5 nor x-amz-checksum-* is refused
    const body = '<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>d/3</Key></Object></Delete>';
    const bare = await signedS3(server.url, "POST", "/objects", { query: { delete: "" }, body });
    expect(bare.status).toBe(400);
    expect(bare.body).toContain("<Code>InvalidRequest</Code>");
    const md5 = await signedS3(server.url, "POST", "/objects", { query: { delete: "" }, body, headers: { "content-md5": crypto.createHash("md5").update(body).digest("base64") } });
    expect(md5.status).toBe(200);
    expect(md5.body).toContain("<Deleted><Key>d/3</Key></Deleted>");
  });

  it("refuses a wrong Content-MD5 or x-amz-checksum-crc32 with BadDigest, and an unparsable MD5 with InvalidDigest, keeping the old object", async () => {
    await s3().send(new PutObjectCommand({ Bucket: "objects", Key: "guarded", Body: "original" }));
    const md5 = await failure(s3().send(new PutObjectCommand({ Bucket: "objects", Key: "guarded", Body: "changed", ContentMD5: crypto.createHash("md5").update("other").digest("base64") })));
    expect([md5.name, md5.status]).toEqual(["BadDigest", 400]);
    const crc = await failure(s3().send(new PutObjectCommand({ Bucket: "objects", Key: "guarded", Body: "changed", ChecksumCRC32: crc32("other") })));
    expect([crc.name, crc.status]).toEqual(["BadDigest", 400]);
    const invalid = await signedS3(server.url, "PUT", "/objects/guarded", { body: "changed", headers: { "content-md5": "not-md5" } });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toContain("<Code>InvalidDigest</Code>");
    const got = await s3().send(new GetObjectCommand({ Bucket: "objects", Key: "guarded" }));
    expect(await got.Body!.transformToString()).toBe("original");
  });

  it("checks the aws-chunked trailer: a wrong CRC32 there is BadDigest", async () => {
    const body = Buffer.from("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    const r = await signedS3(server.url, "PUT", "/objects/trailer.txt", {
      body,
      payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      headers: { "content-encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-decoded-content-length": "5" },
    });
    expect(r.status).toBe(400);
    expect(r.body).toContain("<Code>BadDigest</Code>");
    const good = Buffer.from(`5\r\nhello\r\n0\r\nx-amz-checksum-crc32:${crc32("hello")}\r\n\r\n`);
    const ok = await signedS3(server.url, "PUT", "/objects/trailer.txt", {
      body: good,
      payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      headers: { "content-encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-decoded-content-length": "5" },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers["x-amz-checksum-crc32"]).toBe(crc32("hello"));
    expect(await (await s3().send(new GetObjectCommand({ Bucket: "objects", Key: "trailer.txt" }))).Body!.transformToString()).toBe("hello");
  });
});

describe("versioning", () => {
  it("keeps versions, makes delete markers, reads by versionId, and deletes versions for good", async () => {
    const v1 = (await s3().send(new PutObjectCommand({ Bucket: "versioned", Key: "doc.txt", Body: "one" }))).VersionId!;
    const v2 = (await s3().send(new PutObjectCommand({ Bucket: "versioned", Key: "doc.txt", Body: "two" }))).VersionId!;
    expect(v1).not.toBe(v2);
    const del = await s3().send(new DeleteObjectCommand({ Bucket: "versioned", Key: "doc.txt" }));
    expect(del.DeleteMarker).toBe(true);
    const marker = del.VersionId!;
    const raw = await signedS3(server.url, "GET", "/versioned/doc.txt");
    expect([raw.status, raw.headers["x-amz-delete-marker"], raw.headers["x-amz-version-id"]]).toEqual([404, "true", marker]);
    expect(raw.body).toContain("<Code>NoSuchKey</Code>");
    const byMarker = await signedS3(server.url, "GET", "/versioned/doc.txt", { query: { versionId: marker } });
    expect([byMarker.status, byMarker.headers.allow]).toEqual([405, "DELETE"]);
    expect(await (await s3().send(new GetObjectCommand({ Bucket: "versioned", Key: "doc.txt", VersionId: v1 }))).Body!.transformToString()).toBe("one");
    const listed = await s3().send(new ListObjectVersionsCommand({ Bucket: "versioned", Prefix: "doc" }));
    expect(listed.DeleteMarkers?.map((d) => [d.VersionId, d.IsLatest])).toEqual([[marker, true]]);
    expect(listed.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([
      [v2, false],
      [v1, false],
    ]);
    // removing the marker brings v2 back
    const undelete = await s3().send(new DeleteObjectCommand({ Bucket: "versioned", Key: "doc.txt", VersionId: marker }));
    expect([undelete.DeleteMarker, undelete.VersionId]).toEqual([true, marker]);
    expect(await (await s3().send(new GetObjectCommand({ Bucket: "versioned", Key: "doc.txt" }))).Body!.transformToString()).toBe("two");
    await s3().send(new DeleteObjectCommand({ Bucket: "versioned", Key: "doc.txt", VersionId: v1 }));
    const gone = await failure(s3().send(new GetObjectCommand({ Bucket: "versioned", Key: "doc.txt", VersionId: v1 })));
    expect([gone.name, gone.status]).toEqual(["NoSuchVersion", 404]);
  });

  it("gives null versions when unversioned or suspended, as S3 does", async () => {
    await s3().send(new CreateBucketCommand({ Bucket: "nulls" }));
    const before = await s3().send(new PutObjectCommand({ Bucket: "nulls", Key: "k", Body: "unversioned" }));
    expect(before.VersionId).toBeUndefined();
    await s3().send(new PutBucketVersioningCommand({ Bucket: "nulls", VersioningConfiguration: { Status: "Enabled" } }));
    const enabled = (await s3().send(new PutObjectCommand({ Bucket: "nulls", Key: "k", Body: "enabled" }))).VersionId!;
    await s3().send(new PutBucketVersioningCommand({ Bucket: "nulls", VersioningConfiguration: { Status: "Suspended" } }));
    expect((await s3().send(new PutObjectCommand({ Bucket: "nulls", Key: "k", Body: "suspended" }))).VersionId).toBe("null");
    const versions = await s3().send(new ListObjectVersionsCommand({ Bucket: "nulls" }));
    // the suspended write replaced the first null version; the enabled one stays
    expect(versions.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([
      ["null", true],
      [enabled, false],
    ]);
    expect(await (await s3().send(new GetObjectCommand({ Bucket: "nulls", Key: "k", VersionId: "null" }))).Body!.transformToString()).toBe("suspended");
    const del = await s3().send(new DeleteObjectCommand({ Bucket: "nulls", Key: "k" }));
    expect([del.DeleteMarker, del.VersionId]).toEqual([true, "null"]);
    const bad = await failure(s3().send(new GetObjectCommand({ Bucket: "nulls", Key: "k", VersionId: "bogus" })));
    expect([bad.name, bad.status]).toEqual(["InvalidArgument", 400]);
  });

  for (const version of [2, 1] as const) {
    it(`CLI v${version}: s3api versions, get-object --version-id, delete markers`, async () => {
      const cli = (args: string[]) => aws(server.url, args, { version });
      const dir = tmpDir("s3cli");
      const key = `cli-v${version}.txt`;
      fs.writeFileSync(path.join(dir, "a"), "first");
      fs.writeFileSync(path.join(dir, "b"), "second");
      const first = await cli(["s3api", "put-object", "--bucket", "versioned", "--key", key, "--body", path.join(dir, "a")]);
      await cli(["s3api", "put-object", "--bucket", "versioned", "--key", key, "--body", path.join(dir, "b")]);
      expect((await cli(["s3", "rm", `s3://versioned/${key}`])).code).toBe(0);
      const versions = await cli(["s3api", "list-object-versions", "--bucket", "versioned", "--prefix", key]);
      expect(versions.json.Versions).toHaveLength(2);
      expect(versions.json.DeleteMarkers).toEqual([expect.objectContaining({ Key: key, IsLatest: true })]);
      const out = path.join(dir, "out");
      expect((await cli(["s3api", "get-object", "--bucket", "versioned", "--key", key, "--version-id", first.json.VersionId, out])).json.VersionId).toBe(first.json.VersionId);
      expect(fs.readFileSync(out, "utf8")).toBe("first");
      expect(cliErrorCode(await cli(["s3api", "get-object", "--bucket", "versioned", "--key", key, out]))).toBe("NoSuchKey");
    });
  }
});

describe("the AWS CLI's s3 commands", () => {
  for (const version of [2, 1] as const) {
    it(`v${version}: cp up and down, ls with a prefix directory, sync, rm`, async () => {
      const cli = (args: string[]) => aws(server.url, args, { version });
      const dir = tmpDir("s3cp");
      const big = crypto.randomBytes(5 * 1024 * 1024 + 123);
      fs.writeFileSync(path.join(dir, "big.bin"), big);
      const prefix = `v${version}`;
      expect((await cli(["s3", "cp", path.join(dir, "big.bin"), `s3://objects/${prefix}/big.bin`])).code).toBe(0);
      expect((await cli(["s3", "cp", `s3://objects/${prefix}/big.bin`, path.join(dir, "back.bin")])).code).toBe(0);
      expect(fs.readFileSync(path.join(dir, "back.bin")).equals(big)).toBe(true);
      const tree = path.join(dir, "tree");
      fs.mkdirSync(path.join(tree, "sub"), { recursive: true });
      fs.writeFileSync(path.join(tree, "one.txt"), "1");
      fs.writeFileSync(path.join(tree, "sub", "two.txt"), "2");
      const sync = await cli(["s3", "sync", tree, `s3://objects/${prefix}/tree`]);
      expect(sync.code).toBe(0);
      // a second sync has nothing to do
      expect((await cli(["s3", "sync", tree, `s3://objects/${prefix}/tree`])).stdout.trim()).toBe("");
      const ls = await cli(["s3", "ls", `s3://objects/${prefix}/`]);
      expect(ls.stdout).toMatch(/PRE tree\//);
      expect(ls.stdout).toMatch(/big\.bin/);
      const recursive = await cli(["s3", "ls", "--recursive", `s3://objects/${prefix}/tree/`]);
      expect(recursive.stdout).toContain(`${prefix}/tree/one.txt`);
      expect(recursive.stdout).toContain(`${prefix}/tree/sub/two.txt`);
      expect((await cli(["s3", "rm", "--recursive", `s3://objects/${prefix}/`])).code).toBe(0);
      expect((await cli(["s3", "ls", `s3://objects/${prefix}/`])).stdout.trim()).toBe("");
    });
  }
});

describe("boto3", () => {
  it("put_object, get_object with a Range, list_objects_v2 with keys holding spaces, + and %", async () => {
    const script = `
import boto3, json
s3 = boto3.client("s3", endpoint_url=${JSON.stringify(server.url)})
keys = ["odd/a b.txt", "odd/a+b.txt", "odd/100%.csv", "odd/sub dir/x", "odd/ünï.txt"]
for k in keys:
    s3.put_object(Bucket="objects", Key=k, Body=k.encode())
r = s3.get_object(Bucket="objects", Key="odd/a+b.txt", Range="bytes=4-6")
out = {"range": r["Body"].read().decode(), "contentRange": r["ContentRange"]}
l = s3.list_objects_v2(Bucket="objects", Prefix="odd/", Delimiter="/")
out["keys"] = [c["Key"] for c in l.get("Contents", [])]
out["prefixes"] = [p["Prefix"] for p in l.get("CommonPrefixes", [])]
v = s3.list_object_versions(Bucket="objects", Prefix="odd/")
out["versions"] = sorted(x["Key"] for x in v.get("Versions", []))
p = s3.list_objects(Bucket="objects", Prefix="odd/", MaxKeys=2)
out["v1"] = [c["Key"] for c in p.get("Contents", [])] + [p["IsTruncated"]]
pages = [c["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="objects", Prefix="odd/", PaginationConfig={"PageSize": 2}) for c in page.get("Contents", [])]
out["paged"] = pages
print(json.dumps(out))
`;
    const r = await python(script, awsEnv(ADMIN));
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.range).toBe("a+b");
    expect(out.contentRange).toBe("bytes 4-6/11");
    expect(out.keys).toEqual(["odd/100%.csv", "odd/a b.txt", "odd/a+b.txt", "odd/ünï.txt"]);
    expect(out.prefixes).toEqual(["odd/sub dir/"]);
    expect(out.versions).toEqual(["odd/100%.csv", "odd/a b.txt", "odd/a+b.txt", "odd/sub dir/x", "odd/ünï.txt"]);
    expect(out.v1).toEqual(["odd/100%.csv", "odd/a b.txt", true]);
    expect(out.paged).toEqual(["odd/100%.csv", "odd/a b.txt", "odd/a+b.txt", "odd/sub dir/x", "odd/ünï.txt"]);
  });

  it("sees the delete marker header on a GET of a deleted key", async () => {
    const script = `
import boto3, json, botocore
s3 = boto3.client("s3", endpoint_url=${JSON.stringify(server.url)})
s3.put_object(Bucket="versioned", Key="gone.txt", Body=b"x")
s3.delete_object(Bucket="versioned", Key="gone.txt")
try:
    s3.get_object(Bucket="versioned", Key="gone.txt")
except botocore.exceptions.ClientError as e:
    print(json.dumps([e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker")]))
`;
    const r = await python(script, awsEnv(ADMIN));
    expect(JSON.parse(r.stdout)).toEqual(["NoSuchKey", "true"]);
  });
});

describe("listing pages", () => {
  it("ListObjectsV2 and ListObjects continue where they stopped, folding common prefixes", async () => {
    await s3().send(new CreateBucketCommand({ Bucket: "pages" }));
    const keys = ["a", "b/1", "b/2", "b/3", "c", "d/x/y", "e"];
    for (const k of keys) await s3().send(new PutObjectCommand({ Bucket: "pages", Key: k, Body: k }));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3().send(new ListObjectsV2Command({ Bucket: "pages", Delimiter: "/", MaxKeys: 2, ContinuationToken: token }));
      seen.push(...(page.Contents ?? []).map((c) => c.Key!), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
      expect(page.KeyCount).toBeLessThanOrEqual(2);
      token = page.NextContinuationToken;
    } while (token);
    expect(seen.sort()).toEqual(["a", "b/", "c", "d/", "e"]);
    const after = await s3().send(new ListObjectsV2Command({ Bucket: "pages", StartAfter: "b/2" }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(["b/3", "c", "d/x/y", "e"]);
    const v1 = await s3().send(new ListObjectsCommand({ Bucket: "pages", Delimiter: "/", MaxKeys: 2 }));
    expect([v1.Contents?.map((c) => c.Key), v1.CommonPrefixes?.map((p) => p.Prefix), v1.IsTruncated, v1.NextMarker]).toEqual([["a"], ["b/"], true, "b/"]);
    const v1next = await s3().send(new ListObjectsCommand({ Bucket: "pages", Delimiter: "/", Marker: "b/" }));
    expect([v1next.Contents?.map((c) => c.Key), v1next.CommonPrefixes?.map((p) => p.Prefix)]).toEqual([["c", "e"], ["d/"]]);
    const bad = await failure(s3().send(new ListObjectsV2Command({ Bucket: "pages", ContinuationToken: "garbage" })));
    expect([bad.name, bad.status]).toEqual(["InvalidArgument", 400]);
  });
});

describe("durability", () => {
  it("an acknowledged PUT survives SIGKILL; a PUT killed mid-body leaves no version and no stray bytes", async () => {
    const dataDir = tmpDir("s3crash");
    let crashy = await startServer({ dataDir });
    const c = s3Client(crashy.url);
    await c.send(new CreateBucketCommand({ Bucket: "durable" }));
    const data = crypto.randomBytes(200_000);
    await c.send(new PutObjectCommand({ Bucket: "durable", Key: "kept.bin", Body: data }));
    // a PUT whose body never finishes: half of it sent, then the server dies
    const half = crypto.randomBytes(100_000);
    const signedHeaders = await signedHeadersFor(crashy.url, "/durable/partial.bin", 200_000);
    const req = http.request(`${crashy.url}/durable/partial.bin`, { method: "PUT", headers: signedHeaders });
    req.on("error", () => {});
    req.write(half);
    await waitFor(() => fs.readdirSync(path.join(dataDir, "objects", "tmp")).length > 0);
    await crashy.kill();
    expect(fs.readdirSync(path.join(dataDir, "objects", "tmp")).length).toBe(1);
    crashy = await startServer({ dataDir });
    try {
      const again = s3Client(crashy.url);
      const got = await again.send(new GetObjectCommand({ Bucket: "durable", Key: "kept.bin" }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
      expect((await again.send(new ListObjectVersionsCommand({ Bucket: "durable" }))).Versions?.map((v) => v.Key)).toEqual(["kept.bin"]);
      expect(fs.readdirSync(path.join(dataDir, "objects", "tmp"))).toEqual([]);
    } finally {
      await crashy.stop();
    }
  });
});

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Headers of an UNSIGNED-PAYLOAD PUT of `length` bytes, signed by the SDK's signer. */
async function signedHeadersFor(url: string, p: string, length: number): Promise<Record<string, string>> {
  const { HttpRequest } = await import("@smithy/protocol-http");
  const { SignatureV4 } = await import("@smithy/signature-v4");
  const { Hash } = await import("@smithy/hash-node");
  const u = new URL(url);
  const request = new HttpRequest({
    method: "PUT",
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: p,
    headers: { host: u.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": String(length) },
  });
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: ADMIN, sha256: Hash.bind(null, "sha256"), uriEscapePath: false, applyChecksum: false });
  return (await signer.sign(request)).headers as Record<string, string>;
}
