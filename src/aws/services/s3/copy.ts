import { isValidVersionId, tagsOf, type ObjectVersion, type Tag } from "../../../domain/s3/buckets.js";
import { CHECKSUM_ALGORITHMS, hasherFor, type ChecksumAlgorithm } from "../../../domain/s3/checksums.js";
import { storeError } from "./buckets.js";
import { originOf, type S3Call, type S3Context } from "./context.js";
import { s3Errors } from "./errors.js";
import { sendXml, type S3Request } from "./http.js";
import { evaluateConditions, quoted, refuseUnbuilt, requireKeyLength, storedHeaders, versionHeader, writePrecondition } from "./objects.js";
import { parseTaggingHeader } from "./tag-sets.js";
import { doc, el, isoTime } from "./xml.js";

/** The largest source CopyObject takes, as S3's (larger ones are copied with UploadPartCopy). */
const MAX_COPY = 5 * 1024 ** 3;

export interface CopySource {
  bucket: string;
  key: string;
  versionId?: string;
}

/**
 * `x-amz-copy-source`: `[/]BUCKET/KEY[?versionId=ID]`, the bucket and key URL-encoded (the
 * clients encode the key, keeping `/`, and leave the `?versionId=` part as it is).
 */
export function parseCopySource(header: string): CopySource {
  const invalid = () => s3Errors.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", header);
  const q = header.indexOf("?");
  let path = q >= 0 ? header.slice(0, q) : header;
  if (path.startsWith("/")) path = path.slice(1);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw invalid();
  }
  const slash = decoded.indexOf("/");
  if (slash <= 0 || slash === decoded.length - 1) throw invalid();
  const source: CopySource = { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
  if (q >= 0) {
    const versionId = new URLSearchParams(header.slice(q + 1)).get("versionId");
    if (versionId !== null) source.versionId = versionId;
  }
  return source;
}

/** `x-amz-metadata-directive` / `x-amz-tagging-directive`: COPY (the default) or REPLACE. */
function directive(req: S3Request, name: "metadata" | "tagging"): "COPY" | "REPLACE" {
  const header = `x-amz-${name}-directive`;
  const v = req.header(header);
  if (v === undefined || v === "COPY" || v === "REPLACE") return v ?? "COPY";
  throw s3Errors.invalidArgument(`Unknown ${name} directive.`, header, v);
}

/** `x-amz-copy-source-if-*`, in S3's order (evaluateConditions); every failure is 412, as a copy has no 304. */
export function copyPreconditions(req: S3Request, v: ObjectVersion): void {
  const r = evaluateConditions(
    {
      "If-Match": req.header("x-amz-copy-source-if-match"),
      "If-None-Match": req.header("x-amz-copy-source-if-none-match"),
      "If-Unmodified-Since": req.header("x-amz-copy-source-if-unmodified-since"),
      "If-Modified-Since": req.header("x-amz-copy-source-if-modified-since"),
    },
    v,
  );
  if (r.outcome !== "ok") throw s3Errors.preconditionFailed(`x-amz-copy-source-${r.header}`);
}

/** The checksum the copy computes: the one asked for (`x-amz-checksum-algorithm`), else the source's. */
function copyChecksum(req: S3Request, source: ObjectVersion): ChecksumAlgorithm | undefined {
  const asked = req.header("x-amz-checksum-algorithm")?.toUpperCase();
  if (asked !== undefined) {
    const alg = CHECKSUM_ALGORITHMS.find((a) => a === asked);
    if (!alg) throw s3Errors.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
    return alg;
  }
  return CHECKSUM_ALGORITHMS.find((a) => a === source.checksum_algorithm);
}

/**
 * The source version: NoSuchBucket, NoSuchKey / NoSuchVersion, and S3's refusal of a delete
 * marker named by ID. (With parseCopySource and copyPreconditions, what UploadPartCopy needs too.)
 */
export async function sourceVersion(ctx: S3Context, src: CopySource): Promise<{ v: ObjectVersion; versioning: string | null }> {
  const bucket = await ctx.store.getBucket(src.bucket);
  if (!bucket) throw s3Errors.noSuchBucket(src.bucket);
  if (src.versionId !== undefined && !isValidVersionId(src.versionId)) throw s3Errors.invalidVersionId(src.versionId);
  const v = await ctx.store.getVersion(src.bucket, src.key, src.versionId);
  if (!v) throw src.versionId !== undefined ? s3Errors.noSuchVersion(src.key, src.versionId) : s3Errors.noSuchKey(src.key);
  if (v.delete_marker) {
    if (src.versionId !== undefined) throw s3Errors.invalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.");
    throw s3Errors.noSuchKey(src.key, { "x-amz-delete-marker": "true" });
  }
  return { v, versioning: bucket.versioning };
}

/** COPY's stored headers: the source's, with a website redirect the request sets (a change S3 counts, below). */
function copiedHeaders(req: S3Request, source: ObjectVersion): Record<string, string> {
  const headers = JSON.parse(source.headers) as Record<string, string>;
  const redirect = req.header("x-amz-website-redirect-location");
  return redirect === undefined ? headers : { ...headers, "x-amz-website-redirect-location": redirect };
}

