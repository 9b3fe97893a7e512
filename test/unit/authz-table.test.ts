import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { codecommitAuthz } from "../../src/aws/services/codecommit/authz.js";
import { iamService } from "../../src/aws/services/iam/index.js";
import { snsService } from "../../src/aws/services/sns/index.js";
import { SnsDeps } from "../../src/domain/sns/common.js";
import { stsService } from "../../src/aws/services/sts/index.js";
import type { AccessControl } from "../../src/domain/iam/access.js";
import type { IamDeps } from "../../src/domain/iam/deps.js";

/** The operations of a botocore service model (the newest, in the machine's python3). */
function modelOperations(service: string, version: string): string[] {
  const py = `import botocore.loaders as l, json; print(json.dumps(list(l.Loader().load_service_model("${service}", "service-2", "${version}")["operations"])))`;
  return JSON.parse(execFileSync("python3", ["-c", py], { encoding: "utf8" }));
}

const lookups = {
  repositoryArn: (n: string) => `arn:aws:codecommit:us-east-1:000000000000:${n}`,
  region: "us-east-1",
  accountId: "000000000000",
  partition: "aws",
  repositoryTags: async () => ({}),
  pullRequest: async () => undefined,
  commentRepository: async () => undefined,
};

describe("the authorization table", () => {
  it("has a row for every CodeCommit operation of the service model, and GetBlobDifferences", () => {
    const table = codecommitAuthz(lookups);
    const ops = [...modelOperations("codecommit", "2015-04-13"), "GetBlobDifferences"];
    expect(ops.length).toBeGreaterThanOrEqual(80);
    expect(ops.filter((op) => !table[op])).toEqual([]);
    for (const op of ops) expect(table[op]!.action).toBe(`codecommit:${op}`);
  });

  it("has a row for every IAM and STS operation served, and no row for anything not served", () => {
    const deps = {} as IamDeps;
    for (const service of [iamService(deps, {} as AccessControl), stsService(deps, {} as AccessControl)]) {
      const served = Object.keys(service.operations).sort();
      expect(Object.keys(service.authz).sort()).toEqual(served);
    }
  });

  it("names operations that are in the IAM and STS models", () => {
    const iamOps = new Set(modelOperations("iam", "2010-05-08"));
    const stsOps = new Set(modelOperations("sts", "2011-06-15"));
    expect(Object.keys(iamService({} as IamDeps, {} as AccessControl).operations).filter((op) => !iamOps.has(op))).toEqual([]);
    expect(Object.keys(stsService({} as IamDeps, {} as AccessControl).operations).filter((op) => !stsOps.has(op))).toEqual([]);
  });

  it("gives branch-changing operations codecommit:References", async () => {
    const table = codecommitAuthz(lookups);
    for (const op of ["CreateBranch", "DeleteBranch", "PutFile", "DeleteFile", "CreateCommit"]) {
      expect(await table[op]!.keys!({ repositoryName: "r", branchName: "main" }, {} as never)).toEqual({ "codecommit:References": "refs/heads/main" });
    }
    expect(await table.MergeBranchesBySquash!.keys!({ repositoryName: "r", targetBranch: "prod" }, {} as never)).toEqual({
      "codecommit:References": "refs/heads/prod",
    });
  });

  it("has a row for every SNS operation served, named after it (PublishBatch is sns:Publish, as in AWS), on the topic", async () => {
    const deps = new SnsDeps({} as never, "us-east-1", "000000000000", { base: () => "" }, {} as never, () => {});
    const service = snsService(deps);
    const served = Object.keys(service.operations).sort();
    expect(Object.keys(service.authz).sort()).toEqual(served);
    const snsOps = new Set(modelOperations("sns", "2010-03-31"));
    expect(served.filter((op) => !snsOps.has(op))).toEqual([]);
    for (const op of served) expect(service.authz[op]!.action).toBe(op === "PublishBatch" ? "sns:Publish" : `sns:${op}`);
    const topic = "arn:aws:sns:us-east-1:000000000000:codecommit-t";
    const sub = `${topic}:0a7e3c1e-5f1e-4b5e-9c1a-3d2f1e0b9a88`;
    const caller = {} as never;
    expect(await service.authz.CreateTopic!.resources({ Name: "codecommit-t" }, caller)).toEqual([topic]);
    expect(await service.authz.Publish!.resources({ TopicArn: topic }, caller)).toEqual([topic]);
    expect(await service.authz.Unsubscribe!.resources({ SubscriptionArn: sub }, caller)).toEqual([topic]);
    expect(await service.authz.SetSubscriptionAttributes!.resources({ SubscriptionArn: sub }, caller)).toEqual([topic]);
    expect(await service.authz.ListTopics!.resources({}, caller)).toEqual(["*"]);
    expect(await service.authz.TagResource!.resources({ ResourceArn: topic }, caller)).toEqual([topic]);
    expect(await service.authz.Subscribe!.keys!({ TopicArn: topic, Protocol: "https", Endpoint: "https://x" }, caller)).toEqual({
      "sns:Protocol": "https",
      "sns:Endpoint": "https://x",
    });
  });

  it("authorizes the trigger operations on the repository", async () => {
    const table = codecommitAuthz(lookups);
    for (const op of ["GetRepositoryTriggers", "PutRepositoryTriggers", "TestRepositoryTriggers"]) {
      expect(table[op]!.action).toBe(`codecommit:${op}`);
      expect(await table[op]!.resources({ repositoryName: "r" }, {} as never)).toEqual(["arn:aws:codecommit:us-east-1:000000000000:r"]);
    }
  });
});
