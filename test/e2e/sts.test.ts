import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts";
import Database from "better-sqlite3";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitPassword } from "../../src/transport/git-auth.js";
import { call } from "../helpers/api.js";
import { aws, awsEnv, cliErrorCode, git, gitHome, gitOk, makeWorkRepo, python, type Creds } from "../helpers/clients.js";
import { iamClient, managed, userWith } from "../helpers/iam.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";

let server: ServerHandle;
const ACCOUNT = "000000000000";
const sts = (creds: Creds) => new STSClient({ endpoint: server.url, region: "us-east-1", credentials: creds, maxAttempts: 1 });

beforeAll(async () => {
  server = await startServer();
  await call(server.url, "sdk", "CreateRepository", { repositoryName: "temp" });
  const env = gitHome();
  const work = await makeWorkRepo(env);
  await gitOk(["push", "-q", `${server.url}/v1/repos/temp`, "main"], { cwd: work, env });
});
afterAll(async () => {
  await server?.stop();
});

function gitTimestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
}

describe("STS", () => {
  it("GetCallerIdentity says who the caller is (CLI v2 and SDK)", async () => {
    const creds = await userWith(server.url, "who", {});
    const cli = await aws(server.url, ["sts", "get-caller-identity"], { creds });
    expect(cli.json).toMatchObject({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/who` });
    const sdk = await sts(creds).send(new GetCallerIdentityCommand({}));
    expect(sdk.UserId).toBe(cli.json.UserId);
  });

  it("a presigned GetCallerIdentity URL (as EKS-style authenticators use) works, and cannot be stretched or given a body", async () => {
    const creds = await userWith(server.url, "presigner", {});
    const r = await python(
      `
import boto3
s = boto3.client("sts", endpoint_url="${server.url}", region_name="us-east-1")
print(s.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET"))
`,
      awsEnv(creds),
    );
    expect(r.stderr).toBe("");
    const url = r.stdout.trim();
    expect(url).toContain("X-Amz-Signature=");
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain(`<Arn>arn:aws:iam::${ACCOUNT}:user/presigner</Arn>`);

    // the signature covers the (empty) body: a body naming another action is refused
    const withBody = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "Action=CreateUser&Version=2010-05-08&UserName=smuggled" });
    expect(withBody.status).toBe(403);
    const users = await aws(server.url, ["iam", "list-users"]);
    expect(users.json.Users.map((u: { UserName: string }) => u.UserName)).not.toContain("smuggled");

    // an expiry that is not a number of seconds from 1 to 604800 is refused, not treated as endless
    for (const bad of ["abc", "0", "604801"]) {
      const res = await fetch(url.replace(/X-Amz-Expires=\d+/, `X-Amz-Expires=${bad}`));
      expect(res.status, bad).toBeGreaterThanOrEqual(400);
      expect(res.status, bad).toBeLessThan(500);
    }
  });

  it("GetSessionToken issues ASIA credentials with a token, good for the API and for git (KEY%TOKEN)", async () => {
    const creds = await userWith(server.url, "temp-user", { managed: [managed("AWSCodeCommitPowerUser")] });
    const r = await aws(server.url, ["sts", "get-session-token", "--duration-seconds", "900"], { creds });
    expect(r.code).toBe(0);
    const c = r.json.Credentials;
    expect(c.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(c.SecretAccessKey).toHaveLength(40);
    expect(Date.parse(c.Expiration) - Date.now()).toBeGreaterThan(890_000);
    const temp = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    expect((await aws(server.url, ["sts", "get-caller-identity"], { creds: temp })).json.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/temp-user`);
    expect((await aws(server.url, ["codecommit", "list-repositories"], { creds: temp })).code).toBe(0);
    // without the token, or with another, the key is refused
    expect(cliErrorCode(await aws(server.url, ["codecommit", "list-repositories"], { creds: { ...temp, sessionToken: undefined } }))).toBe(
      "UnrecognizedClientException",
    );
    // git through the credential helper: user name KEY%TOKEN
    const env = gitHome(temp);
    const dir = tmpDir("tempclone");
    await gitOk(["clone", "-q", `${server.url}/v1/repos/temp`, dir], { env });
    await gitOk(["commit", "-q", "--allow-empty", "-m", "from a session"], { cwd: dir, env });
    await gitOk(["push", "-q", "origin", "HEAD:refs/heads/from-session"], { cwd: dir, env });
    // git-remote-codecommit's form: the token URL-encoded in the user name
    const host = new URL(server.url).host;
    const pw = gitPassword(temp.secretAccessKey, gitTimestamp(), "us-east-1", host, "/v1/repos/temp");
    const user = encodeURIComponent(`${temp.accessKeyId}%${temp.sessionToken}`);
    expect(temp.sessionToken).toMatch(/[/+=]/);
    const grc = await git(["ls-remote", `http://${user}:${pw}@${host}/v1/repos/temp`], { env: gitHome(temp, { helper: false }) });
    expect(grc.stderr).toBe("");
    expect(grc.code).toBe(0);
    // and session credentials cannot make more session credentials
    await expect(sts(temp).send(new GetSessionTokenCommand({}))).rejects.toMatchObject({ name: "AccessDenied" });
  });

  it("AssumeRole: the trust policy and the caller's policy decide; the session has the role's permissions", async () => {
    const iam = iamClient(server.url);
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] };
    const role = await iam.send(new CreateRoleCommand({ RoleName: "reader", AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "reader", PolicyArn: managed("AWSCodeCommitReadOnly") }));
    const may = await userWith(server.url, "assumer", {
      inline: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: role.Role!.Arn }] },
    });
    const mayNot = await userWith(server.url, "not-assumer", {});

    const cli = await aws(server.url, ["sts", "assume-role", "--role-arn", role.Role!.Arn!, "--role-session-name", "ci-run"], { creds: may });
    expect(cli.code).toBe(0);
    expect(cli.json.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/reader/ci-run`);
    expect(cli.json.AssumedRoleUser.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:ci-run$/);
    const c = cli.json.Credentials;
    const session = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    expect((await aws(server.url, ["sts", "get-caller-identity"], { creds: session })).json.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/reader/ci-run`);
    expect((await aws(server.url, ["codecommit", "list-repositories"], { creds: session })).code).toBe(0);
    const del = await aws(server.url, ["codecommit", "delete-repository", "--repository-name", "temp"], { creds: session });
    expect(cliErrorCode(del)).toBe("AccessDeniedException");
    expect(del.stderr).toContain(`User: arn:aws:sts::${ACCOUNT}:assumed-role/reader/ci-run is not authorized to perform: codecommit:DeleteRepository`);
    const env = gitHome(session);
    expect((await git(["clone", "-q", `${server.url}/v1/repos/temp`, tmpDir("rolec")], { env })).code).toBe(0);

    await expect(sts(mayNot).send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn, RoleSessionName: "nope" }))).rejects.toMatchObject({ name: "AccessDenied" });

    // a session policy narrows the session further
    const narrowed = await sts(may).send(
      new AssumeRoleCommand({
        RoleArn: role.Role!.Arn,
        RoleSessionName: "narrow",
        Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "codecommit:GetRepository", Resource: "*" }] }),
      }),
    );
    const n = narrowed.Credentials!;
    const nc = { accessKeyId: n.AccessKeyId!, secretAccessKey: n.SecretAccessKey!, sessionToken: n.SessionToken! };
    expect((await aws(server.url, ["codecommit", "get-repository", "--repository-name", "temp"], { creds: nc })).code).toBe(0);
    expect(cliErrorCode(await aws(server.url, ["codecommit", "list-repositories"], { creds: nc }))).toBe("AccessDeniedException");
  });

  it("a role with a path: aws:PrincipalArn and role chaining see the role's full ARN", async () => {
    const iam = iamClient(server.url);
    const trustAccount = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] };
    const first = (await iam.send(new CreateRoleCommand({ RoleName: "pathed", Path: "/ci/", AssumeRolePolicyDocument: JSON.stringify(trustAccount) }))).Role!;
    expect(first.Arn).toBe(`arn:aws:iam::${ACCOUNT}:role/ci/pathed`);
    await iam.send(new AttachRolePolicyCommand({ RoleName: "pathed", PolicyArn: managed("AWSCodeCommitReadOnly") }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "pathed",
        PolicyName: "guard",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Deny", Action: "codecommit:ListRepositories", Resource: "*", Condition: { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:role/ci/*` } } },
            { Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" },
          ],
        }),
      }),
    );
    // the second role trusts only the first one, by its ARN with the path
    const trustFirst = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: first.Arn }, Action: "sts:AssumeRole" }] };
    const second = (await iam.send(new CreateRoleCommand({ RoleName: "chained", AssumeRolePolicyDocument: JSON.stringify(trustFirst) }))).Role!;
    const user = await userWith(server.url, "path-assumer", { inline: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] } });

    const c1 = (await sts(user).send(new AssumeRoleCommand({ RoleArn: first.Arn, RoleSessionName: "one" }))).Credentials!;
    const s1 = { accessKeyId: c1.AccessKeyId!, secretAccessKey: c1.SecretAccessKey!, sessionToken: c1.SessionToken! };
    expect((await aws(server.url, ["codecommit", "get-repository", "--repository-name", "temp"], { creds: s1 })).code).toBe(0);
    const listed = await aws(server.url, ["codecommit", "list-repositories"], { creds: s1 });
    expect(cliErrorCode(listed)).toBe("AccessDeniedException");
    expect(listed.stderr).toContain("explicit deny");
    const c2 = await sts(s1).send(new AssumeRoleCommand({ RoleArn: second.Arn, RoleSessionName: "two" }));
    expect(c2.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/chained/two`);
  });

  it("AssumeRole checks a session policy like any identity policy: MalformedPolicyDocument with the reason", async () => {
    const iam = iamClient(server.url);
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] };
    const role = (await iam.send(new CreateRoleCommand({ RoleName: "checked", AssumeRolePolicyDocument: JSON.stringify(trust) }))).Role!;
    const user = await userWith(server.url, "session-policy-user", { inline: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] } });
    const bad = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "x" }] });
    const r = await aws(server.url, ["sts", "assume-role", "--role-arn", role.Arn!, "--role-session-name", "bad", "--policy", bad], { creds: user });
    expect(cliErrorCode(r)).toBe("MalformedPolicyDocument");
    expect(r.stdout).toBe("");
    // the reason says what to fix
    expect(r.stderr).toContain("Policy statement must contain resources.");
    await expect(sts(user).send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: "bad2", Policy: "{not json" }))).rejects.toMatchObject({
      name: "MalformedPolicyDocumentException",
    });
    // a good one is taken
    const good = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "codecommit:GetRepository", Resource: "*" }] });
    expect((await aws(server.url, ["sts", "assume-role", "--role-arn", role.Arn!, "--role-session-name", "good", "--policy", good], { creds: user })).code).toBe(0);
  });

  it("AWS's revoke-older-sessions policy (aws:TokenIssueTime) cuts off existing role sessions at once, for the API and git; DeleteRole too", async () => {
    const iam = iamClient(server.url);
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] };
    const role = (await iam.send(new CreateRoleCommand({ RoleName: "revocable", AssumeRolePolicyDocument: JSON.stringify(trust) }))).Role!;
    await iam.send(new AttachRolePolicyCommand({ RoleName: "revocable", PolicyArn: managed("AWSCodeCommitReadOnly") }));
    const user = await userWith(server.url, "revoke-user", { inline: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] } });
    const assume = async (name: string): Promise<Creds> => {
      const c = (await sts(user).send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: name }))).Credentials!;
      return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    };
    const host = new URL(server.url).host;
    // git-remote-codecommit's form: KEY%TOKEN as the user name
    const lsRemote = (c: Creds) =>
      git(["ls-remote", `http://${encodeURIComponent(`${c.accessKeyId}%${c.sessionToken}`)}:${gitPassword(c.secretAccessKey, gitTimestamp(), "us-east-1", host, "/v1/repos/temp")}@${host}/v1/repos/temp`], {
        env: gitHome(c, { helper: false }),
      });
    const old = await assume("before");
    expect((await aws(server.url, ["codecommit", "list-repositories"], { creds: old })).code).toBe(0);
    expect((await lsRemote(old)).code).toBe(0);

    // the console's "Revoke active sessions" puts exactly this inline policy on the role
    const revokedAt = new Date();
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "revocable",
        PolicyName: "AWSRevokeOlderSessions",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Deny", Action: ["*"], Resource: ["*"], Condition: { DateLessThan: { "aws:TokenIssueTime": revokedAt.toISOString() } } }],
        }),
      }),
    );
    const api = await aws(server.url, ["codecommit", "list-repositories"], { creds: old });
    expect(cliErrorCode(api)).toBe("AccessDeniedException");
    expect(api.stderr).toContain(`arn:aws:sts::${ACCOUNT}:assumed-role/revocable/before is not authorized to perform: codecommit:ListRepositories on resource: * with an explicit deny`);
    const pull = await lsRemote(old);
    expect(pull.code).not.toBe(0);
    expect(pull.stderr).toContain("codecommit:GitPull");
    expect(pull.stderr).toContain("explicit deny");

    // a session issued after the revocation (token issue times are whole seconds) works
    await new Promise((r) => setTimeout(r, Math.ceil(revokedAt.getTime() / 1000) * 1000 + 50 - Date.now()));
    const fresh = await assume("after");
    expect((await aws(server.url, ["codecommit", "list-repositories"], { creds: fresh })).code).toBe(0);
    expect((await lsRemote(fresh)).code).toBe(0);

    // and when the role is deleted, its sessions stop at once
    await iam.send(new DeleteRolePolicyCommand({ RoleName: "revocable", PolicyName: "AWSRevokeOlderSessions" }));
    await iam.send(new DetachRolePolicyCommand({ RoleName: "revocable", PolicyArn: managed("AWSCodeCommitReadOnly") }));
    await iam.send(new DeleteRoleCommand({ RoleName: "revocable" }));
    expect(cliErrorCode(await aws(server.url, ["codecommit", "list-repositories"], { creds: fresh }))).toBe("UnrecognizedClientException");
    const gone = await lsRemote(fresh);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain("remote: The access key is not valid or not active.");
  });

  it("temporary credentials expire when they say", async () => {
    const creds = await userWith(server.url, "expiring", { managed: [managed("AWSCodeCommitReadOnly")] });
    const t = (await sts(creds).send(new GetSessionTokenCommand({ DurationSeconds: 900 }))).Credentials!;
    const temp = { accessKeyId: t.AccessKeyId!, secretAccessKey: t.SecretAccessKey!, sessionToken: t.SessionToken! };
    expect((await aws(server.url, ["codecommit", "list-repositories"], { creds: temp })).code).toBe(0);
    // fifteen minutes are long for a test: move the expiry into the past while the server is down
    await server.stop();
    const db = new Database(path.join(server.dataDir, "headwater.db"));
    db.prepare("update sts_sessions set expires_at = ? where access_key_id = ?").run(Date.now() - 1000, temp.accessKeyId);
    db.close();
    server = await startServer({ dataDir: server.dataDir });
    expect(cliErrorCode(await aws(server.url, ["codecommit", "list-repositories"], { creds: temp }))).toBe("ExpiredTokenException");
    const r = await git(["ls-remote", `${server.url}/v1/repos/temp`], { env: gitHome(temp) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("remote: The temporary credentials have expired.");
  });
});
