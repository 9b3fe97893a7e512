import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Denial } from "../errors.js";
import { clip, type Logger } from "../log.js";

/**
 * One log line per AWS API call, written when its response has gone out: what the pipeline
 * (router.ts) learnt about the call, the HTTP status, and fastify's own timing. The request ID
 * comes from the request's child logger. Nothing of the request itself is logged: no header, no
 * signature, no body; a refusal adds what was refused and why, at warn.
 */
export interface ApiCall {
  /** the service's signing name (codecommit, iam, sts, sns) */
  service?: string;
  operation?: string;
  /** the caller's ARN, once authenticated */
  principal?: string;
  /** the repository the input names, if any */
  repository?: string;
  errorCode?: string;
  denial?: Denial;
  /** a refusal's message, as the client got it */
  message?: string;
  /** the access key ID a request refused at authentication claimed (an ID, never a secret) */
  accessKeyId?: string;
}

declare module "fastify" {
  interface FastifyRequest {
    /** what this API call's log line says (aws/call-log.ts) */
    apiCall: ApiCall | null;
  }
}

/** The call record of a request, made on first use. */
export function apiCallOf(req: FastifyRequest): ApiCall {
  return (req.apiCall ??= {});
}

/** Logs every request of the scope it is registered in as an API call. */
export function logApiCalls(app: FastifyInstance): void {
  app.decorateRequest("apiCall", null);
  app.addHook("onResponse", (req, reply, done) => {
    const c = req.apiCall ?? {};
    const d = c.denial;
    // the request's logger is a pino child (app.ts gives fastify the pino logger)
    if (d || (req.log as Logger).isLevelEnabled("info")) {
      const line = {
        service: c.service,
        operation: c.operation,
        principal: c.principal ?? null,
        repository: clip(c.repository),
        status: reply.statusCode,
        errorCode: c.errorCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        sourceIp: req.ip,
      };
      if (d) req.log.warn({ ...line, action: d.action, resource: clip(d.resource), reason: d.reason, message: clip(c.message, 1000), accessKeyId: c.accessKeyId }, "api call");
      else req.log.info(line, "api call");
    }
    done();
  });
}
