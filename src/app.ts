import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Fastify, { LogController, type FastifyInstance } from "fastify";
import { awsApiPlugin } from "./aws/router.js";
import { codecommitService } from "./aws/services/codecommit/index.js";
import type { CloneBases } from "./aws/services/codecommit/metadata.js";
import { tableAuthorizer } from "./aws/authz.js";
import { iamService } from "./aws/services/iam/index.js";
import { snsService } from "./aws/services/sns/index.js";
import { stsService } from "./aws/services/sts/index.js";
import { s3Plugin, s3RewriteUrl } from "./aws/services/s3/index.js";
import { usesTls, type Config } from "./config.js";
import { ApprovalService } from "./domain/approvals/approvals.js";
import { ApprovalRuleService } from "./domain/approvals/rules.js";
import { ApprovalRuleTemplateService } from "./domain/approvals/templates.js";
import { CommentReactions } from "./domain/comments/comment-reactions.js";
import { CommentService } from "./domain/comments/comments.js";
import { CommentThreads } from "./domain/comments/threads.js";
import { ChangeBus } from "./domain/change-bus.js";
import { CommitService } from "./domain/content/commit-service.js";
import { ContentService } from "./domain/content/content-service.js";
import { HistoryWalks } from "./domain/content/history-walks.js";
import { ObjectCache } from "./domain/content/object-reader.js";
import { sweepDeliveries } from "./domain/events/admin.js";
import { DeliveryWorker } from "./domain/events/deliveries.js";
import { Outbox, type OutboxConsumer } from "./domain/events/outbox.js";
import { RefLedger } from "./domain/events/ref-ledger.js";
import { TriggerFanOut } from "./domain/events/trigger-fan-out.js";
import { PullRequestsFollowGit } from "./domain/pulls/follow-git.js";
import { PullRequestMerges } from "./domain/pulls/merge-pull-request.js";
import { PullRequestService } from "./domain/pulls/pull-requests.js";
import { MergeService } from "./domain/merges/merge-service.js";
import { TriggerService } from "./domain/events/triggers.js";
import { AccessControl } from "./domain/iam/access.js";
import { KeyUsageRecorder } from "./domain/iam/access-keys.js";
import { IamDeps } from "./domain/iam/deps.js";
import { IdentityStore } from "./domain/iam/identities.js";
import { ServiceCredentialVerifier } from "./domain/iam/service-credentials.js";
import { sweepExpired } from "./domain/iam/sessions.js";
import { BranchService } from "./domain/repos/branches.js";
import { RepositoryService } from "./domain/repos/repositories.js";
import { SnsDeps } from "./domain/sns/common.js";
import { SnsSigner } from "./domain/sns/signer.js";
import { sweepSubscriptions } from "./domain/sns/subscriptions.js";
import { S3Store } from "./domain/s3/buckets.js";
import { scheduleLifecycleSweep, sweepLifecycle } from "./domain/s3/lifecycle-sweep.js";
import { S3Notifier } from "./domain/s3/notifications.js";
import { openObjectStore } from "./domain/s3/open-object-store.js";
import { CatFilePool } from "./git/cat-file.js";
import { CommitGraphs } from "./git/commit-graph.js";
import { GitRunner } from "./git/exec.js";
import type { Logger } from "./log.js";
import { SecretBox } from "./secrets/crypto.js";
import { openStore } from "./store/db.js";
import { postgresSessionLocks, processLocalLocks } from "./store/session-locks.js";
import { loadTls } from "./tls.js";
import { startChangeRelay } from "./store/change-relay.js";
import { httpSender } from "./transport/outbound-http.js";
import { iamGitAuthorizer } from "./transport/git-authorizer.js";
import { GitServing } from "./transport/git-service.js";
import { installReceiveHooks } from "./transport/receive-hooks.js";
import { smartHttpPlugin } from "./transport/smart-http.js";
import { SshGitServer } from "./transport/ssh.js";
import { ensureHostKeys } from "./transport/ssh-host-keys.js";
import { VERSION } from "./version.js";

export { VERSION };
/** Largest API request body: CodeCommit's 7 MB of file content, base64-encoded, with room for JSON. */
const API_BODY_LIMIT = 12 * 1024 * 1024;
/**
 * Largest command list of one push read before giving up: a sanity bound on the bytes, well above
 * CodeCommit's 4,000 references (MAX_REFS_PER_PUSH) of up to 256-character branch names (about
 * 350 bytes each); the reference count is what a push is refused for.
 */
