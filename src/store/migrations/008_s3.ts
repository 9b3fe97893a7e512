import { sql, type Kysely } from "kysely";
import type { Engine } from "../db.js";

/**
 * S3-compatible buckets (issue 13): a bucket's row, and one row per object version or delete
 * marker. The bytes are elsewhere (an ObjectStore); a version row names its blob, and is written
 * only once the blob is durable, so a row never names bytes that a crash could lose.
 *
 * Keys sort as S3 lists them, by their UTF-8 bytes: SQLite's BINARY collation does that, and on
 * PostgreSQL the column is `collate "C"`. `latest` marks each key's current version (or delete
 * marker), so listing the current objects reads one index range; `id` orders a key's versions,
 * newest last.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const serial = engine === "postgres" ? "bigserial" : "integer";
  const big = engine === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("s3_buckets")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("region", "text", (c) => c.notNull())
    // null: never versioned; then Enabled or Suspended (never back to null)
    .addColumn("versioning", "text")
    .addColumn("owner_arn", "text", (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("s3_versions")
    .addColumn("id", serial, (c) => (engine === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn("bucket", "text", (c) => c.notNull().references("s3_buckets.name"))
    .addColumn("key", "text", (c) => (engine === "postgres" ? c.notNull().modifyEnd(sql`collate "C"`) : c.notNull()))
    // "null" for the null version, as S3 spells it
    .addColumn("version_id", "text", (c) => c.notNull())
    .addColumn("latest", "integer", (c) => c.notNull())
    .addColumn("delete_marker", "integer", (c) => c.notNull())
    .addColumn("size", big, (c) => c.notNull())
    // hex MD5, unquoted
    .addColumn("etag", "text", (c) => c.notNull())
    // the ObjectStore's name for the bytes; null for a delete marker
    .addColumn("blob", "text")
    .addColumn("content_type", "text")
    // JSON: the stored response headers (content-encoding, cache-control, … and x-amz-meta-*)
    .addColumn("headers", "text", (c) => c.notNull())
    // CRC32, CRC32C, SHA1 or SHA256 and its base64 value, when the client sent one
    .addColumn("checksum_algorithm", "text")
    .addColumn("checksum", "text")
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("owner_arn", "text", (c) => c.notNull())
    .addUniqueConstraint("s3_versions_bucket_key_version", ["bucket", "key", "version_id"])
    .execute();
  await db.schema.createIndex("s3_versions_latest").on("s3_versions").columns(["bucket", "latest", "key"]).execute();
  await db.schema.createIndex("s3_versions_order").on("s3_versions").columns(["bucket", "key", "id"]).execute();
  await db.schema.createIndex("s3_versions_blob").on("s3_versions").column("blob").execute();
}
