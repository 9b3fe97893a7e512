import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { codecommitAuthz } from "../../src/aws/services/codecommit/authz.js";
import { iamService } from "../../src/aws/services/iam/index.js";
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
});
