import crypto from "node:crypto";
import { isValidVersionId, tagsOf, type ObjectVersion } from "../../../domain/s3/buckets.js";
import { CHECKSUM_ALGORITHMS, hasherFor, type ChecksumAlgorithm, type Hasher } from "../../../domain/s3/checksums.js";
import { UploadError, type CompletedUpload, type Part, type Upload } from "../../../domain/s3/uploads.js";
import { storeError } from "./buckets.js";
import { originOf, type S3Call, type S3Context } from "./context.js";
import { S3Error, errorXml, s3Errors } from "./errors.js";
import { declaredChecksum, readSmallBody, requestBody, send, sendXml, type S3Request } from "./http.js";
import { encoder, markerPrefix, walk } from "./lists.js";
import { etagMatches, quoted, refuseUnbuilt, storedHeaders, versionHeader } from "./objects.js";
import { parseTaggingHeader } from "./tag-sets.js";
import { doc, el, isoTime, parseXml, wrap } from "./xml.js";

/** S3's limits: part numbers 1…10,000, parts up to 5 GiB, every part but the last at least 5 MiB. */
const MAX_PARTS = 10_000;
const MAX_PART_SIZE = 5 * 1024 ** 3;
const MIN_PART_SIZE = 5 * 1024 ** 2;
/** A Complete body lists at most 10,000 parts, each a few hundred bytes with its checksums. */
const COMPLETE_XML_LIMIT = 10 * 1024 * 1024;
/** How long Complete works before it sends its 200 and keeps the connection alive with whitespace. */
const KEEPALIVE_AFTER_MS = 1000;
const KEEPALIVE_EVERY_MS = 1000;

const errors = {
  noSuchUpload: (uploadId: string) =>
    new S3Error("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", 404, { UploadId: uploadId }),
  invalidPart: (uploadId: string, partNumber: number, etag: string) =>
    new S3Error("InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", 400, {
      UploadId: uploadId,
      PartNumber: String(partNumber),
      ETag: etag,
    }),
  invalidPartOrder: (uploadId: string) =>
    new S3Error("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.", 400, { UploadId: uploadId }),
  entityTooSmall: (size: number, partNumber: number, etag: string) =>
    new S3Error("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400, {
      ProposedSize: String(size),
      MinSizeAllowed: String(MIN_PART_SIZE),
      PartNumber: String(partNumber),
      ETag: etag,
    }),
  partNumber: (value: string) =>
    s3Errors.invalidArgument(`Part number must be an integer between 1 and ${MAX_PARTS}, inclusive`, "partNumber", value),
};

type Handler = (ctx: S3Context, call: S3Call) => Promise<void>;

/** Which multipart operation a request with `?uploads` or `?uploadId` is. */
export function route(req: S3Request): Handler | S3Error {
  const m = req.method;
  if (req.key === undefined) {
    if (req.query.has("uploads")) return m === "GET" ? listMultipartUploads : s3Errors.methodNotAllowed(m, "BUCKET");
    return s3Errors.invalidRequest("An uploadId names an upload of an object: the request needs a key.");
  }
  if (req.query.has("uploads")) return m === "POST" ? createMultipartUpload : s3Errors.methodNotAllowed(m, "OBJECT");
  switch (m) {
    case "PUT":
      return req.header("x-amz-copy-source") !== undefined ? uploadPartCopy : uploadPart;
    case "POST":
      return completeMultipartUpload;
    case "DELETE":
      return abortMultipartUpload;
    case "GET":
      return listParts;
    default:
      return s3Errors.methodNotAllowed(m, "OBJECT");
  }
}

function partNumberOf(req: S3Request): number {
  const v = req.query.get("partNumber");
  if (v === undefined) throw s3Errors.invalidRequest("UploadPart needs a partNumber.");
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > MAX_PARTS) throw errors.partNumber(v);
  return Number(v);
}

