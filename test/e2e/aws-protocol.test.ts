import { GetRepositoryCommand, ListRepositoriesCommand } from "@aws-sdk/client-codecommit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aws, awsEnv, cliErrorCode, codecommit, python } from "../helpers/clients.js";
import { rawRequest, signedJson } from "../helpers/signed.js";
import { ADMIN, startServer, type ServerHandle } from "../helpers/server.js";

let server: ServerHandle;
beforeAll(async () => {
  server = await startServer();
  await codecommit(server.url).send(new ListRepositoriesCommand({}));
  const r = await aws(server.url, ["codecommit", "create-repository", "--repository-name", "proto"]);
  expect(r.code).toBe(0);
});
afterAll(async () => {
  await server?.stop();
});

const T = "CodeCommit_20150413";

describe("responses", () => {
  it("carry Date and x-amzn-RequestId, JSON 1.1, and timestamps as epoch seconds", async () => {
    const r = await signedJson(server.url, `${T}.GetRepository`, JSON.stringify({ repositoryName: "proto" }));
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/x-amz-json-1.1");
    expect(r.headers["x-amzn-requestid"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(r.headers.date!)).toBeGreaterThan(0);
    const body = JSON.parse(r.body);
    expect(typeof body.repositoryMetadata.creationDate).toBe("number");
    expect(typeof body.repositoryMetadata.lastModifiedDate).toBe("number");
  });

  it("errors carry __type, a message, the same X-Amzn-ErrorType, no code member, and the same headers", async () => {
    const r = await signedJson(server.url, `${T}.GetRepository`, JSON.stringify({ repositoryName: "ghost" }));
    expect(r.status).toBe(400);
    const body = JSON.parse(r.body);
    expect(body).toEqual({ __type: "RepositoryDoesNotExistException", message: "ghost does not exist" });
    expect(r.headers["x-amzn-errortype"]).toBe("RepositoryDoesNotExistException");
    expect(r.headers["x-amzn-requestid"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers.date).toBeTruthy();
  });

  it("answers an unknown operation with UnknownOperationException", async () => {
    const r = await signedJson(server.url, `${T}.MakeCoffee`, "{}");
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).__type).toBe("UnknownOperationException");
    const other = await signedJson(server.url, "SomethingElse_20200101.Op", "{}");
    expect(JSON.parse(other.body).__type).toBe("UnknownOperationException");
  });

  it("answers malformed JSON with SerializationException", async () => {
    for (const body of ["{not json", "[1,2]", '"text"']) {
      const r = await signedJson(server.url, `${T}.GetRepository`, body);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body).__type).toBe("SerializationException");
    }
  });

  it("refuses a body over the size limit with 413", async () => {
    const big = JSON.stringify({ repositoryName: "proto", pad: "x".repeat(13 * 1024 * 1024) });
    const r = await signedJson(server.url, `${T}.GetRepository`, big);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).__type).toBe("RequestEntityTooLargeException");
  });
});

