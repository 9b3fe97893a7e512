import {
  CreateServiceSpecificCredentialCommand,
  DeleteAccessKeyCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  ListServiceSpecificCredentialsCommand,
  UpdateUserCommand,
} from "@aws-sdk/client-iam";
import { GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callService } from "../helpers/api.js";
import { aws, cliErrorCode, git, gitHome, gitOk, makeWorkRepo, type Creds } from "../helpers/clients.js";
import { iamClient, managed, userWith } from "../helpers/iam.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

/** HTTPS Git credentials and access keys as git uses them: names, renames, and revocation. */
let server: ServerHandle;
const ACCOUNT = "000000000000";

beforeAll(async () => {
  server = await startServer();
  expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: "creds" })).error).toBeUndefined();
  const env = gitHome();
  const work = await makeWorkRepo(env);
  await gitOk(["push", "-q", `${server.url}/v1/repos/creds`, "main"], { cwd: work, env });
});
afterAll(async () => {
  await server?.stop();
});

const httpsUrl = (userName: string, password: string, repo = "creds") =>
  `${server.url.replace("://", `://${encodeURIComponent(userName)}:${encodeURIComponent(password)}@`)}/v1/repos/${repo}`;
const plainGit = () => gitHome(undefined, { helper: false });

async function credentialFor(user: string): Promise<{ name: string; password: string; id: string }> {
  const c = (await iamClient(server.url).send(new CreateServiceSpecificCredentialCommand({ UserName: user, ServiceName: "codecommit.amazonaws.com" })))
    .ServiceSpecificCredential!;
  return { name: c.ServiceUserName!, password: c.ServicePassword!, id: c.ServiceSpecificCredentialId! };
}

describe("HTTPS Git credentials", () => {
  it("clone and push with real git, the user name and password in the URL", async () => {
    await userWith(server.url, "https-dev", { managed: [managed("AWSCodeCommitPowerUser")] });
    const c = await credentialFor("https-dev");
    expect(c.name).toBe(`https-dev-at-${ACCOUNT}`);
    const env = plainGit();
    const dir = tmpDir("https-clone");
    await gitOk(["clone", "-q", httpsUrl(c.name, c.password), dir], { env });
    fs.writeFileSync(path.join(dir, "from-https.txt"), "pushed with HTTPS Git credentials\n");
    await gitOk(["add", "."], { cwd: dir, env });
    await gitOk(["commit", "-qm", "https"], { cwd: dir, env });
    await gitOk(["push", "-q", "origin", "HEAD:refs/heads/https-branch"], { cwd: dir, env });
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: dir, env })).trim();
    expect((await call(server.url, "sdk", "GetBranch", { repositoryName: "creds", branchName: "https-branch" })).out.branch.commitId).toBe(tip);
    // the pushed content is what the API reads
    const file = await call(server.url, "sdk", "GetFile", { repositoryName: "creds", commitSpecifier: "https-branch", filePath: "from-https.txt" });
    expect(Buffer.from(file.out.fileContent).toString()).toBe("pushed with HTTPS Git credentials\n");
  });

  it("the user name in the URL and the password from git's credential helper: an empty password gets 401, so git asks", async () => {
    await userWith(server.url, "https-asked", { managed: [managed("AWSCodeCommitReadOnly")] });
    const c = await credentialFor("https-asked");
    const url = `${server.url.replace("://", `://${encodeURIComponent(c.name)}@`)}/v1/repos/creds`;
    // a helper that gives the password only, as the README's recipe does; git runs it only after a 401
    const env = { ...plainGit(), HW_TEST_PASSWORD: c.password };
    const helper = ["-c", "credential.helper=", "-c", 'credential.helper=!f() { echo "password=$HW_TEST_PASSWORD"; }; f'];
    const r = await git([...helper, "ls-remote", url], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("refs/heads/main");
    // without a helper (and no terminal to prompt on) git reports that it could not read a password, not a refusal
    const none = await git(["-c", "credential.helper=", "ls-remote", url], { env: { ...plainGit(), GIT_TERMINAL_PROMPT: "0" } });
    expect(none.code).not.toBe(0);
    expect(none.stderr).not.toContain("not valid");
  });

  it("follow a renamed user: the new name logs in, the old one no longer does, and the old name is free again", async () => {
    const iam = iamClient(server.url);
    await userWith(server.url, "ren1", { managed: [managed("AWSCodeCommitReadOnly")] });
    const first = await credentialFor("ren1");
    const second = await credentialFor("ren1");
    expect([first.name, second.name]).toEqual([`ren1-at-${ACCOUNT}`, `ren1+1-at-${ACCOUNT}`]);
    expect((await git(["ls-remote", httpsUrl(first.name, first.password)], { env: plainGit() })).code).toBe(0);

    await iam.send(new UpdateUserCommand({ UserName: "ren1", NewUserName: "ren2" }));
    const listed = (await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: "ren2" }))).ServiceSpecificCredentials!;
    expect(listed.map((x) => [x.ServiceSpecificCredentialId, x.ServiceUserName, x.UserName])).toEqual([
      [first.id, `ren2-at-${ACCOUNT}`, "ren2"],
      [second.id, `ren2+1-at-${ACCOUNT}`, "ren2"],
    ]);
    const old = await git(["ls-remote", httpsUrl(first.name, first.password)], { env: plainGit() });
    expect(old.code).not.toBe(0);
    expect(old.stderr).toContain("remote: The HTTPS Git credentials are not valid or not active.");
    expect((await git(["ls-remote", httpsUrl(`ren2-at-${ACCOUNT}`, first.password)], { env: plainGit() })).code).toBe(0);
    expect((await git(["ls-remote", httpsUrl(`ren2+1-at-${ACCOUNT}`, second.password)], { env: plainGit() })).code).toBe(0);

    // a new user of the old name gets the old credential name, and it is its own
    await userWith(server.url, "ren1", {});
    const reborn = await credentialFor("ren1");
    expect(reborn.name).toBe(`ren1-at-${ACCOUNT}`);
    const asNew = await git(["ls-remote", httpsUrl(reborn.name, first.password)], { env: plainGit() });
    expect(asNew.code).not.toBe(0);
  });

  it("never collide with names already held: a user named like another's second credential gets the next free name", async () => {
    await userWith(server.url, "col", {});
    expect((await credentialFor("col")).name).toBe(`col-at-${ACCOUNT}`);
    expect((await credentialFor("col")).name).toBe(`col+1-at-${ACCOUNT}`);
    await userWith(server.url, "col+1", {});
    const r = await callService("iam", server.url, "cli", "CreateServiceSpecificCredential", { UserName: "col+1", ServiceName: "codecommit.amazonaws.com" });
    expect(r.error).toBeUndefined();
    expect(r.out.ServiceSpecificCredential.ServiceUserName).toBe(`col+1+1-at-${ACCOUNT}`);
  });

  it("created concurrently for one user: the quota holds, names are distinct, and nobody hears a 500", async () => {
    await userWith(server.url, "racer", {});
    const results = await Promise.all(
      Array.from({ length: 5 }, () => callService("iam", server.url, "sdk", "CreateServiceSpecificCredential", { UserName: "racer", ServiceName: "codecommit.amazonaws.com" })),
    );
    const made = results.filter((r) => !r.error).map((r) => r.out.ServiceSpecificCredential.ServiceUserName);
    expect(made.sort()).toEqual([`racer+1-at-${ACCOUNT}`, `racer-at-${ACCOUNT}`]);
    expect(results.filter((r) => r.error).map((r) => r.error)).toEqual(["LimitExceeded", "LimitExceeded", "LimitExceeded"]);
  });
});

