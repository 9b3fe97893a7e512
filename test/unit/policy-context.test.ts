import { describe, expect, it } from "vitest";
import {
  AWS_MANAGED_POLICIES,
  RequestContext,
  awsManagedPolicy,
  buildRequestContext,
  denialMessage,
  evaluate,
  explainDenial,
  parsedAwsManagedPolicy,
  requestTagKeys,
  resourceTagKeys,
  roleArnOf,
  tagKeysOnly,
} from "../../src/domain/iam/policy/index.js";
import type { Principal } from "../../src/domain/context.js";
import { ACCOUNT, alice, decide, session } from "../helpers/policy.js";

const facts = { sourceIp: "::ffff:198.51.100.7", secureTransport: true, region: "eu-west-1", time: new Date("2024-05-01T12:00:00.789Z") };

describe("the request context", () => {
  it("carries AWS's global keys for an IAM user", () => {
    const ctx = buildRequestContext({ ...alice, tags: { team: "red" } }, facts);
    expect(Object.fromEntries(ctx.entries())).toEqual({
      "aws:sourceip": "198.51.100.7",
      "aws:securetransport": "true",
      "aws:currenttime": "2024-05-01T12:00:00Z",
      "aws:epochtime": "1714564800",
      "aws:principalarn": alice.arn,
      "aws:principalaccount": ACCOUNT,
      "aws:principaltype": "User",
      "aws:userid": alice.userId,
      "aws:username": "alice",
      "aws:requestedregion": "eu-west-1",
      "aws:viaawsservice": "false",
      "aws:principalisawsservice": "false",
      "aws:principaltag/team": "red",
    });
  });

  it("for a role session: the role as aws:PrincipalArn, AROA…:session as aws:userid, no aws:username", () => {
    const ctx = buildRequestContext({ ...session, tokenIssueTime: new Date("2024-05-01T11:00:00Z") }, { ...facts, secureTransport: false });
    expect(ctx.get("aws:PrincipalArn")).toBe(`arn:aws:iam::${ACCOUNT}:role/builder`);
    expect(ctx.get("aws:PrincipalType")).toBe("AssumedRole");
    expect(ctx.get("aws:userid")).toBe("AROABUILDERBUILDER01:build-42");
    expect(ctx.get("aws:username")).toBeUndefined();
    expect(ctx.get("aws:SecureTransport")).toBe("false");
    expect(ctx.get("aws:TokenIssueTime")).toBe("2024-05-01T11:00:00Z");
  });

  it("uses the role ARN with its path when given", () => {
    const ctx = buildRequestContext({ ...session, roleArn: `arn:aws:iam::${ACCOUNT}:role/ci/builder` }, facts);
    expect(ctx.get("aws:PrincipalArn")).toBe(`arn:aws:iam::${ACCOUNT}:role/ci/builder`);
    expect(roleArnOf("arn:aws-cn:sts::1:assumed-role/R/S")).toBe("arn:aws-cn:iam::1:role/R");
  });

  it("leaves out request facts it is not given, instead of making them up (the simulator's case)", () => {
    const ctx = buildRequestContext({ ...session, userId: undefined }, { time: null, region: "us-east-1" });
    for (const key of ["aws:SourceIp", "aws:SecureTransport", "aws:CurrentTime", "aws:EpochTime", "aws:userid", "aws:TokenIssueTime"]) {
      expect(ctx.get(key), key).toBeUndefined();
    }
    expect(ctx.get("aws:PrincipalType")).toBe("AssumedRole");
    // and the same principal with facts and a token issue time has them all
    const full = buildRequestContext({ ...session, tokenIssueTime: new Date("2024-05-01T11:00:00.5Z") }, facts);
    expect(full.get("aws:TokenIssueTime")).toBe("2024-05-01T11:00:00Z");
    expect(full.get("aws:SecureTransport")).toBe("true");
  });

  it("records the keys an evaluation looked for and did not find", () => {
    const misses = new Set<string>();
    const ctx = buildRequestContext(alice, { time: null }).recordingMisses(misses);
    const policy = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "arn:aws:iam::*:user/${aws:username}", Condition: { Bool: { "aws:SecureTransport": "true" } } }],
    };
    expect(decide([policy], { action: "iam:GetUser", resource: alice.arn, rawContext: ctx }).decision).toBe("ImplicitDeny");
    expect([...misses]).toEqual(["aws:securetransport"]);
    const given = new Set<string>();
    const withEntry = buildRequestContext(alice, { time: null }, { "aws:SecureTransport": "true" }).recordingMisses(given);
    expect(decide([policy], { action: "iam:GetUser", resource: alice.arn, rawContext: withEntry }).decision).toBe("Allow");
    expect([...given]).toEqual([]);
  });

  it("accepts the Principal the rest of the server already uses", () => {
    const p: Principal = { kind: "user", arn: alice.arn, userId: alice.userId!, accountId: ACCOUNT, userName: "alice", accessKeyId: "AKIA" };
    expect(buildRequestContext(p, facts).get("aws:username")).toBe("alice");
  });

  it("adds service keys last, so they can stand in for global ones (simulation context entries)", () => {
    const ctx = buildRequestContext(alice, facts, { "codecommit:References": "refs/heads/main", "aws:SourceIp": "203.0.113.1" });
    expect(ctx.get("codecommit:references")).toBe("refs/heads/main");
    expect(ctx.get("AWS:SOURCEIP")).toBe("203.0.113.1");
  });

  it("makes tag keys", () => {
    expect(requestTagKeys({ team: "red", env: "prod" })).toEqual({ "aws:RequestTag/team": "red", "aws:RequestTag/env": "prod", "aws:TagKeys": ["team", "env"] });
    expect(requestTagKeys([{ Key: "team", Value: "red" }])).toEqual({ "aws:RequestTag/team": "red", "aws:TagKeys": ["team"] });
    expect(tagKeysOnly(["a"])).toEqual({ "aws:TagKeys": ["a"] });
    expect(resourceTagKeys([{ Key: "owner", Value: "alice" }])).toEqual({ "aws:ResourceTag/owner": "alice" });
  });

  it("is immutable: with() and without() make copies", () => {
    const a = RequestContext.from({ "X:A": "1" });
    const b = a.with({ "x:a": "2", "x:b": ["1", "2"] });
    const c = b.without("X:B");
    expect(a.get("x:a")).toBe("1");
    expect(b.get("x:a")).toBe("2");
    expect(b.get("x:b")).toEqual(["1", "2"]);
    expect(c.get("x:b")).toBeUndefined();
    expect(RequestContext.from(a)).toBe(a);
  });

  it("reads an empty list as missing", () => {
    expect(RequestContext.from({ "aws:TagKeys": [] }).get("aws:TagKeys")).toBeUndefined();
  });
});

