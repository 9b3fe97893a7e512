import type { ObjectVersion } from "../../../domain/s3/buckets.js";
import { uriEncode } from "../../sigv4.js";
import type { S3Call, S3Context } from "./context.js";
import { s3Errors } from "./errors.js";
import type { S3Request } from "./http.js";
import { sendXml } from "./http.js";
import { doc, el, isoTime, wrap } from "./xml.js";

const BATCH = 1000;
/** Past every key that starts with a prefix (in UTF-8 byte order, U+10FFFF is the largest character). */
const AFTER_ALL = "\u{10FFFF}";

/** `encoding-type=url` as S3 applies it (and botocore undoes with unquote_plus): `/` kept, space as `+`. */
export function encoder(req: S3Request): (s: string) => string {
  const type = req.query.get("encoding-type");
  if (type === undefined) return (s) => s;
  if (type !== "url") throw s3Errors.invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", type);
  return (s) => uriEncode(s, true).replace(/%20/g, "+");
}

function maxKeys(req: S3Request): number {
  const v = req.query.get("max-keys");
  if (v === undefined) return 1000;
  if (!/^\d+$/.test(v)) throw s3Errors.invalidArgument("Provided max-keys not an integer or within integer range", "max-keys", v);
  return Math.min(Number(v), 1000);
}

function listInput(req: S3Request): Record<string, string | undefined> {
  return { Bucket: req.bucket, prefix: req.query.get("prefix"), delimiter: req.query.get("delimiter"), "max-keys": req.query.get("max-keys") };
}

interface Page<T> {
  items: Array<{ row: T } | { prefix: string }>;
  truncated: boolean;
}

/**
 * Walks rows in key order from the store, folding keys into common prefixes under a delimiter,
 * until `max` entries (keys and prefixes) are found; one more tells whether the list is truncated.
 * `skipUnder`: a common prefix already returned (a marker that was one), whose keys are skipped.
 */
export async function walk<T extends { key: string }>(
  fetch: (after: T | string | undefined) => Promise<T[]>,
  prefix: string,
  delimiter: string,
  max: number,
  start: T | string | undefined,
  skipUnder: string | undefined,
): Promise<Page<T>> {
  const items: Page<T>["items"] = [];
  let lastPrefix = skipUnder;
  let cursor = start;
  if (max === 0) return { items, truncated: false };
  for (;;) {
    const rows = await fetch(cursor);
    if (rows.length === 0) return { items, truncated: false };
    let jumped = false;
    for (const row of rows) {
      cursor = row;
      if (!row.key.startsWith(prefix)) return { items, truncated: false };
      if (lastPrefix !== undefined && row.key.startsWith(lastPrefix)) continue;
      if (delimiter) {
        const i = row.key.indexOf(delimiter, prefix.length);
        if (i >= 0) {
          const cp = row.key.slice(0, i + delimiter.length);
          if (items.length === max) return { items, truncated: true };
          items.push({ prefix: cp });
          lastPrefix = cp;
          // jump past the prefix's keys instead of reading them
          cursor = cp + AFTER_ALL;
          jumped = true;
          break;
        }
      }
      if (items.length === max) return { items, truncated: true };
      items.push({ row });
    }
    if (!jumped && rows.length < BATCH) return { items, truncated: false };
  }
}

/** A marker that is a common prefix of this listing (its keys were folded, and are skipped). */
export function markerPrefix(marker: string | undefined, prefix: string, delimiter: string): string | undefined {
  if (!marker || !delimiter || !marker.startsWith(prefix) || !marker.endsWith(delimiter)) return undefined;
  return marker.indexOf(delimiter, prefix.length) === marker.length - delimiter.length ? marker : undefined;
}

/** A multipart upload's composite checksum is `<base64>-<parts>`; any other is of the whole object. */
function checksumType(row: ObjectVersion): string {
  return row.checksum?.includes("-") ? "COMPOSITE" : "FULL_OBJECT";
}

