import type { IncomingMessage, ServerResponse } from "node:http";
import { CHECKSUM_ALGORITHMS, digestLength, hasherFor, type ChecksumAlgorithm, type Hasher } from "../../../domain/s3/checksums.js";
import { ChunkChain, type ChunkChainStart } from "./chunk-signatures.js";
import { decodeAwsChunked } from "./chunked.js";
import { S3Error, errorXml, s3Errors } from "./errors.js";

/** One S3 request as the handlers see it: the raw path split into bucket and key, the query, the headers. */
export interface S3Request {
  raw: IncomingMessage;
  res: ServerResponse;
  id: string;
  method: string;
  /** the path and query exactly as sent */
  url: string;
  bucket: string;
  /** undefined for bucket-level requests (`/bucket` and `/bucket/` alike) */
  key: string | undefined;
  /** query parameters, decoded; a bare `versioning` is present with the value "" */
  query: Map<string, string>;
  header(name: string): string | undefined;
  /** set when the body is signed aws-chunked: where its chunk-signature chain starts */
  chunkChain?: ChunkChainStart;
}

function decodeComponent(s: string, plusIsSpace: boolean): string {
  try {
    return decodeURIComponent(plusIsSpace ? s.replace(/\+/g, "%20") : s);
  } catch {
    throw new S3Error("InvalidURI", "Couldn't parse the specified URI.", 400);
  }
}

/**
 * Path-style addressing: `/BUCKET`, `/BUCKET/`, `/BUCKET/KEY`; a `+` in a path is a plus. With
 * `hostBucket` (virtual-hosted addressing, the bucket taken from the Host), the path is the key.
 */
export function parseTarget(url: string, hostBucket?: string): { bucket: string; key: string | undefined; query: Map<string, string> } {
  const q = url.indexOf("?");
  const path = q >= 0 ? url.slice(0, q) : url;
  const rawQuery = q >= 0 ? url.slice(q + 1) : "";
  const query = new Map<string, string>();
  for (const part of rawQuery.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq), true);
    if (!query.has(name)) query.set(name, eq < 0 ? "" : decodeComponent(part.slice(eq + 1), true));
  }
  const rest = path.startsWith("/") ? path.slice(1) : path;
  if (hostBucket !== undefined) return { bucket: hostBucket, key: rest === "" ? undefined : decodeComponent(rest, false), query };
  const slash = rest.indexOf("/");
  const bucket = decodeComponent(slash < 0 ? rest : rest.slice(0, slash), false);
  const rawKey = slash < 0 ? "" : rest.slice(slash + 1);
  return { bucket, key: rawKey === "" ? undefined : decodeComponent(rawKey, false), query };
}

/** Headers every S3 response carries. */
function baseHeaders(req: S3Request): Record<string, string> {
  return { "x-amz-request-id": req.id, "x-amz-id-2": req.id, server: "Headwater" };
}

export function send(req: S3Request, status: number, headers: Record<string, string | undefined>, body?: string | Buffer): void {
  const res = req.res;
  const all: Record<string, string> = baseHeaders(req);
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) all[k] = v;
  const buf = body === undefined ? undefined : typeof body === "string" ? Buffer.from(body, "utf8") : body;
  if (buf !== undefined) {
    all["content-length"] = String(buf.length);
    all["content-type"] ??= "application/xml";
  } else if (all["content-length"] === undefined) {
    all["content-length"] = "0";
  }
  res.writeHead(status, all);
  res.end(req.method === "HEAD" ? undefined : buf);
}

export function sendXml(req: S3Request, xml: string, headers: Record<string, string | undefined> = {}, status = 200): void {
  send(req, status, { "content-type": "application/xml", ...headers }, xml);
}

/** An error in S3's XML; HEAD errors have no body (the clients read the status alone). */
export function sendError(req: S3Request, e: S3Error): void {
  const headers: Record<string, string> = { ...e.headers };
  if (req.method === "HEAD") {
    send(req, e.status, headers);
    return;
  }
  send(req, e.status, { ...headers, "content-type": "application/xml" }, errorXml(e, req.id));
}

