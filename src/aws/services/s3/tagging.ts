import { isValidVersionId, tagsOf, type ObjectVersion, type Tag } from "../../../domain/s3/buckets.js";
import { storeError } from "./buckets.js";
import type { S3Call, S3Context } from "./context.js";
import { S3Error, s3Errors } from "./errors.js";
import { readSmallBody, requireIntegrityHeader, send, sendXml, type S3Request } from "./http.js";
import { MAX_BUCKET_TAGS, MAX_OBJECT_TAGS, parseTagging, taggingXml } from "./tag-sets.js";
import { httpTime } from "./xml.js";

const XML_LIMIT = 64 * 1024;

/**
 * The errors for a version a tagging call cannot act on, as GetObject gives them: no such key
 * or version; a delete marker is NoSuchKey when current, MethodNotAllowed when named by ID.
 */
function requireVersion(v: ObjectVersion | undefined, req: S3Request, key: string, versionId: string | undefined, versioning: string | null): ObjectVersion {
  if (!v) throw versionId !== undefined ? s3Errors.noSuchVersion(key, versionId) : s3Errors.noSuchKey(key);
  if (v.delete_marker) {
    const markerHeaders: Record<string, string> = { "x-amz-delete-marker": "true", ...(versioning !== null ? { "x-amz-version-id": v.version_id } : {}) };
    if (versionId !== undefined) throw s3Errors.methodNotAllowed(req.method, "DeleteMarker", { ...markerHeaders, allow: "DELETE", "last-modified": httpTime(v.created_at) });
    throw s3Errors.noSuchKey(key, markerHeaders);
  }
  return v;
}

/** The bucket (NoSuchBucket) and the valid version ID of an object tagging call. */
async function target(ctx: S3Context, req: S3Request): Promise<{ versioning: string | null; versionId: string | undefined }> {
  const bucket = await ctx.store.getBucket(req.bucket);
  if (!bucket) throw s3Errors.noSuchBucket(req.bucket);
  const versionId = req.query.get("versionId");
  if (versionId !== undefined && !isValidVersionId(versionId)) throw s3Errors.invalidVersionId(versionId);
  return { versioning: bucket.versioning, versionId };
}

const versionHeader = (versioning: string | null, v: ObjectVersion) => (versioning === null ? {} : { "x-amz-version-id": v.version_id });

/** The object operation's authorization row: a version ID makes it the …VersionTagging action; the tags set are condition keys. */
function authorizeObject(ctx: S3Context, call: S3Call, op: string, tags?: Tag[]): Promise<void> {
  const versionId = call.req.query.get("versionId");
  return ctx.authorize(call.caller, versionId !== undefined ? `${op}(versionId)` : op, { Bucket: call.req.bucket, Key: call.req.key, VersionId: versionId, Tags: tags });
}

export async function getObjectTagging(ctx: S3Context, call: S3Call): Promise<void> {
  const { req } = call;
  const key = req.key!;
  await authorizeObject(ctx, call, "GetObjectTagging");
  const { versioning, versionId } = await target(ctx, req);
  const v = requireVersion(await ctx.store.getVersion(req.bucket, key, versionId), req, key, versionId, versioning);
  sendXml(req, taggingXml(tagsOf(v.tags)), versionHeader(versioning, v));
}

/** Put (tags) and Delete (null) of an object version's tag set. */
async function setObjectTags(ctx: S3Context, req: S3Request, tags: Tag[] | null, status: number): Promise<void> {
  const key = req.key!;
  const { versioning, versionId } = await target(ctx, req);
  let v: ObjectVersion;
  try {
    v = await ctx.store.setObjectTags(req.bucket, key, versionId, tags, (row) => void requireVersion(row, req, key, versionId, versioning));
  } catch (e) {
    throw storeError(e, req.bucket);
  }
  send(req, status, versionHeader(versioning, v));
}

export async function putObjectTagging(ctx: S3Context, call: S3Call): Promise<void> {
  const { req } = call;
  requireIntegrityHeader(req);
  // the tag set is read first: its tags are the request's s3:RequestObjectTag condition keys
  const { data } = await readSmallBody(req, call.payloadHash, XML_LIMIT);
  const tags = parseTagging(data, MAX_OBJECT_TAGS);
  await authorizeObject(ctx, call, "PutObjectTagging", tags);
  await setObjectTags(ctx, req, tags, 200);
}

export async function deleteObjectTagging(ctx: S3Context, call: S3Call): Promise<void> {
  await authorizeObject(ctx, call, "DeleteObjectTagging");
  await setObjectTags(ctx, call.req, null, 204);
}

export async function getBucketTagging(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "GetBucketTagging", { Bucket: req.bucket });
  const b = await ctx.store.getBucket(req.bucket);
  if (!b) throw s3Errors.noSuchBucket(req.bucket);
  if (!b.tags) throw new S3Error("NoSuchTagSet", "The TagSet does not exist", 404, { BucketName: req.bucket });
  sendXml(req, taggingXml(tagsOf(b.tags)));
}

/** Replaces the bucket's tags; an empty TagSet leaves it with none (GetBucketTagging: NoSuchTagSet). */
export async function putBucketTagging(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  await ctx.authorize(caller, "PutBucketTagging", { Bucket: req.bucket });
  requireIntegrityHeader(req);
  const { data } = await readSmallBody(req, call.payloadHash, XML_LIMIT);
  const tags = parseTagging(data, MAX_BUCKET_TAGS);
  await setBucketTags(ctx, req, tags);
  // S3 answers 204 (its sample response); the SDKs take any 2xx
  send(req, 204, {});
}

export async function deleteBucketTagging(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "DeleteBucketTagging", { Bucket: req.bucket });
  await setBucketTags(ctx, req, null);
  send(req, 204, {});
}

async function setBucketTags(ctx: S3Context, req: S3Request, tags: Tag[] | null): Promise<void> {
  try {
    await ctx.store.setBucketTags(req.bucket, tags);
  } catch (e) {
    throw storeError(e, req.bucket);
  }
}
