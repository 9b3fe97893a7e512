import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  GetObjectTaggingCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, awsEnv, cliErrorCode, python, type CliResult } from "../helpers/clients.js";
import { managed, userWith } from "../helpers/iam.js";
import { s3Client, sdkFailure } from "../helpers/s3.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

let server: ServerHandle;
const s3 = () => s3Client(server.url);
const MiB = 1024 * 1024;

const md5 = (b: Buffer) => crypto.createHash("md5").update(b).digest();
const crc32 = (b: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(zlib.crc32(b) >>> 0);
  return out;
};

/** S3's multipart ETag computed here, from the bytes and the part size the client used. */
function expectedEtag(data: Buffer, partSize: number): string {
  const digests: Buffer[] = [];
  for (let off = 0; off < data.length; off += partSize) digests.push(md5(data.subarray(off, off + partSize)));
  return `"${crypto.createHash("md5").update(Buffer.concat(digests)).digest("hex")}-${digests.length}"`;
}

/** The blobs in the server's object store (files under objects/xx/). */
function blobCount(dataDir: string): number {
  const root = path.join(dataDir, "objects");
  let n = 0;
  for (const d of fs.readdirSync(root)) if (/^[0-9a-f]{2}$/.test(d)) n += fs.readdirSync(path.join(root, d)).length;
  return n;
}

function randomFile(size: number): { file: string; data: Buffer } {
  const data = crypto.randomBytes(size);
  const file = path.join(tmpDir("s3mp"), "data.bin");
  fs.writeFileSync(file, data);
  return { file, data };
}

function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`the CLI failed (${r.code}): ${r.stderr}`);
  return r;
}

const cli = (args: string[], opts: Parameters<typeof aws>[2] = {}) => aws(server.url, args, opts);

beforeAll(async () => {
  server = await startServer();
  for (const b of ["mpb", "mpver", "mperr"]) await s3().send(new CreateBucketCommand({ Bucket: b }));
  await s3().send(new PutBucketVersioningCommand({ Bucket: "mpver", VersioningConfiguration: { Status: "Enabled" } }));
});
afterAll(async () => {
  await server?.stop();
});

describe("aws s3 cp above the multipart threshold", () => {
  const big = () => randomFile(50_000_000);

  for (const version of [2, 1] as const) {
    it(`CLI v${version}: 50 MB up and down byte for byte, with S3's "<md5 of part MD5s>-N" ETag`, async () => {
      const { file, data } = big();
      const key = `cli-v${version}/big.bin`;
      ok(await cli(["s3", "cp", "--only-show-errors", file, `s3://mpb/${key}`], { version }));
      const head = ok(await cli(["s3api", "head-object", "--bucket", "mpb", "--key", key], { version })).json;
      // both CLIs cut 8 MiB parts: 5 whole ones and the rest
      expect(head.ETag).toBe(expectedEtag(data, 8 * MiB));
      expect(head.ETag).toMatch(/-6"$/);
      expect(head.ContentLength).toBe(data.length);
      const back = path.join(tmpDir("s3mp"), "back.bin");
      ok(await cli(["s3", "cp", "--only-show-errors", `s3://mpb/${key}`, back], { version }));
      expect(fs.readFileSync(back).equals(data)).toBe(true);
      // the parts are gone once completed: the object's blob is all that is left of it, and no upload is listed
      const uploads = ok(await cli(["s3api", "list-multipart-uploads", "--bucket", "mpb", "--prefix", key], { version })).json;
      expect(uploads?.Uploads ?? []).toEqual([]);
    });
  }
});

describe("the JavaScript SDK's multipart calls, with its default checksums", () => {
  it("UploadPart gets the SDK's CRC32 checked and answered; Complete makes the -N ETag; the object reads back", async () => {
    const data = crypto.randomBytes(5 * MiB + 1000);
    const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB)];
    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: "mpb", Key: "sdk.bin", ContentType: "application/x-sdk", Metadata: { team: "beta" } }));
    const done = [];
    for (const [i, body] of parts.entries()) {
      const r = await s3().send(new UploadPartCommand({ Bucket: "mpb", Key: "sdk.bin", UploadId, PartNumber: i + 1, Body: body }));
      expect(r.ETag).toBe(`"${md5(body).toString("hex")}"`);
      expect(r.ChecksumCRC32).toBe(crc32(body).toString("base64"));
      done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
    }
    const c = await s3().send(new CompleteMultipartUploadCommand({ Bucket: "mpb", Key: "sdk.bin", UploadId, MultipartUpload: { Parts: done } }));
    expect(c.ETag).toBe(expectedEtag(data, 5 * MiB));
    expect([c.Bucket, c.Key]).toEqual(["mpb", "sdk.bin"]);
    const got = await s3().send(new GetObjectCommand({ Bucket: "mpb", Key: "sdk.bin" }));
    expect([got.ContentType, got.Metadata, got.ETag]).toEqual(["application/x-sdk", { team: "beta" }, c.ETag]);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
  });

  it("an upload created with ChecksumAlgorithm CRC32 gets the composite <base64>-N checksum; FULL_OBJECT gets the whole object's CRC32", async () => {
    const data = crypto.randomBytes(5 * MiB + 77);
    const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB)];
    for (const type of ["COMPOSITE", "FULL_OBJECT"] as const) {
      const key = `sum-${type}`;
      const created = await s3().send(new CreateMultipartUploadCommand({ Bucket: "mpb", Key: key, ChecksumAlgorithm: "CRC32", ChecksumType: type }));
      expect([created.ChecksumAlgorithm, created.ChecksumType]).toEqual(["CRC32", type]);
      const done = [];
      for (const [i, body] of parts.entries()) {
        const r = await s3().send(new UploadPartCommand({ Bucket: "mpb", Key: key, UploadId: created.UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: "CRC32" }));
        done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
      }
      const c = await s3().send(new CompleteMultipartUploadCommand({ Bucket: "mpb", Key: key, UploadId: created.UploadId, MultipartUpload: { Parts: done } }));
      const expected = type === "COMPOSITE" ? `${crc32(Buffer.concat(parts.map(crc32))).toString("base64")}-2` : crc32(data).toString("base64");
      expect([c.ChecksumCRC32, c.ChecksumType]).toEqual([expected, type]);
      const head = await s3().send(new HeadObjectCommand({ Bucket: "mpb", Key: key, ChecksumMode: "ENABLED" }));
      expect([head.ChecksumCRC32, head.ChecksumType]).toEqual([expected, type]);
      const listed = await s3().send(new ListObjectsV2Command({ Bucket: "mpb", Prefix: key }));
      expect(listed.Contents?.map((c) => [c.ChecksumAlgorithm, c.ChecksumType])).toEqual([[["CRC32"], type]]);
      // the SDK validates a full-object checksum on the read, and skips a composite one
      const got = await s3().send(new GetObjectCommand({ Bucket: "mpb", Key: key, ChecksumMode: "ENABLED" }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
    }
  });

  it("a part whose CRC32 does not match is refused with BadDigest and not recorded", async () => {
    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: "mpb", Key: "baddigest" }));
    const f = await sdkFailure(s3().send(new UploadPartCommand({ Bucket: "mpb", Key: "baddigest", UploadId, PartNumber: 1, Body: "hello", ChecksumCRC32: "AAAAAA==" })));
    expect([f.name, f.status]).toEqual(["BadDigest", 400]);
    const parts = ok(await cli(["s3api", "list-parts", "--bucket", "mpb", "--key", "baddigest", "--upload-id", UploadId!])).json;
    expect(parts.Parts ?? []).toEqual([]);
  });
});

