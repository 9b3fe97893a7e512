import { CreateServiceSpecificCredentialCommand } from "@aws-sdk/client-iam";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { aws, cliErrorCode, git, gitHome, gitOk, makeWorkRepo, type Creds } from "../helpers/clients.js";
import { iamClient, managed, userWith } from "../helpers/iam.js";
import { plainPolicyAllows, probe, servedCodeCommitOperations } from "../helpers/operation-probes.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";
import { knownHostsFor, makeKey, sshGitEnv, sshUrl, uploadKey } from "../helpers/ssh.js";

/**
 * The seed journeys (../shared/seeds/000_… Gearset, 001_… Git Integration for Jira): each
 * policy, placeholders filled, is tried on every CodeCommit operation the server serves, and
 * must allow exactly the ones its actions name; then git, the ways each tool connects.
 */
let server: ServerHandle;
let known: string;
/** each repository's open pull request (feature into main), for the pull request operations' probes */
const pullRequests: Record<string, string> = {};
const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const arnOf = (repo: string) => `arn:aws:codecommit:${REGION}:${ACCOUNT}:${repo}`;
const served = servedCodeCommitOperations();

beforeAll(async () => {
  server = await startServer();
  known = await knownHostsFor(server);
  const admin = gitHome();
  for (const r of ["gearset", "other", "jira"]) {
    expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: r })).error).toBeUndefined();
    const work = await makeWorkRepo(admin, { "README.md": `${r}\n` });
    await gitOk(["push", "-q", `${server.url}/v1/repos/${r}`, "main"], { cwd: work, env: admin });
    await gitOk(["commit", "-q", "--allow-empty", "-m", "feature"], { cwd: work, env: admin });
    await gitOk(["push", "-q", `${server.url}/v1/repos/${r}`, "HEAD:refs/heads/feature"], { cwd: work, env: admin });
    const pr = await call(server.url, "sdk", "CreatePullRequest", { title: "feature", targets: [{ repositoryName: r, sourceReference: "feature" }] });
    expect(pr.error).toBeUndefined();
    pullRequests[r] = pr.out.pullRequest.pullRequestId;
  }
});
afterAll(async () => {
  await server?.stop();
});

/** A seed's policy with its placeholders filled ($aws_repo_region, $aws_account_number, …). */
function fill(text: string, repo: string): { Version: string; Statement: Array<{ Effect: string; Action: string[]; Resource: string[] }> } {
  return JSON.parse(text.replaceAll("$aws_repo_region", REGION).replaceAll("$aws_account_number", ACCOUNT).replaceAll("$aws_codecommit_repository_name", repo));
}

// Seed 000, section 1, step 7, as written there.
const GEARSET_BROAD = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["codecommit:Merge*", "codecommit:Post*",
  "codecommit:Update*", "codecommit:Get*", "codecommit:Test*", "codecommit:BatchGet*", "codecommit:GitPull", "codecommit:Create*",
  "codecommit:Put*", "codecommit:GitPush", "codecommit:DeleteBranch"],
  "Resource": ["arn:aws:codecommit:$aws_repo_region:$aws_account_number:$aws_codecommit_repository_name"]}]}`;
const GEARSET_MINIMAL = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["codecommit:GetRepository",
  "codecommit:ListRepositories", "codecommit:GetCommit", "codecommit:GetBranch", "codecommit:GitPull", "codecommit:GitPush",
  "codecommit:ListBranches"],
  "Resource": ["arn:aws:codecommit:$aws_repo_region:$aws_account_number:$aws_codecommit_repository_name"]}]}`;

// The CodeCommit statements of the AWS managed policies (reference/aws-side-apis.md, Appendix A).
const READ_ONLY = {
  Statement: [
    {
      Effect: "Allow",
      Action: ["codecommit:BatchGet*", "codecommit:BatchDescribe*", "codecommit:Describe*", "codecommit:EvaluatePullRequestApprovalRules", "codecommit:Get*", "codecommit:List*", "codecommit:GitPull"],
      Resource: "*",
    },
  ],
};
const POWER_USER = {
  Statement: [
    {
      Effect: "Allow",
      Action: [
        "codecommit:AssociateApprovalRuleTemplateWithRepository", "codecommit:BatchAssociateApprovalRuleTemplateWithRepositories",
        "codecommit:BatchDisassociateApprovalRuleTemplateFromRepositories", "codecommit:BatchGet*", "codecommit:BatchDescribe*", "codecommit:Create*",
        "codecommit:DeleteBranch", "codecommit:DeleteFile", "codecommit:Describe*", "codecommit:DisassociateApprovalRuleTemplateFromRepository",
        "codecommit:EvaluatePullRequestApprovalRules", "codecommit:Get*", "codecommit:List*", "codecommit:Merge*", "codecommit:OverridePullRequestApprovalRules",
        "codecommit:Put*", "codecommit:Post*", "codecommit:TagResource", "codecommit:Test*", "codecommit:UntagResource", "codecommit:Update*",
        "codecommit:GitPull", "codecommit:GitPush",
      ],
      Resource: "*",
    },
  ],
};

