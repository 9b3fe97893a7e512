import fs from "node:fs";
import path from "node:path";
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, cliErrorCode, type Creds } from "../helpers/clients.js";
import { managed, userWith } from "../helpers/iam.js";
import { s3Client, sdkFailure, signedS3 } from "../helpers/s3.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";
import { rawRequest } from "../helpers/signed.js";

let server: ServerHandle;
const s3 = () => s3Client(server.url);

const failure = sdkFailure;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

describe("buckets with the AWS CLI", () => {
  for (const version of [2, 1] as const) {
    it(`v${version}: mb, ls, versioning on and off, location, rb`, async () => {
      const b = `cli-v${version}-bucket`;
      const cli = (args: string[]) => aws(server.url, args, { version });
      expect((await cli(["s3", "mb", `s3://${b}`])).stdout).toContain(`make_bucket: ${b}`);
      // us-east-1 answers a repeated CreateBucket by its owner with 200, as S3 does
      expect((await cli(["s3api", "create-bucket", "--bucket", b])).code).toBe(0);
      expect((await cli(["s3", "ls"])).stdout).toContain(b);
      expect((await cli(["s3api", "head-bucket", "--bucket", b])).code).toBe(0);
      expect((await cli(["s3api", "get-bucket-location", "--bucket", b])).json).toEqual({ LocationConstraint: null });
      // never versioned: an empty configuration
      expect((await cli(["s3api", "get-bucket-versioning", "--bucket", b])).stdout.trim()).toBe("");
      expect((await cli(["s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Enabled"])).code).toBe(0);
      expect((await cli(["s3api", "get-bucket-versioning", "--bucket", b])).json).toEqual({ Status: "Enabled" });
      expect((await cli(["s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Suspended"])).code).toBe(0);
      expect((await cli(["s3api", "get-bucket-versioning", "--bucket", b])).json).toEqual({ Status: "Suspended" });
      const bad = await cli(["s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "MFADelete=Disabled"]);
      expect(cliErrorCode(bad)).toBe("IllegalVersioningConfigurationException");
      expect((await cli(["s3", "rb", `s3://${b}`])).stdout).toContain(`remove_bucket: ${b}`);
      const gone = await cli(["s3api", "head-bucket", "--bucket", b]);
      expect(gone.code).not.toBe(0);
      expect(gone.stderr).toContain("404");
      expect(cliErrorCode(await cli(["s3api", "delete-bucket", "--bucket", b]))).toBe("NoSuchBucket");
    });
  }

  it("refuses to delete a bucket while a version or a delete marker remains", async () => {
    const b = "not-empty-bucket";
    const cli = (args: string[]) => aws(server.url, args);
    await cli(["s3", "mb", `s3://${b}`]);
    await cli(["s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Enabled"]);
    const file = path.join(tmpDir("s3b"), "f.txt");
    fs.writeFileSync(file, "x");
    const put = await cli(["s3api", "put-object", "--bucket", b, "--key", "f.txt", "--body", file]);
    await cli(["s3", "rm", `s3://${b}/f.txt`]);
    expect(cliErrorCode(await cli(["s3", "rb", `s3://${b}`]))).toBe("BucketNotEmpty");
    // the version goes; the delete marker still holds the bucket
    await cli(["s3api", "delete-object", "--bucket", b, "--key", "f.txt", "--version-id", put.json.VersionId]);
    expect(cliErrorCode(await cli(["s3", "rb", `s3://${b}`]))).toBe("BucketNotEmpty");
    const versions = await cli(["s3api", "list-object-versions", "--bucket", b]);
    expect(versions.json.Versions).toBeUndefined();
    await cli(["s3api", "delete-object", "--bucket", b, "--key", "f.txt", "--version-id", versions.json.DeleteMarkers[0].VersionId]);
    expect((await cli(["s3", "rb", `s3://${b}`])).code).toBe(0);
  });
});

describe("bucket names and errors", () => {
  it("refuses names S3 refuses, with InvalidBucketName, and creates nothing", async () => {
    const before = (await s3().send(new ListBucketsCommand({}))).Buckets?.length ?? 0;
    for (const name of ["ab", "a".repeat(64), "Upper-case", "under_score", "-leading", "trailing-", "two..dots", "dot.-hyphen", "192.168.10.1", "xn--punycode", "name-s3alias", "name--ol-s3", "sthree-x", "amzn-s3-demo-x", "x.mrap"]) {
      const f = await failure(s3().send(new CreateBucketCommand({ Bucket: name })));
      expect([name, f.name, f.status]).toEqual([name, "InvalidBucketName", 400]);
    }
    expect((await s3().send(new ListBucketsCommand({}))).Buckets?.length ?? 0).toBe(before);
    await s3().send(new CreateBucketCommand({ Bucket: "a.valid-name.3" }));
    await s3().send(new DeleteBucketCommand({ Bucket: "a.valid-name.3" }));
  });

  it("checks the LocationConstraint against the server's region (us-east-1)", async () => {
    const other = await failure(s3().send(new CreateBucketCommand({ Bucket: "elsewhere", CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } })));
    expect([other.name, other.status]).toEqual(["IllegalLocationConstraintException", 400]);
    const explicit = await failure(s3().send(new CreateBucketCommand({ Bucket: "elsewhere", CreateBucketConfiguration: { LocationConstraint: "us-east-1" as never } })));
    expect([explicit.name, explicit.status]).toEqual(["InvalidLocationConstraint", 400]);
    expect((await s3().send(new ListBucketsCommand({}))).Buckets?.some((b) => b.Name === "elsewhere")).toBe(false);
  });

  it("answers missing buckets with 404s, HEAD without a body", async () => {
    const head = await failure(s3().send(new HeadBucketCommand({ Bucket: "no-such-bucket" })));
    expect([head.name, head.status]).toEqual(["NotFound", 404]);
    const list = await failure(s3().send(new ListObjectsV2Command({ Bucket: "no-such-bucket" })));
    expect([list.name, list.status]).toEqual(["NoSuchBucket", 404]);
    const raw = await signedS3(server.url, "GET", "/no-such-bucket/key");
    expect(raw.status).toBe(404);
    expect(raw.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchBucket<\/Code><Message>The specified bucket does not exist<\/Message><BucketName>no-such-bucket<\/BucketName><RequestId>[^<]+<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/);
    expect(raw.headers["content-type"]).toBe("application/xml");
  });

  it("answers what is not built yet with 501 NotImplemented", async () => {
    await s3().send(new CreateBucketCommand({ Bucket: "unbuilt" }));
    const mpu = await failure(s3().send(new CreateMultipartUploadCommand({ Bucket: "unbuilt", Key: "big" })));
    expect([mpu.name, mpu.status]).toEqual(["NotImplemented", 501]);
    expect(mpu.message).toContain("multipart upload");
    const cors = await aws(server.url, ["s3api", "get-bucket-cors", "--bucket", "unbuilt"]);
    expect(cliErrorCode(cors)).toBe("NotImplemented");
  });
});

describe("signatures", () => {
  it("verifies SigV4 over the raw path; a tampered signature, an unknown key or a wrong body hash change nothing", async () => {
    await s3().send(new CreateBucketCommand({ Bucket: "signed" }));
    const good = await signedS3(server.url, "PUT", "/signed/a%20b%2Bc~d%21.txt", { body: "data" });
    expect(good.status).toBe(200);
    expect(good.headers.etag).toBe('"8d777f385d3dfec8815d20f7496026dc"');
    const tampered = await signedS3(server.url, "PUT", "/signed/tampered.txt", {
      body: "data",
      tamper: (h) => {
        h.authorization = h.authorization!.replace(/Signature=([0-9a-f])/, (_m, c: string) => `Signature=${c === "0" ? "1" : "0"}`);
      },
    });
    expect(tampered.status).toBe(403);
    expect(tampered.body).toContain("<Code>SignatureDoesNotMatch</Code>");
    const unknown = await signedS3(server.url, "PUT", "/signed/unknown.txt", { body: "data", creds: { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "x" } });
    expect(unknown.status).toBe(403);
    expect(unknown.body).toContain("<Code>InvalidAccessKeyId</Code>");
    const wrongHash = await signedS3(server.url, "PUT", "/signed/hash.txt", { body: "data", payloadHash: "0".repeat(64) });
    expect(wrongHash.status).toBe(400);
    expect(wrongHash.body).toContain("<Code>XAmzContentSHA256Mismatch</Code>");
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: "signed" }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(["a b+c~d!.txt"]);
  });

  it("routes by the signature's service: buckets named like Git or console paths still work, and so do Git and /health", async () => {
    // (a bucket cannot be named "v1": the Git paths are /v1/repos/…, and "health" is the console's /health)
    await s3().send(new CreateBucketCommand({ Bucket: "health" }));
    await s3().send(new PutObjectCommand({ Bucket: "health", Key: "v1/repos/x/info/refs", Body: "not git" }));
    expect((await s3().send(new ListObjectsV2Command({ Bucket: "health" }))).Contents?.map((c) => c.Key)).toEqual(["v1/repos/x/info/refs"]);
    expect((await signedS3(server.url, "GET", "/health")).body).toContain("<Name>health</Name>");
    expect((await rawRequest(server.url, { method: "GET", path: "/health" })).status).toBe(200);
    const git = await rawRequest(server.url, { method: "GET", path: "/v1/repos/none/info/refs?service=git-upload-pack" });
    expect(git.status).toBe(401);
  });
});

