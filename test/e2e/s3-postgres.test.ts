import crypto from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type Postgres } from "../helpers/postgres.js";
import { s3Client, sdkFailure } from "../helpers/s3.js";
import { startServer, type ServerHandle } from "../helpers/server.js";

// one PostgreSQL and one server for every S3 case on that engine (starting PostgreSQL is the slow part)
let pg: Postgres;
let server: ServerHandle;

beforeAll(async () => {
  pg = await startPostgres();
  pg.createDatabase("headwater");
  server = await startServer({ args: ["--database-url", pg.url("headwater")] });
});
afterAll(async () => {
  await server?.stop();
  pg?.stop();
});

describe("buckets on PostgreSQL", () => {
  it("keeps versions and delete markers, and lists keys in UTF-8 byte order as S3 does", async () => {
    const s3 = s3Client(server.url);
    await s3.send(new CreateBucketCommand({ Bucket: "pg-bucket" }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: "pg-bucket", VersioningConfiguration: { Status: "Enabled" } }));
    // byte order, not a locale's: upper case before lower, "B" before "a", "é" after "z"
    const keys = ["a", "B", "z", "é", "a/b", "a b", "A"];
    for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: "pg-bucket", Key: k, Body: k }));
    const v2 = (await s3.send(new PutObjectCommand({ Bucket: "pg-bucket", Key: "a", Body: "again" }))).VersionId!;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: "pg-bucket" }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual([...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    const marker = (await s3.send(new DeleteObjectCommand({ Bucket: "pg-bucket", Key: "a" }))).VersionId!;
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: "pg-bucket", Prefix: "a", Delimiter: "/" }));
    expect(versions.DeleteMarkers?.map((d) => [d.Key, d.VersionId, d.IsLatest])).toEqual([["a", marker, true]]);
    expect(versions.Versions?.filter((v) => v.Key === "a").map((v) => [v.VersionId === v2, v.IsLatest])).toEqual([
      [true, false],
      [false, false],
    ]);
    expect(versions.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["a/"]);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: "pg-bucket", Key: "a", VersionId: v2 }))).Body!.transformToString()).toBe("again");
    const notEmpty = await s3.send(new DeleteBucketCommand({ Bucket: "pg-bucket" })).catch((e) => e.name);
    expect(notEmpty).toBe("BucketNotEmpty");
    const rows = pg.query("headwater", "select count(*)::int as n from s3_versions where bucket = 'pg-bucket'");
    expect(rows[0]!.n).toBe(keys.length + 2);
  });
});

describe("copies and tags on PostgreSQL", () => {
  it("copies a version with its tags, retags one version only, and keeps a bucket's tag set", async () => {
    const s3 = s3Client(server.url);
    await s3.send(new CreateBucketCommand({ Bucket: "pg-copy" }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: "pg-copy", VersioningConfiguration: { Status: "Enabled" } }));
    const v1 = (await s3.send(new PutObjectCommand({ Bucket: "pg-copy", Key: "src", Body: "one", Tagging: "rev=1" }))).VersionId!;
    await s3.send(new PutObjectCommand({ Bucket: "pg-copy", Key: "src", Body: "two" }));
    const copy = await s3.send(new CopyObjectCommand({ Bucket: "pg-copy", Key: "dst", CopySource: `pg-copy/src?versionId=${v1}` }));
    expect(copy.CopySourceVersionId).toBe(v1);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: "pg-copy", Key: "dst" }))).Body!.transformToString()).toBe("one");
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: "pg-copy", Key: "dst" }))).TagSet).toEqual([{ Key: "rev", Value: "1" }]);
    await s3.send(new PutObjectTaggingCommand({ Bucket: "pg-copy", Key: "src", VersionId: v1, Tagging: { TagSet: [{ Key: "rev", Value: "first" }] } }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: "pg-copy", Key: "src" }))).TagSet).toEqual([]);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: "pg-copy", Key: "dst" }))).TagSet).toEqual([{ Key: "rev", Value: "1" }]);
    await s3.send(new PutBucketTaggingCommand({ Bucket: "pg-copy", Tagging: { TagSet: [{ Key: "team", Value: "ops" }] } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: "pg-copy" }))).TagSet).toEqual([{ Key: "team", Value: "ops" }]);
    const rows = pg.query("headwater", "select tags from s3_versions where bucket = 'pg-copy' and key = 'src' order by id");
    expect(rows.map((r) => r.tags)).toEqual(['[{"Key":"rev","Value":"first"}]', null]);
  });
});

describe("multipart uploads on PostgreSQL", () => {
  it("lists uploads in UTF-8 byte order, completes one into a version, and DeleteBucket takes the rest", async () => {
    const s3 = s3Client(server.url);
    await s3.send(new CreateBucketCommand({ Bucket: "pg-mp" }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: "pg-mp", VersioningConfiguration: { Status: "Enabled" } }));
    const keys = ["a", "B", "z", "é", "a/b", "A"];
    const ids = new Map<string, string>();
    for (const k of keys) ids.set(k, (await s3.send(new CreateMultipartUploadCommand({ Bucket: "pg-mp", Key: k }))).UploadId!);
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: "pg-mp" }));
    expect(listed.Uploads?.map((u) => u.Key)).toEqual([...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    const data = [crypto.randomBytes(5 * 1024 * 1024), crypto.randomBytes(10)];
    const parts = [];
    for (const [i, body] of data.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: "pg-mp", Key: "a", UploadId: ids.get("a"), PartNumber: i + 1, Body: body }));
      parts.push({ PartNumber: i + 1, ETag: r.ETag });
    }
    // part 1 again: the later one counts
    data[0] = crypto.randomBytes(5 * 1024 * 1024);
    parts[0] = { PartNumber: 1, ETag: (await s3.send(new UploadPartCommand({ Bucket: "pg-mp", Key: "a", UploadId: ids.get("a"), PartNumber: 1, Body: data[0] }))).ETag };
    expect((await s3.send(new ListPartsCommand({ Bucket: "pg-mp", Key: "a", UploadId: ids.get("a") }))).Parts?.map((p) => p.ETag)).toEqual(parts.map((p) => p.ETag));
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: "pg-mp", Key: "a", UploadId: ids.get("a"), MultipartUpload: { Parts: parts } }));
    expect(done.VersionId).toMatch(/^[A-Za-z0-9]{32}$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: "pg-mp", Key: "a" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(data))).toBe(true);
    expect(pg.query("headwater", "select count(*)::int as n from s3_parts")).toEqual([{ n: 0 }]);
    // the object's versions keep the bucket; deleting them leaves the uploads, which go with it
    expect((await sdkFailure(s3.send(new DeleteBucketCommand({ Bucket: "pg-mp" })))).name).toBe("BucketNotEmpty");
    await s3.send(new DeleteObjectCommand({ Bucket: "pg-mp", Key: "a", VersionId: done.VersionId }));
    await s3.send(new DeleteBucketCommand({ Bucket: "pg-mp" }));
    expect(pg.query("headwater", "select count(*)::int as n from s3_uploads")).toEqual([{ n: 0 }]);
  });
});
