import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type Postgres } from "../helpers/postgres.js";
import { s3Client } from "../helpers/s3.js";
import { startServer, type ServerHandle } from "../helpers/server.js";

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
