import {
  AttachGroupPolicyCommand,
  CreateGroupCommand,
  CreateServiceSpecificCredentialCommand,
  DeleteAccessKeyCommand,
  PutGroupPolicyCommand,
  ResetServiceSpecificCredentialCommand,
  UpdateAccessKeyCommand,
  UpdateServiceSpecificCredentialCommand,
} from "@aws-sdk/client-iam";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callService } from "../helpers/api.js";
import { aws, cliErrorCode, git, gitHome, gitOk, makeWorkRepo, type Creds } from "../helpers/clients.js";
import { iamClient, managed, userWith } from "../helpers/iam.js";
import { ADMIN, startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

let server: ServerHandle;
const ACCOUNT = "000000000000";
const arnOf = (repo: string) => `arn:aws:codecommit:us-east-1:${ACCOUNT}:${repo}`;
let adminEnv: Record<string, string>;

beforeAll(async () => {
  server = await startServer();
  adminEnv = gitHome();
  for (const r of ["gearset", "other", "jira", "protected"]) {
    expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: r })).error).toBeUndefined();
    const work = await makeWorkRepo(adminEnv, { "README.md": `${r}\n` });
    await gitOk(["push", "-q", `${server.url}/v1/repos/${r}`, "main"], { cwd: work, env: adminEnv });
  }
});
afterAll(async () => {
  await server?.stop();
});

/** Runs the CLI v2 as a user; returns the error code, or undefined on success. */
async function cli(creds: Creds, args: string[]): Promise<string | undefined> {
  const r = await aws(server.url, args, { creds });
  return r.code === 0 ? undefined : (cliErrorCode(r) ?? r.stderr);
}

async function canClone(creds: Creds, repo: string): Promise<{ ok: boolean; stderr: string }> {
  const r = await git(["clone", "-q", `${server.url}/v1/repos/${repo}`, tmpDir("clone")], { env: gitHome(creds) });
  return { ok: r.code === 0, stderr: r.stderr };
}

async function pushCommit(creds: Creds, repo: string, refspecs: string[]): Promise<{ ok: boolean; stderr: string; work: string }> {
  const env = gitHome(creds);
  const work = tmpDir("push");
  await gitOk(["clone", "-q", `${server.url}/v1/repos/${repo}`, work], { env: adminEnv });
  fs.writeFileSync(path.join(work, `f-${Date.now()}-${Math.random()}.txt`), "change\n");
  await gitOk(["add", "."], { cwd: work, env });
  await gitOk(["commit", "-qm", "change"], { cwd: work, env });
  const r = await git(["push", `${server.url}/v1/repos/${repo}`, ...refspecs], { cwd: work, env });
  return { ok: r.code === 0, stderr: r.stderr, work };
}

// The seed journeys (Gearset, Jira) are in seed-journeys.test.ts.

