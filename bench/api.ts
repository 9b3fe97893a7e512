/**
 * Signed API throughput: GetBranch and ListRepositories under autocannon, each request carrying
 * a real SigV4 signature that the server verifies (replays of one signed request, as AWS allows
 * within its 15-minute window).
 */
import autocannon from "autocannon";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { ADMIN, type ServerHandle } from "../test/helpers/server.js";
import type { Creds } from "../test/helpers/clients.js";

export interface ApiResult {
  operation: string;
  requestsPerSecond: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  non2xx: number;
  /** responses received, the warm-up's included */
  responses: number;
}

export async function signed(url: string, op: string, body: object, creds: Creds = ADMIN) {
  const u = new URL(url);
  const req = new HttpRequest({
    method: "POST",
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: "/",
    headers: { host: u.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": `CodeCommit_20150413.${op}` },
    body: JSON.stringify(body),
  });
  const signer = new SignatureV4({ credentials: creds, region: "us-east-1", service: "codecommit", sha256: Hash.bind(null, "sha256") });
  const s = await signer.sign(req);
  return { headers: s.headers as Record<string, string>, body: s.body as string };
}

export async function benchApi(server: ServerHandle, op: string, body: object, opts: { seconds: number; connections: number; pipelining?: number; creds?: Creds }): Promise<ApiResult> {
  const req = await signed(server.url, op, body, opts.creds);
  // warm-up
  const warm = await autocannon({ url: server.url, method: "POST", headers: req.headers, body: req.body, connections: opts.connections, pipelining: opts.pipelining ?? 1, duration: 2 });
  const r = await autocannon({
    url: server.url,
    method: "POST",
    headers: req.headers,
    body: req.body,
    connections: opts.connections,
    pipelining: opts.pipelining ?? 1,
    duration: opts.seconds,
  });
  return {
    operation: op,
    requestsPerSecond: r.requests.average,
    p50ms: r.latency.p50,
    p99ms: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
    responses: warm.requests.total + r.requests.total,
  };
}
