import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { admin, sleep } from "../helpers/events.js";
import { startServer, type ServerHandle } from "../helpers/server.js";
import { Subscriber } from "../helpers/subscriber.js";

const ACCOUNT = "000000000000";
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:always-down`;

/**
 * A trigger to a Lambda function (its registered function URL) is retried as Lambda's
 * asynchronous invocation is: twice, one and then two minutes later (0.6 s and 1.2 s here, the
 * delays scaled by --delivery-delay-scale 0.01), then kept in the failed list.
 */
describe("Lambda destinations that keep failing", () => {
  let server: ServerHandle;
  let fn: Subscriber;
  beforeAll(async () => {
    server = await startServer({ args: ["--delivery-delay-scale", "0.01", "--delivery-timeout-seconds", "2"] });
    fn = await Subscriber.start({ path: "/lambda-url", respond: () => 502 });
  });
  afterAll(async () => {
    await fn?.close();
    await server?.stop();
  });

  it("are tried three times, one and two (scaled) minutes apart, then listed as failed and redelivered on request", async () => {
    expect((await admin(server.dataDir, ["register-function", "--function-arn", FUNCTION_ARN, "--url", fn.url])).code).toBe(0);
    expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: "to-lambda" })).error).toBeUndefined();
    const put = await call(server.url, "cli", "PutRepositoryTriggers", {
      repositoryName: "to-lambda",
      triggers: [{ name: "fn", destinationArn: FUNCTION_ARN, branches: [], events: ["all"] }],
    });
    expect(put.error).toBeUndefined();
    const env = gitHome();
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${server.url}/v1/repos/to-lambda`, "main"], { cwd: work, env });

    const tries = await fn.waitFor((rs) => (rs.length >= 3 ? rs : undefined));
    for (const t of tries) {
      expect(t.headers["content-type"]).toBe("application/json");
      expect(t.body).toBe(tries[0]!.body); // the same event each time
    }
    expect(JSON.parse(tries[0]!.body).Records[0]).toMatchObject({ eventSource: "aws:codecommit", eventTriggerName: "fn" });
    const first = tries[1]!.at - tries[0]!.at;
    const second = tries[2]!.at - tries[1]!.at;
    expect(first).toBeGreaterThanOrEqual(570);
    expect(second).toBeGreaterThanOrEqual(1170);
    expect(second).toBeGreaterThan(first * 1.5); // one minute, then two

    let d: any;
    for (let i = 0; i < 50 && d?.status !== "failed"; i++) {
      await sleep(100);
      d = ((await admin(server.dataDir, ["list-deliveries", "--status", "failed"])).json.deliveries as any[]).find((x) => x.kind === "lambda");
    }
    expect(d).toMatchObject({ status: "failed", kind: "lambda", messageType: "Lambda", endpoint: fn.url, attempts: 3, lastStatusCode: 502, triggerName: "fn" });
    expect(d.attemptLog.map((a: any) => [a.outcome, a.statusCode])).toEqual([
      ["retry", 502],
      ["retry", 502],
      ["failed", 502],
    ]);
    await sleep(1500);
    expect(fn.received).toHaveLength(3); // nothing after the last retry

    fn.respondWith(() => 200);
    expect((await admin(server.dataDir, ["redeliver", "--all-failed"])).json).toEqual({ requeued: 1 });
    const again = await fn.waitFor((rs) => rs[3]);
    expect(again.body).toBe(tries[0]!.body);
    for (let i = 0; i < 50 && d?.status !== "delivered"; i++) {
      await sleep(100);
      d = ((await admin(server.dataDir, ["list-deliveries"])).json.deliveries as any[]).find((x) => x.id === d.id);
    }
    expect(d).toMatchObject({ status: "delivered", attempts: 4, lastStatusCode: 200 });
  });
});