/** The upload the request names, in its bucket and for its key; NoSuchBucket, then NoSuchUpload. */
async function requireUpload(ctx: S3Context, req: S3Request): Promise<Upload> {
  const uploadId = req.query.get("uploadId") ?? "";
  if (!(await ctx.store.getBucket(req.bucket))) throw s3Errors.noSuchBucket(req.bucket);
  const u = uploadId ? await ctx.store.uploads.get(req.bucket, req.key!, uploadId) : undefined;
  if (!u) throw errors.noSuchUpload(uploadId);
  return u;
}

function uploadFailure(e: unknown, req: S3Request): unknown {
  if (e instanceof UploadError) {
    if (e.code === "NoSuchUpload") return errors.noSuchUpload(req.query.get("uploadId") ?? "");
    if (e.code === "NoSuchBucket") return s3Errors.noSuchBucket(req.bucket);
    // a part re-uploaded while Complete assembled the old one: the list no longer says what is there
    if (e.code === "PartChanged") return new S3Error("InvalidPart", "A part was uploaded again while the upload was being completed; complete it again.", 400);
  }
  return storeError(e, req.bucket);
}

/** x-amz-checksum-algorithm and x-amz-checksum-type of CreateMultipartUpload. */
function uploadChecksum(req: S3Request): { algorithm: ChecksumAlgorithm | null; type: string | null } {
  const algText = req.header("x-amz-checksum-algorithm");
  const typeText = req.header("x-amz-checksum-type");
  if (algText === undefined) {
    if (typeText !== undefined) throw s3Errors.invalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
    return { algorithm: null, type: null };
  }
  const algorithm = CHECKSUM_ALGORITHMS.find((a) => a === algText.toUpperCase());
  if (!algorithm) {
    throw s3Errors.invalidRequest(`Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]`);
  }
  // CRC64NVME has only a full-object form, and S3 makes it the default for that algorithm
  const type = (typeText ?? (algorithm === "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE")).toUpperCase();
  if (type === "COMPOSITE" && algorithm === "CRC64NVME") {
    throw s3Errors.invalidRequest(`The CRC64NVME checksum algorithm does not support the COMPOSITE checksum type.`);
  }
  if (type !== "COMPOSITE" && type !== "FULL_OBJECT") throw s3Errors.invalidRequest(`Value for x-amz-checksum-type header is invalid.`);
  if (type === "FULL_OBJECT" && (algorithm === "SHA1" || algorithm === "SHA256")) {
    throw s3Errors.invalidRequest(`The ${algorithm} checksum algorithm does not support the FULL_OBJECT checksum type.`);
  }
  return { algorithm, type };
}

export async function createMultipartUpload(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  const key = req.key!;
  await ctx.authorize(caller, "CreateMultipartUpload", { Bucket: req.bucket, Key: key });
  refuseUnbuilt(req);
  // the tags the completed object will carry: checked now, as S3 does, and authorized as PutObject's are
  const taggingHeader = req.header("x-amz-tagging");
  const tags = taggingHeader !== undefined ? parseTaggingHeader(taggingHeader) : [];
  if (tags.length > 0) await ctx.authorize(caller, "PutObject(tagging)", { Bucket: req.bucket, Key: key, Tags: tags });
  if (Buffer.byteLength(key, "utf8") > 1024) throw new S3Error("KeyTooLongError", "Your key is too long", 400);
  const checksum = uploadChecksum(req);
  let uploadId: string;
  try {
    uploadId = await ctx.store.uploads.create(req.bucket, key, {
      contentType: req.header("content-type") ?? null,
      headers: storedHeaders(req),
      checksumAlgorithm: checksum.algorithm,
      checksumType: checksum.type,
      tagging: tags.length ? JSON.stringify(tags) : null,
      ownerArn: caller.principal.arn,
    });
  } catch (e) {
    throw uploadFailure(e, req);
  }
  const headers: Record<string, string | undefined> = { "x-amz-server-side-encryption": "AES256" };
  if (checksum.algorithm) {
    headers["x-amz-checksum-algorithm"] = checksum.algorithm;
    headers["x-amz-checksum-type"] = checksum.type!;
  }
  sendXml(req, doc("InitiateMultipartUploadResult", el("Bucket", req.bucket) + el("Key", key) + el("UploadId", uploadId)), headers);
}

