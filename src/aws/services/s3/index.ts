import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Caller, Principal } from "../../../domain/context.js";
import type { AccessControl } from "../../../domain/iam/access.js";
import type { S3Store } from "../../../domain/s3/buckets.js";
import type { S3Notifier } from "../../../domain/s3/notifications.js";
import type { Denial } from "../../../errors.js";
import { clip, type Logger } from "../../../log.js";
import { authenticateSigned, authenticateV2, type CredentialLookup } from "../../auth.js";
import { tableAuthorizer } from "../../authz.js";
import { isSigV2, parseSigV2 } from "../../sigv2.js";
import { AuthFailure, headerMap, parseSignature, s3PayloadHash } from "../../sigv4.js";
import { publicHostnames, virtualHostBucket } from "./addressing.js";
import { s3AuthzTable } from "./authz.js";
import * as configs from "./bucket-configs.js";
import * as buckets from "./buckets.js";
import type { S3Call, S3Context } from "./context.js";
import * as copy from "./copy.js";
import { S3Error, s3Errors } from "./errors.js";
import { parseTarget, sendError, type S3Request } from "./http.js";
import * as lists from "./lists.js";
import * as objects from "./objects.js";
import * as tagging from "./tagging.js";

/** Where S3 requests are routed inside the server once told apart (see s3RewriteUrl). */
export const S3_ROUTE_PREFIX = "/~s3";
const S3_MARK = Symbol("headwater.s3");

/**
 * Tells an S3 request from the other services' and Git's by its signature, before any routing
 * by path (so a bucket named like a Git or console path still reaches S3): the SigV4 credential
 * scope's service is `s3` (Authorization header or presigned X-Amz-Credential), or the request is
 * signed with SigV2, which only S3 has.
 */
export function isS3Request(req: IncomingMessage): boolean {
  const auth = req.headers.authorization;
  if (typeof auth === "string") {
    if (auth.startsWith("AWS ")) return true;
    if (!auth.startsWith("AWS4-")) return false;
    return /Credential=([^,\s]+)/.exec(auth)?.[1]?.split("/")[3] === "s3";
  }
  const url = req.url ?? "";
  const q = url.indexOf("?");
  if (q < 0) return false;
  const query = new URLSearchParams(url.slice(q + 1));
  const credential = query.get("X-Amz-Credential");
  if (credential) return credential.split("/")[3] === "s3";
  return query.has("AWSAccessKeyId") && query.has("Signature");
}

/** fastify's rewriteUrl: S3 requests go to the S3 scope's routes; the original URL stays on the request. */
export function s3RewriteUrl(req: IncomingMessage): string {
  const url = req.url ?? "/";
  if (!url.startsWith("/") || !isS3Request(req)) return url;
  (req as unknown as Record<symbol, boolean>)[S3_MARK] = true;
  return S3_ROUTE_PREFIX + url;
}

export interface S3Options {
  store: S3Store;
  access: AccessControl;
  lookup: CredentialLookup;
  region: string;
  partition: string;
  accountId: string;
  log: Logger;
  /** `--public-url`: its host's subdomains are buckets (virtual-hosted addressing) */
  publicUrl?: string;
  notifications?: S3Notifier;
  /** a lifecycle day's length, as the sweep counts it (default 86,400,000) */
  lifecycleDayMs?: number;
  onAuthenticated?: (principal: Principal) => void;
}

type Handler = (ctx: S3Context, call: S3Call) => Promise<void>;