/** A request checksum the client declared: in a header, or promised in the aws-chunked trailer. */
export interface DeclaredChecksum {
  algorithm: ChecksumAlgorithm;
  /** base64 of the digest; undefined until the trailer has been read */
  value?: string;
  inTrailer: boolean;
}

/** The flexible checksum the request carries (x-amz-checksum-ALG, or x-amz-trailer naming one); at most one. */
export function declaredChecksum(req: S3Request): DeclaredChecksum | undefined {
  const found: DeclaredChecksum[] = [];
  // (a presigned URL's query checksum comes through req.header: the SDK v3 bakes the CRC32 of an
  // empty body into presigned PUTs, and S3 holds the upload to it, BadDigest for any other body)
  for (const alg of CHECKSUM_ALGORITHMS) {
    const value = req.header(`x-amz-checksum-${alg.toLowerCase()}`);
    if (value !== undefined) {
      if (!validChecksumValue(alg, value)) throw s3Errors.invalidRequest(`Value for x-amz-checksum-${alg.toLowerCase()} header is invalid.`);
      found.push({ algorithm: alg, value, inTrailer: false });
    }
  }
  const trailer = req.header("x-amz-trailer");
  if (trailer !== undefined) {
    const name = trailer.trim().toLowerCase();
    const alg = CHECKSUM_ALGORITHMS.find((a) => `x-amz-checksum-${a.toLowerCase()}` === name);
    if (!alg) throw s3Errors.invalidRequest(`The value specified in the x-amz-trailer header is not supported: ${trailer}`);
    found.push({ algorithm: alg, inTrailer: true });
  }
  if (found.length > 1) throw s3Errors.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
  const sdkAlg = req.header("x-amz-sdk-checksum-algorithm");
  if (sdkAlg !== undefined && found[0] && sdkAlg.toUpperCase() !== found[0].algorithm) {
    throw s3Errors.invalidRequest(`Value for x-amz-sdk-checksum-algorithm header is invalid.`);
  }
  return found[0];
}

function validChecksumValue(alg: ChecksumAlgorithm, value: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, "base64").length === digestLength(alg);
}

/** Content-MD5, decoded; InvalidDigest when it is not base64 of 16 bytes. */
export function contentMd5(req: S3Request): Buffer | undefined {
  const v = req.header("content-md5");
  if (v === undefined) return undefined;
  const b = Buffer.from(v, "base64");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(v) || b.length !== 16) throw s3Errors.invalidDigest();
  return b;
}

/**
 * The request body as it streams, with what S3 checks of it: aws-chunked decoding (and the
 * trailer), the declared decoded length, the hex `x-amz-content-sha256`, Content-MD5 and the
 * flexible checksum. Hashes are fed by the caller (ObjectStore.put) through `hashers`; `verify`
 * runs once the last byte is read and throws the S3 error for whatever did not match.
 */
export interface RequestBody {
  stream: AsyncIterable<Buffer>;
  hashers: Hasher[];
  verify(size: number): void;
  md5(): Buffer;
  checksum(): { algorithm: ChecksumAlgorithm; value: string } | undefined;
}

const HEX64 = /^[0-9a-f]{64}$/;
const SIGNED_STREAMING = new Set(["STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"]);

