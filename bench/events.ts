/**
 * Events: how fast a push reaches a subscriber, and how fast a backlog of events fans out.
 *
 * - Latency: sequential pushes (a new commit on main each, static HTTPS Git credentials) to a
 *   repository whose trigger publishes to a topic with one HTTP subscriber on loopback.
 *   Measured: event recorded (the record's eventTime) → notification received; git push
 *   acknowledged (git exited) → notification received; git push started → notification.
 * - Fan-out: 1,000 events (CreateBranch calls) on a repository whose trigger publishes to a
 *   topic with 10 HTTP subscribers: 10,000 signed deliveries. Measured three ways: live (from
 *   the first call to the last delivery, events made while delivering), as a backlog (events
 *   recorded by a server without delivery workers; a server with them starts; from its start to
 *   the last delivery), and with 1,000 SNS Publish calls to the same topic instead of
 *   CreateBranch (SNS's own fan-out, without git in the way).
 */
import http from "node:http";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { performance } from "node:perf_hooks";
import { CodeCommitClient, CreateBranchCommand, CreateRepositoryCommand, GetBranchCommand, PutRepositoryTriggersCommand } from "@aws-sdk/client-codecommit";
import { aws, gitHome, gitOk, makeWorkRepo } from "../test/helpers/clients.js";
import { gitUrlWithCredentials } from "../test/helpers/events.js";
import { ADMIN, startServer, type ServerHandle } from "../test/helpers/server.js";

export interface EventsResult {
  pushes: number;
  eventToNotification: { p50: number; p99: number; max: number };
  ackToNotification: { p50: number; p99: number; max: number };
  pushToNotification: { p50: number; p99: number; max: number };
  pushSeconds: { p50: number };
  fanout: {
    events: number;
    subscribers: number;
    live: { seconds: number; callSeconds: number; deliveriesPerSecond: number };
    publish: { seconds: number; callSeconds: number; deliveriesPerSecond: number };
    backlog: { seconds: number; deliveriesPerSecond: number };
  };
}

interface Arrival {
  at: number; // performance.now()
  wall: number; // Date.now()
  body: string;
}

