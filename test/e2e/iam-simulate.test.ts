import {
  AddUserToGroupCommand,
  CreateGroupCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { aws, cliErrorCode } from "../helpers/clients.js";
import { iamClient, userWith } from "../helpers/iam.js";
import { startServer, type ServerHandle } from "../helpers/server.js";

/** What the simulator says when it is not told everything a real request would carry. */
let server: ServerHandle;
const ACCOUNT = "000000000000";
const REPO = `arn:aws:codecommit:us-east-1:${ACCOUNT}:sim`;
const doc = (statement: object) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

beforeAll(async () => {
  server = await startServer();
  expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: "sim" })).error).toBeUndefined();
});
afterAll(async () => {
  await server?.stop();
});

describe("SimulatePrincipalPolicy without context entries", () => {
  it("makes up no request facts: a key the decision needs is reported missing, and the answer is what the server does", async () => {
    const tlsOnly = { Effect: "Allow", Action: "codecommit:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "true" } } };
    const creds = await userWith(server.url, "tls", { inline: JSON.parse(doc(tlsOnly)) });
    // the server listens on plain HTTP, so the real call is refused
    const real = await aws(server.url, ["codecommit", "get-repository", "--repository-name", "sim"], { creds });
    expect(cliErrorCode(real)).toBe("AccessDeniedException");

    const sim = await aws(server.url, [
      "iam", "simulate-principal-policy", "--policy-source-arn", `arn:aws:iam::${ACCOUNT}:user/tls`,
      "--action-names", "codecommit:GetRepository", "--resource-arns", REPO,
    ]);
    expect(sim.code).toBe(0);
    const [result] = sim.json.EvaluationResults;
    expect(result).toMatchObject({ EvalDecision: "implicitDeny", MissingContextValues: ["aws:SecureTransport"] });
    expect(result.ResourceSpecificResults).toEqual([
      expect.objectContaining({ EvalResourceName: REPO, EvalResourceDecision: "implicitDeny", MissingContextValues: ["aws:SecureTransport"] }),
    ]);

    // told the fact, it has nothing missing, and decides by it
    const told = async (secure: string) =>
      (
        await iamClient(server.url).send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/tls`,
            ActionNames: ["codecommit:GetRepository"],
            ResourceArns: [REPO],
            ContextEntries: [{ ContextKeyName: "aws:SecureTransport", ContextKeyValues: [secure], ContextKeyType: "boolean" }],
          }),
        )
      ).EvaluationResults![0]!;
    expect(await told("false")).toMatchObject({ EvalDecision: "implicitDeny", MissingContextValues: [] });
    expect(await told("true")).toMatchObject({ EvalDecision: "allowed", MissingContextValues: [] });
  });

  it("reports the source address and the time as missing when conditions use them, spelt as the policy spells them", async () => {
    const iam = iamClient(server.url);
    await iam.send(new CreateUserCommand({ UserName: "facts" }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "facts",
        PolicyName: "office-hours",
        PolicyDocument: doc({
          Effect: "Allow",
          Action: "codecommit:GetRepository",
          Resource: "*",
          Condition: { IpAddress: { "aws:sourceip": "127.0.0.0/8" }, DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } },
        }),
      }),
    );
    const r = (await iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/facts`, ActionNames: ["codecommit:GetRepository"] })))
      .EvaluationResults![0]!;
    expect(r.EvalDecision).toBe("implicitDeny");
    // every key the statement needs is named, not only the first
    expect(r.MissingContextValues).toEqual(["aws:CurrentTime", "aws:sourceip"]);
    expect(r.ResourceSpecificResults).toBeUndefined();
  });

  it("simulates a role without a session: aws:userid and aws:TokenIssueTime are not known", async () => {
    const iam = iamClient(server.url);
    const trust = doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" });
    await iam.send(new CreateRoleCommand({ RoleName: "ci", AssumeRolePolicyDocument: trust }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "ci",
        PolicyName: "sessions",
        PolicyDocument: doc({ Effect: "Allow", Action: "codecommit:GetRepository", Resource: "*", Condition: { StringLike: { "aws:userid": "AROA*:build-*" } } }),
      }),
    );
    const r = (await iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${ACCOUNT}:role/ci`, ActionNames: ["codecommit:GetRepository"] })))
      .EvaluationResults![0]!;
    expect(r).toMatchObject({ EvalDecision: "implicitDeny", MissingContextValues: ["aws:userid"] });
  });
});

describe("SimulatePrincipalPolicy's matched statements", () => {
  it("name a group's inline policy as a group policy, even when the user has one of the same name", async () => {
    const iam = iamClient(server.url);
    await iam.send(new CreateUserCommand({ UserName: "member" }));
    await iam.send(new CreateGroupCommand({ GroupName: "readers" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "readers", UserName: "member" }));
    await iam.send(new PutUserPolicyCommand({ UserName: "member", PolicyName: "shared", PolicyDocument: doc({ Effect: "Allow", Action: "codecommit:GetBranch", Resource: "*" }) }));
    await iam.send(new PutGroupPolicyCommand({ GroupName: "readers", PolicyName: "shared", PolicyDocument: doc({ Effect: "Allow", Action: "codecommit:ListBranches", Resource: "*" }) }));
    const sim = await iam.send(
      new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/member`, ActionNames: ["codecommit:ListBranches", "codecommit:GetBranch"] }),
    );
    const [list, get] = sim.EvaluationResults!;
    expect(list!.MatchedStatements).toEqual([expect.objectContaining({ SourcePolicyId: "shared", SourcePolicyType: "group" })]);
    expect(get!.MatchedStatements).toEqual([expect.objectContaining({ SourcePolicyId: "shared", SourcePolicyType: "user" })]);
  });
});

describe("SimulateCustomPolicy", () => {
  it("simulates the CallerArn's user, its name in aws:username too", async () => {
    await iamClient(server.url).send(new CreateUserCommand({ UserName: "bob" }));
    const self = doc({ Effect: "Allow", Action: "iam:GetUser", Resource: "arn:aws:iam::*:user/${aws:username}" });
    const r = await iamClient(server.url).send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [self],
        ActionNames: ["iam:GetUser"],
        ResourceArns: [`arn:aws:iam::${ACCOUNT}:user/bob`, `arn:aws:iam::${ACCOUNT}:user/admin`],
        CallerArn: `arn:aws:iam::${ACCOUNT}:user/bob`,
      }),
    );
    expect(r.EvaluationResults!.map((e) => [e.EvalResourceName, e.EvalDecision])).toEqual([
      [`arn:aws:iam::${ACCOUNT}:user/bob`, "allowed"],
      [`arn:aws:iam::${ACCOUNT}:user/admin`, "implicitDeny"],
    ]);
  });
});
