import crypto from "node:crypto";
import { S3Client } from "@aws-sdk/client-s3";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Creds } from "./clients.js";
import { ADMIN } from "./server.js";
import { rawRequest, type RawResponse } from "./signed.js";

/** The JavaScript SDK's S3 client against the server: path style, as a hostname endpoint needs. */
export function s3Client(endpoint: string, creds: Creds = ADMIN, extra: Record<string, unknown> = {}) {
  return new S3Client({ endpoint, region: "us-east-1", credentials: creds, forcePathStyle: true, maxAttempts: 1, ...extra });
}

/**
 * An S3 request signed by the SDK's own signer (S3's rules: the raw path, no second encoding,
 * the payload hash as given), for byte-level checks; `tamper` changes it after signing.
 */
export async function signedS3(
  url: string,
  method: string,
  path: string,
  opts: {
    body?: string | Buffer;
    headers?: Record<string, string>;
    query?: Record<string, string>;
    creds?: Creds;
    payloadHash?: string;
    tamper?: (headers: Record<string, string>) => void;
  } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  const body = opts.body ?? "";
  const request = new HttpRequest({
    method,
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path,
    query: opts.query,
    headers: {
      host: u.host,
      "x-amz-content-sha256": opts.payloadHash ?? crypto.createHash("sha256").update(body).digest("hex"),
      ...(body.length ? { "content-length": String(Buffer.byteLength(body)) } : {}),
      ...opts.headers,
    },
    body,
  });
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: opts.creds ?? ADMIN, sha256: Hash.bind(null, "sha256"), uriEscapePath: false, applyChecksum: false });
  const signed = await signer.sign(request);
  const headers = { ...(signed.headers as Record<string, string>) };
  opts.tamper?.(headers);
  const q = opts.query ? "?" + new URLSearchParams(opts.query).toString() : "";
  return rawRequest(url, { method, path: path + q, headers, body });
}

/** The error an SDK call failed with: its name and HTTP status. */
export async function sdkFailure(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  throw new Error("expected the call to fail");
}