/**
 * UploadPart: the body read and checked as PutObject's is (aws-chunked, Content-MD5, the
 * flexible checksum), durable before its row. When the upload asked for a checksum algorithm
 * and the part came without that checksum, the server computes it, so Complete can make the
 * composite checksum.
 */
export async function uploadPart(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  await ctx.authorize(caller, "UploadPart", { Bucket: req.bucket, Key: req.key });
  const partNumber = partNumberOf(req);
  const length = Number(req.header("x-amz-decoded-content-length") ?? req.header("content-length") ?? "0");
  if (length > MAX_PART_SIZE) throw s3Errors.entityTooLarge(MAX_PART_SIZE);
  const body = requestBody(req, call.payloadHash);
  const upload = await requireUpload(ctx, req);
  const declared = declaredChecksum(req);
  const wanted = upload.checksum_algorithm as ChecksumAlgorithm | null;
  if (wanted && declared && declared.algorithm !== wanted) {
    throw s3Errors.invalidRequest(`Checksum Type mismatch occurred, expected checksum Type: ${wanted.toLowerCase()}, actual checksum Type: ${declared.algorithm.toLowerCase()}`);
  }
  let own: Hasher | undefined;
  if (wanted && !declared) {
    own = hasherFor(wanted);
    body.hashers.push(own);
  }
  const written = await ctx.store.objects.put(body.stream, body.hashers, (size) => {
    if (size > MAX_PART_SIZE) throw s3Errors.entityTooLarge(MAX_PART_SIZE);
    body.verify(size);
  });
  const etag = body.md5().toString("hex");
  const checksum = body.checksum() ?? (own && wanted ? { algorithm: wanted, value: own.digest().toString("base64") } : undefined);
  try {
    await ctx.store.uploads.putPart(upload.upload_id, partNumber, written, {
      size: written.size,
      etag,
      checksumAlgorithm: checksum?.algorithm ?? null,
      checksum: checksum?.value ?? null,
    });
  } catch (e) {
    throw uploadFailure(e, req);
  }
  const headers: Record<string, string | undefined> = { etag: quoted(etag), "x-amz-server-side-encryption": "AES256" };
  if (checksum) headers[`x-amz-checksum-${checksum.algorithm.toLowerCase()}`] = checksum.value;
  send(req, 200, headers);
}

/** x-amz-copy-source: `[/]bucket/key[?versionId=…]`, the key URL-encoded. */
function copySource(req: S3Request): { bucket: string; key: string; versionId?: string } {
  const raw = req.header("x-amz-copy-source") ?? "";
  const q = raw.indexOf("?");
  const pathPart = (q >= 0 ? raw.slice(0, q) : raw).replace(/^\//, "");
  const slash = pathPart.indexOf("/");
  const bad = () => s3Errors.invalidArgument("Invalid copy source object key", "x-amz-copy-source", raw);
  if (slash <= 0 || slash === pathPart.length - 1) throw bad();
  let bucket: string;
  let key: string;
  try {
    bucket = decodeURIComponent(pathPart.slice(0, slash));
    key = decodeURIComponent(pathPart.slice(slash + 1));
  } catch {
    throw bad();
  }
  let versionId: string | undefined;
  if (q >= 0) {
    const params = new URLSearchParams(raw.slice(q + 1));
    versionId = params.get("versionId") ?? undefined;
    if (versionId !== undefined && !isValidVersionId(versionId)) throw s3Errors.invalidVersionId(versionId);
  }
  return { bucket, key, versionId };
}

/** The x-amz-copy-source-if-* conditions against the source, as S3 pairs them (a true If-Match overrides If-Unmodified-Since, a false If-None-Match If-Modified-Since). */
function copyPreconditions(req: S3Request, v: ObjectVersion): void {
  const lastModified = Math.floor(v.created_at / 1000) * 1000;
  const h = (n: string) => req.header(`x-amz-copy-source-if-${n}`);
  const ifMatch = h("match");
  const ifNoneMatch = h("none-match");
  const ifUnmodified = h("unmodified-since");
  const ifModified = h("modified-since");
  const failed = (which: string) => s3Errors.preconditionFailed(`x-amz-copy-source-If-${which}`);
  if (ifMatch !== undefined && !etagMatches(ifMatch, v.etag)) throw failed("Match");
  if (ifMatch === undefined && ifUnmodified !== undefined && !Number.isNaN(Date.parse(ifUnmodified)) && lastModified > Date.parse(ifUnmodified)) throw failed("Unmodified-Since");
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, v.etag)) throw failed("None-Match");
  if (ifNoneMatch === undefined && ifModified !== undefined && !Number.isNaN(Date.parse(ifModified)) && lastModified <= Date.parse(ifModified)) throw failed("Modified-Since");
}

