import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Caller, Principal } from "../domain/context.js";
import { ServiceError, isServiceError, withDenial } from "../errors.js";
import type { Logger } from "../log.js";
import { authenticate, jsonAuthError, queryAuthError, type CredentialLookup } from "./auth.js";
import { apiCallOf, logApiCalls } from "./call-log.js";
import { decodeJsonBody, encodeJsonError, encodeJsonOutput, jsonContentType } from "./json-protocol.js";
import { decodeQuery, encodeQueryError, encodeQueryResponse } from "./query-protocol.js";
import type { AwsService, Authorizer, QueryProtocol } from "./service.js";
import { AuthFailure, headerMap } from "./sigv4.js";

export interface AwsApiOptions {
  services: AwsService[];
  lookup: CredentialLookup;
  authorize: Authorizer;
  region: string;
  log: Logger;
  /** largest request body accepted, in bytes */
  bodyLimit: number;
  /**
   * Operations that need no signature (SNS's confirmation and unsubscribe links): service
   * signing name → operation names.
   */
  unsigned?: Record<string, string[]>;
  /** told of every authenticated request (for GetAccessKeyLastUsed) */
  onAuthenticated?: (principal: Principal, service: AwsService) => void;
}

interface Resolved {
  service: AwsService;
  operation: string;
  input: Record<string, unknown>;
}

/** Writes responses and errors in one protocol's format. */
interface Wire {
  output(reply: FastifyReply, operation: string, output: unknown, requestId: string): FastifyReply;
  error(reply: FastifyReply, err: ServiceError, requestId: string): FastifyReply;
  authError(f: AuthFailure): ServiceError;
}

function jsonWire(version: "1.0" | "1.1"): Wire {
  return {
    // Buffers, so fastify does not append "; charset=utf-8" to the content type AWS sends bare
    output: (reply, _op, output) => reply.header("content-type", jsonContentType(version)).send(Buffer.from(encodeJsonOutput(output))),
    error: (reply, err) =>
      reply
        .code(err.status)
        .header("content-type", jsonContentType(version))
        .header("x-amzn-errortype", err.code)
        .send(Buffer.from(encodeJsonError(err))),
    authError: jsonAuthError,
  };
}

function queryWire(p: QueryProtocol): Wire {
  return {
    output: (reply, op, output, requestId) =>
      reply.header("content-type", "text/xml").send(Buffer.from(encodeQueryResponse(op, p.xmlNamespace, output as Record<string, unknown> | undefined, requestId))),
    error: (reply, err, requestId) =>
      reply.code(err.status).header("content-type", "text/xml").send(Buffer.from(encodeQueryError(err, p.xmlNamespace, requestId))),
    authError: queryAuthError,
  };
}

function wireOf(service: AwsService): Wire {
  return service.protocol.kind === "json" ? jsonWire(service.protocol.version) : queryWire(service.protocol);
}

/** The credential scope (`KEYID/DATE/REGION/SERVICE/aws4_request`), read without verifying anything. */
function claimedCredential(req: FastifyRequest, query: URLSearchParams): string[] | undefined {
  const auth = req.headers.authorization;
  const credential = typeof auth === "string" ? /Credential=([^,\s]+)/.exec(auth)?.[1] : query.get("X-Amz-Credential") ?? undefined;
  return credential?.split("/");
}

/** The credential scope's service name, read without verifying anything. */
function scopeService(req: FastifyRequest, query: URLSearchParams): string | undefined {
  return claimedCredential(req, query)?.[3];
}

/** The access key ID a request claims, for the log of a request refused at authentication. */
function claimedAccessKeyId(req: FastifyRequest): string | undefined {
  const q = req.url.indexOf("?");
  const id = claimedCredential(req, new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : ""))?.[0];
  return id && /^[A-Z0-9]{16,128}$/.test(id) ? id : undefined;
}

/** The IAM action an operation is authorized as, read from its service's table. */
function actionOf(service: AwsService, operation: string): string | null {
  return Object.hasOwn(service.authz, operation) ? service.authz[operation]!.action : null;
}

/**
 * Picks the service and operation: X-Amz-Target for awsJson; for awsQuery the `Action` (form
 * body or query string), the service chosen by the signature's scope, then `Version`, then by
 * which service has the operation.
 */
function resolve(services: AwsService[], req: FastifyRequest, body: Buffer): Resolved | ServiceError {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") {
    const dot = target.lastIndexOf(".");
    const prefix = target.slice(0, dot);
    const operation = target.slice(dot + 1);
    const service = services.find(
      (s) => s.protocol.kind === "json" && s.protocol.targetPrefixes.some((p) => prefix === p || prefix.endsWith("." + p)),
    );
    if (!service || dot < 0) return new ServiceError("UnknownOperationException", `The operation ${target} is not served here.`);
    return { service, operation, input: {} };
  }
  const qIndex = req.url.indexOf("?");
  const urlQuery = new URLSearchParams(qIndex >= 0 ? req.url.slice(qIndex + 1) : "");
  const type = String(req.headers["content-type"] ?? "");
  const params = type.startsWith("application/x-www-form-urlencoded") ? new URLSearchParams(body.toString("utf8")) : urlQuery;
  if (!params.get("Action")) {
    return new ServiceError("UnknownOperationException", "The request names no operation (X-Amz-Target, or Action for query APIs).");
  }
  const decoded = decodeQuery(params);
  const queryServices = services.filter((s) => s.protocol.kind === "query");
  const scope = scopeService(req, urlQuery);
  const service =
    queryServices.find((s) => s.signingName === scope) ??
    queryServices.find((s) => (s.protocol as QueryProtocol).apiVersion === decoded.version) ??
    queryServices.find((s) => Object.hasOwn(s.operations, decoded.action));
  if (!service) return new ServiceError("InvalidAction", `The action ${decoded.action} is not valid for this endpoint.`);
  return { service, operation: decoded.action, input: decoded.input };
}

