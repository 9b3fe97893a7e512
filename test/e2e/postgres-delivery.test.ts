import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { sleep } from "../helpers/events.js";
import { startPostgres, type Postgres } from "../helpers/postgres.js";
import { startServer, type ServerHandle } from "../helpers/server.js";
import { Subscriber } from "../helpers/subscriber.js";
import { branchesOf, notificationsIn, repoWithTrigger, topicWithSubscriber } from "../helpers/topics.js";

/** 20 s retries become 2 s; 2-second attempt deadline. */
const ARGS = ["--delivery-delay-scale", "0.1", "--delivery-timeout-seconds", "2"];

let pg: Postgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => pg?.stop());

describe("two server processes delivering from one PostgreSQL database", () => {
  let a: ServerHandle;
  let b: ServerHandle;
  let s: Subscriber;
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await s?.close();
  });

  it("send one destination's messages one at a time and in order, a retried one first, whichever process made them", async () => {
    pg.createDatabase("headwater_order");
    const args = [...ARGS, "--database-url", pg.url("headwater_order")];
    a = await startServer({ args });
    b = await startServer({ dataDir: a.dataDir, args });
    // a slow endpoint: each request takes 150 ms, so two workers sending at once would overlap
    s = await Subscriber.start({ answerAfterMs: 150 });
    const { topicArn } = await topicWithSubscriber(a, "codecommit-two", s);
    await repoWithTrigger(a, "two", topicArn);
    const env = gitHome();
    const work = await makeWorkRepo(env);
    await gitOk(["push", "-q", `${b.url}/v1/repos/two`, "main"], { cwd: work, env });
    const commitId = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    await s.waitFor((rs) => notificationsIn(rs).length >= 1);

    let failed = false;
    s.respondWith((r) => {
      if (r.headers["x-amz-sns-message-type"] !== "Notification" || failed) return 200;
      failed = true;
      return 500;
    });
    // the branches are made through both processes in turn; each process's workers deliver
    const names = Array.from({ length: 12 }, (_, i) => `b${String(i).padStart(2, "0")}`);
    for (const [i, branchName] of names.entries()) {
      const via = i % 2 ? b : a;
      expect((await call(via.url, "sdk", "CreateBranch", { repositoryName: "two", branchName, commitId })).error).toBeUndefined();
    }
    const got = (await s.waitFor((rs) => (notificationsIn(rs).length >= names.length + 2 ? notificationsIn(rs) : undefined), 60_000)).slice(1);
    await sleep(1000);
    expect(notificationsIn(s.received)).toHaveLength(names.length + 2);
    expect(branchesOf(got)).toEqual([names[0], ...names]);
    expect(got.map((r) => r.answered)).toEqual([500, ...names.map(() => 200)]);
    expect(s.maxInFlight).toBe(1);
    const log = pg.query("headwater_order", "select status, count(*)::int as n from deliveries group by status order by status");
    expect(log).toEqual([{ status: "delivered", n: names.length + 2 }]); // the confirmation, main, the branches
  });
});