describe("IAM", () => {
  let reader: Creds;
  let team: Creds;
  beforeAll(async () => {
    await s3().send(new CreateBucketCommand({ Bucket: "shared" }));
    for (const key of ["team/a.txt", "team/sub/b.txt", "other/c.txt"]) await s3().send(new PutObjectCommand({ Bucket: "shared", Key: key, Body: key }));
    reader = await userWith(server.url, "s3-reader", { managed: [managed("AmazonS3ReadOnlyAccess")] });
    team = await userWith(server.url, "s3-team", {
      inline: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::shared", Condition: { StringLike: { "s3:prefix": "team/*" } } },
          { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/team/*" },
        ],
      },
    });
  });

  it("AmazonS3ReadOnlyAccess reads and cannot write (AccessDenied, nothing changed)", async () => {
    const file = path.join(tmpDir("s3iam"), "f.txt");
    fs.writeFileSync(file, "x");
    const cli = (args: string[]) => aws(server.url, args, { creds: reader });
    expect((await cli(["s3", "ls", "s3://shared/team/"])).stdout).toContain("a.txt");
    expect((await cli(["s3", "ls"])).stdout).toContain("shared");
    expect((await cli(["s3api", "head-object", "--bucket", "shared", "--key", "team/a.txt"])).json.ContentLength).toBe(10);
    expect(cliErrorCode(await cli(["s3api", "put-object", "--bucket", "shared", "--key", "new.txt", "--body", file]))).toBe("AccessDenied");
    expect(cliErrorCode(await cli(["s3api", "delete-object", "--bucket", "shared", "--key", "team/a.txt"]))).toBe("AccessDenied");
    expect(cliErrorCode(await cli(["s3api", "create-bucket", "--bucket", "readers-bucket"]))).toBe("AccessDenied");
    expect(cliErrorCode(await cli(["s3api", "put-bucket-versioning", "--bucket", "shared", "--versioning-configuration", "Status=Enabled"]))).toBe("AccessDenied");
    const del = await aws(server.url, ["s3api", "delete-objects", "--bucket", "shared", "--delete", "Objects=[{Key=team/a.txt}]"], { creds: reader });
    expect(del.json.Errors).toEqual([expect.objectContaining({ Key: "team/a.txt", Code: "AccessDenied" })]);
    const keys = (await s3().send(new ListObjectsV2Command({ Bucket: "shared" }))).Contents?.map((c) => c.Key);
    expect(keys).toEqual(["other/c.txt", "team/a.txt", "team/sub/b.txt"]);
    expect((await s3().send(new GetBucketVersioningCommand({ Bucket: "shared" }))).Status).toBeUndefined();
  });

  it("a policy limited to one prefix holds for ListObjectsV2 (s3:prefix) and GetObject", async () => {
    const c = s3Client(server.url, team);
    const listed = await c.send(new ListObjectsV2Command({ Bucket: "shared", Prefix: "team/", Delimiter: "/" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["team/a.txt"]);
    expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["team/sub/"]);
    expect((await failure(c.send(new ListObjectsV2Command({ Bucket: "shared" })))).name).toBe("AccessDenied");
    expect((await failure(c.send(new ListObjectsV2Command({ Bucket: "shared", Prefix: "other/" })))).name).toBe("AccessDenied");
    const cli = (args: string[]) => aws(server.url, args, { creds: team });
    const out = path.join(tmpDir("s3team"), "a.txt");
    expect((await cli(["s3", "cp", "s3://shared/team/a.txt", out])).code).toBe(0);
    expect(fs.readFileSync(out, "utf8")).toBe("team/a.txt");
    expect(cliErrorCode(await cli(["s3api", "get-object", "--bucket", "shared", "--key", "other/c.txt", out]))).toBe("AccessDenied");
    expect(cliErrorCode(await cli(["s3api", "list-buckets"]))).toBe("AccessDenied");
  });
});