/** Which operation a request is (S3's REST routing: method, bucket or object, subresource). */
function route(req: S3Request): Handler | S3Error {
  const q = req.query;
  const m = req.method;
  if (req.bucket === "") {
    if (m === "GET") return buckets.listBuckets;
    return s3Errors.methodNotAllowed(m, "SERVICE");
  }
  if (q.has("uploads") || q.has("uploadId")) return s3Errors.notImplemented("multipart upload (CreateMultipartUpload, UploadPart, CompleteMultipartUpload and the rest)");
  const unbuilt = ["policy", "acl", "cors", "website", "logging", "replication", "encryption", "object-lock", "retention", "legal-hold", "ownershipControls", "publicAccessBlock", "accelerate", "requestPayment", "analytics", "metrics", "inventory", "intelligent-tiering", "restore", "select", "torrent", "attributes", "policyStatus", "renameObject", "metadataTable", "abac"];
  // bucket configurations have no object-level form
  const sub = unbuilt.find((s) => q.has(s)) ?? (req.key !== undefined ? ["lifecycle", "notification"].find((s) => q.has(s)) : undefined);
  if (sub) return s3Errors.notImplemented(`the ?${sub} subresource`);
  if (q.has("tagging")) return taggingRoute(req);
  if (req.key === undefined) {
    if (q.has("versioning")) return m === "GET" ? buckets.getBucketVersioning : m === "PUT" ? buckets.putBucketVersioning : s3Errors.methodNotAllowed(m, "BUCKET");
    if (q.has("notification")) return m === "GET" ? configs.getBucketNotificationConfiguration : m === "PUT" ? configs.putBucketNotificationConfiguration : s3Errors.methodNotAllowed(m, "BUCKET");
    if (q.has("lifecycle")) {
      return m === "GET" ? configs.getBucketLifecycleConfiguration : m === "PUT" ? configs.putBucketLifecycleConfiguration : m === "DELETE" ? configs.deleteBucketLifecycle : s3Errors.methodNotAllowed(m, "BUCKET");
    }
    if (q.has("location")) return m === "GET" ? buckets.getBucketLocation : s3Errors.methodNotAllowed(m, "BUCKET");
    if (q.has("delete")) return m === "POST" ? objects.deleteObjects : s3Errors.methodNotAllowed(m, "BUCKET");
    if (q.has("versions")) return m === "GET" ? lists.listObjectVersions : s3Errors.methodNotAllowed(m, "BUCKET");
    switch (m) {
      case "GET":
        return q.get("list-type") === "2" ? lists.listObjectsV2 : q.has("list-type") ? s3Errors.invalidArgument("Invalid List Type specified in Request", "list-type", q.get("list-type")) : lists.listObjects;
      case "PUT":
        return buckets.createBucket;
      case "HEAD":
        return buckets.headBucket;
      case "DELETE":
        return buckets.deleteBucket;
      case "POST":
        return s3Errors.notImplemented("browser uploads (POST Object)");
      default:
        return s3Errors.methodNotAllowed(m, "BUCKET");
    }
  }
  switch (m) {
    case "GET":
    case "HEAD":
      return objects.getObject;
    case "PUT":
      return req.header("x-amz-copy-source") !== undefined ? copy.copyObject : objects.putObject;
    case "DELETE":
      return objects.deleteObject;
    default:
      return s3Errors.methodNotAllowed(m, "OBJECT");
  }
}

/** `?tagging` on a bucket or an object: Get/Put/Delete…Tagging. */
function taggingRoute(req: S3Request): Handler | S3Error {
  const onObject = req.key !== undefined;
  switch (req.method) {
    case "GET":
      return onObject ? tagging.getObjectTagging : tagging.getBucketTagging;
    case "PUT":
      return onObject ? tagging.putObjectTagging : tagging.putBucketTagging;
    case "DELETE":
      return onObject ? tagging.deleteObjectTagging : tagging.deleteBucketTagging;
    default:
      return s3Errors.methodNotAllowed(req.method, onObject ? "OBJECT" : "BUCKET");
  }
}

interface S3CallLine {
  started: bigint;
  operation?: string;
  principal?: string;
  error?: S3Error;
}

/** The operation a handler serves, as S3 names it (a handler's function name, capitalized; GET and HEAD share one). */
function operationName(op: Handler, method: string): string {
  if (op === objects.getObject && method === "HEAD") return "HeadObject";
  return op.name.charAt(0).toUpperCase() + op.name.slice(1);
}

/**
 * One line per S3 call, as for the other services (aws/call-log.ts): who, what, which bucket and
 * key, the status and how long; a refusal adds what was refused and why, at warn. Never a
 * header, signature or body.
 */
