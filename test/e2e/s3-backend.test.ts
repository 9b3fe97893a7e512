import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, cliErrorCode, type Creds } from "../helpers/clients.js";
import { managed, userWith } from "../helpers/iam.js";
import { startPostgres, type Postgres } from "../helpers/postgres.js";
import { s3Client, sdkFailure, signedS3 } from "../helpers/s3.js";
import { ADMIN, startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

/**
 * The server under test ("front") keeps object bytes in a bucket of a second Headwater process
 * ("backend") acting as the S3, reached with an IAM user of the backend's that may do only what
 * the README's policy allows.
 */
const STORE = "headwater-bytes";
const PREFIX = "front/";
const BLOB_KEY = /^front\/[0-9a-f]{32}$/;

let backend: ServerHandle;
let front: ServerHandle;
let storeCreds: Creds;
/** Whether the backend serves multipart uploads (CreateMultipartUpload answers, not 501). */
let backendMultipart = false;

const frontS3 = () => s3Client(front.url);
const backendS3 = () => s3Client(backend.url);

function storeEnv(creds: Creds): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_REGION: "us-east-1",
    // nothing but the environment: no profile, no instance metadata
    AWS_CONFIG_FILE: "/nonexistent",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

function startFront(opts: { dataDir?: string; args?: string[]; creds?: Creds } = {}): Promise<ServerHandle> {
  return startServer({
    dataDir: opts.dataDir,
    args: ["--object-store", `s3://${STORE}/front`, "--object-store-endpoint", backend.url, ...(opts.args ?? [])],
    env: storeEnv(opts.creds ?? storeCreds),
  });
}

/** The backend's objects under the prefix: key → size. */
async function backendBlobs(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await backendS3().send(new ListObjectsV2Command({ Bucket: STORE, Prefix: PREFIX, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.set(o.Key!, o.Size!);
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

/** Every regular file under a directory (recursively). */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

function randomBytes(n: number): Buffer {
  return crypto.randomBytes(n);
}

const md5 = (b: Buffer | string) => crypto.createHash("md5").update(b).digest("hex");

/** Waits for a condition the server reaches on its own (a log line, an abort sent on), failing after `ms`. */
async function until(cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Headers of an UNSIGNED-PAYLOAD PUT of `length` bytes, signed by the SDK's signer. */
async function unsignedPayloadHeaders(url: string, p: string, length: number): Promise<Record<string, string>> {
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

beforeAll(async () => {
  backend = await startServer();
  await backendS3().send(new CreateBucketCommand({ Bucket: STORE }));
  storeCreds = await userWith(backend.url, "headwater-store", {
    inline: {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["s3:ListBucket", "s3:ListBucketMultipartUploads"], Resource: `arn:aws:s3:::${STORE}` },
        { Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"], Resource: `arn:aws:s3:::${STORE}/*` },
      ],
    },
  });
  try {
    const probe = await backendS3().send(new CreateMultipartUploadCommand({ Bucket: STORE, Key: "probe" }));
    await backendS3().send(new AbortMultipartUploadCommand({ Bucket: STORE, Key: "probe", UploadId: probe.UploadId }));
    backendMultipart = true;
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 501) throw e;
  }
  front = await startFront();
  await frontS3().send(new CreateBucketCommand({ Bucket: "photos" }));
});
afterAll(async () => {
  await front?.stop();
  await backend?.stop();
});

describe("object bytes in an S3 bucket", () => {
  it("PUT, GET and HEAD through the front (CLI v2, CLI v1, SDK): the bytes are in the backend's bucket, none in the front's data dir", async () => {
    const dir = tmpDir("s3backend");
    const small = path.join(dir, "small.txt");
    fs.writeFileSync(small, "hello from the front\n");
    const medium = randomBytes(5 * 1024 * 1024 + 123);
    const before = await backendBlobs();
    expect((await aws(front.url, ["s3", "cp", small, "s3://photos/small.txt"])).code).toBe(0);
    expect((await aws(front.url, ["s3api", "put-object", "--bucket", "photos", "--key", "v1.txt", "--body", small], { version: 1 })).code).toBe(0);
    const put = await frontS3().send(new PutObjectCommand({ Bucket: "photos", Key: "medium.bin", Body: medium, ChecksumAlgorithm: "CRC32C" }));
    expect(put.ETag).toBe(`"${md5(medium)}"`);
    await frontS3().send(new PutObjectCommand({ Bucket: "photos", Key: "empty", Body: "" }));

    const out = path.join(dir, "small.out");
    expect((await aws(front.url, ["s3", "cp", "s3://photos/small.txt", out])).code).toBe(0);
    expect(fs.readFileSync(out, "utf8")).toBe("hello from the front\n");
    const got = await frontS3().send(new GetObjectCommand({ Bucket: "photos", Key: "medium.bin", ChecksumMode: "ENABLED" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(medium)).toBe(true);
    expect(got.ChecksumCRC32C).toBeDefined();
    expect(await (await frontS3().send(new GetObjectCommand({ Bucket: "photos", Key: "empty" }))).Body!.transformToString()).toBe("");
    const head = await frontS3().send(new HeadObjectCommand({ Bucket: "photos", Key: "medium.bin" }));
    expect([head.ContentLength, head.ETag]).toEqual([medium.length, `"${md5(medium)}"`]);

    const after = await backendBlobs();
    const added = [...after].filter(([k]) => !before.has(k));
    expect(added.every(([k]) => BLOB_KEY.test(k))).toBe(true);
    expect(added.map(([, size]) => size).sort((a, b) => a - b)).toEqual([0, 21, 21, medium.length]);
    expect(filesUnder(path.join(front.dataDir, "objects"))).toEqual([]);
  });

  it("serves ranges from the backend's bytes (SDK and CLI): first, middle, suffix, open-ended", async () => {
    const body = randomBytes(300_000);
    await frontS3().send(new PutObjectCommand({ Bucket: "photos", Key: "ranged.bin", Body: body }));
    const range = async (r: string) => {
      const res = await frontS3().send(new GetObjectCommand({ Bucket: "photos", Key: "ranged.bin", Range: r }));
      return { bytes: Buffer.from(await res.Body!.transformToByteArray()), contentRange: res.ContentRange };
    };
    expect(await range("bytes=0-0")).toEqual({ bytes: body.subarray(0, 1), contentRange: "bytes 0-0/300000" });
    expect(await range("bytes=1000-199999")).toEqual({ bytes: body.subarray(1000, 200000), contentRange: "bytes 1000-199999/300000" });
    expect(await range("bytes=-10")).toEqual({ bytes: body.subarray(299990), contentRange: "bytes 299990-299999/300000" });
    expect(await range("bytes=299000-")).toEqual({ bytes: body.subarray(299000), contentRange: "bytes 299000-299999/300000" });
    const out = path.join(tmpDir("s3range"), "part");
    const cli = await aws(front.url, ["s3api", "get-object", "--bucket", "photos", "--key", "ranged.bin", "--range", "bytes=5-14", out]);
    expect(cli.json.ContentRange).toBe("bytes 5-14/300000");
    expect(fs.readFileSync(out).equals(body.subarray(5, 15))).toBe(true);
    const beyond = await sdkFailure(frontS3().send(new GetObjectCommand({ Bucket: "photos", Key: "ranged.bin", Range: "bytes=300000-300010" })));
    expect([beyond.name, beyond.status]).toEqual(["InvalidRange", 416]);
  });

  it("keeps versions and delete markers; deleting a version or overwriting the null version removes its bytes from the backend", async () => {
    await frontS3().send(new CreateBucketCommand({ Bucket: "versioned" }));
    await frontS3().send(new PutBucketVersioningCommand({ Bucket: "versioned", VersioningConfiguration: { Status: "Enabled" } }));
    const one = randomBytes(1111);
    const two = randomBytes(2222);
    const before = await backendBlobs();
    const v1 = (await frontS3().send(new PutObjectCommand({ Bucket: "versioned", Key: "doc", Body: one }))).VersionId!;
    const v2 = (await frontS3().send(new PutObjectCommand({ Bucket: "versioned", Key: "doc", Body: two }))).VersionId!;
    const marker = await frontS3().send(new DeleteObjectCommand({ Bucket: "versioned", Key: "doc" }));
    expect(marker.DeleteMarker).toBe(true);
    expect((await sdkFailure(frontS3().send(new GetObjectCommand({ Bucket: "versioned", Key: "doc" })))).name).toBe("NoSuchKey");
    const old = await frontS3().send(new GetObjectCommand({ Bucket: "versioned", Key: "doc", VersionId: v1 }));
    expect(Buffer.from(await old.Body!.transformToByteArray()).equals(one)).toBe(true);
    const listed = await frontS3().send(new ListObjectVersionsCommand({ Bucket: "versioned" }));
    expect(listed.Versions?.map((v) => [v.VersionId, v.Size])).toEqual([
      [v2, 2222],
      [v1, 1111],
    ]);
    expect(listed.DeleteMarkers?.map((d) => d.IsLatest)).toEqual([true]);
    const sizes = async () => [...(await backendBlobs())].filter(([k]) => !before.has(k)).map(([, s]) => s).sort((a, b) => a - b);
    expect(await sizes()).toEqual([1111, 2222]);

    // a version deleted for good takes its bytes along; the marker had none
    await frontS3().send(new DeleteObjectCommand({ Bucket: "versioned", Key: "doc", VersionId: v1 }));
    expect(await sizes()).toEqual([2222]);
    await frontS3().send(new DeleteObjectCommand({ Bucket: "versioned", Key: "doc", VersionId: marker.VersionId }));
    const current = await frontS3().send(new GetObjectCommand({ Bucket: "versioned", Key: "doc" }));
    expect([current.VersionId, Buffer.from(await current.Body!.transformToByteArray()).equals(two)]).toEqual([v2, true]);

    // unversioned: an overwrite replaces the bytes, a delete removes them
    const mark = await backendBlobs();
    await frontS3().send(new PutObjectCommand({ Bucket: "photos", Key: "replaced", Body: randomBytes(3333) }));
    await frontS3().send(new PutObjectCommand({ Bucket: "photos", Key: "replaced", Body: randomBytes(4444) }));
    expect([...(await backendBlobs())].filter(([k]) => !mark.has(k)).map(([, s]) => s)).toEqual([4444]);
    await frontS3().send(new DeleteObjectCommand({ Bucket: "photos", Key: "replaced" }));
    expect([...(await backendBlobs())].filter(([k]) => !mark.has(k))).toEqual([]);
  });

  it("a body refused after its last byte (BadDigest) leaves nothing in the backend and the old object as it was", async () => {
    await frontS3().send(new PutObjectCommand({ Bucket: "photos", Key: "guarded", Body: "original" }));
    const before = await backendBlobs();
    const body = randomBytes(2 * 1024 * 1024);
    const wrongMd5 = await signedS3(front.url, "PUT", "/photos/guarded", { body, headers: { "content-md5": crypto.createHash("md5").update("other").digest("base64") } });
    expect(wrongMd5.status).toBe(400);
    expect(wrongMd5.body).toContain("<Code>BadDigest</Code>");
    const wrongCrc = await sdkFailure(frontS3().send(new PutObjectCommand({ Bucket: "photos", Key: "guarded", Body: body, ChecksumCRC32: "AAAAAA==" })));
    expect([wrongCrc.name, wrongCrc.status]).toEqual(["BadDigest", 400]);
    expect(await backendBlobs()).toEqual(before);
    const got = await frontS3().send(new GetObjectCommand({ Bucket: "photos", Key: "guarded" }));
    expect(await got.Body!.transformToString()).toBe("original");
  });

  it("lists the front's objects as it stored them (ListObjectsV2 with a delimiter, CLI ls)", async () => {
    await frontS3().send(new CreateBucketCommand({ Bucket: "listing" }));
    for (const k of ["a/1", "a/2", "b", "c/d/e"]) await frontS3().send(new PutObjectCommand({ Bucket: "listing", Key: k, Body: k }));
    const listed = await frontS3().send(new ListObjectsV2Command({ Bucket: "listing", Delimiter: "/" }));
    expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([["b", 1]]);
    expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["a/", "c/"]);
    const ls = await aws(front.url, ["s3", "ls", "--recursive", "s3://listing"]);
    expect(ls.stdout.split("\n").filter(Boolean).map((l) => l.split(/\s+/).pop())).toEqual(["a/1", "a/2", "b", "c/d/e"]);
  });

  it("a blob gone from the backend is a clean 500 InternalError before any byte, not a cut body", async () => {
    const before = await backendBlobs();
    await frontS3().send(new PutObjectCommand({ Bucket: "photos", Key: "lost", Body: "will vanish" }));
    const [key] = [...(await backendBlobs()).keys()].filter((k) => !before.has(k));
    await backendS3().send(new DeleteObjectCommand({ Bucket: STORE, Key: key }));
    const lost = await sdkFailure(frontS3().send(new GetObjectCommand({ Bucket: "photos", Key: "lost" })));
    expect([lost.name, lost.status]).toEqual(["InternalError", 500]);
    // HEAD needs no bytes
    expect((await frontS3().send(new HeadObjectCommand({ Bucket: "photos", Key: "lost" }))).ContentLength).toBe(11);
  });

  it("a read-only user of the front reads and cannot write; nothing reaches the backend", async () => {
    const reader = await userWith(front.url, "s3-reader", { managed: [managed("AmazonS3ReadOnlyAccess")] });
    const file = path.join(tmpDir("s3ro"), "f.txt");
    fs.writeFileSync(file, "not allowed");
    const before = await backendBlobs();
    const cli = (args: string[]) => aws(front.url, args, { creds: reader });
    expect((await cli(["s3api", "head-object", "--bucket", "photos", "--key", "small.txt"])).json.ContentLength).toBe(21);
    expect(cliErrorCode(await cli(["s3api", "put-object", "--bucket", "photos", "--key", "ro.txt", "--body", file]))).toBe("AccessDenied");
    expect(cliErrorCode(await cli(["s3api", "delete-object", "--bucket", "photos", "--key", "small.txt"]))).toBe("AccessDenied");
    expect(await backendBlobs()).toEqual(before);
  });

  it("50 MB streams through in parts (multipart on the backend) with the front's memory bounded", async (ctx) => {
    ctx.skip(!backendMultipart, "the backend answers 501 to CreateMultipartUpload (?uploads): multipart upload is not merged yet");
    const size = 50 * 1024 * 1024;
    const seed = randomBytes(1024 * 1024);
    const chunks = function* () {
      for (let i = 0; i < size / seed.length; i++) yield Buffer.concat([Buffer.from([i]), seed.subarray(1)]);
    };
    const expected = crypto.createHash("md5");
    for (const c of chunks()) expected.update(c);
    const before = await backendBlobs();
    front.resetPeakRss();
    const base = front.rss();
    await frontS3().send(new PutObjectCommand({ Bucket: "photos", Key: "large.bin", Body: Readable.from(chunks()), ContentLength: size }));
    const got = await frontS3().send(new GetObjectCommand({ Bucket: "photos", Key: "large.bin" }));
    const actual = crypto.createHash("md5");
    for await (const c of got.Body as Readable) actual.update(c);
    expect(actual.digest("hex")).toBe(expected.digest("hex"));
    const grew = front.peakRss() - base;
    console.log(`50 MB PUT and GET through the S3 backend: front's peak RSS grew ${(grew / 1e6).toFixed(1)} MB`);
    expect(grew).toBeLessThan(150e6);
    expect([...(await backendBlobs())].filter(([k]) => !before.has(k)).map(([, s]) => s)).toEqual([size]);

    // a refused large body: its parts are aborted, nothing is left (no object, no upload)
    const wrong = await signedS3(front.url, "PUT", "/photos/large.bin", { body: randomBytes(20 * 1024 * 1024), headers: { "content-md5": crypto.createHash("md5").update("x").digest("base64") } });
    expect(wrong.status).toBe(400);
    expect((await backendS3().send(new ListMultipartUploadsCommand({ Bucket: STORE, Prefix: PREFIX }))).Uploads ?? []).toEqual([]);
    expect([...(await backendBlobs())].filter(([k]) => !before.has(k)).map(([, s]) => s)).toEqual([size]);
  });

  it("a PUT cut off mid-body (after parts went to the backend) leaves no object and no upload there, and SIGTERM still stops at once", async () => {
    // a front of its own, under its own prefix, whose drain would wait for a connection it still
    // counted open (as it did when the store destroyed the request: about 70 s here, up to
    // --stop-timeout-seconds) where a clean stop takes two: this test's 40 s timeout catches it
    const cut = await startServer({
      args: ["--object-store", `s3://${STORE}/cut`, "--object-store-endpoint", backend.url, "--stop-timeout-seconds", "600"],
      env: storeEnv(storeCreds),
    });
    const cutBlobs = async () => (await backendS3().send(new ListObjectsV2Command({ Bucket: STORE, Prefix: "cut/" }))).Contents ?? [];
    try {
      await s3Client(cut.url).send(new CreateBucketCommand({ Bucket: "photos" }));
      const declared = 20 * 1024 * 1024;
      const u = new URL(cut.url);
      // UNSIGNED-PAYLOAD: the front reads on until the connection drops
      const headers = await unsignedPayloadHeaders(cut.url, "/photos/cut.bin", declared);
      await new Promise<void>((resolve) => {
        const req = http.request({ hostname: u.hostname, port: u.port, method: "PUT", path: "/photos/cut.bin", headers });
        req.on("error", () => resolve());
        req.on("close", () => resolve());
        req.write(randomBytes(17 * 1024 * 1024), () => setImmediate(() => req.destroy()));
      });
      // the front logs the call once the client is gone, maybe before its abort reached the backend
      await until(() => cut.logs.some((l) => l.includes('"key":"cut.bin"') && l.includes('"msg":"api call"')));
      if (backendMultipart) await until(async () => ((await backendS3().send(new ListMultipartUploadsCommand({ Bucket: STORE, Prefix: "cut/" }))).Uploads ?? []).length === 0);
      expect(await cutBlobs()).toEqual([]);
      expect((await sdkFailure(s3Client(cut.url).send(new HeadObjectCommand({ Bucket: "photos", Key: "cut.bin" })))).name).toBe("NotFound");
    } finally {
      expect(await cut.stop()).toBe(0);
    }
  }, 40_000);

  it("never writes the backend's secret key to its log", () => {
    expect(front.logs.join("\n")).not.toContain(storeCreds.secretAccessKey);
  });
});

describe("the sweep at start", () => {
  it("removes an orphan blob once past --object-store-grace-seconds, keeps referenced blobs and keys that are not blob names", async () => {
    const orphan = PREFIX + crypto.randomBytes(16).toString("hex");
    await backendS3().send(new PutObjectCommand({ Bucket: STORE, Key: orphan, Body: "no version names me" }));
    await backendS3().send(new PutObjectCommand({ Bucket: STORE, Key: PREFIX + "notes.txt", Body: "not a blob" }));
    const dataDir = front.dataDir;
    await front.stop();
    // the default grace (a day) protects what other servers' PUTs may be writing
    front = await startFront({ dataDir });
    expect((await backendBlobs()).has(orphan)).toBe(true);
    await front.stop();
    front = await startFront({ dataDir, args: ["--object-store-grace-seconds", "0"] });
    const blobs = await backendBlobs();
    expect(blobs.has(orphan)).toBe(false);
    expect(blobs.has(PREFIX + "notes.txt")).toBe(true);
    expect(front.logs.some((l) => l.includes("removed the bytes of interrupted object uploads"))).toBe(true);
    // the objects the front knows are all still there
    const got = await frontS3().send(new GetObjectCommand({ Bucket: "photos", Key: "medium.bin" }));
    expect((await got.Body!.transformToByteArray()).length).toBe(5 * 1024 * 1024 + 123);
    expect(await (await frontS3().send(new GetObjectCommand({ Bucket: "photos", Key: "small.txt" }))).Body!.transformToString()).toBe("hello from the front\n");
  });
});

describe("the sweep at start, of multipart uploads", () => {
  it("aborts an incomplete multipart upload under the prefix once past the grace, and leaves one elsewhere", async (ctx) => {
    ctx.skip(!backendMultipart, "the backend answers 501 to CreateMultipartUpload (?uploads): multipart upload is not merged yet");
    const mine = PREFIX + crypto.randomBytes(16).toString("hex");
    const started = await backendS3().send(new CreateMultipartUploadCommand({ Bucket: STORE, Key: mine }));
    await backendS3().send(new UploadPartCommand({ Bucket: STORE, Key: mine, UploadId: started.UploadId, PartNumber: 1, Body: randomBytes(1024) }));
    const elsewhere = await backendS3().send(new CreateMultipartUploadCommand({ Bucket: STORE, Key: "elsewhere/upload" }));
    const dataDir = front.dataDir;
    await front.stop();
    front = await startFront({ dataDir });
    // (only these two: other tests' uploads are not this one's business)
    const uploads = async () =>
      ((await backendS3().send(new ListMultipartUploadsCommand({ Bucket: STORE }))).Uploads ?? []).map((u) => u.UploadId).filter((id) => id === started.UploadId || id === elsewhere.UploadId);
    expect((await uploads()).sort()).toEqual([started.UploadId, elsewhere.UploadId].sort());
    await front.stop();
    front = await startFront({ dataDir, args: ["--object-store-grace-seconds", "0"] });
    expect(await uploads()).toEqual([elsewhere.UploadId]);
  });
});

describe("a backend the front cannot use", () => {
  it("refuses to start with a missing bucket or a wrong secret, saying which, without the secret", async () => {
    // the backend's administrator may list any bucket: the answer is NoSuchBucket
    const noBucket = await startServer({
      args: ["--object-store", "s3://no-such-store/x", "--object-store-endpoint", backend.url],
      env: storeEnv(ADMIN),
    }).catch((e: Error) => e.message);
    expect(noBucket).toContain("could not list the object store s3://no-such-store/x");
    expect(noBucket).toContain("NoSuchBucket");
    expect(noBucket).not.toContain(ADMIN.secretAccessKey);
    // the store's user may not: AccessDenied, naming the action the policy lacks
    const otherBucket = await startServer({
      args: ["--object-store", "s3://no-such-store/x", "--object-store-endpoint", backend.url],
      env: storeEnv(storeCreds),
    }).catch((e: Error) => e.message);
    expect(otherBucket).toContain("AccessDenied");
    expect(otherBucket).toContain("s3:ListBucket");
    expect(otherBucket).not.toContain(storeCreds.secretAccessKey);
    const wrongSecret = "wrongsecretwrongsecretwrongsecretwrong12";
    const badKey = await startServer({
      args: ["--object-store", `s3://${STORE}/x`, "--object-store-endpoint", backend.url],
      env: storeEnv({ accessKeyId: storeCreds.accessKeyId, secretAccessKey: wrongSecret }),
    }).catch((e: Error) => e.message);
    expect(badKey).toContain("SignatureDoesNotMatch");
    expect(badKey).not.toContain(wrongSecret);
  });

  it("refuses an endpoint without --object-store, and credentials in the endpoint URL", async () => {
    const alone = await startServer({ args: ["--object-store-endpoint", backend.url] }).catch((e: Error) => e.message);
    expect(alone).toContain("--object-store-endpoint needs --object-store");
    const u = new URL(backend.url);
    const inUrl = await startServer({ args: ["--object-store", `s3://${STORE}`, "--object-store-endpoint", `http://key:secret@${u.host}`] }).catch((e: Error) => e.message);
    expect(inUrl).toContain("no credentials in the URL");
    const bad = await startServer({ args: ["--object-store", "https://bucket"] }).catch((e: Error) => e.message);
    expect(bad).toContain("--object-store: an address such as s3://my-bucket/headwater");
  });
});

describe("two front servers on one PostgreSQL, one backend bucket", () => {
  let pg: Postgres;
  let a: ServerHandle;
  let b: ServerHandle;
  beforeAll(async () => {
    pg = await startPostgres();
    pg.createDatabase("fronts");
    const args = ["--database-url", pg.url("fronts"), "--object-store", `s3://${STORE}/shared`, "--object-store-endpoint", backend.url];
    // two data directories (two machines, as it were), one key for the secrets in the database
    const env = { ...storeEnv(storeCreds), HEADWATER_MASTER_KEY: crypto.randomBytes(32).toString("base64") };
    a = await startServer({ args, env });
    b = await startServer({ args, env });
    expect(a.dataDir).not.toBe(b.dataDir);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    pg?.stop();
  });

  it("each reads what the other wrote, and a delete through one frees the bytes both saw", async () => {
    await s3Client(a.url).send(new CreateBucketCommand({ Bucket: "team" }));
    const body = randomBytes(3 * 1024 * 1024);
    await s3Client(a.url).send(new PutObjectCommand({ Bucket: "team", Key: "from-a", Body: body }));
    await s3Client(b.url).send(new PutObjectCommand({ Bucket: "team", Key: "from-b", Body: "written through b" }));
    const fromA = await s3Client(b.url).send(new GetObjectCommand({ Bucket: "team", Key: "from-a", Range: "bytes=100-199" }));
    expect(Buffer.from(await fromA.Body!.transformToByteArray()).equals(body.subarray(100, 200))).toBe(true);
    expect(await (await s3Client(a.url).send(new GetObjectCommand({ Bucket: "team", Key: "from-b" }))).Body!.transformToString()).toBe("written through b");
    const shared = async () => (await backendS3().send(new ListObjectsV2Command({ Bucket: STORE, Prefix: "shared/" }))).Contents ?? [];
    expect((await shared()).map((o) => o.Size).sort((x, y) => x! - y!)).toEqual([17, body.length]);
    await s3Client(b.url).send(new DeleteObjectCommand({ Bucket: "team", Key: "from-a" }));
    expect((await shared()).map((o) => o.Size)).toEqual([17]);
    expect((await sdkFailure(s3Client(a.url).send(new GetObjectCommand({ Bucket: "team", Key: "from-a" })))).name).toBe("NoSuchKey");
    expect([...filesUnder(path.join(a.dataDir, "objects")), ...filesUnder(path.join(b.dataDir, "objects"))]).toEqual([]);
  });
});
