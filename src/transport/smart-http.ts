import type { ChildProcess } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import zlib from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Caller, Principal } from "../domain/context.js";
import { isServiceError } from "../errors.js";
import type { Logger } from "../log.js";
import { GitAuthError, hostCandidates, parseBasic, signedGitPath, verifySigV4GitPassword, type GitAuthOptions } from "./git-auth.js";
import { GitServeError, type GitService, type GitServing } from "./git-service.js";
import { FLUSH, pktLine } from "./pkt-line.js";
import { GitTransfer, gitAction } from "./transfer-log.js";

declare module "fastify" {
  interface FastifyRequest {
    /** the git transfer's log line (transport/transfer-log.ts), on smart-HTTP requests */
    gitTransfer: GitTransfer | null;
  }
}

export interface SmartHttpOptions {
  serving: GitServing;
  auth: GitAuthOptions;
  /** host (and port) of the public URL, also accepted as a signed host */
  publicHost?: string;
  log: Logger;
  /** refuse a push naming more refs than fit in this many bytes of commands */
  maxCommandBytes: number;
  /**
   * Static HTTPS Git credentials (user-at-account): returns the principal, or null when the user
   * name is not of that form. Filled in by the IAM issue.
   */
  staticCredentials?: (username: string, password: string) => Promise<Principal | null>;
}

/** git-upload-archive is not served over HTTP (git itself serves it over SSH and git:// only) */
const SERVICES = new Set<GitService>(["git-upload-pack", "git-receive-pack"]);

/**
 * Git's smart HTTP protocol at /v1/repos/NAME: info/refs, git-upload-pack and git-receive-pack,
 * each served by the real git with --stateless-rpc and streamed both ways.
 */