describe("boto3", () => {
  it("upload_file and download_file with a 5 MiB multipart threshold", async () => {
    const { file, data } = randomFile(12 * MiB + 5);
    const back = path.join(tmpDir("s3mp"), "back.bin");
    const r = await python(
      `
import boto3, json, sys
from boto3.s3.transfer import TransferConfig
s3 = boto3.client("s3", endpoint_url=sys.argv[1] if len(sys.argv) > 1 else ${JSON.stringify(server.url)})
cfg = TransferConfig(multipart_threshold=5*1024*1024, multipart_chunksize=5*1024*1024)
s3.upload_file(${JSON.stringify(file)}, "mpb", "boto/up.bin", Config=cfg)
s3.download_file("mpb", "boto/up.bin", ${JSON.stringify(back)}, Config=cfg)
h = s3.head_object(Bucket="mpb", Key="boto/up.bin")
print(json.dumps({"etag": h["ETag"], "size": h["ContentLength"]}))
`,
      awsEnv(),
    );
    expect(r.stderr).toBe("");
    expect(r.json).toEqual({ etag: expectedEtag(data, 5 * MiB), size: data.length });
    expect(fs.readFileSync(back).equals(data)).toBe(true);
  });
});

/** An upload with parts of the given sizes (made with the SDK: the CLI is what the tests check); its ID and the parts' ETags. */
async function uploadWithParts(bucket: string, key: string, sizes: number[]): Promise<{ uploadId: string; etags: string[]; data: Buffer[] }> {
  const uploadId = (await s3().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId!;
  const data = sizes.map((n) => crypto.randomBytes(n));
  const etags = await Promise.all(
    data.map(async (body, i) => (await s3().send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body }))).ETag!),
  );
  return { uploadId, etags, data };
}

function partsJson(entries: Array<[number, string]>): string {
  return JSON.stringify({ Parts: entries.map(([PartNumber, ETag]) => ({ PartNumber, ETag })) });
}

