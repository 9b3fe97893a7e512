import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Caller } from "../domain/context.js";
import { ServiceError, isServiceError } from "../errors.js";
import type { Logger } from "../log.js";
import { authenticate, jsonAuthError, queryAuthError, type CredentialLookup } from "./auth.js";
import { decodeJsonBody, encodeJsonError, encodeJsonOutput, jsonContentType } from "./json-protocol.js";
import type { AwsService, Authorizer } from "./service.js";
import { AuthFailure, headerMap } from "./sigv4.js";

export interface AwsApiOptions {
  services: AwsService[];
  lookup: CredentialLookup;
  authorize: Authorizer;
  region: string;
  log: Logger;
  /** largest request body accepted, in bytes */
  bodyLimit: number;
}

interface Resolved {
  service: AwsService;
  operation: string;
}

/** Picks the service and operation from X-Amz-Target (awsJson). */
function resolveJson(services: AwsService[], target: string): Resolved | null {
  const dot = target.lastIndexOf(".");
  if (dot < 0) return null;
  const prefix = target.slice(0, dot);
  const operation = target.slice(dot + 1);
  for (const service of services) {
    if (service.protocol.kind !== "json") continue;
    if (service.protocol.targetPrefixes.some((p) => prefix === p || prefix.endsWith("." + p))) return { service, operation };
  }
  return null;
}

/**
 * The AWS API on the shared port: every POST that is not Git lands here. SigV4 first, then the
 * authorizer, then the operation's typed function.
 */
export async function awsApiPlugin(app: FastifyInstance, opts: AwsApiOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: opts.bodyLimit }, (_req, body, done) => done(null, body));

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    const target = req.headers["x-amz-target"];
    const resolved = typeof target === "string" ? resolveJson(opts.services, target) : null;
    if (!resolved) {
      const err = new ServiceError(
        "UnknownOperationException",
        typeof target === "string" ? `The operation ${target} is not served here.` : "The request names no operation (X-Amz-Target).",
      );
      return sendJsonError(reply, "1.1", err);
    }
    const { service, operation } = resolved;
    const protocol = service.protocol;
    if (protocol.kind !== "json") throw new Error("query services are routed elsewhere");
    const fn = Object.hasOwn(service.operations, operation) ? service.operations[operation] : undefined;

    try {
      let principal;
      try {
        principal = await authenticate(
          { method: req.method, url: req.url, headers: headerMap(req.raw.rawHeaders), body },
          service,
          opts.region,
          opts.lookup,
        );
      } catch (e) {
        if (e instanceof AuthFailure) throw jsonAuthError(e);
        throw e;
      }
      if (!fn) {
        throw new ServiceError("UnknownOperationException", `The operation ${operation} is not served here.`);
      }
      const input = decodeJsonBody(body);
      const caller: Caller = {
        principal,
        requestId: req.id,
        sourceIp: req.ip,
        secureTransport: req.protocol === "https",
      };
      await opts.authorize(caller, service, operation, input);
      const output = await fn(caller, input);
      reply.header("content-type", jsonContentType(protocol.version));
      // a Buffer, so fastify does not append "; charset=utf-8" to the content type AWS sends bare
      return reply.send(Buffer.from(encodeJsonOutput(output)));
    } catch (e) {
      return sendJsonError(reply, protocol.version, toServiceError(e, req, opts.log));
    }
  };

  app.post("/*", handler);

  // Failures before the handler (a body over the limit, a broken stream) still answer in JSON
  // with __type, never with fastify's own error shape (its `code` member would mislead the SDK).
  app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = error.statusCode ?? 500;
    // Read (and discard) the rest of an oversized body before answering, so the client finishes
    // sending and reads the 413 instead of meeting a closed socket; past a cap, give up on it.
    if (status === 413) await drain(req.raw, 8 * opts.bodyLimit);
    const err =
      status === 413
        ? new ServiceError("RequestEntityTooLargeException", `The request body is larger than the ${opts.bodyLimit}-byte limit.`, { status: 413 })
        : status < 500
          ? new ServiceError("SerializationException", error.message, { status })
          : toServiceError(error, req, opts.log);
    return sendJsonError(reply, "1.1", err);
  });
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

function toServiceError(e: unknown, req: FastifyRequest, log: Logger): ServiceError {
  if (isServiceError(e)) return e;
  log.error({ err: e, reqId: req.id }, "unexpected error in an API operation");
  return new ServiceError("InternalFailure", "The request processing has failed because of an unknown error.", {
    status: 500,
  });
}

function sendJsonError(reply: FastifyReply, version: "1.0" | "1.1", err: ServiceError) {
  reply.code(err.status);
  reply.header("content-type", jsonContentType(version));
  reply.header("x-amzn-errortype", err.code);
  return reply.send(Buffer.from(encodeJsonError(err)));
}