export async function smartHttpPlugin(app: FastifyInstance, opts: SmartHttpOptions): Promise<void> {
  const { serving, log } = opts;
  // Bodies are streamed to git as they arrive: nothing is parsed or buffered here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_req, _payload, done) => done(null, undefined));

  // one line per request once its response is over (finished, or the client gone), with
  // fastify's timing; the request's logger binds its ID
  app.decorateRequest("gitTransfer", null);
  app.addHook("onRequest", (req, reply, done) => {
    const t = new GitTransfer("http", req.ip);
    req.gitTransfer = t;
    reply.raw.once("close", () => t.write(req.log as Logger, reply.elapsedTime, { status: reply.raw.statusCode, aborted: !reply.raw.writableFinished }));
    done();
  });

  /** The transfer record of a request, with what its URL says. */
  function transferOf(req: FastifyRequest, service: GitService, step: GitTransfer["step"]): GitTransfer {
    const t = req.gitTransfer!;
    t.service = service;
    t.step = step;
    const name = (req.params as { name?: string }).name;
    if (name) t.repository = name.endsWith(".git") ? name.slice(0, -4) : name;
    return t;
  }

  async function authenticate(req: FastifyRequest): Promise<Caller> {
    const basic = parseBasic(req.headers.authorization);
    // a URL with a user name and no password (http://ci-at-000000000000@host/…) makes curl send
    // an empty password: ask for one, so that git runs its credential helper or prompts
    if (!basic || basic.password === "") throw new GitAuthError(401, "Authentication required.", "noCredentials");
    const path = signedGitPath(req.url.split("?")[0]!);
    let principal: Principal | null = null;
    if (/^\d{8}T\d{6}Z[0-9a-f]{64}$/.test(basic.password)) {
      const forwarded = req.headers["x-forwarded-host"];
      const hosts = hostCandidates([req.headers.host, typeof forwarded === "string" ? forwarded : undefined, opts.publicHost]);
      principal = await verifySigV4GitPassword(opts.auth, basic.username, basic.password, hosts, path);
    } else if (opts.staticCredentials) {
      principal = await opts.staticCredentials(basic.username, basic.password);
      if (!principal) throw new GitAuthError(403, "The HTTPS Git credentials are not valid or not active.", "badCredentials");
    }
    if (!principal) throw new GitAuthError(403, "The user name and password are not valid Git credentials.", "badCredentials");
    req.gitTransfer!.principal = principal.arn;
    return { principal, requestId: req.id, sourceIp: req.ip, secureTransport: req.protocol === "https" };
  }

  function fail(req: FastifyRequest, reply: FastifyReply, e: unknown): void {
    const t = req.gitTransfer!;
    let status = 500;
    let message = "Internal error.";
    if (e instanceof GitAuthError) {
      status = e.status;
      message = e.message;
      if (status === 401) {
        // git's first request carries no credentials: a 401 asks for them, and refuses nothing
        reply.header("www-authenticate", 'Basic realm="Headwater"');
      } else {
        const resource = t.repository === undefined ? null : serving.repos.arnOf(t.repository);
        t.refused(message, { action: gitAction(t.service), resource, reason: e.reason });
      }
    } else if (e instanceof GitServeError) {
      status = e.status;
      message = e.message;
      t.refused(message, e.denial);
    } else if (isCorruptGzip(e)) {
      // the client's fault, like a body that is not pkt-lines: not a 500
      status = 400;
      message = "The request body is not valid gzip data.";
    } else if (isServiceError(e)) {
      // authorization refusals and the like: git prints the text after "remote:"
      status = e.status === 400 || e.code === "AccessDeniedException" ? 403 : e.status;
      message = e.message;
      t.refused(message, e.denial);
    } else {
      log.error({ err: e }, "git request failed");
    }
    reply.code(status).header("content-type", "text/plain; charset=utf-8").header("cache-control", "no-cache").send(message + "\n");
  }

  // GET /v1/repos/NAME/info/refs?service=git-upload-pack
  app.get<{ Params: { name: string }; Querystring: { service?: string } }>("/v1/repos/:name/info/refs", async (req, reply) => {
    try {
      const service = req.query.service as GitService;
      const t = transferOf(req, service, "info/refs");
      if (!SERVICES.has(service)) {
        t.service = undefined;
        throw new GitServeError(403, "Only git's smart HTTP protocol is served (git 1.6.6 or later).");
      }
      const caller = await authenticate(req);
      const repo = await serving.open(req.params.name);
      await serving.authorize(caller, repo, service);
      const protocol = headerString(req, "git-protocol");
      const child = serving.spawn(service, repo, { statelessRpc: true, advertise: true, protocol });
      const res = hijack(reply, `application/x-${service}-advertisement`);
      if (!/version=2/.test(protocol ?? "")) {
        res.write(pktLine(`# service=${service}\n`));
        res.write(FLUSH);
      }
      streamOut(child, res, log);
      t.watch(child);
    } catch (e) {
      fail(req, reply, e);
    }
  });

  // POST /v1/repos/NAME/git-upload-pack
  app.post<{ Params: { name: string } }>("/v1/repos/:name/git-upload-pack", async (req, reply) => {
    try {
      const t = transferOf(req, "git-upload-pack", "rpc");
      checkContentType(req, "git-upload-pack");
      const caller = await authenticate(req);
      const repo = await serving.open(req.params.name);
      await serving.authorize(caller, repo, "git-upload-pack");
      const child = serving.spawn("git-upload-pack", repo, { statelessRpc: true, protocol: headerString(req, "git-protocol") });
      const body = requestBody(req.raw);
      body.on("error", () => child.kill());
      body.pipe(child.stdin!);
      child.stdin!.on("error", () => {});
      streamOut(child, hijack(reply, "application/x-git-upload-pack-result"), log);
      t.watch(child);
    } catch (e) {
      fail(req, reply, e);
    }
  });

  // POST /v1/repos/NAME/git-receive-pack
  app.post<{ Params: { name: string } }>("/v1/repos/:name/git-receive-pack", async (req, reply) => {
    try {
      const t = transferOf(req, "git-receive-pack", "rpc");
      checkContentType(req, "git-receive-pack");
      const caller = await authenticate(req);
      const repo = await serving.open(req.params.name);
      await serving.authorize(caller, repo, "git-receive-pack");
      const body = requestBody(req.raw);
      const plan = await serving.receiveCommands(caller, repo, body, opts.maxCommandBytes);
      t.refs = plan.commands.length;
      if (plan.refused) {
        t.ref = plan.ref;
        t.refused(plan.message, plan.denial);
        // git never sees the commands: read the rest of the request (the pack) and answer with
        // a report that refuses every ref, so nothing moves and git prints the reason
        body.resume();
        await new Promise<void>((resolve) => {
          body.once("end", resolve);
          body.once("error", () => resolve());
        });
        const res = hijack(reply, "application/x-git-receive-pack-result");
        res.end(plan.report);
        return;
      }
      const push = serving.receivePack(caller, repo, { statelessRpc: true, protocol: headerString(req, "git-protocol") });
      push.accept(plan);
      const child = push.child;
      child.stdin!.on("error", () => {});
      child.stdin!.write(plan.consumed);
      body.on("error", () => child.kill());
      body.pipe(child.stdin!);
      t.countIn(body, plan.consumed.length);
      const res = hijack(reply, "application/x-git-receive-pack-result");
      // The response ends only once the push is recorded, so an acknowledged push has its event.
      // No backpressure on git's output: receive-pack writes its report while it holds the
      // repository's ref lock, and a client slow to read it must not keep the lock (the output
      // is small: a line per ref).
      streamOut(child, res, log, { after: () => push.done, backpressure: false });
      t.watch(child);
    } catch (e) {
      fail(req, reply, e);
    }
  });
}