const MAX_PUSH_COMMAND_BYTES = 8 * 1024 * 1024;

export interface RunningServer {
  http: FastifyInstance;
  httpUrl: string;
  adminAccessKeyId: string;
  adminCredentialsFile?: string;
  tlsFingerprint?: string;
  sshPort: number;
  /** SHA256 fingerprints of the SSH host keys, by key type */
  sshHostKeys: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Graceful stop of the HTTP listener. New connections are refused at once, but connections
 * already open keep being served until they have been quiet for a moment: one git operation is
 * several requests (info/refs, then one or more upload-pack rounds) on one kept-alive
 * connection, and closing between them would break a clone that was already under way.
 */
async function drainHttp(app: FastifyInstance, inFlight: () => number, lastActivity: () => number, hardLimitMs: number): Promise<void> {
  const QUIET_MS = 1500;
  const closed = new Promise<void>((resolve) => app.server.close(() => resolve()));
  const started = Date.now();
  const timer = setInterval(() => {
    if (Date.now() - started > hardLimitMs) app.server.closeAllConnections();
    else if (inFlight() === 0 && Date.now() - lastActivity() > QUIET_MS) app.server.closeIdleConnections();
  }, 100);
  await closed;
  clearInterval(timer);
  await app.close();
}

/** The composition root: builds every service and starts the listeners. */
export async function startServer(cfg: Config, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  // a new data directory is the server user's alone (an existing one keeps the mode it was given)
  fs.mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  // made (on first start) while the rest starts up
  const hostKeysReady = ensureHostKeys(cfg.dataDir);
  hostKeysReady.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  const store = await openStore({ dataDir: cfg.dataDir, databaseUrl: cfg.databaseUrl });
  // what a failed start must close again, newest first: an embedding process lives on after it
  const undo: Array<() => unknown> = [() => store.close()];
  try {
    return await assemble(cfg, log, env, store, hostKeysReady, undo);
  } catch (e) {
    for (const step of undo.reverse()) await Promise.resolve().then(step).catch(() => {});
    throw e;
  }
}

async function assemble(
  cfg: Config,
  log: Logger,
  env: NodeJS.ProcessEnv,
  store: Awaited<ReturnType<typeof openStore>>,
  hostKeysReady: ReturnType<typeof ensureHostKeys>,
  undo: Array<() => unknown>,
): Promise<RunningServer> {
  const box = SecretBox.open(cfg.dataDir);
  const gitHome = path.join(cfg.dataDir, "git-home");
  fs.mkdirSync(gitHome, { recursive: true });
  const runner = new GitRunner(gitHome);
  const catFiles = new CatFilePool(runner);
  undo.push(() => runner.killAll(), () => catFiles.closeAll());
  const bus = new ChangeBus();
  // several processes on one PostgreSQL database hear each other's changes
  const relay = cfg.databaseUrl ? await startChangeRelay(cfg.databaseUrl, bus, log) : undefined;
  if (relay) undo.push(() => relay.close());
  // a repository's ref lock spans processes on PostgreSQL (session-level advisory locks)
  const refLocks = cfg.databaseUrl ? postgresSessionLocks(cfg.databaseUrl, log) : processLocalLocks;
  undo.push(() => refLocks.close());
  const ledger = new RefLedger(store.db, store.engine, log, bus, refLocks);
  const repos = new RepositoryService(store.db, runner, catFiles, ledger, cfg, log, bus, store.engine);
  const branches = new BranchService(repos, store.db, bus);
  const objects = new ObjectCache();
  const graphs = new CommitGraphs(runner, (gitDir, e) => log.warn({ err: e, gitDir }, "could not write a commit-graph"));
  undo.push(() => graphs.close());
  const content = new ContentService(repos, objects, bus, new HistoryWalks(graphs));
  const commits = new CommitService(repos, objects);
  const merges = new MergeService(repos, objects);
  const pulls = new PullRequestService(store.db, store.engine, repos, cfg.accountId);
  const approvalRules = new ApprovalRuleService(store.db, store.engine);
  const approvals = new ApprovalService(store.db, store.engine);
  const templates = new ApprovalRuleTemplateService(store.db, store.engine, repos);
  pulls.onCreated(templates.applyToNewPullRequest);
  const pullMerges = new PullRequestMerges(store.db, store.engine, repos, pulls, merges, approvals);
  const comments = new CommentService(store.db, repos, objects);
  const commentThreads = new CommentThreads(store.db, repos, objects);
  const reactions = new CommentReactions(store.db, cfg.accountId);
  const identities = new IdentityStore(store.db, box, cfg.accountId, cfg.region, bus);
  const iam = new IamDeps(store.db, box, cfg.accountId, cfg.region, bus, store.engine);
  const access = new AccessControl(iam);
  const gitCredentials = new ServiceCredentialVerifier(iam);
  const keyUsage = new KeyUsageRecorder(iam);
  await sweepExpired(iam);
  const sweeper = setInterval(() => void sweepExpired(iam).catch(() => {}), 10 * 60_000);
  sweeper.unref();
  undo.push(() => clearInterval(sweeper));

  const envKey = env.HEADWATER_ADMIN_ACCESS_KEY_ID;
  const envSecret = env.HEADWATER_ADMIN_SECRET_ACCESS_KEY;
  if (Boolean(envKey) !== Boolean(envSecret)) {
    throw new Error("HEADWATER_ADMIN_ACCESS_KEY_ID and HEADWATER_ADMIN_SECRET_ACCESS_KEY go together");
  }
  const admin = await identities.ensureBootstrapAdmin(
    cfg.dataDir,
    envKey && envSecret ? { accessKeyId: envKey, secretAccessKey: envSecret } : undefined,
  );

  // Events: SNS-compatible topics, repository triggers, and the workers that deliver them.
  const cloneBases: CloneBases = { http: "", ssh: "" };
  const signer = await SnsSigner.open(cfg.dataDir);
  const sender = httpSender();
  undo.push(() => sender.close());
  let worker: DeliveryWorker | undefined;
  // the readers of the ref_events outbox: pull requests follow git in every process
  const consumers: OutboxConsumer[] = [new PullRequestsFollowGit(store.db, (id) => repos.git({ id }), { region: cfg.region, accountId: cfg.accountId })];
  const sns = new SnsDeps(store.db, cfg.region, cfg.accountId, { base: () => cloneBases.http }, log, () => worker?.wake(), store.engine);
  const triggers = new TriggerService(repos, sns, sender.send, cfg.deliveryTimeoutSeconds * 1000);
  if (cfg.deliveryWorkers) {
    consumers.push(new TriggerFanOut({ region: cfg.region, accountId: cfg.accountId }, log, () => worker?.wake()));
    worker = new DeliveryWorker(store.db, signer, sns.urls, sender.send, log, {
      engine: store.engine,
      delayScale: cfg.deliveryDelayScale,
      timeoutMs: cfg.deliveryTimeoutSeconds * 1000,
      concurrency: cfg.deliveryConcurrency,
      leaseMs: Math.max(30_000, cfg.deliveryTimeoutSeconds * 2000),
      pollMs: 1000,
    });
  }
  const outbox = new Outbox(store.db, store.engine, log, consumers);
  bus.subscribe("ref-events", () => outbox.wake());
  const eventSweep = async () => {
    await sweepSubscriptions(sns);
    await sweepDeliveries(store.db, cfg.deliveryRetentionDays * 86400_000);
  };
  const eventSweeper = setInterval(() => void eventSweep().catch((e) => log.warn({ err: e }, "event sweep failed")), 10 * 60_000);
  eventSweeper.unref();
  undo.push(() => clearInterval(eventSweeper));

  // Crash repair before serving: orphaned directories, and ref changes never recorded.
  await repos.sweepOrphans();
  // objects of interrupted pushes, once past any transfer's time limit (and SIGTERM's grace)
  await repos.sweepQuarantines(cfg.gitTimeoutSeconds * 1000 + 5 * 60_000);
  await ledger.repair((await repos.all()).map((r) => repos.handle(r)));
  // Buckets: bytes under <data-dir>/objects/ or in --object-store's bucket; interrupted PUTs (no
  // version row names their bytes) are swept before serving, when no PUT of this process can be
  // under way (and, on a shared bucket, past the grace other servers' PUTs get)
  const objectStore = openObjectStore(cfg);
  undo.push(() => objectStore.close());
  // bucket notifications are published inside the transaction of the change they announce
  const s3Notifier = new S3Notifier(sns, iam.partition);
  const s3 = new S3Store(store.db, store.engine, objectStore.store, log, s3Notifier);
  // lifecycle rules: one sweep at a time across processes (a session lock on PostgreSQL)
  const stopLifecycle = scheduleLifecycleSweep(
    () => sweepLifecycle(store.db, s3, refLocks, log, { dayMs: cfg.bucketLifecycleDayMs }),
    cfg.bucketLifecycleIntervalSeconds * 1000,
    log,
  );
  undo.push(() => void stopLifecycle());
  const swept = await s3.sweep(objectStore.sweepBefore()).catch((e: Error) => {
    throw new Error(`could not list the object store ${objectStore.describe}: ${e.name}: ${e.message}`);
  });
  if (swept) log.info({ files: swept, objectStore: objectStore.describe }, "removed the bytes of interrupted object uploads");

  const tls = await loadTls(cfg);
  const app = Fastify({
    loggerInstance: log,
    // fastify's own request lines are off: API calls and git transfers write one line each when
    // they finish (aws/call-log.ts, transport/transfer-log.ts), with what they learnt on the way;
    // a request's child logger binds its ID as `requestId`, as the x-amzn-RequestId header gives it
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "requestId" }),
    genReqId: () => crypto.randomUUID(),
    bodyLimit: API_BODY_LIMIT,
    // S3 requests are told apart by their signature before routing by path (see s3RewriteUrl)
    rewriteUrl: s3RewriteUrl,
    ...(tls ? { https: { key: tls.key, cert: tls.cert } } : {}),
  }) as unknown as FastifyInstance;

  let inFlight = 0;
  let lastActivity = Date.now();
  app.addHook("onRequest", (req, reply, done) => {
    // every response, API or Git, success or error, carries the request ID
    reply.raw.setHeader("x-amzn-RequestId", req.id);
    inFlight++;
    reply.raw.once("close", () => {
      inFlight--;
      lastActivity = Date.now();
    });
    done();
  });
  app.get("/health", async () => ({ status: "ok", version: VERSION, region: cfg.region, accountId: cfg.accountId }));
  // the certificate SNS messages are signed with (their SigningCertURL)
  app.get(`/${signer.certFileName}`, async (_req, reply) => reply.header("content-type", "application/x-pem-file").send(signer.certPem));

  const lookup = (id: string) => identities.lookupAccessKey(id);
  const receiveHooks = await installReceiveHooks(cfg.dataDir);
  const serving = new GitServing(repos, runner, iamGitAuthorizer(access, (repo) => repos.tags(repo)), log, cfg.gitTimeoutSeconds * 1000, receiveHooks);

  await app.register(async (scope) =>
    s3Plugin(scope, {
      store: s3,
      access,
      lookup,
      region: cfg.region,
      partition: iam.partition,
      accountId: cfg.accountId,
      log,
      publicUrl: cfg.publicUrl,
      notifications: s3Notifier,
      lifecycleDayMs: cfg.bucketLifecycleDayMs,
      onAuthenticated: (principal) => {
        if (principal.accessKeyId && !principal.temporary) keyUsage.note(principal.accessKeyId, "s3", cfg.region);
      },
    }),
  );
  await app.register(async (scope) =>
    smartHttpPlugin(scope, {
      serving,
      auth: { lookup, region: cfg.region },
      publicHost: cfg.publicUrl ? new URL(cfg.publicUrl).host : undefined,
      log,
      maxCommandBytes: MAX_PUSH_COMMAND_BYTES,
      staticCredentials: async (username, password) => {
        const userName = await gitCredentials.verify(username, password);
        const user = userName ? await identities.userPrincipal(userName) : null;
        return user ?? null;
      },
    }),
  );
  await app.register(async (scope) =>
    awsApiPlugin(scope, {
      services: [
        codecommitService({
          repos,
          branches,
          content,
          commits,
          triggers,
          pulls,
          pullMerges,
          merges,
          approvalRules,
          approvals,
          templates,
          comments,
          commentThreads,
          reactions,
          cloneBases,
          lookups: {
            repositoryArn: (name) => repos.arnOf(name),
            region: cfg.region,
            accountId: cfg.accountId,
            partition: iam.partition,
            repositoryTags: async (arn) => {
              const repo = await repos.requireByArn(arn).catch(() => undefined);
              return repo ? repos.tags(repo) : {};
            },
            pullRequest: (id) => pulls.lookup(id),
            commentRepository: (id) => comments.repositoryOf(id),
          },
        }),
        iamService(iam, access),
        stsService(iam, access),
        snsService(sns),
      ],
      // SNS's SubscribeURL and UnsubscribeURL links are followed without a signature
      unsigned: { sns: ["ConfirmSubscription", "Unsubscribe"] },
      lookup,
      authorize: tableAuthorizer(access),
      onAuthenticated: (principal, service) => {
        if (principal.accessKeyId && !principal.temporary) keyUsage.note(principal.accessKeyId, service.signingName, cfg.region);
      },
      region: cfg.region,
      log,
      bodyLimit: API_BODY_LIMIT,
    }),
  );

  const hostKeys = await hostKeysReady;
  if (hostKeys.generated.length) log.info({ types: hostKeys.generated }, "generated SSH host keys");
  for (const file of hostKeys.looseModes) log.warn({ file }, "an SSH host key file was readable by others; its mode is now 0600");
  const ssh = new SshGitServer({
    serving,
    keys: (by) => identities.activeSshKeys(by),
    hostKeys: hostKeys.keys,
    log,
    maxCommandBytes: MAX_PUSH_COMMAND_BYTES,
    limits: {
      maxConnections: cfg.sshMaxConnections,
      maxChannels: cfg.sshMaxChannels,
      maxUnauthenticated: cfg.sshMaxUnauthenticated,
      maxUnauthenticatedPerSource: cfg.sshMaxUnauthenticatedPerSource,
      authTimeoutMs: cfg.sshAuthTimeoutSeconds * 1000,
      idleTimeoutMs: cfg.sshIdleTimeoutSeconds * 1000,
      maxAuthAttempts: 20,
    },
  });

  undo.push(() => app.close());
  await app.listen({ host: cfg.host, port: cfg.httpPort });
  const sshPort = await ssh.listen(cfg.host, cfg.sshPort);
  undo.push(() => ssh.stop());
  const sshHostKeys = Object.fromEntries(hostKeys.keys.map((k) => [k.type, k.fingerprint]));
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : cfg.httpPort;
  const scheme = usesTls(cfg) ? "https" : "http";
  const hostForUrl = cfg.host === "0.0.0.0" || cfg.host === "::" ? "localhost" : cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host;
  const httpUrl = `${scheme}://${hostForUrl}:${port}`;
  cloneBases.http = (cfg.publicUrl ?? httpUrl).replace(/\/+$/, "");
  cloneBases.ssh = (cfg.publicSshUrl ?? `ssh://${new URL(cloneBases.http).hostname}:${sshPort}`).replace(/\/+$/, "");
  // deliveries name this server in their URLs, so they start once its URL is known
  await worker?.start();
  undo.push(() => worker?.stop());
  await outbox.start();
  undo.push(() => outbox.stop());

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info("shutting down: finishing running git operations");
      const graceMs = cfg.stopTimeoutSeconds * 1000;
      const deadline = Date.now() + graceMs;
      await Promise.all([drainHttp(app, () => inFlight, () => lastActivity, graceMs), ssh.stop(graceMs)]);
      clearInterval(eventSweeper);
      await stopLifecycle();
      await outbox.stop();
      await worker?.stop();
      sender.close();
      catFiles.closeAll(); // the long-lived readers would otherwise keep drain() waiting
      graphs.close();
      clearInterval(sweeper);
      await runner.drain(Math.max(1000, deadline - Date.now()));
      runner.killAll(); // what did not finish in time must not outlive the server
      await relay?.close();
      await refLocks.close();
      await store.close();
      objectStore.close();
      log.info("stopped");
    })());

  return {
    http: app,
    httpUrl,
    adminAccessKeyId: admin.accessKeyId,
    adminCredentialsFile: admin.credentialsFile,
    tlsFingerprint: tls?.fingerprint,
    sshPort,
    sshHostKeys,
    stop,
  };
}