function contents(ctx: S3Context, row: ObjectVersion, enc: (s: string) => string, owner: boolean): string {
  return wrap(
    "Contents",
    el("Key", enc(row.key)) +
      el("LastModified", isoTime(row.created_at)) +
      el("ETag", `"${row.etag}"`) +
      (row.checksum_algorithm ? el("ChecksumAlgorithm", row.checksum_algorithm) + el("ChecksumType", checksumType(row)) : "") +
      el("Size", row.size) +
      el("StorageClass", "STANDARD") +
      (owner ? wrap("Owner", el("ID", ctx.ownerId) + el("DisplayName", ctx.ownerName)) : ""),
  );
}

function currentFetch(ctx: S3Context, bucket: string, prefix: string) {
  return (after: ObjectVersion | string | undefined) => ctx.store.listCurrent(bucket, prefix, typeof after === "string" ? after : after?.key, BATCH);
}

async function requireBucket(ctx: S3Context, bucket: string): Promise<void> {
  if (!(await ctx.store.getBucket(bucket))) throw s3Errors.noSuchBucket(bucket);
}

export async function listObjectsV2(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "ListObjectsV2", listInput(req));
  const enc = encoder(req);
  const max = maxKeys(req);
  const prefix = req.query.get("prefix") ?? "";
  const delimiter = req.query.get("delimiter") ?? "";
  const token = req.query.get("continuation-token");
  const startAfter = req.query.get("start-after");
  let after = startAfter || undefined;
  let skipUnder: string | undefined;
  if (token !== undefined) {
    try {
      const t = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { a?: unknown; p?: unknown };
      if (typeof t.a !== "string" || token === "") throw new Error();
      after = t.a;
      if (t.p === true) skipUnder = t.a;
    } catch {
      throw s3Errors.invalidArgument("The continuation token provided is incorrect", "continuation-token", token);
    }
  }
  await requireBucket(ctx, req.bucket);
  const page = await walk(currentFetch(ctx, req.bucket, prefix), prefix, delimiter, max, after, skipUnder);
  const last = page.items[page.items.length - 1];
  const next =
    page.truncated && last ? Buffer.from(JSON.stringify("row" in last ? { a: last.row.key } : { a: last.prefix, p: true })).toString("base64url") : undefined;
  const owner = req.query.get("fetch-owner") === "true";
  let body =
    el("Name", req.bucket) +
    el("Prefix", enc(prefix)) +
    (delimiter ? el("Delimiter", enc(delimiter)) : "") +
    el("MaxKeys", max) +
    (req.query.has("encoding-type") ? el("EncodingType", "url") : "") +
    el("KeyCount", page.items.length) +
    el("IsTruncated", page.truncated) +
    (token !== undefined ? el("ContinuationToken", token) : "") +
    el("NextContinuationToken", next) +
    (startAfter !== undefined ? el("StartAfter", enc(startAfter)) : "");
  for (const item of page.items) body += "row" in item ? contents(ctx, item.row, enc, owner) : "";
  for (const item of page.items) body += "prefix" in item ? wrap("CommonPrefixes", el("Prefix", enc(item.prefix))) : "";
  sendXml(req, doc("ListBucketResult", body));
}

