import { pipeline } from "node:stream/promises";
import { S3StoreError, isValidVersionId, tagsOf, type ObjectVersion } from "../../../domain/s3/buckets.js";
import { expirationHeader, expirationOf } from "../../../domain/s3/lifecycle.js";
import { storeError } from "./buckets.js";
import { originOf, type S3Call, type S3Context } from "./context.js";
import { S3Error, s3Errors } from "./errors.js";
import { partRange } from "./multipart.js";
import { readSmallBody, requestBody, requireIntegrityHeader, send, sendXml, type S3Request } from "./http.js";
import { parseTaggingHeader } from "./tag-sets.js";
import { doc, el, httpTime, parseXml, wrap } from "./xml.js";

/** A single PUT's limit, as S3's (larger objects need multipart upload). */
const MAX_PUT = 5 * 1024 ** 3;

/** Request headers stored with the object and returned on GET/HEAD. */
const STORED_HEADERS = ["cache-control", "content-disposition", "content-encoding", "content-language", "expires", "x-amz-website-redirect-location"];

export function quoted(etag: string): string {
  return `"${etag}"`;
}

/** The stored headers of a PUT: the standard ones (Content-Encoding without aws-chunked) and x-amz-meta-*. */
export function storedHeaders(req: S3Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let v = req.header(name);
    if (v === undefined) continue;
    if (name === "content-encoding") {
      v = v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s && s.toLowerCase() !== "aws-chunked")
        .join(",");
      if (!v) continue;
    }
    out[name] = v;
  }
  const raw = req.raw.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name.startsWith("x-amz-meta-")) out[name] = out[name] === undefined ? raw[i + 1]! : `${out[name]},${raw[i + 1]!}`;
  }
  return out;
}

/** Headers S3 has no support for here yet, refused rather than ignored (PutObject and CopyObject). */
export function refuseUnbuilt(req: S3Request): void {
  if (req.header("x-amz-object-lock-mode") !== undefined || req.header("x-amz-object-lock-legal-hold") !== undefined) throw s3Errors.notImplemented("Object Lock");
  if (req.header("x-amz-server-side-encryption-customer-algorithm") !== undefined) throw s3Errors.notImplemented("SSE-C");
  if (req.header("x-amz-write-offset-bytes") !== undefined) throw s3Errors.notImplemented("appends");
  const acl = req.header("x-amz-acl");
  if (acl !== undefined && acl !== "private" && acl !== "bucket-owner-full-control") {
    throw new S3Error("AccessControlListNotSupported", "The bucket does not allow ACLs", 400);
  }
  for (const g of ["x-amz-grant-read", "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control"]) {
    if (req.header(g) !== undefined) throw new S3Error("AccessControlListNotSupported", "The bucket does not allow ACLs", 400);
  }
}

export function versionHeader(versioning: string | null, versionId: string): string | undefined {
  // a bucket that was never versioned has no version IDs to show
  return versioning === null ? undefined : versionId;
}

export async function putObject(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  const key = req.key!;
  await ctx.authorize(caller, "PutObject", { Bucket: req.bucket, Key: key });
  refuseUnbuilt(req);
  requireKeyLength(key);
  const taggingHeader = req.header("x-amz-tagging");
  const tags = taggingHeader !== undefined ? parseTaggingHeader(taggingHeader) : [];
  // S3 asks for s3:PutObjectTagging too when a PUT sets tags
  if (tags.length > 0) await ctx.authorize(caller, "PutObject(tagging)", { Bucket: req.bucket, Key: key, Tags: tags });
  const length = Number(req.header("x-amz-decoded-content-length") ?? req.header("content-length") ?? "0");
  if (length > MAX_PUT) throw s3Errors.entityTooLarge(MAX_PUT);
  const precondition = writePrecondition(req, key);
  const body = requestBody(req, call.payloadHash);
  // refuse early (before reading the body) what the commit would refuse anyway
  const bucket = await ctx.store.getBucket(req.bucket);
  if (!bucket) throw s3Errors.noSuchBucket(req.bucket);

  const written = await ctx.store.objects.put(body.stream, body.hashers, (size) => {
    if (size > MAX_PUT) throw s3Errors.entityTooLarge(MAX_PUT);
    body.verify(size);
  });
  const etag = body.md5().toString("hex");
  const checksum = body.checksum();
  let result;
  try {
    result = await ctx.store.putVersion(
      req.bucket,
      key,
      {
        blob: written.blob,
        size: written.size,
        etag,
        contentType: req.header("content-type") ?? null,
        headers: storedHeaders(req),
        checksumAlgorithm: checksum?.algorithm ?? null,
        checksum: checksum?.value ?? null,
        ownerArn: caller.principal.arn,
        origin: originOf(call),
        tags,
      },
      precondition,
    );
  } catch (e) {
    throw storeError(e, req.bucket);
  }
  const headers: Record<string, string | undefined> = {
    etag: quoted(etag),
    "x-amz-version-id": versionHeader(result.versioning, result.versionId),
    "x-amz-expiration": expirationHeader(expirationOf(bucket.lifecycle, { key, size: written.size, tags: tags.length ? JSON.stringify(tags) : null, createdAt: result.createdAt }, ctx.lifecycleDayMs)),
    "x-amz-server-side-encryption": "AES256",
  };
  if (checksum) {
    headers[`x-amz-checksum-${checksum.algorithm.toLowerCase()}`] = checksum.value;
    headers["x-amz-checksum-type"] = "FULL_OBJECT";
  }
  send(req, 200, headers);
}

