import { S3StoreError, type VersioningStatus } from "../../../domain/s3/buckets.js";
import type { S3Call, S3Context } from "./context.js";
import { S3Error, s3Errors } from "./errors.js";
import { readSmallBody, requireIntegrityHeader, send, sendXml } from "./http.js";
import { isValidBucketName } from "./names.js";
import { doc, el, isoTime, parseXml, wrap, xmlEscape } from "./xml.js";

const XML_LIMIT = 64 * 1024;

/** The S3 error for a store refusal (or the error itself). */
export function storeError(e: unknown, bucket: string): unknown {
  if (e instanceof S3StoreError) {
    if (e.code === "NoSuchBucket") return s3Errors.noSuchBucket(bucket);
    if (e.code === "BucketNotEmpty") return s3Errors.bucketNotEmpty(bucket);
  }
  return e;
}

export async function listBuckets(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "ListBuckets", {});
  const prefix = req.query.get("prefix") ?? "";
  const maxText = req.query.get("max-buckets");
  const max = maxText === undefined ? 10000 : Number(maxText);
  if (!Number.isInteger(max) || max < 1 || max > 10000 || !/^\d+$/.test(maxText ?? "1")) {
    throw s3Errors.invalidArgument("Argument max-buckets must be an integer between 1 and 10000", "max-buckets", maxText);
  }
  const token = req.query.get("continuation-token");
  const all = (await ctx.store.listBuckets()).filter((b) => b.name.startsWith(prefix) && (token === undefined || b.name > token));
  const page = all.slice(0, max);
  const more = all.length > page.length;
  const buckets = page.map((b) => wrap("Bucket", el("Name", b.name) + el("CreationDate", isoTime(b.created_at)) + el("BucketRegion", b.region))).join("");
  sendXml(
    req,
    doc(
      "ListAllMyBucketsResult",
      wrap("Owner", el("ID", ctx.ownerId) + el("DisplayName", ctx.ownerName)) +
        wrap("Buckets", buckets) +
        (more ? el("ContinuationToken", page[page.length - 1]!.name) : "") +
        (req.query.has("prefix") ? el("Prefix", prefix) : ""),
    ),
  );
}

export async function createBucket(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  const bucket = req.bucket;
  await ctx.authorize(caller, "CreateBucket", { Bucket: bucket });
  if (!isValidBucketName(bucket)) throw s3Errors.invalidBucketName(bucket);
  if (req.header("x-amz-bucket-object-lock-enabled")?.toLowerCase() === "true") throw s3Errors.notImplemented("Object Lock");
  const acl = req.header("x-amz-acl");
  if (acl !== undefined && acl !== "private" && acl !== "bucket-owner-full-control") {
    throw new S3Error("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", 400);
  }
  const { data } = await readSmallBody(req, call.payloadHash, XML_LIMIT);
  let constraint: string | undefined;
  if (data.toString("utf8").trim() !== "") {
    const cfg = parseXml(data, "CreateBucketConfiguration");
    const lc = cfg.LocationConstraint;
    if (typeof lc === "string" && lc !== "") constraint = lc;
    if (cfg.Bucket !== undefined || cfg.Location !== undefined) throw s3Errors.notImplemented("directory buckets");
  }
  if (constraint === undefined) {
    if (ctx.region !== "us-east-1") {
      throw new S3Error(
        "IllegalLocationConstraintException",
        "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
        400,
      );
    }
  } else if (constraint === "us-east-1" && ctx.region === "us-east-1") {
    throw new S3Error("InvalidLocationConstraint", "The specified location-constraint is not valid", 400, { LocationConstraint: constraint });
  } else if (constraint !== ctx.region) {
    throw new S3Error(
      "IllegalLocationConstraintException",
      `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
      400,
    );
  }
  const outcome = await ctx.store.createBucket(bucket, ctx.region, caller.principal.arn);
  // S3 in us-east-1 answers a repeated CreateBucket by its owner with 200 (a legacy it keeps)
  if (outcome === "exists" && ctx.region !== "us-east-1") throw s3Errors.bucketAlreadyOwnedByYou(bucket);
  send(req, 200, { location: `/${bucket}` });
}

export async function headBucket(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "HeadBucket", { Bucket: req.bucket });
  const b = await ctx.store.getBucket(req.bucket);
  if (!b) throw s3Errors.noSuchBucket(req.bucket);
  send(req, 200, { "x-amz-bucket-region": b.region, "x-amz-access-point-alias": "false" });
}

export async function deleteBucket(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "DeleteBucket", { Bucket: req.bucket });
  try {
    await ctx.store.deleteBucket(req.bucket);
  } catch (e) {
    throw storeError(e, req.bucket);
  }
  send(req, 204, {});
}

export async function getBucketLocation(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "GetBucketLocation", { Bucket: req.bucket });
  const b = await ctx.store.getBucket(req.bucket);
  if (!b) throw s3Errors.noSuchBucket(req.bucket);
  // us-east-1 is the empty constraint
  sendXml(req, doc("LocationConstraint", b.region === "us-east-1" ? "" : xmlEscape(b.region)));
}

export async function getBucketVersioning(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "GetBucketVersioning", { Bucket: req.bucket });
  const b = await ctx.store.getBucket(req.bucket);
  if (!b) throw s3Errors.noSuchBucket(req.bucket);
  sendXml(req, doc("VersioningConfiguration", b.versioning ? el("Status", b.versioning) : ""));
}

export async function putBucketVersioning(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  await ctx.authorize(caller, "PutBucketVersioning", { Bucket: req.bucket });
  requireIntegrityHeader(req);
  const { data } = await readSmallBody(req, call.payloadHash, XML_LIMIT);
  const cfg = parseXml(data, "VersioningConfiguration");
  const status = cfg.Status;
  if (status === undefined) {
    throw new S3Error("IllegalVersioningConfigurationException", "The Versioning element must be specified", 400);
  }
  if (status !== "Enabled" && status !== "Suspended") throw s3Errors.malformedXml();
  if (cfg.MfaDelete === "Enabled") throw s3Errors.notImplemented("MFA Delete");
  if (cfg.MfaDelete !== undefined && cfg.MfaDelete !== "Disabled") throw s3Errors.malformedXml();
  try {
    await ctx.store.setVersioning(req.bucket, status as VersioningStatus);
  } catch (e) {
    throw storeError(e, req.bucket);
  }
  send(req, 200, {});
}
