import crypto from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutBucketVersioningCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type Postgres } from "../helpers/postgres.js";
import { s3Client, sdkFailure } from "../helpers/s3.js";
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