/** Whether the request changes something S3 counts when an object is copied onto itself. */
function changesObject(req: S3Request, metadata: "COPY" | "REPLACE"): boolean {
  if (metadata === "REPLACE") return true;
  return ["x-amz-storage-class", "x-amz-website-redirect-location", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"].some((h) => req.header(h) !== undefined);
}

/**
 * CopyObject: a new version of the destination made of the source version's bytes, streamed
 * from the ObjectStore into a new blob (a digest the source lacks computed on the way), with
 * the source's metadata and tags or the request's.
 * IAM: s3:PutObject on the destination and s3:GetObject (s3:GetObjectVersion with a version
 * ID) on the source, both checked before anything is read.
 */
export async function copyObject(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  const key = req.key!;
  const header = req.header("x-amz-copy-source")!;
  const src = parseCopySource(header);
  const metadata = directive(req, "metadata");
  const tagging = directive(req, "tagging");
  await ctx.authorize(caller, "CopyObject", { Bucket: req.bucket, Key: key, CopySource: header, MetadataDirective: metadata });
  await ctx.authorize(caller, src.versionId !== undefined ? "CopyObject(source, versionId)" : "CopyObject(source)", { Bucket: src.bucket, Key: src.key, VersionId: src.versionId });
  refuseUnbuilt(req);
  if (req.header("x-amz-copy-source-server-side-encryption-customer-algorithm") !== undefined) throw s3Errors.notImplemented("SSE-C");
  requireKeyLength(key);
  const replacedTags = tagging === "REPLACE" ? parseTaggingHeader(req.header("x-amz-tagging") ?? "") : undefined;
  if (replacedTags && replacedTags.length > 0) await ctx.authorize(caller, "PutObject(tagging)", { Bucket: req.bucket, Key: key, Tags: replacedTags });
  const precondition = writePrecondition(req, key);

  const dest = await ctx.store.getBucket(req.bucket);
  if (!dest) throw s3Errors.noSuchBucket(req.bucket);
  const { v: source, versioning: sourceVersioning } = await sourceVersion(ctx, src);
  copyPreconditions(req, source);
  if (source.size > MAX_COPY) throw s3Errors.invalidRequest(`The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY}`);
  // copying a version that is not the current one onto its own key restores it, which S3 allows
  if (src.bucket === req.bucket && src.key === key && (src.versionId === undefined || source.latest === 1) && !changesObject(req, metadata)) {
    throw s3Errors.invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const algorithm = copyChecksum(req, source);
  const tags: Tag[] = replacedTags ?? tagsOf(source.tags);

  // The source's own digests of these very bytes are kept rather than computed again (MD5 is
  // most of a copy's time): its ETag when it is a plain MD5 (not a multipart `…-N`), its
  // checksum when it is a full-object one of the algorithm wanted.
  const keptEtag = /^[0-9a-f]{32}$/.test(source.etag) ? source.etag : undefined;
  const keptChecksum = algorithm && source.checksum_algorithm === algorithm && source.checksum && !source.checksum.includes("-") ? source.checksum : undefined;
  const md5 = keptEtag ? undefined : hasherFor("MD5");
  const flexible = algorithm && !keptChecksum ? hasherFor(algorithm) : undefined;
  const hashers = [md5, flexible].filter((h) => h !== undefined);
  let written;
  try {
    written = await ctx.store.objects.put(source.blob ? ctx.store.objects.read(source.blob) : emptyBody(), hashers, (size) => {
      if (size !== source.size) throw new Error(`the source's bytes are ${size} long, its version says ${source.size}`);
    });
  } catch (e) {
    // the source version went (deleted, or a null version replaced) between the lookup and the read
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw s3Errors.noSuchKey(src.key);
    throw e;
  }
  const etag = keptEtag ?? md5!.digest().toString("hex");
  const checksum = keptChecksum ?? flexible?.digest().toString("base64");
  let result;
  try {
    result = await ctx.store.putVersion(
      req.bucket,
      key,
      {
        blob: written.blob,
        size: written.size,
        etag,
        contentType: metadata === "REPLACE" ? (req.header("content-type") ?? null) : source.content_type,
        headers: metadata === "REPLACE" ? storedHeaders(req) : copiedHeaders(req, source),
        checksumAlgorithm: algorithm ?? null,
        checksum: checksum ?? null,
        ownerArn: caller.principal.arn,
        tags,
        cause: "Copy",
        origin: originOf(call),
      },
      precondition,
    );
  } catch (e) {
    throw storeError(e, req.bucket);
  }
  const checksumXml = algorithm && checksum ? el(`Checksum${algorithm}`, checksum) + el("ChecksumType", "FULL_OBJECT") : "";
  // never an empty 200 (SDK v3 takes it for an aborted copy): the result document always has its ETag
  sendXml(req, doc("CopyObjectResult", el("ETag", quoted(etag)) + el("LastModified", isoTime(result.createdAt)) + checksumXml), {
    "x-amz-version-id": versionHeader(result.versioning, result.versionId),
    "x-amz-copy-source-version-id": versionHeader(sourceVersioning, source.version_id),
    "x-amz-server-side-encryption": "AES256",
  });
}

async function* emptyBody(): AsyncIterable<Buffer> {}