function headerString(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === "string" ? v : undefined;
}

function checkContentType(req: FastifyRequest, service: GitService): void {
  const type = req.headers["content-type"];
  if (type !== `application/x-${service}-request`) {
    throw new GitServeError(400, `Expected content type application/x-${service}-request.`);
  }
}

/** The request body, inflated when git sent it gzip-compressed. */
function requestBody(raw: IncomingMessage): Readable {
  const enc = raw.headers["content-encoding"];
  if (enc === "gzip" || enc === "x-gzip") {
    const gunzip = zlib.createGunzip();
    raw.on("error", (e) => gunzip.destroy(e));
    return raw.pipe(gunzip);
  }
  return raw;
}

/** zlib's errors (Z_DATA_ERROR, Z_BUF_ERROR, …), as the inflated request body reports them */
function isCorruptGzip(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("Z_");
}

function hijack(reply: FastifyReply, contentType: string): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.statusCode = 200;
  res.setHeader("content-type", contentType);
  res.setHeader("cache-control", "no-cache, max-age=0, must-revalidate");
  res.setHeader("pragma", "no-cache");
  res.setHeader("expires", "Fri, 01 Jan 1980 00:00:00 GMT");
  return res;
}

/**
 * Streams git's stdout into the response, with backpressure unless told otherwise; kills git
 * when the client goes away; runs `after` once git has exited and before the response ends.
 */
function streamOut(
  child: ChildProcess,
  res: ServerResponse,
  log: Logger,
  opts: { after?: () => Promise<void>; backpressure?: boolean } = {},
): void {
  const { after, backpressure = true } = opts;
  const stderr: Buffer[] = [];
  child.stderr!.on("data", (d: Buffer) => {
    if (stderr.length < 64) stderr.push(d);
  });
  if (backpressure) child.stdout!.pipe(res, { end: false });
  else {
    child.stdout!.on("data", (d: Buffer) => {
      if (!res.writableEnded && !res.destroyed) res.write(d);
    });
  }
  const onClientGone = () => {
    if (!res.writableFinished && child.exitCode === null) child.kill("SIGTERM");
  };
  res.on("close", onClientGone);
  let exited = false;
  child.once("close", async (code, signal) => {
    if (exited) return;
    exited = true;
    if (code !== 0) log.warn({ code, signal, stderr: Buffer.concat(stderr).toString("utf8").slice(0, 2000) }, "git exited with an error");
    try {
      if (after) await after();
    } finally {
      res.off("close", onClientGone);
      res.end();
    }
  });
  child.once("error", (e) => {
    log.error({ err: e }, "could not run git");
    if (!exited) {
      exited = true;
      res.destroy(e);
    }
  });
}
