import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
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