/**
 * Every served operation on `repo` as this user: the ones the policy's actions match (on the
 * resource each is authorized on) must get past authorization, all others must be refused.
 */
async function everyOperation(creds: Creds, tag: string, repo: string, policy: Parameters<typeof plainPolicyAllows>[0]): Promise<{ allowed: string[] }> {
  const tip = (await call(server.url, "sdk", "GetBranch", { repositoryName: repo, branchName: "main" })).out.branch.commitId;
  const outcome: Record<string, string> = {};
  const expected: Record<string, string> = {};
  for (const op of served) {
    const { input, resource } = probe(op, { repo, repoArn: arnOf(repo), tip, tag, pullRequestId: pullRequests[repo]! });
    const r = await call(server.url, "sdk", op, input, creds);
    outcome[op] = r.error === "AccessDeniedException" ? "denied" : "allowed";
    expected[op] = plainPolicyAllows(policy, `codecommit:${op}`, resource) ? "allowed" : "denied";
  }
  expect(outcome).toEqual(expected);
  return { allowed: served.filter((op) => expected[op] === "allowed") };
}

/** Clone `repo`, commit, push a new branch; the branch must then be at the commit. */
async function cloneAndPush(url: string, env: Record<string, string>, repo: string, branch: string): Promise<void> {
  const dir = tmpDir("journey");
  await gitOk(["clone", "-q", url, dir], { env });
  expect(fs.readFileSync(path.join(dir, "README.md"), "utf8")).toBe(`${repo}\n`);
  fs.writeFileSync(path.join(dir, `${branch}.txt`), `${branch}\n`);
  await gitOk(["add", "."], { cwd: dir, env });
  await gitOk(["-c", "user.name=Seed", "-c", "user.email=seed@example.com", "commit", "-qm", branch], { cwd: dir, env });
  await gitOk(["push", "-q", "origin", `HEAD:refs/heads/${branch}`], { cwd: dir, env });
  const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: dir, env })).trim();
  expect((await call(server.url, "sdk", "GetBranch", { repositoryName: repo, branchName: branch })).out.branch.commitId).toBe(tip);
}

