import { AttachRolePolicyCommand, CreateRoleCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type ClientKind } from "../helpers/api.js";
import { aws, cliErrorCode, gitHome, gitOk, makeWorkRepo, type Creds } from "../helpers/clients.js";
import { iamClient, managed, userWith } from "../helpers/iam.js";
import { ADMIN, startServer, type ServerHandle } from "../helpers/server.js";

/**
 * Approval rules on pull requests, approvals and overrides, with the AWS CLI v2 (and v1 and the
 * JavaScript SDK where noted) against a real server: an author who cannot approve, reviewers who
 * can, a role's sessions counted for its pool, and the errors CodeCommit gives.
 */
const ACCOUNT = "000000000000";
const REPO = "approvals";
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
let server: ServerHandle;
let author: Creds;
let reviewer: Creds;
let outsider: Creds;
let session: Creds;
const SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/CodeCommitReview/mary`;
let work: string;
let branchNo = 0;

const env = () => gitHome(ADMIN);

/** A new branch off main with one commit of its own, pushed. */
async function branch(): Promise<string> {
  const name = `feature-${++branchNo}`;
  await gitOk(["checkout", "-q", "-B", name, "main"], { cwd: work, env: env() });
  await gitOk(["commit", "-q", "--allow-empty", "-m", name], { cwd: work, env: env() });
  await gitOk(["push", "-q", `${server.url}/v1/repos/${REPO}`, `HEAD:refs/heads/${name}`], { cwd: work, env: env() });
  return name;
}

/** A pull request by `creds` from a new branch; its ID and revision. */
async function pullRequest(creds: Creds = author, destination = "main"): Promise<{ id: string; revisionId: string; pr: any }> {
  const r = await call(server.url, "cli", "CreatePullRequest", { title: "t", targets: [{ repositoryName: REPO, sourceReference: await branch(), destinationReference: destination }] }, creds);
  expect(r.error, r.message).toBeUndefined();
  return { id: r.out.pullRequest.pullRequestId, revisionId: r.out.pullRequest.revisionId, pr: r.out.pullRequest };
}

function ok(r: { error?: string; message?: string; out?: any }): any {
  expect(r.error, r.message).toBeUndefined();
  return r.out;
}

const rule = (needed: number, pool?: string[]) =>
  JSON.stringify({ Version: "2018-11-08", Statements: [{ Type: "Approvers", NumberOfApprovalsNeeded: needed, ...(pool ? { ApprovalPoolMembers: pool } : {}) }] });

beforeAll(async () => {
  server = await startServer();
  ok(await call(server.url, "sdk", "CreateRepository", { repositoryName: REPO }));
  work = await makeWorkRepo(env());
  await gitOk(["push", "-q", `${server.url}/v1/repos/${REPO}`, "main"], { cwd: work, env: env() });
  await gitOk(["push", "-q", `${server.url}/v1/repos/${REPO}`, "main:refs/heads/develop"], { cwd: work, env: env() });
  const power = { managed: [managed("AWSCodeCommitPowerUser")] };
  author = await userWith(server.url, "author", power);
  reviewer = await userWith(server.url, "reviewer", power);
  outsider = await userWith(server.url, "outsider", power);
  const iam = iamClient(server.url);
  const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] };
  const role = (await iam.send(new CreateRoleCommand({ RoleName: "CodeCommitReview", Path: "/review/", AssumeRolePolicyDocument: JSON.stringify(trust) }))).Role!;
  await iam.send(new AttachRolePolicyCommand({ RoleName: "CodeCommitReview", PolicyArn: managed("AWSCodeCommitPowerUser") }));
  const assumer = await userWith(server.url, "assumer", { inline: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: role.Arn }] } });
  const sts = new STSClient({ endpoint: server.url, region: "us-east-1", credentials: assumer, maxAttempts: 1 });
  const c = (await sts.send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: "mary" }))).Credentials!;
  session = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
});
afterAll(async () => {
  await server?.stop();
});

describe("approval rules on a pull request", () => {
  it("create, get, update (guarded by its SHA-256), delete; events with their metadata", async () => {
    const { id } = await pullRequest();
    const content = rule(1, [userArn("reviewer")]);
    const created = ok(await call(server.url, "cli", "CreatePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "Reviewer", approvalRuleContent: content }, author)).approvalRule;
    expect(created).toMatchObject({ approvalRuleName: "Reviewer", approvalRuleContent: content, lastModifiedUser: userArn("author") });
    expect(created.ruleContentSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(created.approvalRuleId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.originApprovalRuleTemplate).toBeUndefined();
    const got = ok(await call(server.url, "cli", "GetPullRequest", { pullRequestId: id })).pullRequest;
    expect(got.approvalRules).toEqual([created]);

    const again = await call(server.url, "cli", "CreatePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "Reviewer", approvalRuleContent: content }, author);
    expect(again.error).toBe("ApprovalRuleNameAlreadyExistsException");

    const newContent = rule(2);
    const stale = await call(server.url, "cli", "UpdatePullRequestApprovalRuleContent", { pullRequestId: id, approvalRuleName: "Reviewer", existingRuleContentSha256: "0".repeat(64), newRuleContent: newContent }, reviewer);
    expect(stale.error).toBe("InvalidRuleContentSha256Exception");
    expect(stale.message).toContain(created.ruleContentSha256);
    const updated = ok(
      await call(server.url, "cli", "UpdatePullRequestApprovalRuleContent", { pullRequestId: id, approvalRuleName: "Reviewer", existingRuleContentSha256: created.ruleContentSha256, newRuleContent: newContent }, reviewer),
    ).approvalRule;
    expect(updated).toMatchObject({ approvalRuleId: created.approvalRuleId, approvalRuleContent: newContent, lastModifiedUser: userArn("reviewer") });
    expect(updated.ruleContentSha256).not.toBe(created.ruleContentSha256);
    // without the guard, the update is unconditional
    ok(await call(server.url, "cli", "UpdatePullRequestApprovalRuleContent", { pullRequestId: id, approvalRuleName: "Reviewer", newRuleContent: content }, author));
    expect((await call(server.url, "cli", "UpdatePullRequestApprovalRuleContent", { pullRequestId: id, approvalRuleName: "Nobody", newRuleContent: content })).error).toBe(
      "ApprovalRuleDoesNotExistException",
    );

    // AWSCodeCommitPowerUser has no Delete* for rules: the administrator deletes it
    const refused = await call(server.url, "cli", "DeletePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "Reviewer" }, author);
    expect(refused.error).toBe("AccessDeniedException");
    const deleted = ok(await call(server.url, "cli", "DeletePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "Reviewer" }));
    expect(deleted).toEqual({ approvalRuleId: created.approvalRuleId });
    expect(ok(await call(server.url, "cli", "GetPullRequest", { pullRequestId: id })).pullRequest.approvalRules).toEqual([]);
    // deleting it again is 200 without content, as CodeCommit documents
    expect(ok(await call(server.url, "cli", "DeletePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "Reviewer" }))).toEqual({});

    const events = ok(await call(server.url, "cli", "DescribePullRequestEvents", { pullRequestId: id })).pullRequestEvents;
    const ruleEvents = events.filter((e: any) => e.pullRequestEventType.startsWith("PULL_REQUEST_APPROVAL_RULE_"));
    expect(ruleEvents.map((e: any) => [e.pullRequestEventType, e.actorArn, e.approvalRuleEventMetadata])).toEqual([
      ["PULL_REQUEST_APPROVAL_RULE_CREATED", userArn("author"), { approvalRuleName: "Reviewer", approvalRuleId: created.approvalRuleId, approvalRuleContent: content }],
      ["PULL_REQUEST_APPROVAL_RULE_UPDATED", userArn("reviewer"), { approvalRuleName: "Reviewer", approvalRuleId: created.approvalRuleId, approvalRuleContent: newContent }],
      ["PULL_REQUEST_APPROVAL_RULE_UPDATED", userArn("author"), { approvalRuleName: "Reviewer", approvalRuleId: created.approvalRuleId, approvalRuleContent: content }],
      ["PULL_REQUEST_APPROVAL_RULE_DELETED", userArn("admin"), { approvalRuleName: "Reviewer", approvalRuleId: created.approvalRuleId, approvalRuleContent: content }],
    ]);
    const filtered = ok(await call(server.url, "cli", "DescribePullRequestEvents", { pullRequestId: id, pullRequestEventType: "PULL_REQUEST_APPROVAL_RULE_DELETED" })).pullRequestEvents;
    expect(filtered).toHaveLength(1);
  });

  it("refuses malformed content, names and IDs with CodeCommit's errors, saying what is wrong, and changes nothing", async () => {
    const { id } = await pullRequest();
    // the CLI checks required members itself: the SDK, which checks nothing, sends those
    const create = (input: Record<string, unknown>) =>
      call(server.url, Object.values(input).includes(undefined) ? "sdk" : "cli", "CreatePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "r", approvalRuleContent: rule(1), ...input });
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ approvalRuleContent: "{" }, "InvalidApprovalRuleContentException", "not JSON"],
      [{ approvalRuleContent: JSON.stringify({ Version: "2018-11-08", Statements: [{ Type: "Approvers", NumberOfApprovalsNeeded: 0 }] }) }, "InvalidApprovalRuleContentException", "NumberOfApprovalsNeeded"],
      [{ approvalRuleContent: JSON.stringify({ Version: "2018-11-08", Statements: [{ Type: "Approvers", NumberOfApprovalsNeeded: 1, ApprovalPoolMembers: ["Mary"] }] }) }, "InvalidApprovalRuleContentException", "ApprovalPoolMembers[0]"],
      [{ approvalRuleContent: JSON.stringify({ Version: "2012-10-17", Statements: [] }) }, "InvalidApprovalRuleContentException", "Version"],
      [{ approvalRuleContent: "x".repeat(3001) }, "InvalidApprovalRuleContentException", "3,000"],
      [{ approvalRuleContent: undefined }, "ApprovalRuleContentRequiredException", "required"],
      [{ approvalRuleName: undefined }, "ApprovalRuleNameRequiredException", "required"],
      [{ approvalRuleName: "a:b" }, "InvalidApprovalRuleNameException", ":"],
      [{ approvalRuleName: "n".repeat(101) }, "InvalidApprovalRuleNameException", "100"],
      [{ pullRequestId: "abc" }, "InvalidPullRequestIdException", "abc"],
      [{ pullRequestId: "999999" }, "PullRequestDoesNotExistException", "999999"],
    ];
    for (const [input, code, says] of cases) {
      const r = await create(input);
      expect([r.error, r.message?.includes(says)], JSON.stringify(input).slice(0, 100)).toEqual([code, true]);
    }
    expect(ok(await call(server.url, "cli", "GetPullRequest", { pullRequestId: id })).pullRequest.approvalRules).toEqual([]);
  });

  it("at most 30 rules on a pull request", async () => {
    const { id } = await pullRequest();
    for (let i = 1; i <= 30; i++) ok(await call(server.url, "sdk", "CreatePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: `rule ${i}`, approvalRuleContent: rule(1) }));
    const over = await call(server.url, "cli", "CreatePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "rule 31", approvalRuleContent: rule(1) });
    expect(over.error).toBe("NumberOfRulesExceededException");
    expect(ok(await call(server.url, "sdk", "GetPullRequest", { pullRequestId: id })).pullRequest.approvalRules).toHaveLength(30);
  });
});

describe("approvals", () => {
  it("another user approves, the author cannot; only the pool's approvals count; revoke; per revision", async () => {
    const { id, revisionId } = await pullRequest();
    ok(await call(server.url, "cli", "CreatePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "Reviewer", approvalRuleContent: rule(1, [userArn("reviewer")]) }, author));
    const evaluate = async (client: ClientKind = "cli") => ok(await call(server.url, client, "EvaluatePullRequestApprovalRules", { pullRequestId: id, revisionId })).evaluation;
    expect(await evaluate()).toEqual({ approved: false, overridden: false, approvalRulesSatisfied: [], approvalRulesNotSatisfied: ["Reviewer"] });

    const own = await call(server.url, "cli", "UpdatePullRequestApprovalState", { pullRequestId: id, revisionId, approvalState: "APPROVE" }, author);
    expect(own.error).toBe("PullRequestCannotBeApprovedByAuthorException");
    ok(await call(server.url, "cli", "UpdatePullRequestApprovalState", { pullRequestId: id, revisionId, approvalState: "APPROVE" }, outsider));
    expect((await evaluate()).approved).toBe(false);
    ok(await call(server.url, "cli", "UpdatePullRequestApprovalState", { pullRequestId: id, revisionId, approvalState: "APPROVE" }, reviewer));
    // approving twice is one approval
    ok(await call(server.url, "cli1", "UpdatePullRequestApprovalState", { pullRequestId: id, revisionId, approvalState: "APPROVE" }, reviewer));
    for (const client of ["cli", "cli1", "sdk"] as const) {
      expect(await evaluate(client)).toEqual({ approved: true, overridden: false, approvalRulesSatisfied: ["Reviewer"], approvalRulesNotSatisfied: [] });
      const states = ok(await call(server.url, client, "GetPullRequestApprovalStates", { pullRequestId: id, revisionId })).approvals;
      expect(states).toEqual([
        { userArn: userArn("outsider"), approvalState: "APPROVE" },
        { userArn: userArn("reviewer"), approvalState: "APPROVE" },
      ]);
    }
    ok(await call(server.url, "sdk", "UpdatePullRequestApprovalState", { pullRequestId: id, revisionId, approvalState: "REVOKE" }, reviewer));
    expect(await evaluate()).toEqual({ approved: false, overridden: false, approvalRulesSatisfied: [], approvalRulesNotSatisfied: ["Reviewer"] });

    const events = ok(await call(server.url, "cli", "DescribePullRequestEvents", { pullRequestId: id, pullRequestEventType: "PULL_REQUEST_APPROVAL_STATE_CHANGED" })).pullRequestEvents;
    expect(events.map((e: any) => [e.actorArn, e.approvalStateChangedEventMetadata])).toEqual([
      [userArn("outsider"), { revisionId, approvalStatus: "APPROVE" }],
      [userArn("reviewer"), { revisionId, approvalStatus: "APPROVE" }],
      [userArn("reviewer"), { revisionId, approvalStatus: "REVOKE" }],
    ]);
    const byActor = ok(await call(server.url, "cli", "DescribePullRequestEvents", { pullRequestId: id, pullRequestEventType: "PULL_REQUEST_APPROVAL_STATE_CHANGED", actorArn: userArn("outsider") }));
    expect(byActor.pullRequestEvents).toHaveLength(1);

    // another revision's approvals are its own; a revision that is not current cannot be approved or evaluated
    const other = "ab".repeat(32);
    expect(ok(await call(server.url, "cli", "GetPullRequestApprovalStates", { pullRequestId: id, revisionId: other })).approvals).toEqual([]);
    for (const op of ["UpdatePullRequestApprovalState", "EvaluatePullRequestApprovalRules"]) {
      const r = await call(server.url, "cli", op, { pullRequestId: id, revisionId: other, ...(op === "UpdatePullRequestApprovalState" ? { approvalState: "APPROVE" } : {}) }, reviewer);
      expect(r.error).toBe("RevisionNotCurrentException");
    }
    expect((await call(server.url, "cli", "EvaluatePullRequestApprovalRules", { pullRequestId: id, revisionId: "nope" })).error).toBe("InvalidRevisionIdException");
    expect((await call(server.url, "sdk", "EvaluatePullRequestApprovalRules", { pullRequestId: id })).error).toBe("RevisionIdRequiredException");
    expect((await call(server.url, "cli", "UpdatePullRequestApprovalState", { pullRequestId: id, revisionId, approvalState: "MAYBE" }, reviewer)).error).toBe("InvalidApprovalStateException");
    expect((await call(server.url, "sdk", "UpdatePullRequestApprovalState", { pullRequestId: id, revisionId }, reviewer)).error).toBe("ApprovalStateRequiredException");
  });

  it("a role's session counts for a pool of the role's sessions, and for the role's ARN", async () => {
    const { id, revisionId } = await pullRequest();
    ok(await call(server.url, "cli", "CreatePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "Sessions", approvalRuleContent: rule(1, [`arn:aws:sts::${ACCOUNT}:assumed-role/CodeCommitReview/*`]) }));
    ok(await call(server.url, "cli", "CreatePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "Role", approvalRuleContent: rule(1, [`arn:aws:iam::${ACCOUNT}:role/review/CodeCommitReview`]) }));
    ok(await call(server.url, "cli", "CreatePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "Users", approvalRuleContent: rule(1, [`arn:aws:iam::${ACCOUNT}:user/*`]) }));
    ok(await call(server.url, "cli", "UpdatePullRequestApprovalState", { pullRequestId: id, revisionId, approvalState: "APPROVE" }, session));
    expect(ok(await call(server.url, "cli", "GetPullRequestApprovalStates", { pullRequestId: id, revisionId })).approvals).toEqual([{ userArn: SESSION_ARN, approvalState: "APPROVE" }]);
    expect(ok(await call(server.url, "cli", "EvaluatePullRequestApprovalRules", { pullRequestId: id, revisionId })).evaluation).toEqual({
      approved: false,
      overridden: false,
      approvalRulesSatisfied: ["Sessions", "Role"],
      approvalRulesNotSatisfied: ["Users"],
    });
  });

  it("overrides: set aside the rules for the revision, once; revoke puts them back; events", async () => {
    const { id, revisionId } = await pullRequest();
    ok(await call(server.url, "cli", "CreatePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "Two", approvalRuleContent: rule(2) }));
    const state = async (client: ClientKind = "cli") => ok(await call(server.url, client, "GetPullRequestOverrideState", { pullRequestId: id, revisionId }));
    expect(await state()).toEqual({ overridden: false });
    ok(await call(server.url, "cli", "OverridePullRequestApprovalRules", { pullRequestId: id, revisionId, overrideStatus: "OVERRIDE" }, reviewer));
    for (const client of ["cli", "cli1", "sdk"] as const) expect(await state(client)).toEqual({ overridden: true, overrider: userArn("reviewer") });
    expect(ok(await call(server.url, "cli", "EvaluatePullRequestApprovalRules", { pullRequestId: id, revisionId })).evaluation).toEqual({
      approved: true,
      overridden: true,
      approvalRulesSatisfied: [],
      approvalRulesNotSatisfied: ["Two"],
    });
    const twice = await call(server.url, "cli", "OverridePullRequestApprovalRules", { pullRequestId: id, revisionId, overrideStatus: "OVERRIDE" }, author);
    expect(twice.error).toBe("OverrideAlreadySetException");
    ok(await call(server.url, "cli1", "OverridePullRequestApprovalRules", { pullRequestId: id, revisionId, overrideStatus: "REVOKE" }, author));
    expect(await state()).toEqual({ overridden: false });
    expect(ok(await call(server.url, "cli", "EvaluatePullRequestApprovalRules", { pullRequestId: id, revisionId })).evaluation.approved).toBe(false);
    expect((await call(server.url, "cli", "OverridePullRequestApprovalRules", { pullRequestId: id, revisionId, overrideStatus: "SKIP" })).error).toBe("InvalidOverrideStatusException");
    expect((await call(server.url, "sdk", "OverridePullRequestApprovalRules", { pullRequestId: id, revisionId })).error).toBe("OverrideStatusRequiredException");
    expect((await call(server.url, "cli", "OverridePullRequestApprovalRules", { pullRequestId: id, revisionId: "cd".repeat(32), overrideStatus: "OVERRIDE" })).error).toBe(
      "RevisionNotCurrentException",
    );
    const events = ok(await call(server.url, "cli", "DescribePullRequestEvents", { pullRequestId: id, pullRequestEventType: "PULL_REQUEST_APPROVAL_RULE_OVERRIDDEN" })).pullRequestEvents;
    expect(events.map((e: any) => [e.actorArn, e.approvalRuleOverriddenEventMetadata])).toEqual([
      [userArn("reviewer"), { revisionId, overrideStatus: "OVERRIDE" }],
      [userArn("author"), { revisionId, overrideStatus: "REVOKE" }],
    ]);
  });

  it("a pull request without rules is approved", async () => {
    const { id, revisionId } = await pullRequest();
    expect(ok(await call(server.url, "sdk", "EvaluatePullRequestApprovalRules", { pullRequestId: id, revisionId })).evaluation).toEqual({
      approved: true,
      overridden: false,
      approvalRulesSatisfied: [],
      approvalRulesNotSatisfied: [],
    });
  });

  it("a closed pull request refuses changes to its rules, approvals and overrides, and can still be read", async () => {
    const { id, revisionId } = await pullRequest();
    ok(await call(server.url, "cli", "CreatePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "One", approvalRuleContent: rule(1) }));
    ok(await call(server.url, "cli", "UpdatePullRequestStatus", { pullRequestId: id, pullRequestStatus: "CLOSED" }, author));
    const refused = [
      await call(server.url, "cli", "UpdatePullRequestApprovalState", { pullRequestId: id, revisionId, approvalState: "APPROVE" }, reviewer),
      await call(server.url, "cli", "OverridePullRequestApprovalRules", { pullRequestId: id, revisionId, overrideStatus: "OVERRIDE" }, reviewer),
      await call(server.url, "cli", "CreatePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "Two", approvalRuleContent: rule(1) }),
      await call(server.url, "cli", "UpdatePullRequestApprovalRuleContent", { pullRequestId: id, approvalRuleName: "One", newRuleContent: rule(2) }),
      await call(server.url, "cli", "DeletePullRequestApprovalRule", { pullRequestId: id, approvalRuleName: "One" }),
    ];
    expect(refused.map((r) => r.error)).toEqual(Array(5).fill("PullRequestAlreadyClosedException"));
    expect(ok(await call(server.url, "cli", "EvaluatePullRequestApprovalRules", { pullRequestId: id, revisionId })).evaluation.approvalRulesNotSatisfied).toEqual(["One"]);
    expect(ok(await call(server.url, "cli", "GetPullRequest", { pullRequestId: id })).pullRequest.approvalRules).toHaveLength(1);
  });

  it("the CLI's own options, as a person types them", async () => {
    const { id, revisionId } = await pullRequest();
    const r = await aws(server.url, ["codecommit", "create-pull-request-approval-rule", "--pull-request-id", id, "--approval-rule-name", "Require one approval", "--approval-rule-content", rule(1)], { creds: author });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.approvalRule.approvalRuleName).toBe("Require one approval");
    const a = await aws(server.url, ["codecommit", "update-pull-request-approval-state", "--pull-request-id", id, "--revision-id", revisionId, "--approval-state", "APPROVE"], { creds: reviewer });
    expect(a.code, a.stderr).toBe(0);
    const denied = await aws(server.url, ["codecommit", "update-pull-request-approval-state", "--pull-request-id", id, "--revision-id", revisionId, "--approval-state", "APPROVE"], { creds: author });
    expect(cliErrorCode(denied)).toBe("PullRequestCannotBeApprovedByAuthorException");
    const e = await aws(server.url, ["codecommit", "evaluate-pull-request-approval-rules", "--pull-request-id", id, "--revision-id", revisionId], { version: 1 });
    expect(e.code, e.stderr).toBe(0);
    expect(e.json.evaluation).toEqual({ approved: true, overridden: false, approvalRulesSatisfied: ["Require one approval"], approvalRulesNotSatisfied: [] });
  });
});
