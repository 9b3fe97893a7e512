import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { recordsOf, sns } from "../helpers/events.js";
import { userWith, managed } from "../helpers/iam.js";
import { knownHostsFor, makeKey, sshGitEnv, sshUrl, uploadKey } from "../helpers/ssh.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";
import { Subscriber } from "../helpers/subscriber.js";

/**
 * Every path that moves a ref reaches a trigger's subscribers: pushes over HTTPS and SSH, and
 * the API's branch and content writes, each attributed to whoever made it.
 */
const ACCOUNT = "000000000000";
let server: ServerHandle;
let sub: Subscriber;
let seen = 0;

async function next(): Promise<{ records: any[]; subject: string }> {
  const n = await sub.waitFor((rs) => rs.filter((r) => r.headers["x-amz-sns-message-type"] === "Notification")[seen]);
  seen++;
  // (signatures are checked with sns-validator in triggers.test.ts, over HTTPS as it requires)
  return { records: recordsOf(n), subject: n.json.Subject };
}

beforeAll(async () => {
  server = await startServer({ args: ["--delivery-delay-scale", "0.01"] });
  sub = await Subscriber.start();
  expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: "sources" })).error).toBeUndefined();
  const topic = (await sns(server.url, ["create-topic", "--name", "codecommit-sources"])).json.TopicArn;
  await sns(server.url, ["subscribe", "--topic-arn", topic, "--protocol", "http", "--notification-endpoint", sub.url]);
  await sub.waitFor((rs) => rs.find((r) => r.json?.Type === "SubscriptionConfirmation"));
  // the subscriber confirms on its own; wait until SNS lists the confirmed subscription
  for (let i = 0; i < 50; i++) {
    const r = await sns(server.url, ["list-subscriptions-by-topic", "--topic-arn", topic]);
    if (r.json.Subscriptions[0]?.SubscriptionArn.startsWith(topic)) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const put = await call(server.url, "sdk", "PutRepositoryTriggers", {
    repositoryName: "sources",
    triggers: [{ name: "everything", destinationArn: topic, events: ["all"], branches: [] }],
  });
  expect(put.error).toBeUndefined();
});
afterAll(async () => {
  await sub?.close();
  await server?.stop();
});

describe("events from every source", () => {
  it("a push over HTTPS", async () => {
    const env = gitHome();
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/sources`, "main"], { cwd: work, env });
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    const { records, subject } = await next();
    expect(subject).toBe("UPDATE: AWS CodeCommit us-east-1 push: sources");
    expect(records[0].codecommit.references).toEqual([{ commit: tip, ref: "refs/heads/main", created: true }]);
    expect(records[0].userIdentityARN).toBe(`arn:aws:iam::${ACCOUNT}:user/admin`);
  });

  it("a push over SSH, attributed to the key's user", async () => {
    await userWith(server.url, "ssh-pusher", { managed: [managed("AWSCodeCommitPowerUser")] });
    const key = makeKey("ed25519");
    const keyId = await uploadKey(server.url, "ssh-pusher", key);
    const env = sshGitEnv(key, await knownHostsFor(server));
    const dir = tmpDir("sshsrc");
    await gitOk(["clone", "-q", sshUrl(server, keyId, "sources"), dir], { env });
    await gitOk(["commit", "-q", "--allow-empty", "-m", "over ssh"], { cwd: dir, env });
    await gitOk(["push", "-q", "origin", "HEAD:refs/heads/from-ssh"], { cwd: dir, env });
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: dir, env })).trim();
    const { records } = await next();
    expect(records[0].codecommit.references).toEqual([{ commit: tip, ref: "refs/heads/from-ssh", created: true }]);
    expect(records[0].userIdentityARN).toBe(`arn:aws:iam::${ACCOUNT}:user/ssh-pusher`);
  });

  it("CreateBranch and DeleteBranch", async () => {
    const main = (await call(server.url, "sdk", "GetBranch", { repositoryName: "sources", branchName: "main" })).out.branch.commitId;
    await call(server.url, "sdk", "CreateBranch", { repositoryName: "sources", branchName: "api-branch", commitId: main });
    expect((await next()).records[0].codecommit.references).toEqual([{ commit: main, ref: "refs/heads/api-branch", created: true }]);
    await call(server.url, "sdk", "DeleteBranch", { repositoryName: "sources", branchName: "api-branch" });
    const deleted = (await next()).records[0].codecommit.references[0];
    expect(deleted).toMatchObject({ ref: "refs/heads/api-branch", deleted: true });
  });

  it("PutFile, DeleteFile and CreateCommit", async () => {
    const parent = (await call(server.url, "sdk", "GetBranch", { repositoryName: "sources", branchName: "main" })).out.branch.commitId;
    const put = await call(server.url, "sdk", "PutFile", {
      repositoryName: "sources",
      branchName: "main",
      filePath: "docs/a.md",
      fileContent: Buffer.from("a\n"),
      parentCommitId: parent,
    });
    expect((await next()).records[0].codecommit.references).toEqual([{ commit: put.out.commitId, ref: "refs/heads/main" }]);
    const del = await call(server.url, "sdk", "DeleteFile", { repositoryName: "sources", branchName: "main", filePath: "docs/a.md", parentCommitId: put.out.commitId });
    expect((await next()).records[0].codecommit.references).toEqual([{ commit: del.out.commitId, ref: "refs/heads/main" }]);
    const commit = await call(server.url, "sdk", "CreateCommit", {
      repositoryName: "sources",
      branchName: "main",
      parentCommitId: del.out.commitId,
      putFiles: [{ filePath: "b.txt", fileContent: Buffer.from("b\n") }],
    });
    const { records } = await next();
    expect(records[0].codecommit.references).toEqual([{ commit: commit.out.commitId, ref: "refs/heads/main" }]);
    expect(records[0].eventSourceARN).toBe(`arn:aws:codecommit:us-east-1:${ACCOUNT}:sources`);
  });
});
