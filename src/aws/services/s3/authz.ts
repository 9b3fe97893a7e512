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

const versionKeys = (input: Record<string, unknown>): ContextInput => (typeof input.VersionId === "string" ? { "s3:versionid": input.VersionId } : {});

/**
 * S3's authorization table, as the S3 permissions reference gives it: the bucket's ARN
 * (`arn:aws:s3:::BUCKET`) for bucket operations, the object's (`arn:aws:s3:::BUCKET/KEY`) for
 * object operations, `*` for ListBuckets. The rows named `…(versionId)` are the same operation
 * given a version ID, which S3 authorizes as a different action. DeleteObjects is decided per
 * key by its handler (each key is DeleteObject or DeleteObjectVersion, and a refusal is that
 * key's error, not the request's).
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
    GetObject: rule("s3:GetObject", objectArn),
    "GetObject(versionId)": rule("s3:GetObjectVersion", objectArn, { keys: versionKeys }),
    HeadObject: rule("s3:GetObject", objectArn),
    "HeadObject(versionId)": rule("s3:GetObjectVersion", objectArn, { keys: versionKeys }),
    PutObject: rule("s3:PutObject", objectArn),
    DeleteObject: rule("s3:DeleteObject", objectArn),
    "DeleteObject(versionId)": rule("s3:DeleteObjectVersion", objectArn, { keys: versionKeys }),
    CreateMultipartUpload: rule("s3:PutObject", objectArn),
    UploadPart: rule("s3:PutObject", objectArn),
    UploadPartCopy: rule("s3:PutObject", objectArn),
    CompleteMultipartUpload: rule("s3:PutObject", objectArn),
    AbortMultipartUpload: rule("s3:AbortMultipartUpload", objectArn),
    ListParts: rule("s3:ListMultipartUploadParts", objectArn),
    // s3:prefix and s3:delimiter are ListBucket's condition keys, not this action's
    ListMultipartUploads: rule("s3:ListBucketMultipartUploads", bucketArn),
    DeleteObjects: { action: "s3:DeleteObject", resources: () => [], decidedBy: "handler" },
  };
}
