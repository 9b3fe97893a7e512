import crypto from "node:crypto";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Creds } from "./clients.js";
import { ADMIN } from "./server.js";
import { rawRequest, type RawResponse } from "./signed.js";

/**
 * A client for signed aws-chunked uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]), which
 * none of the clients on this machine send (the Java and Go SDKs and MinIO's mc do): the request
 * is signed by the SDK's own SigV4 signer, and the chunks by the algorithm of AWS's SigV4
 * streaming docs, written here from the docs (not from the server's code).
 */
const hmac = (key: Buffer | string, data: string) => crypto.createHmac("sha256", key).update(data).digest();
const sha256 = (data: Buffer | string) => crypto.createHash("sha256").update(data).digest("hex");

function signingKey(secret: string, date: string): Buffer {
  return hmac(hmac(hmac(hmac("AWS4" + secret, date), "us-east-1"), "s3"), "aws4_request");
}

export interface SignedChunkedOptions {
  creds?: Creds;
  /** a trailer to sign and send (the -TRAILER form), e.g. { "x-amz-checksum-crc32": "…" } */
  trailer?: Record<string, string>;
  /** change the framed body after signing (to prove a change is caught) */
  tamper?: (framed: Buffer) => Buffer;
  /** the x-amz-decoded-content-length to declare, if not the true one; null leaves it out */
  decodedLength?: number | null;
  headers?: Record<string, string>;
}

export async function signedChunkedPut(url: string, path: string, chunks: Buffer[], opts: SignedChunkedOptions = {}): Promise<RawResponse> {
  const creds = opts.creds ?? ADMIN;
  const u = new URL(url);
  const trailer = opts.trailer;
  const payload = trailer ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" : "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
  const total = chunks.reduce((n, c) => n + c.length, 0);
  // the framed length is known before signing: each chunk's header has a fixed-length signature
  const sigLen = 64;
  const frameHeader = (n: number) => `${n.toString(16)};chunk-signature=${"0".repeat(sigLen)}\r\n`;
  const trailerText = trailer
    ? Object.entries(trailer)
        .map(([k, v]) => `${k}:${v}\r\n`)
        .join("") + `x-amz-trailer-signature:${"0".repeat(sigLen)}\r\n\r\n`
    : "\r\n";
  const framedLength =
    chunks.reduce((n, c) => n + Buffer.byteLength(frameHeader(c.length)) + c.length + 2, 0) + Buffer.byteLength(frameHeader(0)) + Buffer.byteLength(trailerText);
  const headers: Record<string, string> = {
    host: u.host,
    "x-amz-content-sha256": payload,
    "content-encoding": "aws-chunked",
    "content-length": String(framedLength),
    ...(opts.decodedLength === null ? {} : { "x-amz-decoded-content-length": String(opts.decodedLength ?? total) }),
    ...(trailer ? { "x-amz-trailer": Object.keys(trailer).join(",") } : {}),
    ...opts.headers,
  };
  const request = new HttpRequest({ method: "PUT", protocol: u.protocol, hostname: u.hostname, port: Number(u.port), path, headers });
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: creds, sha256: Hash.bind(null, "sha256"), uriEscapePath: false, applyChecksum: false });
  const signed = (await signer.sign(request)).headers as Record<string, string>;
  const seed = /Signature=([0-9a-f]{64})/.exec(signed.authorization!)![1]!;
  const amzDate = signed["x-amz-date"]!;
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const key = signingKey(creds.secretAccessKey, amzDate.slice(0, 8));

  let previous = seed;
  const parts: Buffer[] = [];
  for (const data of [...chunks, Buffer.alloc(0)]) {
    const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${previous}\n${sha256("")}\n${sha256(data)}`;
    previous = hmac(key, sts).toString("hex");
    parts.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${previous}\r\n`), data);
    if (data.length) parts.push(Buffer.from("\r\n"));
  }
  if (trailer) {
    const canonical = Object.entries(trailer)
      .map(([k, v]) => `${k.toLowerCase()}:${v}\n`)
      .sort()
      .join("");
    const sig = hmac(key, `AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${previous}\n${sha256(canonical)}`).toString("hex");
    parts.push(Buffer.from(Object.entries(trailer).map(([k, v]) => `${k}:${v}\r\n`).join("") + `x-amz-trailer-signature:${sig}\r\n\r\n`));
  } else {
    parts.push(Buffer.from("\r\n"));
  }
  let framed: Buffer = Buffer.concat(parts);
  if (framed.length !== framedLength) throw new Error(`framing: ${framed.length} != ${framedLength}`);
  if (opts.tamper) framed = opts.tamper(framed);
  return rawRequest(url, { method: "PUT", path, headers: { ...signed, "content-length": String(framed.length) }, body: framed });
}