/**
 * UploadPartCopy: a part made of an existing object's bytes (all of them, or the
 * x-amz-copy-source-range), streamed from its blob into the part's through the ObjectStore.
 * Authorized as s3:PutObject on the upload's key and s3:GetObject (GetObjectVersion with a
 * version ID) on the source.
 */
export async function uploadPartCopy(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  await ctx.authorize(caller, "UploadPartCopy", { Bucket: req.bucket, Key: req.key });
  const src = copySource(req);
  await ctx.authorize(caller, src.versionId !== undefined ? "GetObject(versionId)" : "GetObject", { Bucket: src.bucket, Key: src.key, VersionId: src.versionId });
  const partNumber = partNumberOf(req);
  const upload = await requireUpload(ctx, req);
  if (!(await ctx.store.getBucket(src.bucket))) throw s3Errors.noSuchBucket(src.bucket);
  const v = await ctx.store.getVersion(src.bucket, src.key, src.versionId);
  if (!v) throw src.versionId !== undefined ? s3Errors.noSuchVersion(src.key, src.versionId) : s3Errors.noSuchKey(src.key);
  if (v.delete_marker) {
    if (src.versionId !== undefined) throw s3Errors.invalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.");
    throw s3Errors.noSuchKey(src.key);
  }
  copyPreconditions(req, v);
  const rangeText = req.header("x-amz-copy-source-range");
  let range: { start: number; end: number } | undefined;
  if (rangeText !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeText.trim());
    if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= v.size) {
      throw s3Errors.invalidArgument(`Range specified is not valid for source object of size: ${v.size}`, "x-amz-copy-source-range", rangeText);
    }
    range = { start: Number(m[1]), end: Number(m[2]) };
  }
  const size = range ? range.end - range.start + 1 : v.size;
  if (size > MAX_PART_SIZE) throw s3Errors.entityTooLarge(MAX_PART_SIZE);
  const md5 = hasherFor("MD5");
  const wanted = upload.checksum_algorithm as ChecksumAlgorithm | null;
  const own = wanted ? hasherFor(wanted) : undefined;
  const objects = ctx.store.objects;
  async function* bytes(): AsyncGenerator<Buffer> {
    if (size === 0 || !v!.blob) return;
    for await (const chunk of objects.read(v!.blob, range)) yield chunk as Buffer;
  }
  const written = await objects.put(bytes(), own ? [md5, own] : [md5], (n) => {
    if (n !== size) throw new Error(`copied ${n} bytes where the source range has ${size}`);
  });
  const etag = md5.digest().toString("hex");
  const checksum = own && wanted ? { algorithm: wanted, value: own.digest().toString("base64") } : undefined;
  try {
    await ctx.store.uploads.putPart(upload.upload_id, partNumber, written, {
      size: written.size,
      etag,
      checksumAlgorithm: checksum?.algorithm ?? null,
      checksum: checksum?.value ?? null,
    });
  } catch (e) {
    throw uploadFailure(e, req);
  }
  const srcBucket = await ctx.store.getBucket(src.bucket);
  sendXml(
    req,
    doc("CopyPartResult", el("ETag", quoted(etag)) + el("LastModified", isoTime(Date.now())) + (checksum ? el(`Checksum${checksum.algorithm}`, checksum.value) : "")),
    { "x-amz-copy-source-version-id": srcBucket?.versioning ? v.version_id : undefined, "x-amz-server-side-encryption": "AES256" },
  );
}