describe("branch protection (codecommit-wire.md §6)", () => {
  const denyMain = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Deny",
        // AWS's example (codecommit-wire.md §6), and the two other branch-changing calls served
        Action: [
          "codecommit:GitPush", "codecommit:DeleteBranch", "codecommit:PutFile", "codecommit:CreateCommit", "codecommit:DeleteFile",
          "codecommit:MergeBranchesByFastForward",
          "codecommit:MergeBranchesBySquash", "codecommit:MergeBranchesByThreeWay", "codecommit:MergePullRequestByFastForward",
          "codecommit:MergePullRequestBySquash", "codecommit:MergePullRequestByThreeWay",
        ],
        Resource: arnOf("protected"),
        Condition: { StringEqualsIfExists: { "codecommit:References": ["refs/heads/main"] }, Null: { "codecommit:References": "false" } },
      },
    ],
  };

  it("denies pushes to main to everyone but one group; other branches stay open; a refused push changes nothing", async () => {
    const iam = iamClient(server.url);
    await iam.send(new CreateGroupCommand({ GroupName: "developers" }));
    await iam.send(new CreateGroupCommand({ GroupName: "release-managers" }));
    for (const g of ["developers", "release-managers"]) await iam.send(new AttachGroupPolicyCommand({ GroupName: g, PolicyArn: managed("AWSCodeCommitPowerUser") }));
    await iam.send(new PutGroupPolicyCommand({ GroupName: "developers", PolicyName: "protect-main", PolicyDocument: JSON.stringify(denyMain) }));
    const dev = await userWith(server.url, "dev1", { groups: ["developers"] });
    const lead = await userWith(server.url, "lead1", { groups: ["release-managers"] });
    const before = (await call(server.url, "sdk", "GetBranch", { repositoryName: "protected", branchName: "main" })).out.branch.commitId;

    expect((await pushCommit(dev, "protected", ["HEAD:refs/heads/feature"])).ok).toBe(true);
    const denied = await pushCommit(dev, "protected", ["HEAD:refs/heads/main"]);
    expect(denied.ok).toBe(false);
    expect(denied.stderr).toContain("[remote rejected] HEAD -> main");
    expect(denied.stderr).toContain(
      `remote: error: User: arn:aws:iam::${ACCOUNT}:user/dev1 is not authorized to perform: codecommit:GitPush on resource: ${arnOf("protected")} with an explicit deny in an identity-based policy`,
    );
    // one push of two refs with one refused: neither moves
    const both = await pushCommit(dev, "protected", ["HEAD:refs/heads/also-new", "HEAD:refs/heads/main"]);
    expect(both.ok).toBe(false);
    expect((await call(server.url, "sdk", "GetBranch", { repositoryName: "protected", branchName: "also-new" })).error).toBe("BranchDoesNotExistException");
    expect((await call(server.url, "sdk", "GetBranch", { repositoryName: "protected", branchName: "main" })).out.branch.commitId).toBe(before);
    // the API is held to the same rule: PutFile to main is refused, to other branches allowed
    const putFile = (creds: typeof dev, branch: string, parent: string) =>
      call(server.url, "sdk", "PutFile", {
        repositoryName: "protected",
        branchName: branch,
        filePath: `api-${branch}-${Date.now()}.txt`,
        fileContent: Buffer.from("through the API\n"),
        parentCommitId: parent,
      }, creds);
    const put = await putFile(dev, "main", before);
    expect(put.error).toBe("AccessDeniedException");
    expect(put.message).toContain("codecommit:PutFile on resource: " + arnOf("protected") + " with an explicit deny");
    const featureTip = (await call(server.url, "sdk", "GetBranch", { repositoryName: "protected", branchName: "feature" })).out.branch.commitId;
    expect((await putFile(dev, "feature", featureTip)).error).toBeUndefined();
    // CreateCommit and DeleteFile on main are refused the same way, and work on other branches
    const createCommit = (creds: Creds, branch: string, parent: string) =>
      call(server.url, "sdk", "CreateCommit", {
        repositoryName: "protected",
        branchName: branch,
        parentCommitId: parent,
        putFiles: [{ filePath: `commit-${branch}-${Date.now()}.txt`, fileContent: Buffer.from("commit\n") }],
      }, creds);
    const deleteFile = (creds: Creds, branch: string, parent: string, filePath: string) =>
      call(server.url, "sdk", "DeleteFile", { repositoryName: "protected", branchName: branch, parentCommitId: parent, filePath }, creds);
    const tipOf = async (branch: string) => (await call(server.url, "sdk", "GetBranch", { repositoryName: "protected", branchName: branch })).out.branch.commitId;
    for (const refused of [await createCommit(dev, "main", before), await deleteFile(dev, "main", before, "README.md")]) {
      expect(refused.error).toBe("AccessDeniedException");
      expect(refused.message).toContain("with an explicit deny in an identity-based policy");
    }
    expect((await createCommit(dev, "feature", await tipOf("feature"))).error).toBeUndefined();
    expect((await deleteFile(dev, "feature", await tipOf("feature"), "README.md")).error).toBeUndefined();
    // DeleteBranch main is refused through the API, and deleting main over HTTPS git too
    const delMain = await aws(server.url, ["codecommit", "delete-branch", "--repository-name", "protected", "--branch-name", "main"], { creds: dev });
    expect(cliErrorCode(delMain)).toBe("AccessDeniedException");
    expect(delMain.stderr).toContain("codecommit:DeleteBranch on resource: " + arnOf("protected") + " with an explicit deny");
    const gitDelete = await git(["push", `${server.url}/v1/repos/protected`, ":refs/heads/main"], { cwd: denied.work, env: gitHome(dev) });
    expect(gitDelete.code).not.toBe(0);
    expect(gitDelete.stderr).toContain("[remote rejected] main");
    expect(await tipOf("main")).toBe(before);
    // and DeleteBranch of other branches is not refused
    expect(await cli(dev, ["codecommit", "delete-branch", "--repository-name", "protected", "--branch-name", "feature"])).toBeUndefined();

    // the release managers may change main, by git and by each API call
    expect((await pushCommit(lead, "protected", ["HEAD:refs/heads/main"])).ok).toBe(true);
    const after = await tipOf("main");
    expect(after).not.toBe(before);
    expect((await putFile(lead, "main", after)).error).toBeUndefined();
    expect((await createCommit(lead, "main", await tipOf("main"))).error).toBeUndefined();
    expect((await deleteFile(lead, "main", await tipOf("main"), "README.md")).error).toBeUndefined();
    // (main is the default branch: DeleteBranch gets past the policy and is refused for that)
    expect((await call(server.url, "sdk", "DeleteBranch", { repositoryName: "protected", branchName: "main" }, lead)).error).toBe("DefaultBranchCannotBeDeletedException");
  });
});