export async function listObjects(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "ListObjects", listInput(req));
  const enc = encoder(req);
  const max = maxKeys(req);
  const prefix = req.query.get("prefix") ?? "";
  const delimiter = req.query.get("delimiter") ?? "";
  const marker = req.query.get("marker") ?? "";
  await requireBucket(ctx, req.bucket);
  const page = await walk(currentFetch(ctx, req.bucket, prefix), prefix, delimiter, max, marker || undefined, markerPrefix(marker, prefix, delimiter));
  const last = page.items[page.items.length - 1];
  // NextMarker only with a delimiter (without one, the last key is the marker)
  const nextMarker = page.truncated && delimiter && last ? ("row" in last ? last.row.key : last.prefix) : undefined;
  let body =
    el("Name", req.bucket) +
    el("Prefix", enc(prefix)) +
    el("Marker", enc(marker)) +
    (nextMarker !== undefined ? el("NextMarker", enc(nextMarker)) : "") +
    el("MaxKeys", max) +
    (delimiter ? el("Delimiter", enc(delimiter)) : "") +
    (req.query.has("encoding-type") ? el("EncodingType", "url") : "") +
    el("IsTruncated", page.truncated);
  for (const item of page.items) body += "row" in item ? contents(ctx, item.row, enc, true) : "";
  for (const item of page.items) body += "prefix" in item ? wrap("CommonPrefixes", el("Prefix", enc(item.prefix))) : "";
  sendXml(req, doc("ListBucketResult", body));
}

export async function listObjectVersions(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "ListObjectVersions", listInput(req));
  const enc = encoder(req);
  const max = maxKeys(req);
  const prefix = req.query.get("prefix") ?? "";
  const delimiter = req.query.get("delimiter") ?? "";
  const keyMarker = req.query.get("key-marker") ?? "";
  const versionMarker = req.query.get("version-id-marker") ?? "";
  if (versionMarker && !keyMarker) {
    throw s3Errors.invalidArgument("A version-id marker cannot be specified without a key marker.", "version-id-marker", versionMarker);
  }
  await requireBucket(ctx, req.bucket);
  let start: ObjectVersion | string | undefined = keyMarker || undefined;
  if (versionMarker) {
    const row = await ctx.store.getVersion(req.bucket, keyMarker, versionMarker);
    if (!row) throw s3Errors.invalidArgument("Invalid version id specified", "version-id-marker", versionMarker);
    start = row;
  }
  const fetch = (after: ObjectVersion | string | undefined) =>
    ctx.store.listVersions(req.bucket, prefix, after === undefined ? undefined : typeof after === "string" ? { key: after } : { key: after.key, id: after.id }, BATCH);
  const page = await walk(fetch, prefix, delimiter, max, start, markerPrefix(keyMarker, prefix, delimiter));
  const last = page.items[page.items.length - 1];
  const owner = wrap("Owner", el("ID", ctx.ownerId) + el("DisplayName", ctx.ownerName));
  let body =
    el("Name", req.bucket) +
    el("Prefix", enc(prefix)) +
    el("KeyMarker", enc(keyMarker)) +
    el("VersionIdMarker", versionMarker) +
    (page.truncated && last ? el("NextKeyMarker", enc("row" in last ? last.row.key : last.prefix)) : "") +
    (page.truncated && last && "row" in last ? el("NextVersionIdMarker", last.row.version_id) : "") +
    el("MaxKeys", max) +
    (delimiter ? el("Delimiter", enc(delimiter)) : "") +
    (req.query.has("encoding-type") ? el("EncodingType", "url") : "") +
    el("IsTruncated", page.truncated);
  for (const item of page.items) {
    if (!("row" in item)) continue;
    const r = item.row;
    const common = el("Key", enc(r.key)) + el("VersionId", r.version_id) + el("IsLatest", r.latest === 1) + el("LastModified", isoTime(r.created_at));
    body += r.delete_marker
      ? wrap("DeleteMarker", common + owner)
      : wrap(
          "Version",
          common +
            el("ETag", `"${r.etag}"`) +
            el("Size", r.size) +
            el("StorageClass", "STANDARD") +
            owner +
            (r.checksum_algorithm ? el("ChecksumAlgorithm", r.checksum_algorithm) + el("ChecksumType", checksumType(r)) : ""),
        );
  }
  for (const item of page.items) body += "prefix" in item ? wrap("CommonPrefixes", el("Prefix", enc(item.prefix))) : "";
  sendXml(req, doc("ListVersionsResult", body));
}
