import http from "node:http";
import https from "node:https";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Creds } from "./clients.js";
import { ADMIN } from "./server.js";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends a request as given (no signing), returning status, headers and body. */
export function rawRequest(
  url: string,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; ca?: string },
): Promise<RawResponse> {
  const u = new URL(url);
  const mod = u.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      { method: opts.method ?? "POST", hostname: u.hostname, port: u.port, path: opts.path ?? "/", headers: opts.headers, ca: opts.ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d) => chunks.push(d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** A SigV4-signed awsJson request built by the SDK's own signer, for byte-level checks. */
export async function signedJson(
  url: string,
  target: string,
  body: string | Buffer,
  opts: {
    creds?: Creds;
    region?: string;
    service?: string;
    date?: Date;
    headers?: Record<string, string>;
    tamper?: (headers: Record<string, string>, body: string | Buffer) => { headers: Record<string, string>; body: string | Buffer };
    jsonVersion?: "1.0" | "1.1";
  } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  const request = new HttpRequest({
    method: "POST",
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: "/",
    headers: {
      host: u.host,
      "content-type": `application/x-amz-json-${opts.jsonVersion ?? "1.1"}`,
      "x-amz-target": target,
      ...opts.headers,
    },
    body,
  });
  const signer = new SignatureV4({
    credentials: opts.creds ?? ADMIN,
    region: opts.region ?? "us-east-1",
    service: opts.service ?? "codecommit",
    sha256: Hash.bind(null, "sha256"),
  });
  const signed = await signer.sign(request, { signingDate: opts.date });
  let headers = signed.headers as Record<string, string>;
  let sendBody = body;
  if (opts.tamper) ({ headers, body: sendBody } = opts.tamper({ ...headers }, body));
  return rawRequest(url, { headers, body: sendBody });
}

/** A SigV4-signed awsQuery form (IAM, STS, SNS), built by the SDK's own signer. */
export async function signedQuery(url: string, form: string, opts: { creds?: Creds; region?: string; service?: string } = {}): Promise<RawResponse> {
  const u = new URL(url);
  const request = new HttpRequest({
    method: "POST",
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: "/",
    headers: { host: u.host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body: form,
  });
  const signer = new SignatureV4({ credentials: opts.creds ?? ADMIN, region: opts.region ?? "us-east-1", service: opts.service ?? "iam", sha256: Hash.bind(null, "sha256") });
  const signed = await signer.sign(request);
  return rawRequest(url, { headers: signed.headers as Record<string, string>, body: form });
}