describe("resource tags (aws:ResourceTag)", () => {
  it("a tag-conditioned policy decides the same for the API and for git", async () => {
    for (const r of ["frozen", "thawed"]) {
      expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: r, tags: { state: r } })).error).toBeUndefined();
      const work = await makeWorkRepo(adminEnv, { "README.md": `${r}\n` });
      await gitOk(["push", "-q", `${server.url}/v1/repos/${r}`, "main"], { cwd: work, env: adminEnv });
    }
    const creds = await userWith(server.url, "tagged-dev", {
      managed: [managed("AWSCodeCommitPowerUser")],
      inline: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Deny", Action: ["codecommit:GitPush", "codecommit:PutFile", "codecommit:CreateBranch"], Resource: "*", Condition: { StringEquals: { "aws:ResourceTag/state": "frozen" } } },
        ],
      },
    });
    // the API refuses the frozen repository and allows the other
    for (const [repo, expected] of [["frozen", "AccessDeniedException"], ["thawed", undefined]] as const) {
      const tip = (await call(server.url, "sdk", "GetBranch", { repositoryName: repo, branchName: "main" })).out.branch.commitId;
      expect(await cli(creds, ["codecommit", "create-branch", "--repository-name", repo, "--branch-name", "b", "--commit-id", tip]), repo).toBe(expected);
    }
    // and so does git, with the same policy
    const frozen = await pushCommit(creds, "frozen", ["HEAD:main"]);
    expect(frozen.ok).toBe(false);
    expect(frozen.stderr).toContain("explicit deny");
    expect((await pushCommit(creds, "thawed", ["HEAD:main"])).ok).toBe(true);
    expect((await canClone(creds, "frozen")).ok).toBe(true); // GitPull is not denied
  });
});