describe("ListParts, ListMultipartUploads and Abort through aws s3api", () => {
  it("ListParts pages with max-parts and part-number-marker; a re-uploaded part number replaces the part", async () => {
    const { uploadId, etags } = await uploadWithParts("mpb", "listed", [10, 20, 30]);
    const { file, data } = randomFile(40);
    const again = ok(await cli(["s3api", "upload-part", "--bucket", "mpb", "--key", "listed", "--upload-id", uploadId, "--part-number", "2", "--body", file])).json;
    expect(again.ETag).toBe(`"${md5(data).toString("hex")}"`);
    const first = ok(await cli(["s3api", "list-parts", "--bucket", "mpb", "--key", "listed", "--upload-id", uploadId, "--max-parts", "2", "--no-paginate"])).json;
    expect(first.Parts.map((p: { PartNumber: number; Size: number; ETag: string }) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, 10, etags[0]],
      [2, 40, again.ETag],
    ]);
    expect([first.IsTruncated, first.NextPartNumberMarker, first.MaxParts]).toEqual([true, 2, 2]);
    const rest = ok(await cli(["s3api", "list-parts", "--bucket", "mpb", "--key", "listed", "--upload-id", uploadId, "--part-number-marker", "2", "--no-paginate"])).json;
    expect(rest.Parts.map((p: { PartNumber: number }) => p.PartNumber)).toEqual([3]);
    expect(rest.IsTruncated).toBe(false);
    // the CLI's own paging walks them all
    const all = ok(await cli(["s3api", "list-parts", "--bucket", "mpb", "--key", "listed", "--upload-id", uploadId, "--page-size", "1"])).json;
    expect(all.Parts.map((p: { Size: number }) => p.Size)).toEqual([10, 40, 30]);
  });

  it("ListMultipartUploads: prefix, delimiter, key-marker and upload-id-marker, max-uploads", async () => {
    await s3().send(new CreateBucketCommand({ Bucket: "mplist" }));
    const ids: Record<string, string[]> = {};
    for (const key of ["a/1", "a/2", "a/2", "b/x/y", "c"]) {
      const id = (await s3().send(new CreateMultipartUploadCommand({ Bucket: "mplist", Key: key }))).UploadId!;
      (ids[key] ??= []).push(id);
    }
    const list = async (extra: string[]) => ok(await cli(["s3api", "list-multipart-uploads", "--bucket", "mplist", "--no-paginate", ...extra])).json;
    const keysOf = (r: { Uploads?: Array<{ Key: string; UploadId: string }> }) => (r.Uploads ?? []).map((u) => `${u.Key}:${u.UploadId}`);
    const everything = await list([]);
    expect(keysOf(everything)).toEqual(["a/1", "a/2", "a/2", "b/x/y", "c"].map((k, i) => `${k}:${k === "a/2" ? ids[k]![i - 1] : ids[k]![0]}`));
    expect(everything.Uploads[0].Initiated).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(keysOf(await list(["--prefix", "a/"]))).toEqual([`a/1:${ids["a/1"]![0]}`, `a/2:${ids["a/2"]![0]}`, `a/2:${ids["a/2"]![1]}`]);
    const folded = await list(["--delimiter", "/"]);
    expect(keysOf(folded)).toEqual([`c:${ids.c![0]}`]);
    expect(folded.CommonPrefixes.map((p: { Prefix: string }) => p.Prefix)).toEqual(["a/", "b/"]);
    const page = await list(["--max-uploads", "2"]);
    expect([keysOf(page).length, page.IsTruncated, page.NextKeyMarker, page.NextUploadIdMarker]).toEqual([2, true, "a/2", ids["a/2"]![0]]);
    const next = await list(["--key-marker", page.NextKeyMarker, "--upload-id-marker", page.NextUploadIdMarker]);
    expect(keysOf(next)).toEqual([`a/2:${ids["a/2"]![1]}`, `b/x/y:${ids["b/x/y"]![0]}`, `c:${ids.c![0]}`]);
    expect(keysOf(await list(["--key-marker", "a/2"]))).toEqual([`b/x/y:${ids["b/x/y"]![0]}`, `c:${ids.c![0]}`]);
    // the CLI's own paging sees every upload once
    const paged = ok(await cli(["s3api", "list-multipart-uploads", "--bucket", "mplist", "--page-size", "2"])).json;
    expect(keysOf(paged)).toEqual(keysOf(everything));
  });

  it("AbortMultipartUpload removes the upload and its parts' bytes; a second abort is NoSuchUpload", async () => {
    const before = blobCount(server.dataDir);
    const { uploadId } = await uploadWithParts("mpb", "aborted", [100, 200]);
    expect(blobCount(server.dataDir)).toBe(before + 2);
    const r = ok(await cli(["s3api", "abort-multipart-upload", "--bucket", "mpb", "--key", "aborted", "--upload-id", uploadId]));
    expect(r.stdout.trim()).toBe("");
    expect(blobCount(server.dataDir)).toBe(before);
    expect(cliErrorCode(await cli(["s3api", "abort-multipart-upload", "--bucket", "mpb", "--key", "aborted", "--upload-id", uploadId]))).toBe("NoSuchUpload");
    expect(cliErrorCode(await cli(["s3api", "list-parts", "--bucket", "mpb", "--key", "aborted", "--upload-id", uploadId]))).toBe("NoSuchUpload");
    const listed = ok(await cli(["s3api", "list-multipart-uploads", "--bucket", "mpb", "--prefix", "aborted"])).json;
    expect(listed?.Uploads ?? []).toEqual([]);
  });

  it("DeleteBucket with an upload in progress deletes it (as AWS does), parts and all", async () => {
    await s3().send(new CreateBucketCommand({ Bucket: "mpgone" }));
    const before = blobCount(server.dataDir);
    const { uploadId } = await uploadWithParts("mpgone", "k", [10]);
    ok(await cli(["s3api", "delete-bucket", "--bucket", "mpgone"]));
    expect(blobCount(server.dataDir)).toBe(before);
    await s3().send(new CreateBucketCommand({ Bucket: "mpgone" }));
    expect(cliErrorCode(await cli(["s3api", "list-parts", "--bucket", "mpgone", "--key", "k", "--upload-id", uploadId]))).toBe("NoSuchUpload");
  });
});