interface CompletePart {
  partNumber: number;
  etag: string;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

/** The `<CompleteMultipartUpload>` document's parts, in the order given. */
function completeParts(data: Buffer): CompletePart[] {
  const parsed = parseXml(data, "CompleteMultipartUpload");
  const raw = parsed.Part;
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as Array<Record<string, unknown>>;
  if (list.length === 0 || list.length > MAX_PARTS) throw s3Errors.malformedXml();
  return list.map((p) => {
    if (typeof p !== "object" || p === null) throw s3Errors.malformedXml();
    const n = typeof p.PartNumber === "string" ? p.PartNumber.trim() : "";
    if (!/^\d{1,5}$/.test(n)) throw s3Errors.malformedXml();
    if (typeof p.ETag !== "string") throw s3Errors.malformedXml();
    const checksums: CompletePart["checksums"] = {};
    for (const alg of CHECKSUM_ALGORITHMS) {
      const v = p[`Checksum${alg}`];
      if (typeof v === "string" && v.trim() !== "") checksums[alg] = v.trim();
    }
    return { partNumber: Number(n), etag: p.ETag.trim(), checksums };
  });
}

/** S3's multipart ETag: the MD5 of the parts' binary MD5s, then `-` and the count. */
export function multipartEtag(parts: Array<{ etag: string }>): string {
  const md5 = crypto.createHash("md5");
  for (const p of parts) md5.update(Buffer.from(p.etag, "hex"));
  return `${md5.digest("hex")}-${parts.length}`;
}

/** The composite checksum: the algorithm over the parts' binary checksums, then `-` and the count. */
function compositeChecksum(algorithm: ChecksumAlgorithm, parts: Part[]): string {
  const h = hasherFor(algorithm);
  for (const p of parts) h.update(Buffer.from(p.checksum ?? "", "base64"));
  return `${h.digest().toString("base64")}-${parts.length}`;
}

/** Checks the list against the uploaded parts and returns them in that order: the errors S3 gives, in its order. */
function chooseParts(upload: Upload, listed: CompletePart[], uploaded: Map<number, Part>): Part[] {
  const used: Part[] = [];
  let last = 0;
  for (const l of listed) {
    if (l.partNumber <= last) throw errors.invalidPartOrder(upload.upload_id);
    last = l.partNumber;
    const p = uploaded.get(l.partNumber);
    if (!p || !etagMatches(l.etag, p.etag) || l.etag.trim() === "*") throw errors.invalidPart(upload.upload_id, l.partNumber, l.etag);
    for (const [alg, value] of Object.entries(l.checksums)) {
      if (p.checksum_algorithm === alg && p.checksum !== value) throw errors.invalidPart(upload.upload_id, l.partNumber, l.etag);
    }
    used.push(p);
  }
  used.forEach((p, i) => {
    if (i < used.length - 1 && p.size < MIN_PART_SIZE) throw errors.entityTooSmall(p.size, p.part_number, quoted(p.etag));
  });
  return used;
}

/**
 * The 200 of a Complete that takes a while: sent as soon as the work passes a second, then a
 * space every second, so that clients waiting on the response do not time out; the result or
 * an `<Error>` follows (botocore and SDK v3 read an `<Error>` in a 200 as the failure it is).
 */
class KeepAlive {
  private timer: NodeJS.Timeout | undefined;
  started = false;

  constructor(private readonly req: S3Request) {
    this.timer = setTimeout(() => this.start(), KEEPALIVE_AFTER_MS);
  }