describe("credentials for git", () => {
  it("HTTPS Git credentials clone and push; deactivated or reset ones stop working at once", async () => {
    const creds = await userWith(server.url, "https-user", { managed: [managed("AWSCodeCommitPowerUser")] });
    const iam = iamClient(server.url);
    const c = (await iam.send(new CreateServiceSpecificCredentialCommand({ UserName: "https-user", ServiceName: "codecommit.amazonaws.com" })))
      .ServiceSpecificCredential!;
    const url = (password: string) =>
      `${server.url.replace("://", `://${encodeURIComponent(c.ServiceUserName!)}:${encodeURIComponent(password)}@`)}/v1/repos/gearset`;
    const env = gitHome(creds, { helper: false });
    expect((await git(["ls-remote", url(c.ServicePassword!)], { env })).code).toBe(0);
    const work = await makeWorkRepo(env, { "https.txt": "via git credentials\n" });
    expect((await git(["push", "-q", url(c.ServicePassword!), "main:refs/heads/https"], { cwd: work, env })).code).toBe(0);
    const wrong = await git(["ls-remote", url("not-the-password")], { env });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("remote: The HTTPS Git credentials are not valid or not active.");

    await iam.send(new UpdateServiceSpecificCredentialCommand({ UserName: "https-user", ServiceSpecificCredentialId: c.ServiceSpecificCredentialId, Status: "Inactive" }));
    expect((await git(["ls-remote", url(c.ServicePassword!)], { env })).code).not.toBe(0);
    await iam.send(new UpdateServiceSpecificCredentialCommand({ UserName: "https-user", ServiceSpecificCredentialId: c.ServiceSpecificCredentialId, Status: "Active" }));
    expect((await git(["ls-remote", url(c.ServicePassword!)], { env })).code).toBe(0);
    const reset = await iam.send(new ResetServiceSpecificCredentialCommand({ UserName: "https-user", ServiceSpecificCredentialId: c.ServiceSpecificCredentialId }));
    expect((await git(["ls-remote", url(c.ServicePassword!)], { env })).code).not.toBe(0);
    expect((await git(["ls-remote", url(reset.ServiceSpecificCredential!.ServicePassword!)], { env })).code).toBe(0);
  });

  it("a deactivated or deleted access key stops working at once, for the API and for git", async () => {
    const creds = await userWith(server.url, "revoked", { managed: [managed("AWSCodeCommitReadOnly")] });
    expect(await cli(creds, ["codecommit", "list-repositories"])).toBeUndefined();
    // the key's last use is recorded (GetAccessKeyLastUsed)
    let last;
    for (let i = 0; i < 20 && !last?.AccessKeyLastUsed?.LastUsedDate; i++) {
      last = (await callService("iam", server.url, "sdk", "GetAccessKeyLastUsed", { AccessKeyId: creds.accessKeyId })).out;
      if (!last?.AccessKeyLastUsed?.LastUsedDate) await new Promise((r) => setTimeout(r, 100));
    }
    expect(last.AccessKeyLastUsed).toMatchObject({ ServiceName: "codecommit", Region: "us-east-1" });
    expect((await canClone(creds, "gearset")).ok).toBe(true);
    const iam = iamClient(server.url);
    await iam.send(new UpdateAccessKeyCommand({ UserName: "revoked", AccessKeyId: creds.accessKeyId, Status: "Inactive" }));
    expect(await cli(creds, ["codecommit", "list-repositories"])).toBe("UnrecognizedClientException");
    expect((await canClone(creds, "gearset")).ok).toBe(false);
    await iam.send(new UpdateAccessKeyCommand({ UserName: "revoked", AccessKeyId: creds.accessKeyId, Status: "Active" }));
    expect(await cli(creds, ["codecommit", "list-repositories"])).toBeUndefined();
    await iam.send(new DeleteAccessKeyCommand({ UserName: "revoked", AccessKeyId: creds.accessKeyId }));
    expect(await cli(creds, ["codecommit", "list-repositories"])).toBe("UnrecognizedClientException");
  });
});

describe("the bootstrap identity", () => {
  it("is the IAM user admin with AdministratorAccess attached", async () => {
    const r = await aws(server.url, ["iam", "list-attached-user-policies", "--user-name", "admin"]);
    expect(r.json.AttachedPolicies).toEqual([{ PolicyName: "AdministratorAccess", PolicyArn: managed("AdministratorAccess") }]);
    const me = await aws(server.url, ["sts", "get-caller-identity"]);
    expect(me.json).toMatchObject({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/admin` });
    expect(me.json.UserId).toMatch(/^AIDA/);
    expect(ADMIN.accessKeyId).toBe("AKIAIOSFODNN7EXAMPLE");
  });
});
