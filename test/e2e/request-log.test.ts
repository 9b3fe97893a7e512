import { CreateRepositoryCommand, GetRepositoryCommand } from "@aws-sdk/client-codecommit";
import { CreateServiceSpecificCredentialCommand } from "@aws-sdk/client-iam";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { call } from "../helpers/api.js";
import { codecommit, git, gitHome, gitOk, makeWorkRepo, type Creds } from "../helpers/clients.js";
import { iamClient, managed, userWith } from "../helpers/iam.js";
import { s3Client } from "../helpers/s3.js";
import { ADMIN, startServer, tmpDir, type ServerHandle } from "../helpers/server.js";
import { knownHostsFor, makeKey, sshGitEnv, sshUrl, uploadKey } from "../helpers/ssh.js";

/**
 * The server's log, as a newcomer reads it: a line per API call and per git transfer, each
 * refusal at warn with the action, resource and reason, and never a secret.
 */
let server: ServerHandle;
const ACCOUNT = "000000000000";
const REPO = "logged";
const repoArn = (name: string) => `arn:aws:codecommit:us-east-1:${ACCOUNT}:${name}`;
const readerArn = `arn:aws:iam::${ACCOUNT}:user/reader`;
let reader: Creds;
/** the reader's temporary credentials (GetSessionToken): a secret key and a session token */
let session: Creds;
/** the reader's HTTPS Git credential */
let https: { name: string; password: string };
const WRONG_PASSWORD = "not-the-password-Zq8Jw1VbX0mT4rKc9yH2";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Line = Record<string, any>;

function lines(): Line[] {
  const out: Line[] = [];
  for (const l of server.logs) {
    try {
      out.push(JSON.parse(l) as Line);
    } catch {
      /* not a log line */
    }
  }
  return out;
}

/** The log lines matching, once there are `n` of them (lines are written as responses end). */
async function waitForLines(pred: (l: Line) => boolean, n = 1): Promise<Line[]> {
  return vi.waitFor(
    () => {
      const found = lines().filter(pred);
      if (found.length < n) throw new Error(`${found.length} of ${n} log lines yet`);
      return found;
    },
    { timeout: 10_000, interval: 50 },
  );
}

const httpsUrl = (user: string, password: string) =>
  `${server.url.replace("://", `://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`)}/v1/repos/${REPO}`;

beforeAll(async () => {
  server = await startServer();
  expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: REPO })).error).toBeUndefined();
  const adminGit = gitHome();
  const work = await makeWorkRepo(adminGit);
  await gitOk(["push", "-q", `${server.url}/v1/repos/${REPO}`, "main"], { cwd: work, env: adminGit });
  reader = await userWith(server.url, "reader", { managed: [managed("AWSCodeCommitReadOnly")] });
  const c = (await new STSClient({ endpoint: server.url, region: "us-east-1", credentials: reader, maxAttempts: 1 }).send(new GetSessionTokenCommand({})))
    .Credentials!;
  session = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  const cred = (await iamClient(server.url).send(new CreateServiceSpecificCredentialCommand({ UserName: "reader", ServiceName: "codecommit.amazonaws.com" })))
    .ServiceSpecificCredential!;
  https = { name: cred.ServiceUserName!, password: cred.ServicePassword! };
});
afterAll(async () => {
  await server?.stop();
});