  private start(): void {
    const res = this.req.res;
    if (res.headersSent || res.destroyed) return;
    this.started = true;
    res.writeHead(200, { "x-amz-request-id": this.req.id, "x-amz-id-2": this.req.id, server: "Headwater", "content-type": "application/xml" });
    res.write('<?xml version="1.0" encoding="UTF-8"?>\n');
    this.timer = setInterval(() => res.write(" "), KEEPALIVE_EVERY_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
    clearInterval(this.timer);
  }

  /** The body's rest after the prolog already sent. */
  finish(xml: string): void {
    this.req.res.end(xml.replace(/^<\?xml[^>]*\?>\n?/, ""));
  }
}

function completeResult(req: S3Request, key: string, r: CompletedUpload): string {
  const host = req.header("host") ?? "localhost";
  const location = `${req.raw.socket && "encrypted" in req.raw.socket ? "https" : "http"}://${host}/${req.bucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}`;
  return doc(
    "CompleteMultipartUploadResult",
    el("Location", location) +
      el("Bucket", req.bucket) +
      el("Key", key) +
      el("ETag", quoted(r.etag)) +
      (r.checksumAlgorithm && r.checksum ? el(`Checksum${r.checksumAlgorithm}`, r.checksum) + el("ChecksumType", r.checksumType) : ""),
  );
}

/**
 * CompleteMultipartUpload: the list checked against the parts, their bytes streamed in order
 * into one new blob through the ObjectStore, which then becomes the key's latest version by
 * S3Store.putVersion (versioning and null versions as for PutObject) in the transaction that
 * removes the upload.
 */
export async function completeMultipartUpload(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  const key = req.key!;
  await ctx.authorize(caller, "CompleteMultipartUpload", { Bucket: req.bucket, Key: key });
  const ifNoneMatch = req.header("if-none-match");
  const ifMatch = req.header("if-match");
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== "*") throw s3Errors.notImplemented("If-None-Match other than * on CompleteMultipartUpload");
  const { data } = await readSmallBody(req, call.payloadHash, COMPLETE_XML_LIMIT);
  if (!(await ctx.store.getBucket(req.bucket))) throw s3Errors.noSuchBucket(req.bucket);
  const listed = completeParts(data);
  const uploadId = req.query.get("uploadId") ?? "";
  const upload = uploadId ? await ctx.store.uploads.get(req.bucket, key, uploadId) : undefined;
  if (!upload) {
    // a Complete retried (its answer lost on the way, or an error in a late 200) after one that
    // succeeded, with the same parts: the same answer, as AWS gives
    const done = uploadId ? await ctx.store.uploads.getCompleted(req.bucket, key, uploadId) : undefined;
    const sameParts = listed.every((l) => /^"?[0-9a-f]{32}"?$/.test(l.etag)) && multipartEtag(listed.map((l) => ({ etag: l.etag.replace(/"/g, "") }))) === done?.etag;
    if (!done || !sameParts) throw errors.noSuchUpload(uploadId);
    sendXml(req, completeResult(req, key, done), { "x-amz-version-id": versionHeader(done.versioning, done.versionId), "x-amz-server-side-encryption": "AES256" });
    return;
  }
  const uploaded = new Map<number, Part>();
  for (let after = 0; ; ) {
    const page = await ctx.store.uploads.listParts(upload.upload_id, after, 1000);
    for (const p of page) uploaded.set(p.part_number, p);
    if (page.length < 1000) break;
    after = page[page.length - 1]!.part_number;
  }
  const used = chooseParts(upload, listed, uploaded);
  const etag = multipartEtag(used);
  const algorithm = upload.checksum_algorithm as ChecksumAlgorithm | null;
  const fullObject = algorithm !== null && upload.checksum_type === "FULL_OBJECT";
  if (algorithm && used.some((p) => p.checksum_algorithm !== algorithm || !p.checksum)) {
    throw s3Errors.invalidRequest(`The upload was created using a ${algorithm.toLowerCase()} checksum. The complete request must include the checksum for each part.`);
  }
  const fullHasher = fullObject ? hasherFor(algorithm) : undefined;

  const keepAlive = new KeepAlive(req);
  try {
    const written = await ctx.store.uploads.assemble(used, fullHasher ? [fullHasher] : []);
    const checksum = algorithm ? (fullHasher ? fullHasher.digest().toString("base64") : compositeChecksum(algorithm, used)) : null;
    let result: CompletedUpload;
    try {
      result = await ctx.store.uploads.complete(
        upload,
        used,
        {
          blob: written.blob,
          size: written.size,
          etag,
          contentType: upload.content_type,
          headers: JSON.parse(upload.headers) as Record<string, string>,
          checksumAlgorithm: algorithm,
          checksum,
          ownerArn: caller.principal.arn,
          parts: used.map((p) => p.size),
          tags: upload.tagging ? tagsOf(upload.tagging) : undefined,
          cause: "CompleteMultipartUpload",
          origin: originOf(call),
        },
        algorithm ? upload.checksum_type : null,
        (current: ObjectVersion | undefined) => {
          const live = current && !current.delete_marker ? current : undefined;
          if (ifNoneMatch !== undefined && live) throw s3Errors.preconditionFailed("If-None-Match");
          if (ifMatch !== undefined) {
            if (!live) throw s3Errors.noSuchKey(key);
            if (!etagMatches(ifMatch, live.etag)) throw s3Errors.preconditionFailed("If-Match");
          }
        },
      );
    } catch (e) {
      throw uploadFailure(e, req);
    }
    keepAlive.stop();
    const xml = completeResult(req, key, result);
    if (keepAlive.started) keepAlive.finish(xml);
    else sendXml(req, xml, { "x-amz-version-id": versionHeader(result.versioning, result.versionId), "x-amz-server-side-encryption": "AES256" });
  } catch (e) {
    keepAlive.stop();
    let err = e instanceof S3Error ? e : undefined;
    // a part's bytes gone mid-assembly: an Abort (or another Complete) won the race
    if (!err && !(await ctx.store.uploads.get(req.bucket, key, upload.upload_id).catch(() => upload))) err = errors.noSuchUpload(upload.upload_id);
    if (!keepAlive.started) throw err ?? e;
    // the 200 is out: the error is the body (no whitespace after it: SDK v3 reads the last bytes)
    if (!err) ctx.log.error({ err: e, reqId: req.id }, "unexpected error completing a multipart upload");
    keepAlive.finish(errorXml(err ?? s3Errors.internal(), req.id));
  }
}

export async function abortMultipartUpload(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  await ctx.authorize(caller, "AbortMultipartUpload", { Bucket: req.bucket, Key: req.key });
  if (!(await ctx.store.getBucket(req.bucket))) throw s3Errors.noSuchBucket(req.bucket);
  try {
    await ctx.store.uploads.abort(req.bucket, req.key!, req.query.get("uploadId") ?? "");
  } catch (e) {
    throw uploadFailure(e, req);
  }
  send(req, 204, {});
}

function boundedInt(req: S3Request, name: string, max: number): number {
  const v = req.query.get(name);
  if (v === undefined) return max;
  if (!/^\d{1,10}$/.test(v)) throw s3Errors.invalidArgument(`Provided ${name} not an integer or within integer range`, name, v);
  return Math.min(Number(v), max);
}

function owner(ctx: S3Context, tag: string): string {
  return wrap(tag, el("ID", ctx.ownerId) + el("DisplayName", ctx.ownerName));
}

export async function listParts(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  await ctx.authorize(caller, "ListParts", { Bucket: req.bucket, Key: req.key });
  const max = boundedInt(req, "max-parts", 1000);
  const markerText = req.query.get("part-number-marker");
  if (markerText !== undefined && !/^\d{1,10}$/.test(markerText)) {
    throw s3Errors.invalidArgument("Provided part-number-marker not an integer or within integer range", "part-number-marker", markerText);
  }
  const marker = Number(markerText ?? "0");
  const upload = await requireUpload(ctx, req);
  const rows = max === 0 ? [] : await ctx.store.uploads.listParts(upload.upload_id, marker, max + 1);
  const truncated = rows.length > max;
  const page = rows.slice(0, max);
  let body =
    el("Bucket", req.bucket) +
    el("Key", req.key) +
    el("UploadId", upload.upload_id) +
    el("PartNumberMarker", marker) +
    (page.length ? el("NextPartNumberMarker", page[page.length - 1]!.part_number) : "") +
    el("MaxParts", max) +
    el("IsTruncated", truncated) +
    owner(ctx, "Initiator") +
    owner(ctx, "Owner") +
    el("StorageClass", "STANDARD") +
    (upload.checksum_algorithm ? el("ChecksumAlgorithm", upload.checksum_algorithm) + el("ChecksumType", upload.checksum_type) : "");
  for (const p of page) {
    body += wrap(
      "Part",
      el("PartNumber", p.part_number) +
        el("LastModified", isoTime(p.created_at)) +
        el("ETag", quoted(p.etag)) +
        el("Size", p.size) +
        (p.checksum_algorithm && p.checksum ? el(`Checksum${p.checksum_algorithm}`, p.checksum) : ""),
    );
  }
  sendXml(req, doc("ListPartsResult", body));
}

export async function listMultipartUploads(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  await ctx.authorize(caller, "ListMultipartUploads", { Bucket: req.bucket, prefix: req.query.get("prefix"), delimiter: req.query.get("delimiter") });
  const enc = encoder(req);
  const max = boundedInt(req, "max-uploads", 1000);
  const prefix = req.query.get("prefix") ?? "";
  const delimiter = req.query.get("delimiter") ?? "";
  const keyMarker = req.query.get("key-marker") ?? "";
  // S3 ignores an upload-id-marker given without a key-marker
  const uploadIdMarker = keyMarker ? (req.query.get("upload-id-marker") ?? "") : "";
  if (!(await ctx.store.getBucket(req.bucket))) throw s3Errors.noSuchBucket(req.bucket);
  let start: Upload | string | undefined = keyMarker || undefined;
  if (uploadIdMarker) {
    const row = await ctx.store.uploads.get(req.bucket, keyMarker, uploadIdMarker);
    // an upload completed since: the key's uploads after it in time are those after it in row order
    start = row ?? keyMarker;
  }
  const fetch = (after: Upload | string | undefined) =>
    ctx.store.uploads.listUploads(req.bucket, prefix, after === undefined ? undefined : typeof after === "string" ? { key: after } : { key: after.key, id: after.id }, 1000);
  const page = await walk(fetch, prefix, delimiter, max, start, markerPrefix(keyMarker, prefix, delimiter));
  const last = page.items[page.items.length - 1];
  let body =
    el("Bucket", req.bucket) +
    el("KeyMarker", enc(keyMarker)) +
    el("UploadIdMarker", uploadIdMarker) +
    (page.truncated && last ? el("NextKeyMarker", enc("row" in last ? last.row.key : last.prefix)) : "") +
    (page.truncated && last && "row" in last ? el("NextUploadIdMarker", last.row.upload_id) : "") +
    (delimiter ? el("Delimiter", enc(delimiter)) : "") +
    el("Prefix", enc(prefix)) +
    el("MaxUploads", max) +
    (req.query.has("encoding-type") ? el("EncodingType", "url") : "") +
    el("IsTruncated", page.truncated);
  for (const item of page.items) {
    if (!("row" in item)) continue;
    const u = item.row;
    body += wrap(
      "Upload",
      el("Key", enc(u.key)) +
        el("UploadId", u.upload_id) +
        owner(ctx, "Initiator") +
        owner(ctx, "Owner") +
        el("StorageClass", "STANDARD") +
        el("Initiated", isoTime(u.initiated_at)) +
        (u.checksum_algorithm ? el("ChecksumAlgorithm", u.checksum_algorithm) + el("ChecksumType", u.checksum_type) : ""),
    );
  }
  for (const item of page.items) body += "prefix" in item ? wrap("CommonPrefixes", el("Prefix", enc(item.prefix))) : "";
  sendXml(req, doc("ListMultipartUploadsResult", body));
}

/**
 * GetObject/HeadObject `?partNumber=N`: the byte range of that part of an object
 * CompleteMultipartUpload made, and the parts count; an object PUT whole has one part.
 */
export function partRange(v: ObjectVersion, text: string): { start: number; end: number; count: number | undefined } {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > MAX_PARTS) throw errors.partNumber(text);
  const n = Number(text);
  const sizes = v.parts ? (JSON.parse(v.parts) as number[]) : [v.size];
  if (n > sizes.length) {
    throw new S3Error("InvalidPartNumber", "The requested partnumber is not satisfiable", 416, { PartNumberRequested: String(n), ActualPartCount: String(sizes.length) });
  }
  const start = sizes.slice(0, n - 1).reduce((a, b) => a + b, 0);
  return { start, end: start + sizes[n - 1]! - 1, count: v.parts ? sizes.length : undefined };
}