function writeS3CallLine(log: Logger, sourceIp: string, req: S3Request, res: ServerResponse, line: S3CallLine): void {
  const denial = (line.error as (S3Error & { denial?: Denial }) | undefined)?.denial;
  // a refusal (by a policy, or of the signature or key) is a warning, as for the other services
  const refused = denial !== undefined || res.statusCode === 403;
  if (!refused && !log.isLevelEnabled("info")) return;
  const fields = {
    service: "s3",
    operation: line.operation,
    principal: line.principal ?? null,
    bucket: clip(req.bucket) || undefined,
    key: clip(req.key),
    status: res.statusCode,
    errorCode: line.error?.code,
    durationMs: Math.round(Number(process.hrtime.bigint() - line.started) / 1e5) / 10,
    sourceIp,
    aborted: res.writableFinished ? undefined : true,
  };
  if (refused) log.warn({ ...fields, action: denial?.action, resource: clip(denial?.resource), reason: denial?.reason, message: clip(line.error?.message, 1000) }, "api call");
  else log.info(fields, "api call");
}

/** How S3 names authentication failures. */
function authError(f: AuthFailure, presigned: boolean, region: string, accessKeyId?: string): S3Error {
  switch (f.kind) {
    case "missing":
      return s3Errors.accessDenied(f.message === "Missing Authentication Token" ? undefined : f.message);
    case "incomplete":
      if (f.message.startsWith("Missing required header")) return s3Errors.invalidRequest(f.message);
      return presigned
        ? new S3Error("AuthorizationQueryParametersError", f.message, 400)
        : new S3Error("AuthorizationHeaderMalformed", `The authorization header is malformed; ${f.message}`, 400);
    case "unknownKey":
      return new S3Error("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", 403, accessKeyId ? { AWSAccessKeyId: accessKeyId } : {});
    case "badToken":
      return new S3Error("InvalidToken", "The provided token is malformed or otherwise invalid.", 400);
    case "expiredToken":
      return new S3Error("ExpiredToken", "The provided token has expired.", 400);
    case "expired":
      return presigned
        ? new S3Error("AccessDenied", f.message, 403, f.details)
        : new S3Error("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", 403, f.details);
    case "wrongRegion":
      return new S3Error("AuthorizationHeaderMalformed", `The authorization header is malformed; the region is wrong; expecting '${region}'`, 400, { Region: region });
    case "wrongService":
      return new S3Error("AuthorizationHeaderMalformed", `The authorization header is malformed; ${f.message}`, 400);
    default:
      return new S3Error(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        403,
      );
  }
}

/**
 * S3's REST-XML API on the shared port, for path-style requests (`/BUCKET/KEY`): bodies are
 * streamed (never parsed or buffered by fastify), the signature verified over the raw path, then
 * the request authorized through S3's table and run.
 */