describe("revocation for git", () => {
  it("after DeleteAccessKey, the key's git passwords (credential helper) are refused at once", async () => {
    const creds = await userWith(server.url, "key-owner", { managed: [managed("AWSCodeCommitReadOnly")] });
    const env = gitHome(creds);
    expect((await git(["clone", "-q", `${server.url}/v1/repos/creds`, tmpDir("key-clone")], { env })).code).toBe(0);
    await iamClient(server.url).send(new DeleteAccessKeyCommand({ UserName: "key-owner", AccessKeyId: creds.accessKeyId }));
    const r = await git(["clone", "-q", `${server.url}/v1/repos/creds`, tmpDir("key-clone")], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("remote: The access key is not valid or not active.");
  });

  it("after DeleteServiceSpecificCredential, the HTTPS Git credential is refused at once", async () => {
    await userWith(server.url, "cred-owner", { managed: [managed("AWSCodeCommitReadOnly")] });
    const c = await credentialFor("cred-owner");
    expect((await git(["ls-remote", httpsUrl(c.name, c.password)], { env: plainGit() })).code).toBe(0);
    await iamClient(server.url).send(new DeleteServiceSpecificCredentialCommand({ UserName: "cred-owner", ServiceSpecificCredentialId: c.id }));
    const r = await git(["ls-remote", httpsUrl(c.name, c.password)], { env: plainGit() });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("remote: The HTTPS Git credentials are not valid or not active.");
  });

  it("after DeleteUser, the user's session credentials (KEY%TOKEN) are refused at once, for git and the API", async () => {
    const iam = iamClient(server.url);
    const creds = await userWith(server.url, "leaver", { managed: [managed("AWSCodeCommitReadOnly")] });
    const t = (await new STSClient({ endpoint: server.url, region: "us-east-1", credentials: creds, maxAttempts: 1 }).send(new GetSessionTokenCommand({ DurationSeconds: 900 })))
      .Credentials!;
    const session: Creds = { accessKeyId: t.AccessKeyId!, secretAccessKey: t.SecretAccessKey!, sessionToken: t.SessionToken! };
    const env = gitHome(session);
    expect((await git(["ls-remote", `${server.url}/v1/repos/creds`], { env })).code).toBe(0);
    // everything the user has must go before the user can
    await iam.send(new DeleteAccessKeyCommand({ UserName: "leaver", AccessKeyId: creds.accessKeyId }));
    // the session outlives its key (as in AWS), but not its user
    expect((await git(["ls-remote", `${server.url}/v1/repos/creds`], { env })).code).toBe(0);
    await iam.send(new DetachUserPolicyCommand({ UserName: "leaver", PolicyArn: managed("AWSCodeCommitReadOnly") }));
    await iam.send(new DeleteUserCommand({ UserName: "leaver" }));
    const r = await git(["ls-remote", `${server.url}/v1/repos/creds`], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("remote: The access key is not valid or not active.");
    expect(cliErrorCode(await aws(server.url, ["codecommit", "list-repositories"], { creds: session }))).toBe("UnrecognizedClientException");
  });
});