export function requestBody(req: S3Request, payloadHash: string): RequestBody {
  const chunked = payloadHash.startsWith("STREAMING-") || /(^|,)\s*aws-chunked\s*(,|$)/i.test(req.header("content-encoding") ?? "");
  const signedChunks = SIGNED_STREAMING.has(payloadHash);
  if (payloadHash.startsWith("STREAMING-") && payloadHash !== "STREAMING-UNSIGNED-PAYLOAD-TRAILER" && !signedChunks) {
    throw s3Errors.notImplemented(`the ${payloadHash} payload (SigV4a's ECDSA-signed aws-chunked)`);
  }
  // a presigned URL has no header signature for the chain to start from
  if (signedChunks && !req.chunkChain) throw s3Errors.invalidRequest(`The ${payloadHash} payload needs a request signed in the Authorization header.`);
  if (!chunked && payloadHash !== "UNSIGNED-PAYLOAD" && !HEX64.test(payloadHash)) {
    throw s3Errors.invalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a valid sha256 value.", "x-amz-content-sha256", payloadHash);
  }
  const declared = declaredChecksum(req);
  if (declared?.inTrailer && !chunked) throw s3Errors.invalidRequest("The x-amz-trailer header is only valid with an aws-chunked body.");
  const md5Expected = contentMd5(req);
  const decodedLength = req.header("x-amz-decoded-content-length");
  if (decodedLength !== undefined && !/^\d+$/.test(decodedLength)) throw s3Errors.invalidArgument("x-amz-decoded-content-length is not a number.");
  if (signedChunks && decodedLength === undefined) {
    throw new S3Error("MissingContentLength", "You must provide the x-amz-decoded-content-length header with a signed aws-chunked body.", 411);
  }
  const signedTrailer = payloadHash === "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
  if (signedChunks && !signedTrailer && declared?.inTrailer) {
    throw s3Errors.invalidRequest("The x-amz-trailer header needs the STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER payload, which signs the trailer.");
  }

  const trailers = new Map<string, string>();
  const source = req.raw as AsyncIterable<Buffer>;
  const stream = chunked ? decodeAwsChunked(source, trailers, signedChunks ? new ChunkChain(req.chunkChain!) : undefined, signedTrailer) : source;
  const md5 = hasherFor("MD5");
  const sha = HEX64.test(payloadHash) ? hasherFor("SHA256") : undefined;
  const flexible = declared ? hasherFor(declared.algorithm) : undefined;
  const hashers = [md5, ...(sha ? [sha] : []), ...(flexible ? [flexible] : [])];
  let md5Digest: Buffer | undefined;
  let checksumValue: string | undefined;

  return {
    stream,
    hashers,
    verify(size: number) {
      if (chunked && decodedLength !== undefined && Number(decodedLength) !== size) throw s3Errors.incompleteBody();
      if (sha) {
        const computed = sha.digest().toString("hex");
        if (computed !== payloadHash) throw s3Errors.sha256Mismatch(payloadHash, computed);
      }
      md5Digest = md5.digest();
      if (md5Expected && !md5Expected.equals(md5Digest)) throw s3Errors.badContentMd5();
      if (declared && flexible) {
        const name = `x-amz-checksum-${declared.algorithm.toLowerCase()}`;
        const expected = declared.inTrailer ? trailers.get(name) : declared.value;
        if (expected === undefined) throw s3Errors.invalidRequest(`The ${name} trailer the x-amz-trailer header promised is missing.`);
        if (!validChecksumValue(declared.algorithm, expected)) throw s3Errors.invalidRequest(`Value for ${name} trailing header is invalid.`);
        checksumValue = flexible.digest().toString("base64");
        if (checksumValue !== expected) throw s3Errors.badDigest(declared.algorithm);
      }
    },
    md5: () => md5Digest!,
    checksum: () => (declared && checksumValue ? { algorithm: declared.algorithm, value: checksumValue } : undefined),
  };
}

/** A small body (an XML document) read whole, up to `limit` bytes, with the same checks. */
export async function readSmallBody(req: S3Request, payloadHash: string, limit: number): Promise<{ data: Buffer; body: RequestBody }> {
  const body = requestBody(req, payloadHash);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body.stream) {
    size += chunk.length;
    if (size > limit) throw new S3Error("MaxMessageLengthExceeded", "Your request was too big.", 400);
    for (const h of body.hashers) h.update(chunk);
    parts.push(chunk);
  }
  body.verify(size);
  return { data: Buffer.concat(parts), body };
}

/** Operations S3 marks checksum-required: Content-MD5 or a flexible checksum must be sent. */
export function requireIntegrityHeader(req: S3Request): void {
  const has = req.header("content-md5") !== undefined || req.header("x-amz-trailer") !== undefined || CHECKSUM_ALGORITHMS.some((a) => req.header(`x-amz-checksum-${a.toLowerCase()}`) !== undefined);
  if (!has) throw s3Errors.invalidRequest("Missing required header for this request: Content-MD5 OR x-amz-checksum-*");
}