/**
 * The AWS API on the shared port: every request that is not Git or the console lands here.
 * SigV4 first, then the authorizer, then the operation's typed function.
 */
export async function awsApiPlugin(app: FastifyInstance, opts: AwsApiOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: opts.bodyLimit }, (_req, body, done) => done(null, body));
  const defaultWire = jsonWire("1.1");
  logApiCalls(app);
  /** Answers with an error, and notes it for the call's log line. */
  const failWith = (wire: Wire, req: FastifyRequest, reply: FastifyReply, err: ServiceError) => {
    const call = apiCallOf(req);
    call.errorCode = err.code;
    if (err.denial) {
      call.denial = err.denial;
      call.message = err.message;
    }
    return wire.error(reply, err, req.id);
  };

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    let resolved: Resolved | ServiceError;
    try {
      resolved = resolve(opts.services, req, body);
    } catch (e) {
      resolved = isServiceError(e) ? e : new ServiceError("SerializationException", "The request could not be read.");
    }
    if (resolved instanceof ServiceError) return failWith(defaultWire, req, reply, resolved);
    const { service, operation } = resolved;
    const call = apiCallOf(req);
    call.service = service.signingName;
    call.operation = operation;
    const wire = wireOf(service);
    const fn = Object.hasOwn(service.operations, operation) ? service.operations[operation] : undefined;

    try {
      const unsigned = opts.unsigned?.[service.signingName]?.includes(operation) && !req.headers.authorization;
      let caller: Caller | undefined;
      if (!unsigned) {
        let principal;
        try {
          principal = await authenticate(
            { method: req.method, url: req.url, headers: headerMap(req.raw.rawHeaders), body },
            service,
            opts.region,
            opts.lookup,
          );
        } catch (e) {
          if (e instanceof AuthFailure) {
            call.accessKeyId = claimedAccessKeyId(req);
            // refused before anyone is known: no resource was decided on
            throw withDenial(wire.authError(e), { action: actionOf(service, operation), resource: null, reason: e.kind });
          }
          throw e;
        }
        call.principal = principal.arn;
        caller = { principal, requestId: req.id, sourceIp: req.ip, secureTransport: req.protocol === "https" };
        opts.onAuthenticated?.(principal, service);
      }
      if (!fn) {
        throw service.protocol.kind === "json"
          ? new ServiceError("UnknownOperationException", `The operation ${operation} is not served here.`)
          : new ServiceError("InvalidAction", `The action ${operation} is not valid for this endpoint.`);
      }
      const input = service.protocol.kind === "json" ? decodeJsonBody(body) : resolved.input;
      if (typeof input.repositoryName === "string") call.repository = input.repositoryName;
      if (caller) await opts.authorize(caller, service, operation, input);
      const output = await fn(caller ?? anonymous(req), input);
      return wire.output(reply, operation, output, req.id);
    } catch (e) {
      return failWith(wire, req, reply, toServiceError(e, req, opts.log, service.protocol.kind));
    }
  };

  /** An oversized body: the operation's own modeled error when its service has one (the header names it). */
  const tooLarge = (req: FastifyRequest, reply: FastifyReply) => {
    const target = typeof req.headers["x-amz-target"] === "string" ? resolve(opts.services, req, Buffer.alloc(0)) : undefined;
    if (target && !(target instanceof ServiceError)) {
      const modeled = target.service.bodyTooLarge?.(target.operation, opts.bodyLimit);
      if (modeled) return failWith(wireOf(target.service), req, reply, modeled);
    }
    const err = new ServiceError("RequestEntityTooLargeException", `The request body is larger than the ${opts.bodyLimit}-byte limit.`, { status: 413 });
    return failWith(defaultWire, req, reply, err);
  };

  app.post("/*", handler);
  app.get("/", handler);

  // Failures before the handler (a body over the limit, a broken stream) still answer in the
  // protocol's shape, never in fastify's own (its `code` member would mislead the JS SDK).
  app.setErrorHandler(async (error: Error & { statusCode?: number }, req, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 413) {
      // Read (and discard) the rest of an oversized body before answering, so the client finishes
      // sending and reads the answer instead of meeting a closed socket; past a cap, give up on it.
      await drain(req.raw, 8 * opts.bodyLimit);
      return tooLarge(req, reply);
    }
    const err = status < 500 ? new ServiceError("SerializationException", error.message, { status }) : toServiceError(error, req, opts.log, "json");
    return failWith(defaultWire, req, reply, err);
  });
}

/** The caller of an unsigned operation: nobody in particular. */
function anonymous(req: FastifyRequest): Caller {
  return {
    principal: { kind: "user", arn: "anonymous", userId: "anonymous", accountId: "" },
    requestId: req.id,
    sourceIp: req.ip,
    secureTransport: req.protocol === "https",
  };
}

function drain(stream: NodeJS.ReadableStream & { destroy(): void }, cap: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      stream.removeListener("data", onData);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > cap) {
        stream.destroy();
        done();
      }
    };
    stream.on("data", onData);
    stream.once("end", done);
    stream.once("error", done);
    stream.once("close", done);
    stream.resume();
  });
}

function toServiceError(e: unknown, req: FastifyRequest, log: Logger, kind: "json" | "query"): ServiceError {
  if (isServiceError(e)) return e;
  log.error({ err: e, requestId: req.id }, "unexpected error in an API operation");
  return kind === "json"
    ? new ServiceError("InternalFailure", "The request processing has failed because of an unknown error.", { status: 500 })
    : new ServiceError("InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", { status: 500 });
}