export function requireKeyLength(key: string): void {
  if (Buffer.byteLength(key, "utf8") > 1024) throw new S3Error("KeyTooLongError", "Your key is too long", 400);
}

/**
 * A conditional write's If-Match / If-None-Match (only `*`), checked against the key's current
 * version under its lock (PutObject and CopyObject).
 */
export function writePrecondition(req: S3Request, key: string): (current: ObjectVersion | undefined) => void {
  const ifNoneMatch = req.header("if-none-match");
  const ifMatch = req.header("if-match");
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== "*") throw s3Errors.notImplemented("If-None-Match other than * on writes");
  return (current) => {
    const live = current && !current.delete_marker ? current : undefined;
    if (ifNoneMatch !== undefined && live) throw s3Errors.preconditionFailed("If-None-Match");
    if (ifMatch !== undefined) {
      if (!live) throw s3Errors.noSuchKey(key);
      if (!etagMatches(ifMatch, live.etag)) throw s3Errors.preconditionFailed("If-Match");
    }
  };
}

/** An If-Match / If-None-Match list against an ETag (quotes optional, `*` matches any). */
export function etagMatches(header: string, etag: string): boolean {
  return header.split(",").some((t) => {
    const v = t.trim().replace(/^W\//, "");
    return v === "*" || v.replace(/^"|"$/g, "") === etag;
  });
}

export type ConditionHeader = "If-Match" | "If-Unmodified-Since" | "If-None-Match" | "If-Modified-Since";

/**
 * The four conditional headers against a version, in S3's order: If-Match and
 * If-Unmodified-Since fail (412), If-None-Match and If-Modified-Since say "not modified" (a
 * GET's 304; a copy's 412). A true If-Match overrides If-Unmodified-Since (RFC 7232), and a
 * present If-None-Match decides before If-Modified-Since.
 */
export function evaluateConditions(
  c: Partial<Record<ConditionHeader, string>>,
  v: ObjectVersion,
): { outcome: "ok" } | { outcome: "failed" | "notModified"; header: ConditionHeader } {
  const lastModified = Math.floor(v.created_at / 1000) * 1000;
  const ifMatch = c["If-Match"];
  const ifNoneMatch = c["If-None-Match"];
  const ifUnmodified = c["If-Unmodified-Since"];
  const ifModified = c["If-Modified-Since"];
  if (ifMatch !== undefined && !etagMatches(ifMatch, v.etag)) return { outcome: "failed", header: "If-Match" };
  if (ifMatch === undefined && ifUnmodified !== undefined) {
    const t = Date.parse(ifUnmodified);
    if (!Number.isNaN(t) && lastModified > t) return { outcome: "failed", header: "If-Unmodified-Since" };
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, v.etag)) return { outcome: "notModified", header: "If-None-Match" };
  } else if (ifModified !== undefined) {
    const t = Date.parse(ifModified);
    if (!Number.isNaN(t) && t <= Date.now() && lastModified <= t) return { outcome: "notModified", header: "If-Modified-Since" };
  }
  return { outcome: "ok" };
}

