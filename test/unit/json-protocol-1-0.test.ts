import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsApiPlugin } from "../../src/aws/router.js";
import type { AwsService } from "../../src/aws/service.js";
import { ServiceError } from "../../src/errors.js";
import { createLogger } from "../../src/log.js";
import { signedJson } from "../helpers/signed.js";

/**
 * The request layer's awsJson 1.0 path (CodeStar Connections, among the services to come,
 * speaks it): a small service of this test's own on the real router, called with requests
 * signed by the SDK's signer.
 */
const creds = { accessKeyId: "AKIAJSON10EXAMPLE000", secretAccessKey: "json10secretjson10secretjson10secret0000" };
const principal = { kind: "user" as const, arn: "arn:aws:iam::000000000000:user/t", userId: "AIDAT", userName: "t", accountId: "000000000000" };

const service: AwsService = {
  signingName: "codestar-connections",
  protocol: { kind: "json", version: "1.0", targetPrefixes: ["CodeStar_connections_20191201"] },
  operations: {
    GetConnection: async (_caller, input: { ConnectionArn?: string }) => {
      if (input.ConnectionArn === "missing") throw new ServiceError("ResourceNotFoundException", "Connection missing does not exist.");
      return { Connection: { ConnectionArn: input.ConnectionArn, CreatedAt: new Date(1_700_000_000_500) } };
    },
  },
  authz: {},
  accessDenied: (message) => new ServiceError("AccessDeniedException", message),
};

let app: FastifyInstance;
let url: string;
beforeAll(async () => {
  app = Fastify();
  await app.register(awsApiPlugin, {
    services: [service],
    lookup: async (id) => (id === creds.accessKeyId ? { accessKeyId: id, secretAccessKey: creds.secretAccessKey, active: true, principal } : null),
    authorize: async () => {},
    region: "us-east-1",
    log: createLogger("silent"),
    bodyLimit: 1024 * 1024,
  });
  url = await app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await app?.close();
});

const call = (target: string, body: string) =>
  signedJson(url, target, body, { creds, service: "codestar-connections", jsonVersion: "1.0" });

describe("awsJson 1.0", () => {
  it("answers with the 1.0 content type and epoch-second timestamps", async () => {
    const r = await call("CodeStar_connections_20191201.GetConnection", JSON.stringify({ ConnectionArn: "arn:x" }));
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/x-amz-json-1.0");
    expect(JSON.parse(r.body)).toEqual({ Connection: { ConnectionArn: "arn:x", CreatedAt: 1_700_000_000.5 } });
  });

  it("answers errors with __type, message and X-Amzn-ErrorType in 1.0, never a code member", async () => {
    const r = await call("CodeStar_connections_20191201.GetConnection", JSON.stringify({ ConnectionArn: "missing" }));
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toBe("application/x-amz-json-1.0");
    expect(r.headers["x-amzn-errortype"]).toBe("ResourceNotFoundException");
    const body = JSON.parse(r.body);
    expect(body.__type).toBe("ResourceNotFoundException");
    expect(body.message).toBe("Connection missing does not exist.");
    expect(Object.keys(body).map((k) => k.toLowerCase())).not.toContain("code");
  });

  it("names unknown operations and unreadable JSON as awsJson does", async () => {
    const unknown = await call("CodeStar_connections_20191201.NoSuchThing", "{}");
    expect(unknown.headers["x-amzn-errortype"]).toBe("UnknownOperationException");
    expect(unknown.headers["content-type"]).toBe("application/x-amz-json-1.0");
    const broken = await call("CodeStar_connections_20191201.GetConnection", "{not json");
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body).__type).toBe("SerializationException");
  });

  it("refuses a signature made with another secret", async () => {
    const r = await signedJson(url, "CodeStar_connections_20191201.GetConnection", "{}", {
      creds: { ...creds, secretAccessKey: "x".repeat(40) },
      service: "codestar-connections",
      jsonVersion: "1.0",
    });
    expect(r.headers["x-amzn-errortype"]).toBe("InvalidSignatureException");
  });
});