describe("denial messages", () => {
  const repo = `arn:aws:codecommit:us-east-1:${ACCOUNT}:repo`;
  it("no identity-based policy allows", () => {
    const r = decide([], { action: "codecommit:DeleteRepository", resource: repo });
    expect(explainDenial(alice.arn, { action: "codecommit:DeleteRepository", resource: repo }, r)).toBe(
      `User: arn:aws:iam::${ACCOUNT}:user/alice is not authorized to perform: codecommit:DeleteRepository on resource: ${repo} because no identity-based policy allows the codecommit:DeleteRepository action`,
    );
  });
  it("explicit deny", () => {
    const r = decide(["arn:aws:iam::aws:policy/AdministratorAccess", [{ Effect: "Deny", Action: "codecommit:*", Resource: "*" }]], { action: "codecommit:GitPush", resource: repo });
    expect(explainDenial(alice.arn, { action: "codecommit:GitPush", resource: repo }, r)).toBe(
      `User: ${alice.arn} is not authorized to perform: codecommit:GitPush on resource: ${repo} with an explicit deny in an identity-based policy`,
    );
  });
  it("an assumed role is a User: too", () => {
    expect(denialMessage(session.arn, "iam:CreateUser", `arn:aws:iam::${ACCOUNT}:user/bob`, "no-identity-allow")).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/builder/build-42 is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${ACCOUNT}:user/bob because no identity-based policy allows the iam:CreateUser action`,
    );
  });
  it("the other reasons", () => {
    const m = (r: Parameters<typeof denialMessage>[3]): string => denialMessage("U", "s:A", "R", r).replace("User: U is not authorized to perform: s:A on resource: R ", "");
    expect(m("no-boundary-allow")).toBe("because no permissions boundary allows the s:A action");
    expect(m("explicit-deny-boundary")).toBe("with an explicit deny in a permissions boundary");
    expect(m("explicit-deny-resource")).toBe("with an explicit deny in a resource-based policy");
    expect(m("no-resource-allow")).toBe("because no resource-based policy allows the s:A action");
  });
  it("nothing to explain when allowed", () => {
    const r = decide(["arn:aws:iam::aws:policy/AdministratorAccess"], { action: "s3:GetObject" });
    expect(explainDenial(alice.arn, { action: "s3:GetObject", resource: "*" }, r)).toBeUndefined();
  });
});

describe("the AWS managed policies", () => {
  it("are the eight built in, with AWS's ARNs, IDs and versions", () => {
    expect(AWS_MANAGED_POLICIES.map((p) => [p.name, p.policyId, p.defaultVersionId])).toEqual([
      ["AdministratorAccess", "ANPAIWMBCKSKIEE64ZLYK", "v1"],
      ["AWSCodeCommitFullAccess", "ANPAI4VCZ3XPIZLQ5NZV2", "v13"],
      ["AWSCodeCommitPowerUser", "ANPAI4UIINUVGB5SEC57G", "v18"],
      ["AWSCodeCommitReadOnly", "ANPAJACNSXR7Z2VLJW3D6", "v14"],
      ["IAMFullAccess", "ANPAI7XKCFMBPM3QQRRVQ", "v2"],
      ["IAMReadOnlyAccess", "ANPAJKSO7NDY4T57MWDSQ", "v4"],
      ["AmazonS3FullAccess", "ANPAIFIR6V6BVTRAHWINE", "v2"],
      ["AmazonS3ReadOnlyAccess", "ANPAIZTJ4DXE7G6AGAE6M", "v3"],
    ]);
    for (const p of AWS_MANAGED_POLICIES) {
      expect(p.arn).toBe(`arn:aws:iam::aws:policy/${p.name}`);
      expect(p.path).toBe("/");
      expect(p.policyId).toMatch(/^ANPA[A-Z0-9]{17}$/);
      expect(new Date(p.createDate).toISOString().replace(".000", "")).toBe(p.createDate);
      expect(p.updateDate >= p.createDate).toBe(true);
      expect(p.description.length).toBeGreaterThan(10);
    }
  });

  it("carry the documents of aws-side-apis.md Appendix A", () => {
    const doc = JSON.parse(awsManagedPolicy("AWSCodeCommitPowerUser")!.document);
    expect(doc.Statement).toHaveLength(16);
    expect(doc.Statement[0].Action).toContain("codecommit:GitPush");
    expect(doc.Statement[0].Action).not.toContain("codecommit:DeleteRepository");
    expect(doc.Statement[6]).toEqual({
      Sid: "IAMReadOnlyConsoleAccess",
      Effect: "Allow",
      Action: ["iam:ListAccessKeys", "iam:ListSSHPublicKeys", "iam:ListServiceSpecificCredentials"],
      Resource: "arn:aws:iam::*:user/${aws:username}",
    });
    expect(JSON.parse(awsManagedPolicy("AWSCodeCommitFullAccess")!.document).Statement).toHaveLength(17);
    expect(JSON.parse(awsManagedPolicy("AWSCodeCommitReadOnly")!.document).Statement).toHaveLength(10);
    expect(JSON.parse(awsManagedPolicy("arn:aws:iam::aws:policy/IAMFullAccess")!.document).Statement[0].Action).toHaveLength(11);
  });

  it("are parsed once and shared", () => {
    expect(parsedAwsManagedPolicy("AdministratorAccess")).toBe(parsedAwsManagedPolicy("arn:aws:iam::aws:policy/AdministratorAccess"));
    expect(parsedAwsManagedPolicy("NoSuchPolicy")).toBeUndefined();
  });

  it("the bootstrap admin with AdministratorAccess may do anything", () => {
    const r = evaluate(
      { identity: [{ name: "AdministratorAccess", policy: parsedAwsManagedPolicy("AdministratorAccess")! }] },
      { action: "sts:AssumeRole", resource: `arn:aws:iam::${ACCOUNT}:role/x`, context: {} },
    );
    expect(r.decision).toBe("Allow");
  });
});
