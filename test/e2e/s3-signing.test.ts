import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { Hash } from "@smithy/hash-node";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { Crc64NvmeJs } from "@aws-sdk/checksums/crc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, awsEnv, python, type Creds } from "../helpers/clients.js";
import { managed, userWith } from "../helpers/iam.js";
import { s3Client, sdkFailure } from "../helpers/s3.js";
import { signedChunkedPut } from "../helpers/s3-chunk-signer.js";
import { rawRequest } from "../helpers/signed.js";
import { ADMIN, startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

let server: ServerHandle;
let reader: Creds;
const s3 = () => s3Client(server.url);

/** curl, as a person would paste it: the body, then a last line with the status code. */
function curl(args: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-s", "-w", "\n%{http_code}", ...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err);
      const nl = stdout.lastIndexOf("\n");
      resolve({ status: Number(stdout.slice(nl + 1)), body: stdout.slice(0, nl) });
    });
  });
}

const code = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
const field = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const bodyOf = async (bucket: string, key: string) => (await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
const exists = async (bucket: string, key: string) =>
  s3()
    .send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
    .then(
      () => true,
      () => false,
    );

/** boto3 against the server; `*.localhost` resolves to the loopback address in the snippet (this machine's resolver does not). */
async function boto(code: string, creds: Creds = ADMIN): Promise<string> {
  const prelude = `
import boto3, socket, json, sys
from botocore.config import Config
_real = socket.getaddrinfo
socket.getaddrinfo = lambda h, *a, **k: _real("127.0.0.1" if str(h).endswith(".localhost") else h, *a, **k)
E = ${JSON.stringify(server.url)}
`;
  const r = await python(prelude + code, awsEnv(creds));
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

beforeAll(async () => {
  server = await startServer({ args: ["--public-url", "http://s3.test:1"] });
  await s3().send(new CreateBucketCommand({ Bucket: "signing" }));
  await s3().send(new PutObjectCommand({ Bucket: "signing", Key: "dir/a b+c.txt", Body: "hello presigned" }));
  reader = await userWith(server.url, "signing-reader", { managed: [managed("AmazonS3ReadOnlyAccess")] });
});
afterAll(async () => {
  await server?.stop();
});

describe("presigned URLs, SigV4", () => {
  it("the CLI v2's `aws s3 presign` URL is fetched by curl; a changed path or method is SignatureDoesNotMatch", async () => {
    const url = (await aws(server.url, ["s3", "presign", "s3://signing/dir/a b+c.txt", "--expires-in", "300"])).stdout.trim();
    expect(url).toContain("X-Amz-Algorithm=AWS4-HMAC-SHA256");
    expect(await curl([url])).toEqual({ status: 200, body: "hello presigned" });
    const other = await curl([url.replace("a%20b", "a%20c")]);
    expect([other.status, code(other.body)]).toEqual([403, "SignatureDoesNotMatch"]);
    const put = await curl(["-X", "PUT", "--data-binary", "x", url]);
    expect([put.status, code(put.body)]).toEqual([403, "SignatureDoesNotMatch"]);
    expect(await bodyOf("signing", "dir/a b+c.txt")).toBe("hello presigned");
  });

  it("boto3's SigV4 generate_presigned_url for get_object and put_object: curl GET, and curl -T uploads", async () => {
    const file = path.join(tmpDir("presign"), "up.txt");
    fs.writeFileSync(file, "uploaded by curl -T");
    const [get, put] = JSON.parse(
      await boto(`
c = boto3.client("s3", endpoint_url=E, config=Config(signature_version="s3v4"))
print(json.dumps([c.generate_presigned_url("get_object", Params={"Bucket": "signing", "Key": "dir/a b+c.txt"}, ExpiresIn=120),
                  c.generate_presigned_url("put_object", Params={"Bucket": "signing", "Key": "boto-put.txt"}, ExpiresIn=120)]))
`),
    ) as [string, string];
    expect(await curl([get])).toEqual({ status: 200, body: "hello presigned" });
    expect((await curl(["-T", file, put])).status).toBe(200);
    expect(await bodyOf("signing", "boto-put.txt")).toBe("uploaded by curl -T");
  });

  it("the JavaScript SDK's getSignedUrl (X-Amz-Content-Sha256=UNSIGNED-PAYLOAD): GET, and PUT held to the empty-body CRC32 it bakes in, as S3 does", async () => {
    const get = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: "signing", Key: "dir/a b+c.txt" }), { expiresIn: 60 });
    expect(get).toContain("X-Amz-Content-Sha256=UNSIGNED-PAYLOAD");
    expect(await curl([get])).toEqual({ status: 200, body: "hello presigned" });
    // its x-amz-checksum-mode=ENABLED stands for the header: the stored CRC32 comes back
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32("hello presigned") >>> 0);
    expect((await curl(["-D", "-", get])).body.toLowerCase()).toContain(`x-amz-checksum-crc32: ${crc.toString("base64").toLowerCase()}`);
    // the SDK's default puts x-amz-checksum-crc32=AAAAAA== (an empty body's) in the URL
    const baked = await getSignedUrl(s3(), new PutObjectCommand({ Bucket: "signing", Key: "sdk-put.txt" }), { expiresIn: 60 });
    expect(baked).toContain("x-amz-checksum-crc32=AAAAAA%3D%3D");
    const refused = await curl(["-X", "PUT", "--data-binary", "some bytes", baked]);
    expect([refused.status, code(refused.body)]).toEqual([400, "BadDigest"]);
    expect(await exists("signing", "sdk-put.txt")).toBe(false);
    const plain = s3Client(server.url, ADMIN, { requestChecksumCalculation: "WHEN_REQUIRED" });
    const put = await getSignedUrl(plain, new PutObjectCommand({ Bucket: "signing", Key: "sdk-put.txt" }), { expiresIn: 60 });
    expect((await curl(["-X", "PUT", "--data-binary", "some bytes", put])).status).toBe(200);
    expect(await bodyOf("signing", "sdk-put.txt")).toBe("some bytes");
  });

  it("an expired URL is 403 AccessDenied 'Request has expired' with X-Amz-Expires, Expires and ServerTime", async () => {
    const u = new URL(server.url);
    const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: ADMIN, sha256: Hash.bind(null, "sha256"), uriEscapePath: false });
    const signedAt = new Date(Date.now() - 2 * 3600_000);
    const req = new HttpRequest({ method: "GET", protocol: "http:", hostname: u.hostname, port: Number(u.port), path: "/signing/dir/a%20b%2Bc.txt", headers: { host: u.host } });
    const p = await signer.presign(req, { signingDate: signedAt, expiresIn: 60 });
    const q = new URLSearchParams(p.query as Record<string, string>).toString();
    const r = await curl([`${server.url}${p.path}?${q}`]);
    expect([r.status, code(r.body), field(r.body, "Message"), field(r.body, "X-Amz-Expires")]).toEqual([403, "AccessDenied", "Request has expired", "60"]);
    expect(field(r.body, "Expires")).toBe(new Date(Math.floor(signedAt.getTime() / 1000) * 1000 + 60_000).toISOString().replace(".000Z", "Z"));
    expect(Date.parse(field(r.body, "ServerTime")!)).toBeGreaterThan(Date.parse(field(r.body, "Expires")!));
  });

  it("a header signature 20 minutes old is RequestTimeTooSkewed with S3's RequestTime, ServerTime and MaxAllowedSkewMilliseconds", async () => {
    const u = new URL(server.url);
    const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: ADMIN, sha256: Hash.bind(null, "sha256"), uriEscapePath: false });
    const req = new HttpRequest({
      method: "GET", protocol: "http:", hostname: u.hostname, port: Number(u.port), path: "/signing/dir/a%20b%2Bc.txt",
      headers: { host: u.host, "x-amz-content-sha256": crypto.createHash("sha256").update("").digest("hex") },
    });
    const signed = await signer.sign(req, { signingDate: new Date(Date.now() - 20 * 60_000) });
    const r = await rawRequest(server.url, { method: "GET", path: signed.path, headers: signed.headers as Record<string, string> });
    expect([r.status, code(r.body), field(r.body, "MaxAllowedSkewMilliseconds"), field(r.body, "RequestTime")]).toEqual([403, "RequestTimeTooSkewed", "900000", signed.headers["x-amz-date"]]);
  });

  it("X-Amz-Expires over a week (which the CLI v2 does not refuse) is AuthorizationQueryParametersError", async () => {
    const url = (await aws(server.url, ["s3", "presign", "s3://signing/dir/a b+c.txt", "--expires-in", "700000"])).stdout.trim();
    expect(url).toContain("X-Amz-Expires=700000");
    const r = await curl([url]);
    expect([r.status, code(r.body), field(r.body, "Message")]).toEqual([400, "AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is; 604800"]);
    const week = (await aws(server.url, ["s3", "presign", "s3://signing/dir/a b+c.txt", "--expires-in", "604800"])).stdout.trim();
    expect((await curl([week])).status).toBe(200);
  });

  it("a read-only user's presigned GET works and presigned PUT is AccessDenied, storing nothing", async () => {
    const c = s3Client(server.url, reader, { requestChecksumCalculation: "WHEN_REQUIRED" });
    expect((await curl([await getSignedUrl(c, new GetObjectCommand({ Bucket: "signing", Key: "dir/a b+c.txt" }))])).status).toBe(200);
    const put = await curl(["-X", "PUT", "--data-binary", "nope", await getSignedUrl(c, new PutObjectCommand({ Bucket: "signing", Key: "reader.txt" }))]);
    expect([put.status, code(put.body)]).toEqual([403, "AccessDenied"]);
    const v2 = JSON.parse(
      await boto(`print(json.dumps(boto3.client("s3", endpoint_url=E).generate_presigned_url("put_object", Params={"Bucket": "signing", "Key": "reader.txt"})))`, reader),
    ) as string;
    const file = path.join(tmpDir("reader"), "nope.txt");
    fs.writeFileSync(file, "nope");
    const put2 = await curl(["-T", file, v2]);
    expect([put2.status, code(put2.body)]).toEqual([403, "AccessDenied"]);
    expect(await exists("signing", "reader.txt")).toBe(false);
  });
});

