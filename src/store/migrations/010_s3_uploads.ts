import { sql, type Kysely } from "kysely";
import type { Engine } from "../db.js";

/**
 * S3 multipart uploads (issue 13): one row per upload in progress, one per part uploaded to it.
 * A part's bytes are a blob in the ObjectStore, durable before its row commits, as a version's
 * are. CompleteMultipartUpload removes both rows in the transaction that makes the object's
 * version (the upload row stays, marked completed, to answer a retried Complete), so an upload
 * is either in progress (parts intact) or its object exists, never both.
 *
 * Keys sort by their UTF-8 bytes as in 008 (`collate "C"` on PostgreSQL); `id` orders uploads of
 * one key by when they were initiated, as ListMultipartUploads lists them.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const serial = engine === "postgres" ? "bigserial" : "integer";
  const big = engine === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("s3_uploads")
    .addColumn("id", serial, (c) => (engine === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn("upload_id", "text", (c) => c.notNull().unique())
    .addColumn("bucket", "text", (c) => c.notNull().references("s3_buckets.name"))
    .addColumn("key", "text", (c) => (engine === "postgres" ? c.notNull().modifyEnd(sql`collate "C"`) : c.notNull()))
    .addColumn("content_type", "text")
    // JSON: the stored response headers the object will have (as s3_versions.headers)
    .addColumn("headers", "text", (c) => c.notNull())
    // CRC32, CRC32C, SHA1 or SHA256 from x-amz-checksum-algorithm; null: none asked for
    .addColumn("checksum_algorithm", "text")
    // COMPOSITE or FULL_OBJECT (x-amz-checksum-type); null with no algorithm
    .addColumn("checksum_type", "text")
    // the tag set from x-amz-tagging (checked at CreateMultipartUpload), JSON as s3_versions.tags, for the completed object
    .addColumn("tagging", "text")
    .addColumn("owner_arn", "text", (c) => c.notNull())
    .addColumn("initiated_at", big, (c) => c.notNull())
    // set by CompleteMultipartUpload (its parts gone), so that a retried Complete gets the same
    // answer, as on AWS: JSON of the result; null while the upload is in progress
    .addColumn("completed_at", big)
    .addColumn("completed", "text")
    .execute();
  await db.schema.createIndex("s3_uploads_key").on("s3_uploads").columns(["bucket", "key", "id"]).execute();
  await db.schema
    .createTable("s3_parts")
    .addColumn("upload_id", "text", (c) => c.notNull().references("s3_uploads.upload_id"))
    .addColumn("part_number", "integer", (c) => c.notNull())
    .addColumn("size", big, (c) => c.notNull())
    // hex MD5 of the part, unquoted
    .addColumn("etag", "text", (c) => c.notNull())
    .addColumn("blob", "text", (c) => c.notNull())
    // base64 of the part's digest under the upload's algorithm (or the one the part was sent with)
    .addColumn("checksum_algorithm", "text")
    .addColumn("checksum", "text")
    .addColumn("created_at", big, (c) => c.notNull())
    .addPrimaryKeyConstraint("s3_parts_pk", ["upload_id", "part_number"])
    .execute();
  await db.schema.createIndex("s3_parts_blob").on("s3_parts").column("blob").execute();
}