describe("Complete's refusals leave the upload as it was", () => {
  const complete = (key: string, uploadId: string, parts: string) =>
    cli(["s3api", "complete-multipart-upload", "--bucket", "mperr", "--key", key, "--upload-id", uploadId, "--multipart-upload", parts]);

  it("InvalidPart, InvalidPartOrder, EntityTooSmall, NoSuchUpload; then the same upload completes", async () => {
    const { uploadId, etags, data } = await uploadWithParts("mperr", "errs", [5 * MiB, 1000, 2000]);
    const cases: Array<[string, string]> = [
      [partsJson([[1, etags[0]!], [2, `"${"0".repeat(32)}"`]]), "InvalidPart"],
      [partsJson([[1, etags[0]!], [4, etags[1]!]]), "InvalidPart"],
      [partsJson([[2, etags[1]!], [1, etags[0]!]]), "InvalidPartOrder"],
      [partsJson([[1, etags[0]!], [1, etags[0]!]]), "InvalidPartOrder"],
      // part 2 (1000 bytes) is not the last
      [partsJson([[1, etags[0]!], [2, etags[1]!], [3, etags[2]!]]), "EntityTooSmall"],
    ];
    for (const [parts, code] of cases) {
      const r = await complete("errs", uploadId, parts);
      expect([parts, cliErrorCode(r)]).toEqual([parts, code]);
    }
    expect(cliErrorCode(await complete("errs", "no-such-upload", partsJson([[1, etags[0]!]])))).toBe("NoSuchUpload");
    // the upload ID of another key is no upload of this one
    expect(cliErrorCode(await complete("other", uploadId, partsJson([[1, etags[0]!]])))).toBe("NoSuchUpload");
    expect(cliErrorCode(await cli(["s3api", "head-object", "--bucket", "mperr", "--key", "errs"]))).toBe("404");
    const parts = ok(await cli(["s3api", "list-parts", "--bucket", "mperr", "--key", "errs", "--upload-id", uploadId])).json;
    expect(parts.Parts.map((p: { Size: number }) => p.Size)).toEqual([5 * MiB, 1000, 2000]);
    // parts 1 and 3 (skipping 2) are a valid list; ETags match without quotes too
    const r = ok(await complete("errs", uploadId, partsJson([[1, etags[0]!.replace(/"/g, "")], [3, etags[2]!]])));
    const etag = `"${crypto.createHash("md5").update(Buffer.concat([md5(data[0]!), md5(data[2]!)])).digest("hex")}-2"`;
    expect(r.json.ETag).toBe(etag);
    const back = path.join(tmpDir("s3mp"), "back.bin");
    ok(await cli(["s3api", "get-object", "--bucket", "mperr", "--key", "errs", back]));
    expect(fs.readFileSync(back).equals(Buffer.concat([data[0]!, data[2]!]))).toBe(true);
    expect(cliErrorCode(await complete("errs", uploadId, partsJson([[1, etags[0]!]])))).toBe("NoSuchUpload");
  });

  it("part numbers outside 1…10,000 are InvalidArgument; an upload to a missing upload is NoSuchUpload", async () => {
    const uploadId = ok(await cli(["s3api", "create-multipart-upload", "--bucket", "mperr", "--key", "pn"])).json.UploadId;
    const { file } = randomFile(10);
    for (const n of ["0", "10001"]) {
      const r = await cli(["s3api", "upload-part", "--bucket", "mperr", "--key", "pn", "--upload-id", uploadId, "--part-number", n, "--body", file]);
      expect([n, cliErrorCode(r)]).toEqual([n, "InvalidArgument"]);
    }
    const r = await cli(["s3api", "upload-part", "--bucket", "mperr", "--key", "pn", "--upload-id", "nope", "--part-number", "1", "--body", file]);
    expect(cliErrorCode(r)).toBe("NoSuchUpload");
    expect(cliErrorCode(await cli(["s3api", "create-multipart-upload", "--bucket", "no-such-bucket-mp", "--key", "k"]))).toBe("NoSuchBucket");
  });
});

describe("reads by part number", () => {
  it("GetObject and HeadObject ?partNumber=N answer that part's bytes (206, Content-Range, x-amz-mp-parts-count)", async () => {
    const { uploadId, etags, data } = await uploadWithParts("mpb", "byparts", [5 * MiB, 3000]);
    ok(await cli(["s3api", "complete-multipart-upload", "--bucket", "mpb", "--key", "byparts", "--upload-id", uploadId, "--multipart-upload", partsJson([[1, etags[0]!], [2, etags[1]!]])]));
    for (const [n, start] of [
      [1, 0],
      [2, 5 * MiB],
    ] as const) {
      const got = await s3().send(new GetObjectCommand({ Bucket: "mpb", Key: "byparts", PartNumber: n }));
      const body = Buffer.from(await got.Body!.transformToByteArray());
      expect(body.equals(data[n - 1]!)).toBe(true);
      expect([got.$metadata.httpStatusCode, got.PartsCount, got.ContentRange, got.ContentLength]).toEqual([
        206,
        2,
        `bytes ${start}-${start + data[n - 1]!.length - 1}/${5 * MiB + 3000}`,
        data[n - 1]!.length,
      ]);
    }
    const head = ok(await cli(["s3api", "head-object", "--bucket", "mpb", "--key", "byparts", "--part-number", "2"])).json;
    expect([head.PartsCount, head.ContentLength]).toEqual([2, 3000]);
    const f = await sdkFailure(s3().send(new GetObjectCommand({ Bucket: "mpb", Key: "byparts", PartNumber: 3 })));
    expect([f.name, f.status]).toEqual(["InvalidPartNumber", 416]);
    const both = await sdkFailure(s3().send(new GetObjectCommand({ Bucket: "mpb", Key: "byparts", PartNumber: 1, Range: "bytes=0-1" })));
    expect([both.name, both.status]).toEqual(["InvalidRequest", 400]);
    // an object PUT whole is one part
    await s3().send(new PutObjectCommand({ Bucket: "mpb", Key: "whole", Body: "0123456789" }));
    const whole = await s3().send(new GetObjectCommand({ Bucket: "mpb", Key: "whole", PartNumber: 1 }));
    expect([await whole.Body!.transformToString(), whole.PartsCount]).toEqual(["0123456789", undefined]);
    expect((await sdkFailure(s3().send(new GetObjectCommand({ Bucket: "mpb", Key: "whole", PartNumber: 2 })))).name).toBe("InvalidPartNumber");
  });
});

describe("UploadPartCopy", () => {
  it("parts copied from an object (whole, by x-amz-copy-source-range, by versionId), and aws s3 cp s3:// s3:// of a big object (CLI v1 and v2, the source's tags kept)", async () => {
    const { file, data } = randomFile(9 * MiB);
    ok(await cli(["s3", "cp", "--only-show-errors", file, "s3://mpver/src.bin"]));
    const srcVersion = ok(await cli(["s3api", "head-object", "--bucket", "mpver", "--key", "src.bin"])).json.VersionId;
    // a newer version, so that the versionId matters
    ok(await cli(["s3api", "put-object", "--bucket", "mpver", "--key", "src.bin", "--body", randomFile(10).file]));
    const uploadId = ok(await cli(["s3api", "create-multipart-upload", "--bucket", "mpb", "--key", "copied"])).json.UploadId;
    const copy = (n: number, range?: string) =>
      cli(["s3api", "upload-part-copy", "--bucket", "mpb", "--key", "copied", "--upload-id", uploadId, "--part-number", String(n), "--copy-source", `mpver/src.bin?versionId=${srcVersion}`, ...(range ? ["--copy-source-range", range] : [])]);
    const p1 = ok(await copy(1, `bytes=0-${5 * MiB - 1}`)).json;
    expect(p1.CopyPartResult.ETag).toBe(`"${md5(data.subarray(0, 5 * MiB)).toString("hex")}"`);
    expect(p1.CopySourceVersionId).toBe(srcVersion);
    const p2 = ok(await copy(2)).json;
    expect(cliErrorCode(await copy(3, `bytes=0-${9 * MiB}`))).toBe("InvalidArgument");
    const missing = await cli(["s3api", "upload-part-copy", "--bucket", "mpb", "--key", "copied", "--upload-id", uploadId, "--part-number", "3", "--copy-source", "mpb/no-such-key"]);
    expect(cliErrorCode(missing)).toBe("NoSuchKey");
    const ifMatch = await cli(["s3api", "upload-part-copy", "--bucket", "mpb", "--key", "copied", "--upload-id", uploadId, "--part-number", "3", "--copy-source", `mpver/src.bin?versionId=${srcVersion}`, "--copy-source-if-match", '"0000"']);
    expect(cliErrorCode(ifMatch)).toBe("PreconditionFailed");
    ok(await cli(["s3api", "complete-multipart-upload", "--bucket", "mpb", "--key", "copied", "--upload-id", uploadId, "--multipart-upload", partsJson([[1, p1.CopyPartResult.ETag], [2, p2.CopyPartResult.ETag]])]));
    const got = await s3().send(new GetObjectCommand({ Bucket: "mpb", Key: "copied" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([data.subarray(0, 5 * MiB), data]))).toBe(true);
    // CLI v1 copies an object over its 8 MB threshold with UploadPartCopy
    ok(await cli(["s3", "cp", "--only-show-errors", "s3://mpb/copied", "s3://mpb/copied-again"], { version: 1 }));
    const again = ok(await cli(["s3api", "head-object", "--bucket", "mpb", "--key", "copied-again"])).json;
    expect([again.ContentLength, again.ETag]).toEqual([14 * MiB, expectedEtag(Buffer.concat([data.subarray(0, 5 * MiB), data]), 8 * MiB)]);
    // CLI v2 reads the source's tags first (GetObjectTagging), then copies the same way
    await s3().send(new PutObjectTaggingCommand({ Bucket: "mpb", Key: "copied", Tagging: { TagSet: [{ Key: "stage", Value: "rc" }] } }));
    ok(await cli(["s3", "cp", "--only-show-errors", "s3://mpb/copied", "s3://mpb/copied-v2"], { version: 2 }));
    const v2 = ok(await cli(["s3api", "head-object", "--bucket", "mpb", "--key", "copied-v2"])).json;
    expect([v2.ContentLength, v2.ETag]).toEqual([14 * MiB, expectedEtag(Buffer.concat([data.subarray(0, 5 * MiB), data]), 8 * MiB)]);
    const tags = await s3().send(new GetObjectTaggingCommand({ Bucket: "mpb", Key: "copied-v2" }));
    expect(tags.TagSet).toEqual([{ Key: "stage", Value: "rc" }]);
  });

  it("the source needs s3:GetObject: a user who may only write is refused", async () => {
    await s3().send(new PutObjectCommand({ Bucket: "mpb", Key: "secret-src", Body: "secret" }));
    const writer = await userWith(server.url, "mp-copier", {
      inline: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::mpb/dest" }] },
    });
    const uploadId = ok(await cli(["s3api", "create-multipart-upload", "--bucket", "mpb", "--key", "dest"], { creds: writer })).json.UploadId;
    const r = await cli(["s3api", "upload-part-copy", "--bucket", "mpb", "--key", "dest", "--upload-id", uploadId, "--part-number", "1", "--copy-source", "mpb/secret-src"], { creds: writer });
    expect(cliErrorCode(r)).toBe("AccessDenied");
    expect(ok(await cli(["s3api", "list-parts", "--bucket", "mpb", "--key", "dest", "--upload-id", uploadId])).json.Parts ?? []).toEqual([]);
  });
});

describe("versioning", () => {
  it("each Complete in a versioned bucket is a new version; in an unversioned one it replaces the null version and its bytes", async () => {
    const made: Array<{ versionId: string; data: Buffer }> = [];
    for (let i = 0; i < 2; i++) {
      const { uploadId, etags, data } = await uploadWithParts("mpver", "doc", [1234 + i]);
      const r = ok(await cli(["s3api", "complete-multipart-upload", "--bucket", "mpver", "--key", "doc", "--upload-id", uploadId, "--multipart-upload", partsJson([[1, etags[0]!]])])).json;
      expect(r.VersionId).toMatch(/^[A-Za-z0-9]{32}$/);
      made.push({ versionId: r.VersionId, data: data[0]! });
    }
    // a Complete retried with the same parts (its answer lost) gets the same answer, and makes nothing new
    const r1 = await uploadWithParts("mpver", "retried", [100]);
    const completeArgs = ["s3api", "complete-multipart-upload", "--bucket", "mpver", "--key", "retried", "--upload-id", r1.uploadId, "--multipart-upload", partsJson([[1, r1.etags[0]!]])];
    const first = ok(await cli(completeArgs)).json;
    const retried = ok(await cli(completeArgs)).json;
    expect([retried.ETag, retried.VersionId]).toEqual([first.ETag, first.VersionId]);
    expect((await s3().send(new ListObjectVersionsCommand({ Bucket: "mpver", Prefix: "retried" }))).Versions?.length).toBe(1);
    expect(cliErrorCode(await cli(["s3api", "abort-multipart-upload", "--bucket", "mpver", "--key", "retried", "--upload-id", r1.uploadId]))).toBe("NoSuchUpload");
    const versions = await s3().send(new ListObjectVersionsCommand({ Bucket: "mpver", Prefix: "doc" }));
    expect(versions.Versions?.map((v) => [v.VersionId, v.IsLatest, v.Size])).toEqual([
      [made[1]!.versionId, true, 1235],
      [made[0]!.versionId, false, 1234],
    ]);
    for (const m of made) {
      const got = await s3().send(new GetObjectCommand({ Bucket: "mpver", Key: "doc", VersionId: m.versionId }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(m.data)).toBe(true);
    }
    await s3().send(new PutObjectCommand({ Bucket: "mpb", Key: "replaced", Body: "old" }));
    const before = blobCount(server.dataDir);
    const { uploadId, etags, data } = await uploadWithParts("mpb", "replaced", [500]);
    const r = ok(await cli(["s3api", "complete-multipart-upload", "--bucket", "mpb", "--key", "replaced", "--upload-id", uploadId, "--multipart-upload", partsJson([[1, etags[0]!]])])).json;
    expect(r.VersionId).toBeUndefined();
    // the old object's bytes and the part's are gone; the new object's are there
    expect(blobCount(server.dataDir)).toBe(before);
    const got = await s3().send(new GetObjectCommand({ Bucket: "mpb", Key: "replaced" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data[0]!)).toBe(true);
  });
});

describe("IAM", () => {
  it("AmazonS3ReadOnlyAccess lists uploads and parts but cannot create, upload to, complete or abort one", async () => {
    const reader = await userWith(server.url, "mp-reader", { managed: [managed("AmazonS3ReadOnlyAccess")] });
    const as = (args: string[]) => cli(args, { creds: reader });
    expect(cliErrorCode(await as(["s3api", "create-multipart-upload", "--bucket", "mpb", "--key", "ro"]))).toBe("AccessDenied");
    const { uploadId, etags } = await uploadWithParts("mpb", "ro", [10]);
    const { file } = randomFile(10);
    expect(cliErrorCode(await as(["s3api", "upload-part", "--bucket", "mpb", "--key", "ro", "--upload-id", uploadId, "--part-number", "2", "--body", file]))).toBe("AccessDenied");
    expect(cliErrorCode(await as(["s3api", "complete-multipart-upload", "--bucket", "mpb", "--key", "ro", "--upload-id", uploadId, "--multipart-upload", partsJson([[1, etags[0]!]])]))).toBe(
      "AccessDenied",
    );
    expect(cliErrorCode(await as(["s3api", "abort-multipart-upload", "--bucket", "mpb", "--key", "ro", "--upload-id", uploadId]))).toBe("AccessDenied");
    expect(ok(await as(["s3api", "list-parts", "--bucket", "mpb", "--key", "ro", "--upload-id", uploadId])).json.Parts.length).toBe(1);
    expect(ok(await as(["s3api", "list-multipart-uploads", "--bucket", "mpb", "--prefix", "ro"])).json.Uploads.map((u: { UploadId: string }) => u.UploadId)).toEqual([uploadId]);
    expect(cliErrorCode(await as(["s3", "cp", "--only-show-errors", randomFile(9 * MiB).file, "s3://mpb/ro-big"]))).toBe("AccessDenied");
  });

  it("a policy that allows s3:PutObject but not s3:AbortMultipartUpload uploads and cannot abort", async () => {
    const writer = await userWith(server.url, "mp-writer", {
      inline: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:PutObject", "s3:ListMultipartUploadParts"], Resource: "arn:aws:s3:::mpb/w/*" }] },
    });
    const as = (args: string[]) => cli(args, { creds: writer });
    const uploadId = ok(await as(["s3api", "create-multipart-upload", "--bucket", "mpb", "--key", "w/1"])).json.UploadId;
    expect(cliErrorCode(await as(["s3api", "abort-multipart-upload", "--bucket", "mpb", "--key", "w/1", "--upload-id", uploadId]))).toBe("AccessDenied");
    expect(cliErrorCode(await as(["s3api", "list-multipart-uploads", "--bucket", "mpb"]))).toBe("AccessDenied");
    expect(cliErrorCode(await as(["s3api", "create-multipart-upload", "--bucket", "mpb", "--key", "elsewhere"]))).toBe("AccessDenied");
    ok(await as(["s3api", "list-parts", "--bucket", "mpb", "--key", "w/1", "--upload-id", uploadId]));
  });
});

describe("durability", () => {
  it("an upload in progress survives a SIGKILL of the server, and completes after the restart", async () => {
    const dataDir = tmpDir("s3mp-crash");
    let s = await startServer({ dataDir });
    try {
      await s3Client(s.url).send(new CreateBucketCommand({ Bucket: "crash" }));
      const c = (args: string[]) => aws(s.url, args);
      const uploadId = ok(await c(["s3api", "create-multipart-upload", "--bucket", "crash", "--key", "k"])).json.UploadId;
      const parts = [randomFile(5 * MiB), randomFile(100)];
      const etags = [];
      for (const [i, p] of parts.entries()) etags.push(ok(await c(["s3api", "upload-part", "--bucket", "crash", "--key", "k", "--upload-id", uploadId, "--part-number", String(i + 1), "--body", p.file])).json.ETag);
      await s.kill();
      s = await startServer({ dataDir });
      const listed = ok(await aws(s.url, ["s3api", "list-parts", "--bucket", "crash", "--key", "k", "--upload-id", uploadId])).json;
      expect(listed.Parts.map((p: { ETag: string }) => p.ETag)).toEqual(etags);
      ok(await aws(s.url, ["s3api", "complete-multipart-upload", "--bucket", "crash", "--key", "k", "--upload-id", uploadId, "--multipart-upload", partsJson([[1, etags[0]], [2, etags[1]]])]));
      const got = await s3Client(s.url).send(new GetObjectCommand({ Bucket: "crash", Key: "k" }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts.map((p) => p.data)))).toBe(true);
      expect(blobCount(dataDir)).toBe(1);
    } finally {
      await s.stop();
    }
  });
});

describe("Complete racing Abort", () => {
  it("leaves the object whole or absent (never half), the upload gone, and no stray bytes", async () => {
    await s3().send(new CreateBucketCommand({ Bucket: "mprace" }));
    const before = blobCount(server.dataDir);
    const part = Buffer.alloc(64 * MiB, 7);
    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: "mprace", Key: "k" }));
    const parts = [];
    for (let n = 1; n <= 4; n++) parts.push({ PartNumber: n, ETag: (await s3().send(new UploadPartCommand({ Bucket: "mprace", Key: "k", UploadId, PartNumber: n, Body: part }))).ETag });
    const [completed, aborted] = await Promise.allSettled([
      s3().send(new CompleteMultipartUploadCommand({ Bucket: "mprace", Key: "k", UploadId, MultipartUpload: { Parts: parts } })),
      new Promise((r) => setTimeout(r, 200)).then(() => aws(server.url, ["s3api", "abort-multipart-upload", "--bucket", "mprace", "--key", "k", "--upload-id", UploadId!])),
    ]);
    const head = await s3()
      .send(new HeadObjectCommand({ Bucket: "mprace", Key: "k" }))
      .catch(() => undefined);
    if (completed.status === "fulfilled") {
      // Complete won: the object is all four parts, and the abort found no upload
      expect(head?.ContentLength).toBe(4 * part.length);
      expect(cliErrorCode((aborted as PromiseFulfilledResult<CliResult>).value)).toBe("NoSuchUpload");
      expect(blobCount(server.dataDir)).toBe(before + 1);
    } else {
      expect(head).toBeUndefined();
      expect((aborted as PromiseFulfilledResult<CliResult>).value.code).toBe(0);
      expect(blobCount(server.dataDir)).toBe(before);
    }
    const listed = await s3().send(new ListMultipartUploadsCommand({ Bucket: "mprace" }));
    expect(listed.Uploads ?? []).toEqual([]);
  });
});

describe.skipIf(process.env.HEADWATER_BIG_TESTS !== "1")("a 2 GB object (HEADWATER_BIG_TESTS=1)", () => {
  it("aws s3 cp up and down, byte for byte, with the server's peak RSS reported", async () => {
    const dir = tmpDir("s3mp-big");
    const file = path.join(dir, "big.bin");
    const size = 2 * 1024 ** 3;
    // sparse, with random bytes at the start, in the middle, across part boundaries and at the end
    const fd = fs.openSync(file, "w");
    fs.ftruncateSync(fd, size);
    for (const at of [0, 8 * MiB - 1000, 1024 * MiB + 12345, size - MiB]) fs.writeSync(fd, crypto.randomBytes(MiB), 0, MiB, at);
    fs.closeSync(fd);
    const s = await startServer();
    try {
      await s3Client(s.url).send(new CreateBucketCommand({ Bucket: "big" }));
      const idle = s.rss();
      s.resetPeakRss();
      ok(await aws(s.url, ["s3", "cp", "--only-show-errors", file, "s3://big/big.bin"]));
      const afterUpload = s.peakRss();
      const back = path.join(dir, "back.bin");
      ok(await aws(s.url, ["s3", "cp", "--only-show-errors", "s3://big/big.bin", back]));
      const peak = s.peakRss();
      console.log(`2 GB via aws s3 cp: server RSS idle ${(idle / MiB).toFixed(1)} MiB, peak during upload+complete ${(afterUpload / MiB).toFixed(1)} MiB, peak overall ${(peak / MiB).toFixed(1)} MiB`);
      const cmp = await new Promise<number>((resolve) => {
        import("node:child_process").then(({ spawn }) => spawn("cmp", [file, back], { stdio: "ignore" }).once("exit", (code) => resolve(code ?? 1)));
      });
      expect(cmp).toBe(0);
      fs.rmSync(back);
      expect(peak).toBeLessThan(400 * MiB);
    } finally {
      await s.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