describe("SigV4", () => {
  it("accepts whatever headers the client signs (extra ones, odd spacing)", async () => {
    const r = await signedJson(server.url, `${T}.GetRepository`, JSON.stringify({ repositoryName: "proto" }), {
      headers: { "x-custom-thing": "  spaced   out  value ", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
    });
    expect(r.status).toBe(200);
  });

  it("refuses an unknown access key with UnrecognizedClientException (SDK and CLI)", async () => {
    const creds = { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "x".repeat(40) };
    await expect(codecommit(server.url, creds).send(new ListRepositoriesCommand({}))).rejects.toMatchObject({
      name: "UnrecognizedClientException",
    });
    const cli = await aws(server.url, ["codecommit", "list-repositories"], { creds });
    expect(cliErrorCode(cli)).toBe("UnrecognizedClientException");
  });

  it("refuses a wrong secret with InvalidSignatureException (SDK and CLI)", async () => {
    const creds = { accessKeyId: ADMIN.accessKeyId, secretAccessKey: "y".repeat(40) };
    await expect(codecommit(server.url, creds).send(new ListRepositoriesCommand({}))).rejects.toMatchObject({
      name: "InvalidSignatureException",
    });
    const cli = await aws(server.url, ["codecommit", "list-repositories"], { creds });
    expect(cliErrorCode(cli)).toBe("InvalidSignatureException");
  });

  it("refuses a body changed after signing", async () => {
    const r = await signedJson(server.url, `${T}.GetRepository`, JSON.stringify({ repositoryName: "proto" }), {
      tamper: (headers) => ({ headers, body: JSON.stringify({ repositoryName: "prot0" }) }),
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).__type).toBe("InvalidSignatureException");
  });

  it("refuses a signature 15 minutes stale or early, with the skew error the SDK recovers from", async () => {
    const old = await signedJson(server.url, `${T}.ListRepositories`, "{}", { date: new Date(Date.now() - 20 * 60_000) });
    expect(old.status).toBe(400);
    expect(JSON.parse(old.body)).toMatchObject({ __type: "InvalidSignatureException" });
    expect(JSON.parse(old.body).message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    const early = await signedJson(server.url, `${T}.ListRepositories`, "{}", { date: new Date(Date.now() + 20 * 60_000) });
    expect(JSON.parse(early.body).message).toMatch(/^Signature not yet current/);
    // a client whose clock is 20 minutes off: the first attempt fails, the SDK reads Date and retries
    const skewed = codecommit(server.url, ADMIN, "us-east-1", { systemClockOffset: -20 * 60_000, maxAttempts: 3 });
    const out = await skewed.send(new GetRepositoryCommand({ repositoryName: "proto" }));
    expect(out.repositoryMetadata?.repositoryName).toBe("proto");
    const noRetry = codecommit(server.url, ADMIN, "us-east-1", { systemClockOffset: -20 * 60_000 });
    await expect(noRetry.send(new GetRepositoryCommand({ repositoryName: "proto" }))).rejects.toMatchObject({
      name: "InvalidSignatureException",
    });
  });

  it("refuses a credential scoped to another region or service", async () => {
    await expect(codecommit(server.url, ADMIN, "eu-west-1").send(new ListRepositoriesCommand({}))).rejects.toMatchObject({
      name: "InvalidSignatureException",
      message: expect.stringContaining("Credential should be scoped to a valid region"),
    });
    const cli = await aws(server.url, ["codecommit", "list-repositories"], { region: "eu-west-1" });
    expect(cliErrorCode(cli)).toBe("InvalidSignatureException");
    const svc = await signedJson(server.url, `${T}.ListRepositories`, "{}", { service: "iam" });
    expect(JSON.parse(svc.body)).toMatchObject({ __type: "InvalidSignatureException" });
    expect(JSON.parse(svc.body).message).toContain("Credential should be scoped to correct service");
  });

  it("refuses an unsigned request with MissingAuthenticationTokenException", async () => {
    const r = await rawRequest(server.url, {
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `${T}.ListRepositories` },
      body: "{}",
    });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).__type).toBe("MissingAuthenticationTokenException");
    expect(r.headers["x-amzn-requestid"]).toBeTruthy();
  });

  it("refuses a session token the key does not have", async () => {
    const r = await signedJson(server.url, `${T}.ListRepositories`, "{}", { creds: { ...ADMIN, sessionToken: "made-up" } });
    expect(JSON.parse(r.body).__type).toBe("UnrecognizedClientException");
  });
});

describe("other clients", () => {
  it("the AWS CLI v1 (botocore) works unchanged", async () => {
    const created = await aws(server.url, ["codecommit", "create-repository", "--repository-name", "from-v1", "--tags", "k=v"], { version: 1 });
    expect(created.code).toBe(0);
    expect(created.json.repositoryMetadata.repositoryName).toBe("from-v1");
    const got = await aws(server.url, ["codecommit", "batch-get-repositories", "--repository-names", "from-v1", "nope"], { version: 1 });
    expect(got.json.repositoriesNotFound).toEqual(["nope"]);
    expect(got.json.errors[0].errorCode).toBe("RepositoryDoesNotExistException");
    const missing = await aws(server.url, ["codecommit", "get-repository", "--repository-name", "nope"], { version: 1 });
    expect(cliErrorCode(missing)).toBe("RepositoryDoesNotExistException");
  });

  it("boto3 works unchanged, timestamps and errors included", async () => {
    const r = await python(
      `
import boto3, json, datetime
c = boto3.client("codecommit", endpoint_url="${server.url}")
m = c.create_repository(repositoryName="from-boto3", repositoryDescription="py")["repositoryMetadata"]
assert isinstance(m["creationDate"], datetime.datetime), m
names = [r["repositoryName"] for r in c.get_paginator("list_repositories").paginate().build_full_result()["repositories"]]
try:
    c.get_repository(repositoryName="nope")
    code = None
except c.exceptions.RepositoryDoesNotExistException as e:
    code = e.response["Error"]["Code"]
print(json.dumps({"names": names, "code": code, "requestId": m and c.get_repository(repositoryName="from-boto3")["ResponseMetadata"]["RequestId"]}))
`,
      awsEnv(),
    );
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.names).toContain("from-boto3");
    expect(out.code).toBe("RepositoryDoesNotExistException");
    expect(out.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
