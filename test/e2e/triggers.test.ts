import https from "node:https";
import fs from "node:fs";
import path from "node:path";
import { CreateBranchCommand, DeleteBranchCommand, GetRepositoryTriggersCommand, PutRepositoryTriggersCommand, TestRepositoryTriggersCommand } from "@aws-sdk/client-codecommit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type ClientKind } from "../helpers/api.js";
import { codecommit, gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { EVENT_TIME, admin, cc, recordsOf, sleep, sns, tlsOptions } from "../helpers/events.js";
import { managed, userWith } from "../helpers/iam.js";
import { startServer, type ServerHandle } from "../helpers/server.js";
import { Subscriber, validateWithSnsValidator, type Received } from "../helpers/subscriber.js";

const ACCOUNT = "000000000000";
const ADMIN_ARN = `arn:aws:iam::${ACCOUNT}:user/admin`;
const OUR_HOST = /^127\.0\.0\.1:\d+$/;

describe("Git Integration for Jira's journey (seeds 001) over HTTPS, with the AWS CLI and a real subscriber", () => {
  let server: ServerHandle;
  let ca: string;
  let sub: Subscriber;
  let topicArn: string;
  let configurationId: string;
  let env: Record<string, string>;
  let work: string;
  const repoUrl = () => `${server.url}/v1/repos/jira-demo`;

  beforeAll(async () => {
    server = await startServer({ args: ["--tls-self-signed"] });
    ca = fs.readFileSync(path.join(server.dataDir, "tls", "self-signed.crt"), "utf8");
    // sns-validator fetches SigningCertURL with https.get: trust our certificate
    https.globalAgent.options.ca = ca;
    sub = await Subscriber.start({ ca });
    env = { ...gitHome(), GIT_SSL_CAINFO: path.join(server.dataDir, "tls", "self-signed.crt") };
  });
  afterAll(async () => {
    await sub?.close();
    await server?.stop();
  });

  const caFile = () => path.join(server.dataDir, "tls", "self-signed.crt");
  const sdk = () => codecommit(server.url, undefined, "us-east-1", tlsOptions(ca));

  /** Waits for the next notification after `seen` of them, validating its signature. */
  async function nextNotification(seen: number): Promise<Received> {
    const n = await sub.waitFor((rs) => rs.filter((r) => r.headers["x-amz-sns-message-type"] === "Notification")[seen]);
    await validateWithSnsValidator(n.json, OUR_HOST);
    return n;
  }

  it("creates the topic, subscribes the endpoint, and the endpoint confirms through SubscribeURL", async () => {
    const created = await sns(server.url, ["create-topic", "--name", "codecommit-jira"], { ca: caFile() });
    expect(created.code).toBe(0);
    topicArn = created.json.TopicArn;
    expect(topicArn).toBe(`arn:aws:sns:us-east-1:${ACCOUNT}:codecommit-jira`);

    const subscribed = await sns(server.url, ["subscribe", "--topic-arn", topicArn, "--protocol", "http", "--notification-endpoint", sub.url], { ca: caFile() });
    expect(subscribed.code).toBe(0);
    expect(subscribed.json.SubscriptionArn).toBe("pending confirmation");

    const confirmation = await sub.waitFor((rs) => rs.find((r) => r.json?.Type === "SubscriptionConfirmation"));
    await validateWithSnsValidator(confirmation.json, OUR_HOST);
    expect(confirmation.headers["x-amz-sns-message-type"]).toBe("SubscriptionConfirmation");
    expect(confirmation.headers["x-amz-sns-topic-arn"]).toBe(topicArn);
    expect(confirmation.headers["x-amz-sns-subscription-arn"]).toBeUndefined();
    expect(confirmation.headers["content-type"]).toBe("text/plain; charset=UTF-8");
    expect(confirmation.headers["user-agent"]).toBe("Amazon Simple Notification Service Agent");
    expect(confirmation.json.SubscribeURL).toBe(`${server.url}/?Action=ConfirmSubscription&TopicArn=${topicArn}&Token=${confirmation.json.Token}`);
    expect(confirmation.json.SigningCertURL).toMatch(new RegExp(`^${server.url}/SimpleNotificationService-[0-9a-f]{32}\\.pem$`));

    // the subscriber GETs SubscribeURL as soon as it sees the confirmation
    const listed = await waitUntil(async () => {
      const r = await sns(server.url, ["list-subscriptions-by-topic", "--topic-arn", topicArn], { ca: caFile() });
      return r.json.Subscriptions[0]?.SubscriptionArn.startsWith(topicArn) ? r.json : undefined;
    });
    expect(listed.Subscriptions).toEqual([
      { SubscriptionArn: expect.stringMatching(new RegExp(`^${topicArn}:[0-9a-f-]{36}$`)), Owner: ACCOUNT, Protocol: "http", Endpoint: sub.url, TopicArn: topicArn },
    ]);
  });

  it("puts a trigger on the repository and reads it back (CLI v2)", async () => {
    expect((await cc(server.url, ["create-repository", "--repository-name", "jira-demo"], { ca: caFile() })).code).toBe(0);
    const empty = await cc(server.url, ["get-repository-triggers", "--repository-name", "jira-demo"], { ca: caFile() });
    expect(empty.json.triggers).toEqual([]);
    const trigger = { name: "git-for-jira-cloud-webhook-1", destinationArn: topicArn, branches: [] as string[], events: ["all" as const], customData: "jira-site-42" };
    const put = await cc(server.url, ["put-repository-triggers", "--repository-name", "jira-demo", "--triggers", JSON.stringify([trigger])], { ca: caFile() });
    expect(put.code).toBe(0);
    configurationId = put.json.configurationId;
    expect(configurationId).toMatch(/^[0-9a-f-]{36}$/);
    const got = await cc(server.url, ["get-repository-triggers", "--repository-name", "jira-demo"], { ca: caFile() });
    expect(got.json).toEqual({ configurationId, triggers: [trigger] });
    // every put is a new configuration
    const again = await sdk().send(new PutRepositoryTriggersCommand({ repositoryName: "jira-demo", triggers: [trigger] }));
    expect(again.configurationId).not.toBe(configurationId);
    configurationId = again.configurationId!;
    expect((await sdk().send(new GetRepositoryTriggersCommand({ repositoryName: "jira-demo" }))).configurationId).toBe(configurationId);
  });

  it("delivers a push as CodeCommit's event, field by field, signed", async () => {
    const seen = sub.notifications().length;
    work = await makeWorkRepo(env, { "README.md": "JIRA-1 first\n" });
    await gitOk(["push", "-q", repoUrl(), "main", "main:refs/heads/feature/JIRA-1"], { cwd: work, env });
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();

    const n = await nextNotification(seen);
    expect(n.headers["x-amz-sns-message-type"]).toBe("Notification");
    expect(n.headers["x-amz-sns-topic-arn"]).toBe(topicArn);
    expect(n.headers["x-amz-sns-subscription-arn"]).toMatch(new RegExp(`^${topicArn}:`));
    expect(n.headers["x-amz-sns-message-id"]).toBe(n.json.MessageId);
    expect(n.json.Type).toBe("Notification");
    expect(n.json.Subject).toBe("UPDATE: AWS CodeCommit us-east-1 push: jira-demo");
    expect(n.json.UnsubscribeURL).toBe(`${server.url}/?Action=Unsubscribe&SubscriptionArn=${n.headers["x-amz-sns-subscription-arn"]}`);
    expect(n.json.Timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(typeof n.json.Message).toBe("string");

    const records = recordsOf(n);
    expect(records).toHaveLength(1);
    const r = records[0];
    expect(Object.keys(r)).toEqual([
      "awsRegion", "codecommit", "customData", "eventId", "eventName", "eventPartNumber", "eventSource", "eventSourceARN",
      "eventTime", "eventTotalParts", "eventTriggerConfigId", "eventTriggerName", "eventVersion", "userIdentityARN",
    ]);
    expect(r).toMatchObject({
      awsRegion: "us-east-1",
      customData: "jira-site-42",
      eventName: "ReferenceChanges",
      eventPartNumber: 1,
      eventSource: "aws:codecommit",
      eventSourceARN: `arn:aws:codecommit:us-east-1:${ACCOUNT}:jira-demo`,
      eventTotalParts: 1,
      eventTriggerConfigId: configurationId,
      eventTriggerName: "git-for-jira-cloud-webhook-1",
      eventVersion: "1.0",
      userIdentityARN: ADMIN_ARN,
    });
    expect(r.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.eventTime).toMatch(EVENT_TIME);
    expect(Math.abs(Date.parse(r.eventTime.replace("+0000", "Z")) - Date.now())).toBeLessThan(60_000);
    // one push of two refs: one event with two references
    expect(r.codecommit.references).toEqual([
      { commit: tip, ref: "refs/heads/feature/JIRA-1", created: true },
      { commit: tip, ref: "refs/heads/main", created: true },
    ]);

    // a second push moves main: no created flag
    fs.writeFileSync(path.join(work, "README.md"), "JIRA-1 second\n");
    await gitOk(["commit", "-qam", "JIRA-1 second"], { cwd: work, env });
    await gitOk(["push", "-q", repoUrl(), "main"], { cwd: work, env });
    const tip2 = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    const n2 = await nextNotification(seen + 1);
    expect(recordsOf(n2)[0].codecommit.references).toEqual([{ commit: tip2, ref: "refs/heads/main" }]);
    expect(n2.json.MessageId).not.toBe(n.json.MessageId);
  });

  it("TestRepositoryTriggers sends a test event from the last commit and reports failures", async () => {
    const seen = sub.notifications().length;
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    const out = await sdk().send(
      new TestRepositoryTriggersCommand({
        repositoryName: "jira-demo",
        triggers: [
          { name: "good", destinationArn: topicArn, branches: [], events: ["all"] },
          { name: "gone", destinationArn: `arn:aws:sns:us-east-1:${ACCOUNT}:no-such-topic`, branches: [], events: ["all"] },
        ],
      }),
    );
    expect(out.successfulExecutions).toEqual(["good"]);
    expect(out.failedExecutions).toEqual([{ trigger: "gone", failureMessage: expect.stringContaining("not an existing Amazon SNS topic") }]);
    const n = await nextNotification(seen);
    const r = recordsOf(n)[0];
    expect(r).toMatchObject({ eventName: "TriggerEventTest", eventTriggerName: "good", eventTriggerConfigId: configurationId, userIdentityARN: ADMIN_ARN });
    expect(r.codecommit.references).toEqual([{ commit: tip, ref: "refs/heads/main" }]);

    // the CLI v2 sees the same answer
    const cli = await cc(server.url, ["test-repository-triggers", "--repository-name", "jira-demo", "--triggers", JSON.stringify([{ name: "good", destinationArn: topicArn, branches: [], events: ["all"] }])], { ca: caFile() });
    expect(cli.json).toEqual({ successfulExecutions: ["good"], failedExecutions: [] });
  });

  it("applies branch and event filters per reference; API branch changes trigger too", async () => {
    await sdk().send(
      new PutRepositoryTriggersCommand({
        repositoryName: "jira-demo",
        triggers: [
          { name: "release-only", destinationArn: topicArn, branches: ["release"], events: ["all"] },
          { name: "deletions", destinationArn: topicArn, branches: [], events: ["deleteReference"] },
          { name: "creations-and-updates", destinationArn: topicArn, branches: ["main", "hotfix"], events: ["createReference", "updateReference"] },
        ],
      }),
    );
    const seen = sub.notifications().length;
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    // 1. a push creating release and a tag: release-only (release only; tags are not branches)
    await gitOk(["push", "-q", repoUrl(), "main:refs/heads/release", "main:refs/tags/v1"], { cwd: work, env });
    // 2. CreateBranch hotfix (API): creations-and-updates
    await sdk().send(new CreateBranchCommand({ repositoryName: "jira-demo", branchName: "hotfix", commitId: tip }));
    // 3. CreateBranch other (API): nobody (not a listed branch; not a deletion)
    await sdk().send(new CreateBranchCommand({ repositoryName: "jira-demo", branchName: "other", commitId: tip }));
    // 4. DeleteBranch release (API): release-only and deletions
    await sdk().send(new DeleteBranchCommand({ repositoryName: "jira-demo", branchName: "release" }));
    // 5. a push deleting the tag and updating main: deletions (the tag) and creations-and-updates (main)
    fs.writeFileSync(path.join(work, "README.md"), "JIRA-2\n");
    await gitOk(["commit", "-qam", "JIRA-2"], { cwd: work, env });
    const tip2 = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    await gitOk(["push", "-q", repoUrl(), "main", ":refs/tags/v1"], { cwd: work, env });

    const expected = [
      { trigger: "release-only", refs: [{ commit: tip, ref: "refs/heads/release", created: true }] },
      { trigger: "creations-and-updates", refs: [{ commit: tip, ref: "refs/heads/hotfix", created: true }] },
      { trigger: "release-only", refs: [{ commit: tip, ref: "refs/heads/release", deleted: true }] },
      { trigger: "deletions", refs: [{ commit: tip, ref: "refs/heads/release", deleted: true }] },
      { trigger: "deletions", refs: [{ commit: tip, ref: "refs/tags/v1", deleted: true }] },
      { trigger: "creations-and-updates", refs: [{ commit: tip2, ref: "refs/heads/main" }] },
    ];
    const got = await sub.waitFor((rs) => {
      const ns = rs.filter((r) => r.headers["x-amz-sns-message-type"] === "Notification").slice(seen);
      return ns.length >= expected.length ? ns : undefined;
    });
    await sleep(300); // nothing more arrives
    const all = sub.notifications().slice(seen);
    expect(all).toHaveLength(expected.length);
    const summary = all.map((n) => {
      const r = recordsOf(n)[0];
      return { trigger: r.eventTriggerName, refs: r.codecommit.references };
    });
    // one subscription gets its messages in order; the two triggers of one event may go either way round
    const key = (s: { trigger: string; refs: unknown }) => JSON.stringify(s);
    expect(summary.slice(0, 2)).toEqual(expected.slice(0, 2));
    expect(summary.slice(2, 4).map(key).sort()).toEqual(expected.slice(2, 4).map(key).sort());
    expect(summary.slice(4).map(key).sort()).toEqual(expected.slice(4).map(key).sort());
    for (const n of got) await validateWithSnsValidator(n.json, OUR_HOST);
    // API changes name their caller
    expect(recordsOf(all[1]!)[0].userIdentityARN).toBe(ADMIN_ARN);
  });
});

describe("trigger operations: CodeCommit's errors with the CLI v2 and the SDK v3, and Lambda destinations", () => {
  let server: ServerHandle;
  let topicArn: string;
  let lambda: Subscriber;
  const LAMBDA_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:jira-hook`;

  beforeAll(async () => {
    server = await startServer();
    topicArn = (await sns(server.url, ["create-topic", "--name", "codecommit-errors"])).json.TopicArn;
    expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: "errs" })).error).toBeUndefined();
    lambda = await Subscriber.start({ path: "/lambda" });
  });
  afterAll(async () => {
    await lambda?.close();
    await server?.stop();
  });

  const good = () => ({ name: "t", destinationArn: topicArn, branches: [] as string[], events: ["all"] });
  const cases: Array<[string, () => unknown, string]> = [
    ["eleven triggers", () => Array.from({ length: 11 }, (_, i) => ({ ...good(), name: `t${i}` })), "MaximumRepositoryTriggersExceededException"],
    ["an empty name", () => [{ ...good(), name: "" }], "RepositoryTriggerNameRequiredException"],
    ["two triggers of one name", () => [good(), good()], "InvalidRepositoryTriggerNameException"],
    ["an empty destination", () => [{ ...good(), destinationArn: "" }], "RepositoryTriggerDestinationArnRequiredException"],
    ["an S3 bucket destination", () => [{ ...good(), destinationArn: "arn:aws:s3:::bucket" }], "InvalidRepositoryTriggerDestinationArnException"],
    ["a topic in another region", () => [{ ...good(), destinationArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:codecommit-errors` }], "InvalidRepositoryTriggerRegionException"],
    ["a topic that does not exist", () => [{ ...good(), destinationArn: `arn:aws:sns:us-east-1:${ACCOUNT}:missing` }], "InvalidRepositoryTriggerDestinationArnException"],
    ["an unregistered Lambda function", () => [{ ...good(), destinationArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:nobody` }], "InvalidRepositoryTriggerDestinationArnException"],
    ["1001 characters of custom data", () => [{ ...good(), customData: "x".repeat(1001) }], "InvalidRepositoryTriggerCustomDataException"],
    ["no branch list", () => [{ name: "t", destinationArn: topicArn, events: ["all"] }], "RepositoryTriggerBranchNameListRequiredException"],
    ["eleven branches", () => [{ ...good(), branches: Array.from({ length: 11 }, (_, i) => `b${i}`) }], "MaximumBranchesExceededException"],
    ["an invalid branch name", () => [{ ...good(), branches: ["a..b"] }], "InvalidRepositoryTriggerBranchNameException"],
    ["a branch name git reads as an option", () => [{ ...good(), branches: ["main", "-x"] }], "InvalidRepositoryTriggerBranchNameException"],
    ["a branch name that ends in .lock", () => [{ ...good(), branches: ["x.lock"] }], "InvalidRepositoryTriggerBranchNameException"],
    ["no events", () => [{ ...good(), events: [] }], "RepositoryTriggerEventsListRequiredException"],
    ["all with another event", () => [{ ...good(), events: ["all", "createReference"] }], "InvalidRepositoryTriggerEventsException"],
    ["an unknown event", () => [{ ...good(), events: ["pushReference"] }], "InvalidRepositoryTriggerEventsException"],
  ];

  for (const client of ["cli", "sdk"] as ClientKind[]) {
    it(`answers bad trigger lists as CodeCommit does (${client})`, async () => {
      for (const [what, triggers, code] of cases) {
        const r = await call(server.url, client, "PutRepositoryTriggers", { repositoryName: "errs", triggers: triggers() });
        expect(r.error, what).toBe(code);
        if (client === "sdk" && (code !== "InvalidRepositoryTriggerDestinationArnException" || what.includes("S3"))) {
          // TestRepositoryTriggers validates the same way (an absent destination is a failed execution instead)
          const t = await call(server.url, client, "TestRepositoryTriggers", { repositoryName: "errs", triggers: triggers() });
          expect(t.error, `test: ${what}`).toBe(code);
        }
      }
      expect((await call(server.url, client, "PutRepositoryTriggers", { repositoryName: "nope", triggers: [good()] })).error).toBe("RepositoryDoesNotExistException");
      expect((await call(server.url, client, "GetRepositoryTriggers", { repositoryName: "nope" })).error).toBe("RepositoryDoesNotExistException");
      expect((await call(server.url, client, "GetRepositoryTriggers", { repositoryName: "bad name!" })).error).toBe("InvalidRepositoryNameException");
      // and nothing was stored by any of it
      expect((await call(server.url, client, "GetRepositoryTriggers", { repositoryName: "errs" })).out.triggers).toEqual([]);
    });
  }

  it("answers a missing trigger list with RepositoryTriggersListRequiredException (the SDK does not check)", async () => {
    const r = await call(server.url, "sdk", "PutRepositoryTriggers", { repositoryName: "errs" });
    expect(r.error).toBe("RepositoryTriggersListRequiredException");
  });

  it("accepts a Lambda function once an administrator registered its endpoint, and sends it the event JSON", async () => {
    const reg = await admin(server.dataDir, ["register-function", "--function-arn", LAMBDA_ARN, "--url", lambda.url]);
    expect(reg.code, reg.stderr).toBe(0);
    expect((await admin(server.dataDir, ["list-functions"])).json.functions).toEqual([
      expect.objectContaining({ functionArn: LAMBDA_ARN, url: lambda.url }),
    ]);
    const bad = await admin(server.dataDir, ["register-function", "--function-arn", "arn:aws:lambda:eu-west-1:000000000000:function:x", "--url", lambda.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/eu-west-1/);

    const put = await call(server.url, "cli", "PutRepositoryTriggers", {
      repositoryName: "errs",
      triggers: [{ name: "to-lambda", destinationArn: LAMBDA_ARN, branches: ["main"], events: ["all"], customData: "λ" }],
    });
    expect(put.error).toBeUndefined();
    const env = gitHome();
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/errs`, "main", "main:other"], { cwd: work, env });
    const tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    const got = await lambda.waitFor((rs) => rs[0]);
    expect(got.headers["content-type"]).toBe("application/json");
    const event = JSON.parse(got.body);
    expect(event.Records[0]).toMatchObject({
      eventSource: "aws:codecommit",
      eventName: "ReferenceChanges",
      eventTriggerName: "to-lambda",
      eventTriggerConfigId: put.out.configurationId,
      customData: "λ",
      eventSourceARN: `arn:aws:codecommit:us-east-1:${ACCOUNT}:errs`,
      userIdentityARN: ADMIN_ARN,
    });
    // the branch filter kept refs/heads/other out
    expect(event.Records[0].codecommit.references).toEqual([{ commit: tip, ref: "refs/heads/main", created: true }]);

    // userIdentityARN names whoever pushed: here an IAM user with CodeCommit's PowerUser policy
    const dev = await userWith(server.url, "dev", { managed: [managed("AWSCodeCommitPowerUser")] });
    const devEnv = gitHome(dev);
    await gitOk(["commit", "-q", "--allow-empty", "-m", "by dev"], { cwd: work, env: devEnv });
    await gitOk(["push", "-q", `${server.url}/v1/repos/errs`, "main"], { cwd: work, env: devEnv });
    const byDev = await lambda.waitFor((rs) => rs[1]);
    expect(JSON.parse(byDev.body).Records[0].userIdentityARN).toBe(`arn:aws:iam::${ACCOUNT}:user/dev`);
    expect(JSON.parse(byDev.body).Records[0].codecommit.references).toEqual([
      { commit: (await gitOk(["rev-parse", "HEAD"], { cwd: work, env: devEnv })).trim(), ref: "refs/heads/main" },
    ]);

    // TestRepositoryTriggers calls the endpoint at once, and reports what it answered
    const ok = await call(server.url, "sdk", "TestRepositoryTriggers", { repositoryName: "errs", triggers: [{ name: "to-lambda", destinationArn: LAMBDA_ARN, branches: [], events: ["all"] }] });
    expect(ok.out).toEqual({ successfulExecutions: ["to-lambda"], failedExecutions: [] });
    expect(JSON.parse(lambda.received[2]!.body).Records[0].eventName).toBe("TriggerEventTest");
    lambda.respondWith(() => 500);
    const failing = await call(server.url, "cli", "TestRepositoryTriggers", { repositoryName: "errs", triggers: [{ name: "to-lambda", destinationArn: LAMBDA_ARN, branches: [], events: ["all"] }] });
    expect(failing.out.successfulExecutions).toEqual([]);
    expect(failing.out.failedExecutions).toEqual([{ trigger: "to-lambda", failureMessage: expect.stringContaining("HTTP 500") }]);
    lambda.respondWith(undefined);

    expect((await admin(server.dataDir, ["deregister-function", "--function-arn", LAMBDA_ARN])).json.deregistered).toBe(true);
    const after = await call(server.url, "sdk", "PutRepositoryTriggers", { repositoryName: "errs", triggers: [{ name: "to-lambda", destinationArn: LAMBDA_ARN, branches: [], events: ["all"] }] });
    expect(after.error).toBe("InvalidRepositoryTriggerDestinationArnException");
  });
});

async function waitUntil<T>(fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await sleep(100);
  }
}