export async function s3Plugin(app: FastifyInstance, opts: S3Options): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_req, _payload, done) => done(null, undefined));
  const table = s3AuthzTable(opts.partition);
  const hostnames = publicHostnames(opts.publicUrl);
  const authorizer = tableAuthorizer(opts.access);
  const service = { authz: table, accessDenied: (message: string) => s3Errors.accessDenied(message) };
  const ctx: S3Context = {
    store: opts.store,
    region: opts.region,
    ownerId: crypto.createHash("sha256").update(`headwater-account:${opts.accountId}`).digest("hex"),
    ownerName: opts.accountId,
    notifications: opts.notifications,
    lifecycleDayMs: opts.lifecycleDayMs ?? 86_400_000,
    authorize: (caller, operation, input) => authorizer(caller, service, operation, input),
    decide: async (caller, operation, input) => {
      try {
        await authorizer(caller, service, operation, input);
        return undefined;
      } catch (e) {
        if (e instanceof S3Error && e.code === "AccessDenied") return e.message;
        throw e;
      }
    },
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    const raw = request.raw;
    const res: ServerResponse = reply.raw;
    // the reply is hijacked, so fastify's onResponse (aws/call-log.ts) never runs: the line is written here
    const line: S3CallLine = { started: process.hrtime.bigint() };
    res.once("close", () => writeS3CallLine(request.log as Logger, request.ip, s3req, res, line));
    const url = (raw as IncomingMessage & { originalUrl?: string }).originalUrl ?? raw.url ?? "/";
    const rawHeaders = headerMap(raw.rawHeaders);
    const s3req: S3Request = {
      raw,
      res,
      id: request.id,
      method: raw.method ?? "GET",
      url,
      bucket: "",
      key: undefined,
      query: new Map(),
      // a presigned URL's x-amz-* query parameters are signed and stand for headers, as in S3 (the
      // SDK v3 puts x-amz-checksum-crc32 and x-amz-checksum-mode there)
      header: (name) => rawHeaders.get(name)?.[0] ?? (name.startsWith("x-amz-") && presignedQuery() ? s3req.query.get(name) : undefined),
    };
    const presignedQuery = () => !rawHeaders.has("authorization") && (s3req.query.has("X-Amz-Signature") || s3req.query.has("Signature"));
    try {
      if (!(raw as unknown as Record<symbol, boolean>)[S3_MARK]) throw s3Errors.accessDenied();
      const hostBucket = virtualHostBucket(raw.headers.host, hostnames);
      Object.assign(s3req, parseTarget(url, hostBucket));
      const signed = { method: s3req.method, url, headers: rawHeaders, body: Buffer.alloc(0), s3: true };
      let principal: Principal;
      let payloadHash: string;
      let presigned = false;
      let accessKeyId: string | undefined;
      try {
        if (isSigV2(signed)) {
          // SigV2 signs no payload hash: the body is checked against Content-MD5 and checksums only
          presigned = !rawHeaders.has("authorization");
          accessKeyId = parseSigV2(signed).accessKeyId;
          payloadHash = "UNSIGNED-PAYLOAD";
          // SigV2's resource is /bucket/key whatever the addressing style, and /bucket/ for a bucket
          const path = url.split("?")[0]!;
          let resource = hostBucket === undefined ? path : `/${hostBucket}${path}`;
          if (s3req.bucket !== "" && s3req.key === undefined && !resource.endsWith("/")) resource += "/";
          principal = await authenticateV2(signed, resource, opts.lookup);
        } else {
          const parts = parseSignature(signed);
          presigned = parts.presigned;
          accessKeyId = parts.accessKeyId;
          payloadHash = s3PayloadHash(signed, parts);
          const verified = await authenticateSigned(signed, { signingName: "s3" }, opts.region, opts.lookup);
          principal = verified.principal;
          if (!parts.presigned && payloadHash.startsWith("STREAMING-AWS4-HMAC-SHA256-")) {
            // a signed aws-chunked body: its chunks continue the chain from this signature
            s3req.chunkChain = {
              seed: parts.signature,
              amzDate: parts.amzDate,
              scope: `${parts.scopeDate}/${parts.region}/${parts.service}/aws4_request`,
              signingKey: verified.signingKey,
            };
          }
        }
      } catch (e) {
        if (e instanceof AuthFailure) {
          // SigV2's malformed forms: S3 names a bad header InvalidArgument, a URL missing a part AccessDenied
          if (e.kind === "incomplete" && isSigV2(signed)) throw presigned ? s3Errors.accessDenied(e.message) : s3Errors.invalidArgument(e.message, "Authorization", rawHeaders.get("authorization")?.[0]?.split(":")[0]);
          throw authError(e, presigned || s3req.query.has("X-Amz-Credential"), opts.region, accessKeyId);
        }
        throw e;
      }
      opts.onAuthenticated?.(principal);
      line.principal = principal.arn;
      const caller: Caller = { principal, requestId: request.id, sourceIp: request.ip, secureTransport: request.protocol === "https" };
      const op = route(s3req);
      if (op instanceof S3Error) throw op;
      line.operation = operationName(op, s3req.method);
      await op(ctx, { req: s3req, caller, payloadHash });
    } catch (e) {
      const err = e instanceof S3Error ? e : undefined;
      line.error = err ?? s3Errors.internal();
      if (!err) opts.log.error({ err: e, reqId: request.id }, "unexpected error in an S3 operation");
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(s3req, err ?? s3Errors.internal());
    }
  };
  app.route({
    method: ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"],
    url: `${S3_ROUTE_PREFIX}/*`,
    exposeHeadRoute: false,
    handler,
  });
}