/** A loopback subscriber: confirms through SubscribeURL, counts notifications. */
async function endpoint(onNotification: (a: Arrival) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const type = req.headers["x-amz-sns-message-type"];
      if (type === "SubscriptionConfirmation") {
        const url = (JSON.parse(body) as { SubscribeURL: string }).SubscribeURL;
        http.get(url, (r) => r.resume());
      } else if (type === "Notification") {
        onNotification({ at: performance.now(), wall: Date.now(), body });
      }
      res.end("ok");
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function topicWith(server: ServerHandle, name: string, urls: string[]): Promise<string> {
  const topicArn = (await aws(server.url, ["sns", "create-topic", "--name", name])).json.TopicArn as string;
  for (const url of urls) {
    await aws(server.url, ["sns", "subscribe", "--topic-arn", topicArn, "--protocol", "http", "--notification-endpoint", url]);
  }
  // wait for every confirmation
  for (let i = 0; i < 200; i++) {
    const subs = (await aws(server.url, ["sns", "list-subscriptions-by-topic", "--topic-arn", topicArn])).json.Subscriptions as Array<{ SubscriptionArn: string }>;
    if (subs.length === urls.length && subs.every((s) => s.SubscriptionArn !== "PendingConfirmation")) return topicArn;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("subscriptions were not confirmed");
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

const stats = (xs: number[]) => ({ p50: pct(xs, 50), p99: pct(xs, 99), max: Math.max(...xs) });

function waitCount(get: () => number, n: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const end = Date.now() + timeoutMs;
    const tick = () => {
      if (get() >= n) return resolve();
      if (Date.now() > end) return reject(new Error(`timed out at ${get()} of ${n}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

async function trigger(sdk: CodeCommitClient, repo: string, topicArn: string): Promise<void> {
  await sdk.send(new CreateRepositoryCommand({ repositoryName: repo }));
  await sdk.send(new PutRepositoryTriggersCommand({ repositoryName: repo, triggers: [{ name: "bench", destinationArn: topicArn, branches: [], events: ["all"] }] }));
}

/** `count` signed SNS Publish calls (awsQuery), `concurrency` at a time, on kept-alive connections. */
async function publishMany(server: ServerHandle, topicArn: string, count: number, concurrency: number): Promise<void> {
  const u = new URL(server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const signer = new SignatureV4({ credentials: ADMIN, region: "us-east-1", service: "sns", sha256: Hash.bind(null, "sha256") });
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const body = new URLSearchParams({ Action: "Publish", Version: "2010-03-31", TopicArn: topicArn, Message: `message ${i}`, Subject: "bench" }).toString();
        const req = await signer.sign(
          new HttpRequest({ method: "POST", protocol: u.protocol, hostname: u.hostname, port: Number(u.port), path: "/", headers: { host: u.host, "content-type": "application/x-www-form-urlencoded" }, body }),
        );
        await new Promise<void>((resolve, reject) => {
          const r = http.request({ host: u.hostname, port: u.port, path: "/", method: "POST", headers: req.headers, agent }, (res) => {
            res.resume();
            res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`Publish answered ${res.statusCode}`))));
          });
          r.on("error", reject);
          r.end(body);
        });
      }
    }),
  );
  agent.destroy();
}

/** `count` CreateBranch calls, `concurrency` at a time. */
async function createBranches(sdk: CodeCommitClient, repo: string, commitId: string, count: number, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        await sdk.send(new CreateBranchCommand({ repositoryName: repo, branchName: `b-${String(i).padStart(5, "0")}`, commitId }));
      }
    }),
  );
}

export async function benchEvents(opts: { pushes: number; events: number; subscribers: number }): Promise<EventsResult> {
  // ---- latency
  const server = await startServer();
  const sdk = new CodeCommitClient({ endpoint: server.url, region: "us-east-1", credentials: ADMIN });
  let arrivals: Arrival[] = [];
  const one = await endpoint((a) => arrivals.push(a));
  const eventToN: number[] = [];
  const ackToN: number[] = [];
  const pushToN: number[] = [];
  const pushS: number[] = [];
  let fanoutLive: EventsResult["fanout"]["live"];
  let gitUrl!: (repo: string, base?: string) => string;
  let fanoutPublish: EventsResult["fanout"]["publish"];
  let dataDir: string;
  const fans: Array<Awaited<ReturnType<typeof endpoint>>> = [];
  let fanCount = 0;
  try {
    await trigger(sdk, "latency", await topicWith(server, "codecommit-latency", [one.url]));
    gitUrl = await gitUrlWithCredentials(server);
    const url = gitUrl("latency");
    const env = gitHome(ADMIN, { helper: false });
    const work = await makeWorkRepo(env);
    const warmup = 5;
    for (let i = 0; i < opts.pushes + warmup; i++) {
      if (i > 0) await gitOk(["commit", "-q", "--allow-empty", "-m", `push ${i}`], { cwd: work, env });
      arrivals = [];
      const t0 = performance.now();
      await gitOk(["push", "-q", url, "HEAD:main"], { cwd: work, env });
      const tAck = performance.now();
      await waitCount(() => arrivals.length, 1, 30_000);
      const a = arrivals[0]!;
      if (i < warmup) continue;
      const record = (JSON.parse((JSON.parse(a.body) as { Message: string }).Message) as { Records: Array<{ eventTime: string }> }).Records[0]!;
      eventToN.push(a.wall - Date.parse(record.eventTime.replace("+0000", "Z")));
      ackToN.push(Math.max(0, a.at - tAck));
      pushToN.push(a.at - t0);
      pushS.push((tAck - t0) / 1000);
    }

    // ---- fan-out, live
    for (let i = 0; i < opts.subscribers; i++) fans.push(await endpoint(() => fanCount++));
    const fanTopic = await topicWith(server, "codecommit-fanout", fans.map((f) => f.url));
    await trigger(sdk, "fanout", fanTopic);
    const seed = await makeWorkRepo(env);
    await gitOk(["push", "-q", gitUrl("fanout"), "HEAD:main"], { cwd: seed, env });
    const commitId = (await sdk.send(new GetBranchCommand({ repositoryName: "fanout", branchName: "main" }))).branch!.commitId!;
    await waitCount(() => fanCount, opts.subscribers, 30_000); // the seed push's own event
    fanCount = 0;
    const total = opts.events * opts.subscribers;
    const t0 = performance.now();
    await createBranches(sdk, "fanout", commitId, opts.events, 8);
    const tCalls = performance.now();
    await waitCount(() => fanCount, total, 120_000);
    const seconds = (performance.now() - t0) / 1000;
    fanoutLive = { seconds, callSeconds: (tCalls - t0) / 1000, deliveriesPerSecond: total / seconds };

    // ---- fan-out of published messages
    fanCount = 0;
    const p0 = performance.now();
    await publishMany(server, fanTopic, opts.events, 8);
    const pCalls = performance.now();
    await waitCount(() => fanCount, total, 120_000);
    const pSeconds = (performance.now() - p0) / 1000;
    fanoutPublish = { seconds: pSeconds, callSeconds: (pCalls - p0) / 1000, deliveriesPerSecond: total / pSeconds };
    dataDir = server.dataDir;
  } finally {
    await server.stop();
  }

  // ---- fan-out of a backlog: recorded by a server that does not deliver, drained by one that does
  fanCount = 0;
  const quiet = await startServer({ dataDir, args: ["--delivery-workers=false"] });
  let commitId: string;
  try {
    const qsdk = new CodeCommitClient({ endpoint: quiet.url, region: "us-east-1", credentials: ADMIN });
    await qsdk.send(new CreateRepositoryCommand({ repositoryName: "backlog" }));
    const topicArn = `arn:aws:sns:us-east-1:000000000000:codecommit-fanout`;
    await qsdk.send(new PutRepositoryTriggersCommand({ repositoryName: "backlog", triggers: [{ name: "bench", destinationArn: topicArn, branches: [], events: ["all"] }] }));
    // a branch needs the commit in this repository: push it there
    const env = gitHome(ADMIN, { helper: false });
    const seed = await makeWorkRepo(env);
    await gitOk(["push", "-q", gitUrl("backlog", quiet.url), "HEAD:main"], { cwd: seed, env });
    commitId = (await qsdk.send(new GetBranchCommand({ repositoryName: "backlog", branchName: "main" }))).branch!.commitId!;
    await createBranches(qsdk, "backlog", commitId, opts.events, 8);
  } finally {
    await quiet.stop();
  }
  const total = (opts.events + 1) * opts.subscribers; // and the seed push
  const t0 = performance.now();
  const drain = await startServer({ dataDir });
  try {
    await waitCount(() => fanCount, total, 120_000);
  } finally {
    await drain.stop();
  }
  const backlogSeconds = (performance.now() - t0) / 1000;
  for (const f of [one, ...fans]) await f.close();

  return {
    pushes: opts.pushes,
    eventToNotification: stats(eventToN),
    ackToNotification: stats(ackToN),
    pushToNotification: stats(pushToN),
    pushSeconds: { p50: pct(pushS, 50) },
    fanout: {
      events: opts.events,
      subscribers: opts.subscribers,
      live: fanoutLive!,
      publish: fanoutPublish!,
      backlog: { seconds: backlogSeconds, deliveriesPerSecond: total / backlogSeconds },
    },
  };
}
