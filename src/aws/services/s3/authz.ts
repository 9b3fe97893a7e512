import type { ContextInput } from "../../../domain/iam/policy/index.js";
import { rule, str, type AuthzTable } from "../../authz.js";

/** What an S3 request names, for its authorization row. */
export interface S3AuthzInput {
  Bucket?: string;
  Key?: string;
  VersionId?: string;
  prefix?: string;
  delimiter?: string;
  "max-keys"?: string;
  [k: string]: unknown;
}

function listKeys(input: Record<string, unknown>): ContextInput {
  const keys: Record<string, string> = {};
  // an absent parameter is an absent key (StringLike s3:prefix "home/*" then denies)
  for (const name of ["prefix", "delimiter", "max-keys"]) {
    if (typeof input[name] === "string") keys[`s3:${name}`] = input[name] as string;
  }
  return keys;
}

/** PutObject's condition keys that a copy sets. */
function copyKeys(input: Record<string, unknown>): ContextInput {
  const keys: Record<string, string> = {};
  if (typeof input.CopySource === "string") keys["s3:x-amz-copy-source"] = input.CopySource;
  if (typeof input.MetadataDirective === "string") keys["s3:x-amz-metadata-directive"] = input.MetadataDirective;
  return keys;
}

/** The tags a request sets, as S3's `s3:RequestObjectTag/<key>` and `s3:RequestObjectTagKeys`. */
function objectTagKeys(input: Record<string, unknown>): ContextInput {
  const tags = Array.isArray(input.Tags) ? (input.Tags as Array<{ Key: string; Value: string }>) : [];
  const keys: Record<string, string | string[]> = { "s3:RequestObjectTagKeys": tags.map((t) => t.Key) };
  for (const t of tags) keys[`s3:RequestObjectTag/${t.Key}`] = t.Value;
  return keys;
}

const versionKeys = (input: Record<string, unknown>): ContextInput => (typeof input.VersionId === "string" ? { "s3:versionid": input.VersionId } : {});

/**
 * S3's authorization table, as the S3 permissions reference gives it: the bucket's ARN
 * (`arn:aws:s3:::BUCKET`) for bucket operations, the object's (`arn:aws:s3:::BUCKET/KEY`) for
 * object operations, `*` for ListBuckets. The rows named `…(versionId)` are the same operation
 * given a version ID, which S3 authorizes as a different action. DeleteObjects is decided per
 * key by its handler (each key is DeleteObject or DeleteObjectVersion, and a refusal is that
 * key's error, not the request's). CopyObject touches two objects with two actions, so it has
 * two rows its handler checks both of: `CopyObject` (s3:PutObject on the destination) and
 * `CopyObject(source…)` (s3:GetObject or s3:GetObjectVersion on the source). A PUT or copy
 * that sets tags needs s3:PutObjectTagging as well (`PutObject(tagging)`).
 */
export function s3AuthzTable(partition: string): AuthzTable {
  const bucketArn = (i: Record<string, unknown>) => `arn:${partition}:s3:::${str(i.Bucket)}`;
  const objectArn = (i: Record<string, unknown>) => `arn:${partition}:s3:::${str(i.Bucket)}/${str(i.Key)}`;
  return {
    ListBuckets: rule("s3:ListAllMyBuckets", () => "*"),
    CreateBucket: rule("s3:CreateBucket", bucketArn),
    DeleteBucket: rule("s3:DeleteBucket", bucketArn),
    HeadBucket: rule("s3:ListBucket", bucketArn),
    ListObjects: rule("s3:ListBucket", bucketArn, { keys: listKeys }),
    ListObjectsV2: rule("s3:ListBucket", bucketArn, { keys: listKeys }),
    ListObjectVersions: rule("s3:ListBucketVersions", bucketArn, { keys: listKeys }),
    GetBucketLocation: rule("s3:GetBucketLocation", bucketArn),
    GetBucketVersioning: rule("s3:GetBucketVersioning", bucketArn),
    PutBucketVersioning: rule("s3:PutBucketVersioning", bucketArn),
    GetBucketNotificationConfiguration: rule("s3:GetBucketNotification", bucketArn),
    PutBucketNotificationConfiguration: rule("s3:PutBucketNotification", bucketArn),
    GetBucketLifecycleConfiguration: rule("s3:GetLifecycleConfiguration", bucketArn),
    PutBucketLifecycleConfiguration: rule("s3:PutLifecycleConfiguration", bucketArn),
    // S3 has no action of its own for removing the configuration
    DeleteBucketLifecycle: rule("s3:PutLifecycleConfiguration", bucketArn),
    GetObject: rule("s3:GetObject", objectArn),
    "GetObject(versionId)": rule("s3:GetObjectVersion", objectArn, { keys: versionKeys }),
    HeadObject: rule("s3:GetObject", objectArn),
    "HeadObject(versionId)": rule("s3:GetObjectVersion", objectArn, { keys: versionKeys }),
    PutObject: rule("s3:PutObject", objectArn),
    "PutObject(tagging)": rule("s3:PutObjectTagging", objectArn, { keys: objectTagKeys }),
    CopyObject: rule("s3:PutObject", objectArn, { keys: copyKeys }),
    "CopyObject(source)": rule("s3:GetObject", objectArn),
    "CopyObject(source, versionId)": rule("s3:GetObjectVersion", objectArn, { keys: versionKeys }),
    GetObjectTagging: rule("s3:GetObjectTagging", objectArn),
    "GetObjectTagging(versionId)": rule("s3:GetObjectVersionTagging", objectArn, { keys: versionKeys }),
    PutObjectTagging: rule("s3:PutObjectTagging", objectArn, { keys: objectTagKeys }),
    "PutObjectTagging(versionId)": rule("s3:PutObjectVersionTagging", objectArn, { keys: (i) => ({ ...versionKeys(i), ...objectTagKeys(i) }) }),
    DeleteObjectTagging: rule("s3:DeleteObjectTagging", objectArn),
    "DeleteObjectTagging(versionId)": rule("s3:DeleteObjectVersionTagging", objectArn, { keys: versionKeys }),
    GetBucketTagging: rule("s3:GetBucketTagging", bucketArn),
    PutBucketTagging: rule("s3:PutBucketTagging", bucketArn),
    // S3 has no DeleteBucketTagging action: removing the tags is putting none
    DeleteBucketTagging: rule("s3:PutBucketTagging", bucketArn),
    DeleteObject: rule("s3:DeleteObject", objectArn),
    "DeleteObject(versionId)": rule("s3:DeleteObjectVersion", objectArn, { keys: versionKeys }),
    DeleteObjects: { action: "s3:DeleteObject", resources: () => [], decidedBy: "handler" },
  };
}