describe("Signature Version 2", () => {
  it("boto3's and the CLI v1's default presigned URLs (SigV2) are fetched and uploaded to by curl", async () => {
    const [get, put] = JSON.parse(
      await boto(`
c = boto3.client("s3", endpoint_url=E)
print(json.dumps([c.generate_presigned_url("get_object", Params={"Bucket": "signing", "Key": "dir/a b+c.txt", "ResponseContentType": "text/x-test"}),
                  c.generate_presigned_url("put_object", Params={"Bucket": "signing", "Key": "v2-put.txt"})]))
`),
    ) as [string, string];
    expect(get).toContain("AWSAccessKeyId=");
    expect(get).toContain("Signature=");
    const fetched = await curl(["-D", "-", get]);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatch(/content-type: text\/x-test/i);
    expect(fetched.body.endsWith("hello presigned")).toBe(true);
    const file = path.join(tmpDir("presign2"), "up.txt");
    fs.writeFileSync(file, "sigv2 upload");
    expect((await curl(["-T", file, put])).status).toBe(200);
    expect(await bodyOf("signing", "v2-put.txt")).toBe("sigv2 upload");
    // SigV2 signs Content-Type: curl --data-binary's form type was not in the URL's signature, as S3 would say too
    const typed = await curl(["-X", "PUT", "--data-binary", "other", put]);
    expect([typed.status, code(typed.body)]).toEqual([403, "SignatureDoesNotMatch"]);
    expect(await bodyOf("signing", "v2-put.txt")).toBe("sigv2 upload");
    const cli = (await aws(server.url, ["s3", "presign", "s3://signing/dir/a b+c.txt"], { version: 1 })).stdout.trim();
    expect(cli).toContain("AWSAccessKeyId=");
    expect(await curl([cli])).toEqual({ status: 200, body: "hello presigned" });
    // a changed sub-resource is signed over: the override cannot be swapped
    const swapped = await curl([get.replace("text%2Fx-test", "text%2Fhtml")]);
    expect([swapped.status, code(swapped.body)]).toEqual([403, "SignatureDoesNotMatch"]);
  });

  it("boto3 with signature_version='s3' (the Authorization: AWS header) runs the bucket and object operations", async () => {
    const out = JSON.parse(
      await boto(`
c = boto3.client("s3", endpoint_url=E, config=Config(signature_version="s3"))
c.create_bucket(Bucket="sigv2-bucket")
c.put_bucket_versioning(Bucket="sigv2-bucket", VersioningConfiguration={"Status": "Enabled"})
v1 = c.put_object(Bucket="sigv2-bucket", Key="k/one two.txt", Body=b"first", ContentType="text/plain", Metadata={"team": "v2"})["VersionId"]
c.put_object(Bucket="sigv2-bucket", Key="k/one two.txt", Body=b"second")
old = c.get_object(Bucket="sigv2-bucket", Key="k/one two.txt", VersionId=v1)
keys = [o["Key"] for o in c.list_objects(Bucket="sigv2-bucket")["Contents"]]
versions = len(c.list_object_versions(Bucket="sigv2-bucket")["Versions"])
deleted = c.delete_objects(Bucket="sigv2-bucket", Delete={"Objects": [{"Key": "k/one two.txt"}]})["Deleted"][0]["DeleteMarker"]
print(json.dumps([old["Body"].read().decode(), old["Metadata"], old["ContentType"], keys, versions, deleted]))
`),
    );
    expect(out).toEqual(["first", { team: "v2" }, "text/plain", ["k/one two.txt"], 2, true]);
  });

  it("a wrong secret, an unknown key, a stale Date and an expired URL are refused as S3 refuses them", async () => {
    const out = JSON.parse(
      await boto(`
import time, email.utils, urllib.request
from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.credentials import Credentials
from botocore.awsrequest import AWSRequest
def send(creds, date=None, query_expires=None):
    req = AWSRequest(method="GET", url=E + "/signing/dir/a%20b%2Bc.txt")
    if query_expires is not None:
        HmacV1QueryAuth(creds, expires=query_expires).add_auth(req)
    else:
        auth = HmacV1Auth(creds)
        if date is not None:
            auth._get_date = lambda: email.utils.formatdate(date, usegmt=True)
        auth.add_auth(req)
    p = req.prepare()
    try:
        r = urllib.request.urlopen(urllib.request.Request(p.url, headers=dict(p.headers)))
        return [r.status, r.read().decode()]
    except urllib.error.HTTPError as e:
        return [e.code, e.read().decode()]
good = Credentials("${ADMIN.accessKeyId}", "${ADMIN.secretAccessKey}")
print(json.dumps([
    send(good),
    send(Credentials("${ADMIN.accessKeyId}", "not-the-secret")),
    send(Credentials("AKIAUNKNOWNKEY000000", "x")),
    send(good, date=time.time() - 20 * 60),
    send(good, query_expires=-60),
]))
`),
    ) as Array<[number, string]>;
    expect(out[0]).toEqual([200, "hello presigned"]);
    expect([out[1]![0], code(out[1]![1])]).toEqual([403, "SignatureDoesNotMatch"]);
    const malformed = await rawRequest(server.url, { method: "GET", path: "/signing/dir/a%20b%2Bc.txt", headers: { authorization: `AWS ${ADMIN.accessKeyId}`, date: new Date().toUTCString() } });
    expect([malformed.status, code(malformed.body)]).toEqual([400, "InvalidArgument"]);
    expect([out[2]![0], code(out[2]![1]), field(out[2]![1], "AWSAccessKeyId")]).toEqual([403, "InvalidAccessKeyId", "AKIAUNKNOWNKEY000000"]);
    expect([out[3]![0], code(out[3]![1])]).toEqual([403, "RequestTimeTooSkewed"]);
    expect([out[4]![0], code(out[4]![1]), field(out[4]![1], "Message")]).toEqual([403, "AccessDenied", "Request has expired"]);
    expect(field(out[4]![1], "ServerTime")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // the secret never appears in what is said back or logged
    expect(JSON.stringify(out)).not.toContain(ADMIN.secretAccessKey);
    expect(server.logs.join("\n")).not.toContain(ADMIN.secretAccessKey);
  });

  it("temporary credentials (x-amz-security-token) sign SigV2 too; a wrong token is refused", async () => {
    const out = JSON.parse(
      await boto(`
t = boto3.client("sts", endpoint_url=E, region_name="us-east-1").get_session_token()["Credentials"]
s = boto3.session.Session(aws_access_key_id=t["AccessKeyId"], aws_secret_access_key=t["SecretAccessKey"], aws_session_token=t["SessionToken"])
c = s.client("s3", endpoint_url=E, config=Config(signature_version="s3"))
got = c.get_object(Bucket="signing", Key="dir/a b+c.txt")["Body"].read().decode()
url = s.client("s3", endpoint_url=E).generate_presigned_url("get_object", Params={"Bucket": "signing", "Key": "dir/a b+c.txt"})
bad = boto3.session.Session(aws_access_key_id=t["AccessKeyId"], aws_secret_access_key=t["SecretAccessKey"], aws_session_token="wrong" + t["SessionToken"])
try:
    bad.client("s3", endpoint_url=E, config=Config(signature_version="s3")).head_object(Bucket="signing", Key="dir/a b+c.txt")
    refused = None
except Exception as e:
    refused = e.response["Error"]["Code"]
print(json.dumps([got, url, refused]))
`),
    ) as [string, string, string];
    expect(out[0]).toBe("hello presigned");
    expect(out[1]).toContain("x-amz-security-token=");
    expect(await curl([out[1]])).toEqual({ status: 200, body: "hello presigned" });
    expect(out[2]).toBe("400");
  });
});

describe("signed aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)", () => {
  const chunks = [crypto.randomBytes(65536), crypto.randomBytes(65536), crypto.randomBytes(1000)];
  const whole = Buffer.concat(chunks);

  it("stores the decoded bytes of a correctly signed body, with and without a signed CRC32 trailer", async () => {
    const r = await signedChunkedPut(server.url, "/signing/chunked.bin", chunks);
    expect([r.status, r.body]).toEqual([200, ""]);
    const got = await s3().send(new GetObjectCommand({ Bucket: "signing", Key: "chunked.bin" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(whole)).toBe(true);
    expect(got.ContentEncoding).toBeUndefined();
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(whole) >>> 0);
    const t = await signedChunkedPut(server.url, "/signing/trailer.bin", chunks, { trailer: { "x-amz-checksum-crc32": crc.toString("base64") } });
    expect([t.status, t.headers["x-amz-checksum-crc32"]]).toEqual([200, crc.toString("base64")]);
    const head = await s3().send(new HeadObjectCommand({ Bucket: "signing", Key: "trailer.bin", ChecksumMode: "ENABLED" }));
    expect([head.ContentLength, head.ChecksumCRC32]).toEqual([whole.length, crc.toString("base64")]);
  });

  it("a changed byte, a changed chunk signature, a changed trailer or a wrong decoded length is refused, and nothing is stored", async () => {
    const flip = (at: number) => (framed: Buffer) => {
      const copy = Buffer.from(framed);
      copy[at] = copy[at]! ^ 1;
      return copy;
    };
    const dataByte = await signedChunkedPut(server.url, "/signing/bad-1.bin", chunks, { tamper: flip(70_000) });
    expect([dataByte.status, code(dataByte.body)]).toEqual([403, "SignatureDoesNotMatch"]);
    // the first chunk's signature is the 64 hex digits after "10000;chunk-signature="
    const sigByte = await signedChunkedPut(server.url, "/signing/bad-2.bin", chunks, {
      tamper: (f) => Buffer.from(f.toString("latin1").replace(/^10000;chunk-signature=(.)/, (_m, c: string) => `10000;chunk-signature=${c === "0" ? "1" : "0"}`), "latin1"),
    });
    expect([sigByte.status, code(sigByte.body)]).toEqual([403, "SignatureDoesNotMatch"]);
    const trailer = await signedChunkedPut(server.url, "/signing/bad-3.bin", chunks, {
      trailer: { "x-amz-checksum-crc32": "AAAAAA==" },
      tamper: (f) => Buffer.from(f.toString("latin1").replace("x-amz-checksum-crc32:AAAAAA==", "x-amz-checksum-crc32:AAAAAB=="), "latin1"),
    });
    expect([trailer.status, code(trailer.body)]).toEqual([403, "SignatureDoesNotMatch"]);
    const length = await signedChunkedPut(server.url, "/signing/bad-4.bin", chunks, { decodedLength: whole.length + 1 });
    expect([length.status, code(length.body)]).toEqual([400, "IncompleteBody"]);
    const none = await signedChunkedPut(server.url, "/signing/bad-5.bin", chunks, { decodedLength: null });
    expect([none.status, code(none.body)]).toEqual([411, "MissingContentLength"]);
    for (const n of [1, 2, 3, 4, 5]) expect([n, await exists("signing", `bad-${n}.bin`)]).toEqual([n, false]);
  });

  it("a read-only user's signed chunked upload is AccessDenied", async () => {
    const r = await signedChunkedPut(server.url, "/signing/reader-chunked.bin", chunks, { creds: reader });
    expect([r.status, code(r.body)]).toEqual([403, "AccessDenied"]);
    expect(await exists("signing", "reader-chunked.bin")).toBe(false);
  });
});

describe("virtual-hosted addressing", () => {
  /** an agent whose lookups of `*.localhost` and `*.s3.test` go to the loopback address */
  const loopback = new http.Agent({
    lookup: ((host: string, opts: object, cb: (...args: unknown[]) => void) => {
      const all = (opts as { all?: boolean }).all;
      if (all) cb(null, [{ address: "127.0.0.1", family: 4 }]);
      else cb(null, "127.0.0.1", 4);
    }) as never,
  } as http.AgentOptions);
  const port = () => new URL(server.url).port;

  it("the JavaScript SDK with forcePathStyle false and a localhost endpoint sends BUCKET.localhost, and every operation finds the bucket", async () => {
    const seen: string[] = [];
    const c = s3Client(`http://localhost:${port()}`, ADMIN, { forcePathStyle: false, requestHandler: new NodeHttpHandler({ httpAgent: loopback }) });
    c.middlewareStack.add((next) => async (args) => {
      const r = args.request as { hostname?: string; path?: string };
      seen.push(`${r.hostname} ${r.path}`);
      return next(args);
    }, { step: "finalizeRequest", name: "recordHost" });
    await c.send(new CreateBucketCommand({ Bucket: "virtual" }));
    await c.send(new PutObjectCommand({ Bucket: "virtual", Key: "a/b c.txt", Body: "virtually" }));
    expect(await (await c.send(new GetObjectCommand({ Bucket: "virtual", Key: "a/b c.txt" }))).Body!.transformToString()).toBe("virtually");
    expect((await c.send(new ListObjectsV2Command({ Bucket: "virtual", Prefix: "a/" }))).Contents?.map((o) => o.Key)).toEqual(["a/b c.txt"]);
    const url = await getSignedUrl(c, new GetObjectCommand({ Bucket: "virtual", Key: "a/b c.txt" }));
    expect(url.startsWith(`http://virtual.localhost:${port()}/a/b%20c.txt?`)).toBe(true);
    expect(await curl(["--resolve", `virtual.localhost:${port()}:127.0.0.1`, url])).toEqual({ status: 200, body: "virtually" });
    await c.send(new DeleteObjectCommand({ Bucket: "virtual", Key: "a/b c.txt" }));
    expect(seen[1]).toBe("virtual.localhost /a/b%20c.txt");
    // and the same objects are there by path style
    expect((await s3().send(new ListObjectsV2Command({ Bucket: "virtual" }))).KeyCount).toBe(0);
  });

  it("boto3 with addressing_style virtual, SigV4 and SigV2 (whose resource is still /bucket/key)", async () => {
    const out = JSON.parse(
      await boto(`
res = []
for sv in ["s3v4", "s3"]:
    c = boto3.client("s3", endpoint_url="http://localhost:${port()}", config=Config(signature_version=sv, s3={"addressing_style": "virtual"}))
    c.put_object(Bucket="signing", Key="virt/" + sv, Body=sv.encode())
    url = c.generate_presigned_url("get_object", Params={"Bucket": "signing", "Key": "virt/" + sv})
    res.append([c.get_object(Bucket="signing", Key="virt/" + sv)["Body"].read().decode(), [o["Key"] for o in c.list_objects(Bucket="signing", Prefix="virt/")["Contents"]], url])
print(json.dumps(res))
`),
    ) as Array<[string, string[], string]>;
    expect(out.map((r) => r[0])).toEqual(["s3v4", "s3"]);
    expect(out[1]![1]).toEqual(["virt/s3", "virt/s3v4"]);
    for (const [, , url] of out) {
      expect(url.startsWith(`http://signing.localhost:${port()}/virt/`)).toBe(true);
      expect((await curl(["--resolve", `signing.localhost:${port()}:127.0.0.1`, url])).status).toBe(200);
    }
  });

  it("a subdomain of --public-url's host is a bucket; the host itself and an IP are path style", async () => {
    const endpoint = `http://s3.test:${port()}`;
    const c = s3Client(endpoint, ADMIN, { forcePathStyle: false, requestHandler: new NodeHttpHandler({ httpAgent: loopback }) });
    await c.send(new PutObjectCommand({ Bucket: "signing", Key: "public-host.txt", Body: "by the public host" }));
    expect(await bodyOf("signing", "public-host.txt")).toBe("by the public host");
    const url = await getSignedUrl(c, new GetObjectCommand({ Bucket: "signing", Key: "public-host.txt" }));
    expect(url.startsWith(`http://signing.s3.test:${port()}/public-host.txt?`)).toBe(true);
    expect((await curl(["--resolve", `signing.s3.test:${port()}:127.0.0.1`, url])).body).toBe("by the public host");
    const pathStyle = s3Client(endpoint, ADMIN, { forcePathStyle: true, requestHandler: new NodeHttpHandler({ httpAgent: loopback }) });
    expect(await (await pathStyle.send(new GetObjectCommand({ Bucket: "signing", Key: "public-host.txt" }))).Body!.transformToString()).toBe("by the public host");
  });
});

describe("CRC64NVME checksums", () => {
  const crc64 = async (data: Buffer) => {
    const h = new Crc64NvmeJs();
    h.update(data);
    return Buffer.from(await h.digest()).toString("base64");
  };

  it("the JavaScript SDK's CRC64NVME (header for a Buffer, aws-chunked trailer for a stream) is verified, stored and returned", async () => {
    const data = crypto.randomBytes(200_000);
    const expected = await crc64(data);
    const put = await s3().send(new PutObjectCommand({ Bucket: "signing", Key: "crc64.bin", Body: data, ChecksumAlgorithm: "CRC64NVME" }));
    expect(put.ChecksumCRC64NVME).toBe(expected);
    const file = path.join(tmpDir("crc64"), "s.bin");
    fs.writeFileSync(file, data);
    const streamed = await s3().send(new PutObjectCommand({ Bucket: "signing", Key: "crc64-stream.bin", Body: fs.createReadStream(file), ContentLength: data.length, ChecksumAlgorithm: "CRC64NVME" }));
    expect(streamed.ChecksumCRC64NVME).toBe(expected);
    for (const key of ["crc64.bin", "crc64-stream.bin"]) {
      const got = await s3().send(new GetObjectCommand({ Bucket: "signing", Key: key, ChecksumMode: "ENABLED" }));
      expect([key, got.ChecksumCRC64NVME, got.ChecksumType]).toEqual([key, expected, "FULL_OBJECT"]);
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
    }
  });

  it("a multipart upload with CRC64NVME gets a full-object checksum (its only form: COMPOSITE is refused), and a copy can ask for one", async () => {
    const part1 = crypto.randomBytes(5 * 1024 * 1024);
    const part2 = crypto.randomBytes(1000);
    const composite = await sdkFailure(s3().send(new CreateMultipartUploadCommand({ Bucket: "signing", Key: "crc64-mp.bin", ChecksumAlgorithm: "CRC64NVME", ChecksumType: "COMPOSITE" })));
    expect([composite.name, composite.status]).toEqual(["InvalidRequest", 400]);
    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: "signing", Key: "crc64-mp.bin", ChecksumAlgorithm: "CRC64NVME" }));
    const parts = [];
    for (const [i, body] of [part1, part2].entries()) {
      const r = await s3().send(new UploadPartCommand({ Bucket: "signing", Key: "crc64-mp.bin", UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: "CRC64NVME" }));
      expect(r.ChecksumCRC64NVME).toBe(await crc64(body));
      parts.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC64NVME: r.ChecksumCRC64NVME });
    }
    const whole = await crc64(Buffer.concat([part1, part2]));
    const done = await s3().send(new CompleteMultipartUploadCommand({ Bucket: "signing", Key: "crc64-mp.bin", UploadId, MultipartUpload: { Parts: parts } }));
    expect([done.ChecksumCRC64NVME, done.ChecksumType]).toEqual([whole, "FULL_OBJECT"]);
    const copied = await s3().send(new CopyObjectCommand({ Bucket: "signing", Key: "crc64-copy.bin", CopySource: "signing/crc64.bin", ChecksumAlgorithm: "CRC64NVME" }));
    const head = await s3().send(new HeadObjectCommand({ Bucket: "signing", Key: "crc64.bin", ChecksumMode: "ENABLED" }));
    expect(copied.CopyObjectResult?.ChecksumCRC64NVME).toBe(head.ChecksumCRC64NVME);
  });

  it("a wrong CRC64NVME is BadDigest and a malformed one InvalidRequest; nothing is stored", async () => {
    const wrong = await sdkFailure(s3().send(new PutObjectCommand({ Bucket: "signing", Key: "crc64-bad.bin", Body: "abc", ChecksumCRC64NVME: await crc64(Buffer.from("abd")) })));
    expect([wrong.name, wrong.status, wrong.message]).toEqual(["BadDigest", 400, "The CRC64NVME you specified did not match the calculated checksum."]);
    const malformed = await sdkFailure(s3().send(new PutObjectCommand({ Bucket: "signing", Key: "crc64-bad.bin", Body: "abc", ChecksumCRC64NVME: "AAAAAA==" })));
    expect([malformed.name, malformed.status]).toEqual(["InvalidRequest", 400]);
    expect(await exists("signing", "crc64-bad.bin")).toBe(false);
  });
});