/** Seed 000 sections 2a–2c: the user's own keys (credential helper), HTTPS Git credentials, SSH. */
async function gearsetConnects(user: string, creds: Creds): Promise<void> {
  await cloneAndPush(`${server.url}/v1/repos/gearset`, gitHome(creds), "gearset", `${user}-helper`);
  const c = (await iamClient(server.url).send(new CreateServiceSpecificCredentialCommand({ UserName: user, ServiceName: "codecommit.amazonaws.com" })))
    .ServiceSpecificCredential!;
  const https = (repo: string) =>
    `${server.url.replace("://", `://${encodeURIComponent(c.ServiceUserName!)}:${encodeURIComponent(c.ServicePassword!)}@`)}/v1/repos/${repo}`;
  await cloneAndPush(https("gearset"), gitHome(creds, { helper: false }), "gearset", `${user}-https`);
  const key = makeKey("rsa");
  const keyId = await uploadKey(server.url, user, key);
  await cloneAndPush(sshUrl(server, keyId, "gearset"), sshGitEnv(key, known), "gearset", `${user}-ssh`);
  // the other repository is not theirs, by any of the three
  for (const [url, env] of [
    [`${server.url}/v1/repos/other`, gitHome(creds)],
    [https("other"), gitHome(creds, { helper: false })],
    [sshUrl(server, keyId, "other"), sshGitEnv(key, known)],
  ] as const) {
    const r = await git(["ls-remote", url], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("is not authorized to perform: codecommit:GitPull");
  }
}

describe("Gearset (seed 000)", () => {
  it("the minimal policy allows exactly its actions on its repository, over every served operation; git connects all three ways", async () => {
    const policy = fill(GEARSET_MINIMAL, "gearset");
    const creds = await userWith(server.url, "gearset-min", { inline: policy });
    const { allowed } = await everyOperation(creds, "min", "gearset", policy);
    // ListRepositories is on *, which a policy scoped to one repository does not cover (as in AWS)
    expect(allowed.sort()).toEqual(["GetBranch", "GetCommit", "GetRepository", "ListBranches"]);
    // refusals read as AWS words them
    const r = await aws(server.url, ["codecommit", "get-repository", "--repository-name", "other"], { creds });
    expect(cliErrorCode(r)).toBe("AccessDeniedException");
    expect(r.stderr).toContain(
      `User: arn:aws:iam::${ACCOUNT}:user/gearset-min is not authorized to perform: codecommit:GetRepository on resource: ${arnOf("other")} because no identity-based policy allows the codecommit:GetRepository action`,
    );
    expect(cliErrorCode(await aws(server.url, ["iam", "list-users"], { creds }))).toBe("AccessDenied");
    await gearsetConnects("gearset-min", creds);
  });

  it("the broad policy allows its wildcards and nothing more, over every served operation; git connects all three ways", async () => {
    const policy = fill(GEARSET_BROAD, "gearset");
    const creds = await userWith(server.url, "gearset-broad", { inline: policy });
    const { allowed } = await everyOperation(creds, "broad", "gearset", policy);
    // its wildcards reach reads, writes through the API, triggers, branches and tags' absence
    for (const op of ["PutFile", "CreateCommit", "TestRepositoryTriggers", "PutRepositoryTriggers", "GetBlob", "CreateBranch", "DeleteBranch", "UpdateRepositoryName"]) {
      expect(allowed).toContain(op);
    }
    for (const op of ["DeleteRepository", "DeleteFile", "TagResource", "ListBranches", "ListRepositories"]) expect(allowed).not.toContain(op);
    // and nothing on another repository
    const elsewhere = await call(server.url, "sdk", "GetRepository", { repositoryName: "other" }, creds);
    expect(elsewhere.error).toBe("AccessDeniedException");
    await gearsetConnects("gearset-broad", creds);
  });
});

describe("Git Integration for Jira (seed 001) with the AWS managed policies", () => {
  it("AWSCodeCommitReadOnly: every served read, no write; clones but cannot push", async () => {
    const creds = await userWith(server.url, "jira-reader", { managed: [managed("AWSCodeCommitReadOnly")] });
    const { allowed } = await everyOperation(creds, "reader", "jira", READ_ONLY);
    for (const op of ["ListRepositories", "BatchGetRepositories", "GetRepository", "ListBranches", "GetCommit", "GetFile"]) expect(allowed).toContain(op);
    for (const op of ["CreateBranch", "DeleteBranch", "PutFile", "CreateRepository", "DeleteRepository"]) expect(allowed).not.toContain(op);
    const env = gitHome(creds);
    const dir = tmpDir("jira-clone");
    await gitOk(["clone", "-q", `${server.url}/v1/repos/jira`, dir], { env });
    await gitOk(["commit", "-q", "--allow-empty", "-m", "reader"], { cwd: dir, env });
    const push = await git(["push", "origin", "HEAD:refs/heads/reader"], { cwd: dir, env });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain("is not authorized to perform: codecommit:GitPush");
  });

  it("AWSCodeCommitPowerUser: everything served but deleting repositories, approval rules and templates; clones and pushes", async () => {
    const creds = await userWith(server.url, "jira-power", { managed: [managed("AWSCodeCommitPowerUser")] });
    const { allowed } = await everyOperation(creds, "power", "jira", POWER_USER);
    // its only Delete* actions are DeleteBranch and DeleteFile
    expect(served.filter((op) => !allowed.includes(op)).sort()).toEqual(["DeleteApprovalRuleTemplate", "DeleteCommentContent", "DeletePullRequestApprovalRule", "DeleteRepository"]);
    await cloneAndPush(`${server.url}/v1/repos/jira`, gitHome(creds), "jira", "power");
    // its IAM statements: its own SSH keys and Git credentials, nobody else's
    expect((await aws(server.url, ["iam", "list-ssh-public-keys", "--user-name", "jira-power"], { creds })).code).toBe(0);
    expect(cliErrorCode(await aws(server.url, ["iam", "list-ssh-public-keys", "--user-name", "jira-reader"], { creds }))).toBe("AccessDenied");
  });
});