describe("the server log", () => {
  it("has a line per API call: who, what, which repository, the status and how long it took", async () => {
    const r = await codecommit(server.url).send(new GetRepositoryCommand({ repositoryName: REPO }));
    const [line] = await waitForLines((l) => l.msg === "api call" && l.requestId === r.$metadata.requestId);
    expect(line).toMatchObject({
      level: 30,
      service: "codecommit",
      operation: "GetRepository",
      principal: expect.stringMatching(/^arn:aws:iam::000000000000:/),
      repository: REPO,
      status: 200,
      sourceIp: "127.0.0.1",
    });
    expect(line!.durationMs).toBeGreaterThanOrEqual(0);
    expect(line!.errorCode).toBeUndefined();
    expect(line!.action).toBeUndefined();
  });

  it("logs a refused call at warn with the action, the resource and why", async () => {
    // temporary credentials: the session token travels in a header, and must not reach the log
    const e = await codecommit(server.url, session)
      .send(new CreateRepositoryCommand({ repositoryName: "not-allowed" }))
      .then(() => undefined, (x: { name: string; $metadata: { requestId?: string } }) => x);
    expect(e?.name).toBe("AccessDeniedException");
    const [line] = await waitForLines((l) => l.msg === "api call" && l.requestId === e!.$metadata.requestId);
    expect(line).toMatchObject({
      level: 40,
      service: "codecommit",
      operation: "CreateRepository",
      principal: readerArn,
      repository: "not-allowed",
      status: 400,
      errorCode: "AccessDeniedException",
      action: "codecommit:CreateRepository",
      resource: repoArn("not-allowed"),
      reason: "no-identity-allow",
      message: expect.stringContaining("is not authorized to perform: codecommit:CreateRepository"),
    });
  });

  it("bounds what the client named: a refused call for a very long name logs a clipped one", async () => {
    const name = "x".repeat(5000);
    const e = await codecommit(server.url, reader)
      .send(new CreateRepositoryCommand({ repositoryName: name }))
      .then(() => undefined, (x: { name: string; $metadata: { requestId?: string } }) => x);
    expect(e?.name).toBe("AccessDeniedException");
    const [line] = await waitForLines((l) => l.msg === "api call" && l.requestId === e!.$metadata.requestId);
    expect(line!.repository).toBe(`${"x".repeat(300)}…`);
    expect(line!.resource.length).toBeLessThanOrEqual(301);
    expect(line!.message.length).toBeLessThanOrEqual(1001);
  });

  it("logs a call refused at authentication: no principal, the key ID it claimed, and the reason", async () => {
    const e = await codecommit(server.url, { accessKeyId: reader.accessKeyId, secretAccessKey: WRONG_PASSWORD })
      .send(new GetRepositoryCommand({ repositoryName: REPO }))
      .then(() => undefined, (x: { name: string; $metadata: { requestId?: string } }) => x);
    expect(e?.name).toBe("InvalidSignatureException");
    const [line] = await waitForLines((l) => l.msg === "api call" && l.requestId === e!.$metadata.requestId);
    expect(line).toMatchObject({
      level: 40,
      operation: "GetRepository",
      principal: null,
      status: 400,
      errorCode: "InvalidSignatureException",
      action: "codecommit:GetRepository",
      resource: null,
      reason: "badSignature",
      accessKeyId: reader.accessKeyId,
    });
    // the input is not read before the caller is known
    expect(line!.repository).toBeUndefined();
  });

  it("has a line per git request of a clone over HTTP, with git's exit code and the bytes sent", async () => {
    const before = lines().length;
    const dir = tmpDir("log-clone");
    // the credential helper, with the session token in the user name
    await gitOk(["clone", "-q", `${server.url}/v1/repos/${REPO}`, dir], { env: gitHome(session) });
    const mine = (l: Line) => l.msg === "git transfer" && l.transport === "http" && l.principal === readerArn;
    const found = await waitForLines(mine, 2);
    const refs = found.find((l) => l.step === "info/refs")!;
    const pack = found.find((l) => l.step === "rpc")!;
    for (const l of [refs, pack]) {
      expect(l).toMatchObject({ level: 30, service: "git-upload-pack", repository: REPO, status: 200, exitCode: 0 });
      expect(l.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(l.bytesOut).toBeGreaterThan(0);
    }
    expect(refs.requestId).not.toBe(pack.requestId);
    // git's first request carries no credentials: answered 401, and not a refusal
    const challenge = lines()
      .slice(before)
      .find((l) => l.msg === "git transfer" && l.status === 401);
    expect(challenge).toMatchObject({ level: 30, principal: null, service: "git-upload-pack" });
    expect(challenge!.action).toBeUndefined();
  });

  it("logs a refused push and a wrong git password at warn, with the action, the resource and why", async () => {
    const env = gitHome(ADMIN, { helper: false });
    const work = await makeWorkRepo(env, { "pushed.txt": "refused\n" });
    const push = await git(["push", httpsUrl(https.name, https.password), "HEAD:refs/heads/refused"], { cwd: work, env });
    expect(push.code).not.toBe(0);
    const [denied] = await waitForLines((l) => l.msg === "git transfer" && l.service === "git-receive-pack" && l.principal === readerArn);
    expect(denied).toMatchObject({
      level: 40,
      transport: "http",
      step: "info/refs",
      repository: REPO,
      status: 403,
      action: "codecommit:GitPush",
      resource: repoArn(REPO),
      reason: "no-identity-allow",
      message: expect.stringContaining("is not authorized to perform: codecommit:GitPush"),
    });

    const clone = await git(["clone", "-q", httpsUrl(https.name, WRONG_PASSWORD), tmpDir("log-wrong")], { env });
    expect(clone.code).not.toBe(0);
    const [wrong] = await waitForLines((l) => l.msg === "git transfer" && l.reason === "badCredentials");
    expect(wrong).toMatchObject({
      level: 40,
      transport: "http",
      service: "git-upload-pack",
      repository: REPO,
      principal: null,
      status: 403,
      action: "codecommit:GitPull",
      resource: repoArn(REPO),
    });
  });

  it("logs a push refused for one reference with that reference", async () => {
    const deny = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Action: "codecommit:GitPush",
          Resource: "*",
          Condition: { StringEqualsIfExists: { "codecommit:References": ["refs/heads/main"] }, Null: { "codecommit:References": "false" } },
        },
      ],
    };
    const dev = await userWith(server.url, "dev", { managed: [managed("AWSCodeCommitPowerUser")], inline: deny });
    const env = gitHome(dev);
    const dir = tmpDir("log-protected");
    await gitOk(["clone", "-q", `${server.url}/v1/repos/${REPO}`, dir], { env });
    fs.writeFileSync(path.join(dir, "main.txt"), "to main\n");
    await gitOk(["add", "."], { cwd: dir, env });
    await gitOk(["commit", "-qm", "to main"], { cwd: dir, env });
    expect((await git(["push", "origin", "HEAD:main"], { cwd: dir, env })).code).not.toBe(0);
    const [line] = await waitForLines((l) => l.msg === "git transfer" && l.step === "rpc" && l.service === "git-receive-pack" && l.principal === `arn:aws:iam::${ACCOUNT}:user/dev`);
    expect(line).toMatchObject({
      level: 40,
      service: "git-receive-pack",
      repository: REPO,
      // the refusal is receive-pack's report, which git prints: the HTTP answer is a 200
      status: 200,
      refs: 1,
      ref: "refs/heads/main",
      action: "codecommit:GitPush",
      resource: repoArn(REPO),
      reason: "explicit-deny-identity",
    });
  });

  it("has a line per git command over SSH, and one for a refused push", async () => {
    const key = makeKey("ed25519");
    const keyId = await uploadKey(server.url, "reader", key);
    const env = sshGitEnv(key, await knownHostsFor(server));
    const dir = tmpDir("log-ssh");
    await gitOk(["clone", "-q", sshUrl(server, keyId, REPO), dir], { env });
    const [clone] = await waitForLines((l) => l.msg === "git transfer" && l.transport === "ssh" && l.service === "git-upload-pack");
    expect(clone).toMatchObject({ level: 30, repository: REPO, principal: readerArn, keyId, exitCode: 0, sourceIp: "127.0.0.1" });
    expect(clone!.bytesOut).toBeGreaterThan(0);
    expect(clone!.requestId).toMatch(/^[0-9a-f-]{36}$/);

    fs.writeFileSync(path.join(dir, "ssh.txt"), "refused\n");
    await gitOk(["add", "."], { cwd: dir, env });
    await gitOk(["commit", "-qm", "refused"], { cwd: dir, env });
    expect((await git(["push", "origin", "HEAD:refs/heads/ssh-refused"], { cwd: dir, env })).code).not.toBe(0);
    const [refused] = await waitForLines((l) => l.msg === "git transfer" && l.transport === "ssh" && l.service === "git-receive-pack");
    expect(refused).toMatchObject({
      level: 40,
      repository: REPO,
      principal: readerArn,
      exitCode: 1,
      action: "codecommit:GitPush",
      resource: repoArn(REPO),
      reason: "no-identity-allow",
    });
  });

  it("has a line per S3 call, and a refused one at warn with the action and the object denied", async () => {
    await s3Client(server.url).send(new CreateBucketCommand({ Bucket: "logged-bucket" }));
    const put = await s3Client(server.url).send(new PutObjectCommand({ Bucket: "logged-bucket", Key: "dir/a.txt", Body: "hello" }));
    const [ok] = await waitForLines((l) => l.msg === "api call" && l.requestId === put.$metadata.requestId);
    expect(ok).toMatchObject({ level: 30, service: "s3", operation: "PutObject", principal: `arn:aws:iam::${ACCOUNT}:user/admin`, bucket: "logged-bucket", key: "dir/a.txt", status: 200 });
    expect(ok.durationMs).toBeGreaterThanOrEqual(0);
    const e = await s3Client(server.url, session)
      .send(new PutObjectCommand({ Bucket: "logged-bucket", Key: "dir/b.txt", Body: "no" }))
      .then(() => undefined, (x: { name: string; $metadata: { requestId?: string } }) => x);
    expect(e?.name).toBe("AccessDenied");
    const [refused] = await waitForLines((l) => l.msg === "api call" && l.requestId === e!.$metadata.requestId);
    expect(refused).toMatchObject({
      level: 40,
      service: "s3",
      operation: "PutObject",
      principal: readerArn,
      status: 403,
      errorCode: "AccessDenied",
      action: "s3:PutObject",
      resource: "arn:aws:s3:::logged-bucket/dir/b.txt",
    });
  });

  it("never holds a secret: no secret key, session token, git password, signature or authorization header", () => {
    const text = server.logs.join("\n");
    for (const secret of [ADMIN.secretAccessKey, reader.secretAccessKey, session.secretAccessKey, session.sessionToken!, https.password, WRONG_PASSWORD]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/Signature=|AWS4-HMAC-SHA256|\d{8}T\d{6}Z[0-9a-f]{64}/);
    expect(text.toLowerCase()).not.toContain("authorization");
    // and the lines this test looked at are all there
    expect(lines().filter((l) => l.msg === "api call").length).toBeGreaterThan(5);
  });
});