/** GetObject's and HeadObject's conditions: 412 PreconditionFailed, or 304. */
function preconditions(req: S3Request, v: ObjectVersion): "ok" | "notModified" {
  const r = evaluateConditions(
    { "If-Match": req.header("if-match"), "If-None-Match": req.header("if-none-match"), "If-Unmodified-Since": req.header("if-unmodified-since"), "If-Modified-Since": req.header("if-modified-since") },
    v,
  );
  if (r.outcome === "failed") throw s3Errors.preconditionFailed(r.header);
  return r.outcome;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`; anything else (multiple ranges, other units) is ignored, as S3 does. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return "unsatisfiable";
    return size === 0 ? "unsatisfiable" : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  // `bytes=N-` from at or past the end is unsatisfiable (416), as S3 answers; an explicit
  // range whose end is before its start is ignored (200, the whole object)
  if (m[2] === "" && start >= size) return "unsatisfiable";
  const end = m[2] === "" ? size - 1 : Number(m[2]);
  if (end < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
};

/** GetObject and HeadObject. */
export async function getObject(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  const key = req.key!;
  const head = req.method === "HEAD";
  const versionId = req.query.get("versionId");
  const op = head ? "HeadObject" : "GetObject";
  await ctx.authorize(caller, versionId !== undefined ? `${op}(versionId)` : op, { Bucket: req.bucket, Key: key, VersionId: versionId });
  const partNumber = req.query.get("partNumber");
  if (partNumber !== undefined && req.header("range") !== undefined) throw s3Errors.invalidRequest("Cannot specify both Range header and partNumber query parameter");
  const hasOverrides = Object.keys(RESPONSE_OVERRIDES).some((q) => req.query.has(q));
  if (hasOverrides && head) throw s3Errors.invalidRequest("Response header overrides are only valid for GetObject.");
  const bucket = await ctx.store.getBucket(req.bucket);
  if (!bucket) throw s3Errors.noSuchBucket(req.bucket);
  if (versionId !== undefined && !isValidVersionId(versionId)) throw s3Errors.invalidVersionId(versionId);
  const v = await ctx.store.getVersion(req.bucket, key, versionId);
  if (!v) throw versionId !== undefined ? s3Errors.noSuchVersion(key, versionId) : s3Errors.noSuchKey(key);
  const vHeader = versionHeader(bucket.versioning, v.version_id);
  if (v.delete_marker) {
    const markerHeaders = { "x-amz-delete-marker": "true", ...(vHeader ? { "x-amz-version-id": vHeader } : {}) };
    if (versionId !== undefined) {
      throw s3Errors.methodNotAllowed(req.method, "DeleteMarker", { ...markerHeaders, allow: "DELETE", "last-modified": httpTime(v.created_at) });
    }
    throw s3Errors.noSuchKey(key, markerHeaders);
  }
  const common: Record<string, string | undefined> = {
    etag: quoted(v.etag),
    "last-modified": httpTime(v.created_at),
    "x-amz-version-id": vHeader,
    // when the bucket's lifecycle rules will expire it (the current version only)
    "x-amz-expiration": v.latest ? expirationHeader(expirationOf(bucket.lifecycle, { ...v, createdAt: v.created_at }, ctx.lifecycleDayMs)) : undefined,
  };
  const state = preconditions(req, v);
  if (state === "notModified") {
    send(req, 304, common);
    return;
  }
  const part = partNumber !== undefined && v.size > 0 ? partRange(v, partNumber) : undefined;
  const range = part ?? parseRange(req.header("range"), v.size);
  if (range === "unsatisfiable") throw s3Errors.invalidRange(v.size, req.header("range")!);
  const stored = JSON.parse(v.headers) as Record<string, string>;
  const headers: Record<string, string | undefined> = {
    ...common,
    "accept-ranges": "bytes",
    "content-type": v.content_type ?? "binary/octet-stream",
    "x-amz-server-side-encryption": "AES256",
    "x-amz-tagging-count": v.tags ? String(tagsOf(v.tags).length) : undefined,
    ...stored,
  };
  for (const [q, h] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = req.query.get(q);
    if (value !== undefined) headers[h] = value;
  }
  // a full-object checksum only on a full read, and only when asked for
  if (!range && v.checksum_algorithm && v.checksum && req.header("x-amz-checksum-mode")?.toUpperCase() === "ENABLED") {
    headers[`x-amz-checksum-${v.checksum_algorithm.toLowerCase()}`] = v.checksum;
    // a multipart upload's composite checksum is `<base64>-<parts>`
    headers["x-amz-checksum-type"] = v.checksum.includes("-") ? "COMPOSITE" : "FULL_OBJECT";
  }
  if (part?.count !== undefined) headers["x-amz-mp-parts-count"] = String(part.count);
  const res = req.res;
  if (range) {
    headers["content-range"] = `bytes ${range.start}-${range.end}/${v.size}`;
    headers["content-length"] = String(range.end - range.start + 1);
  } else {
    headers["content-length"] = String(v.size);
  }
  const status = range ? 206 : 200;
  if (head || v.size === 0 || !v.blob) {
    send(req, status, headers);
    return;
  }
  // the whole object is a range too: the store then knows how much it will read
  const stream = ctx.store.objects.read(v.blob, range ?? { start: 0, end: v.size - 1 });
  // open the file before the status line goes out, so a missing blob is still a clean 500
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", reject);
  });
  const all: Record<string, string> = { "x-amz-request-id": req.id, "x-amz-id-2": req.id, server: "Headwater" };
  for (const [k, val] of Object.entries(headers)) if (val !== undefined) all[k] = val;
  res.writeHead(status, all);
  try {
    await pipeline(stream, res);
  } catch {
    // the client went away, or the read failed mid-way: the connection is closed either way
    res.destroy();
  }
}

export async function deleteObject(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  const key = req.key!;
  const versionId = req.query.get("versionId");
  await ctx.authorize(caller, versionId !== undefined ? "DeleteObject(versionId)" : "DeleteObject", { Bucket: req.bucket, Key: key, VersionId: versionId });
  if (req.header("if-match") !== undefined) throw s3Errors.notImplemented("conditional deletes");
  let outcome;
  try {
    outcome = await ctx.store.deleteObject(req.bucket, key, versionId, caller.principal.arn, { origin: originOf(call) });
  } catch (e) {
    if (e instanceof S3StoreError && e.code === "InvalidVersionId") throw s3Errors.invalidVersionId(versionId ?? "");
    throw storeError(e, req.bucket);
  }
  send(req, 204, {
    ...(outcome.deleteMarker ? { "x-amz-delete-marker": "true" } : {}),
    ...(outcome.versionId !== undefined ? { "x-amz-version-id": outcome.versionId } : {}),
  });
}

interface DeleteEntry {
  Key?: unknown;
  VersionId?: unknown;
}

/** DeleteObjects: up to 1,000 keys, each authorized and deleted on its own; Quiet lists only the errors. */
export async function deleteObjects(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  requireIntegrityHeader(req);
  const { data } = await readSmallBody(req, call.payloadHash, 2 * 1024 * 1024);
  const parsed = parseXml(data, "Delete");
  const objects = (parsed.Object as DeleteEntry[] | undefined) ?? [];
  if (objects.length === 0 || objects.length > 1000) throw s3Errors.malformedXml();
  const quiet = String(parsed.Quiet ?? "false").trim().toLowerCase() === "true";
  if (!(await ctx.store.getBucket(req.bucket))) throw s3Errors.noSuchBucket(req.bucket);
  let out = "";
  for (const o of objects) {
    if (typeof o !== "object" || o === null || typeof o.Key !== "string" || o.Key === "") throw s3Errors.malformedXml();
    const key = o.Key;
    const versionId = typeof o.VersionId === "string" && o.VersionId !== "" ? o.VersionId : undefined;
    const errorEntry = (code: string, message: string) => wrap("Error", el("Key", key) + el("VersionId", versionId) + el("Code", code) + el("Message", message));
    const denied = await ctx.decide(caller, versionId !== undefined ? "DeleteObject(versionId)" : "DeleteObject", { Bucket: req.bucket, Key: key, VersionId: versionId });
    if (denied !== undefined) {
      out += errorEntry("AccessDenied", denied);
      continue;
    }
    try {
      const r = await ctx.store.deleteObject(req.bucket, key, versionId, caller.principal.arn, { origin: originOf(call) });
      if (quiet) continue;
      const marker = r.deleteMarker ? el("DeleteMarker", "true") + (versionId === undefined ? el("DeleteMarkerVersionId", r.versionId) : "") : "";
      out += wrap("Deleted", el("Key", key) + el("VersionId", versionId) + marker);
    } catch (e) {
      if (e instanceof S3StoreError && e.code === "InvalidVersionId") out += errorEntry("NoSuchVersion", "The specified version does not exist.");
      else if (e instanceof S3StoreError && e.code === "NoSuchBucket") throw s3Errors.noSuchBucket(req.bucket);
      else throw e;
    }
  }
  sendXml(req, doc("DeleteResult", out));
}
