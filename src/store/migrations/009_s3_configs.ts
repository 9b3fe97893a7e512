import type { Kysely } from "kysely";
import type { Engine } from "../db.js";

/**
 * What issue 13's second half keeps beside buckets and versions, as JSON text (each read and
 * written whole, as S3's Put/Get…Configuration operations do): a version's tag set and, for an
 * object made by CompleteMultipartUpload, its part sizes (partNumber reads, the parts count);
 * a bucket's tag set, lifecycle configuration and notification configuration.
 */
export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  // JSON array of {Key, Value}, in the order given; null: no tags
  await db.schema.alterTable("s3_versions").addColumn("tags", "text").execute();
  // JSON array of part sizes in part order; null: not a multipart object
  await db.schema.alterTable("s3_versions").addColumn("parts", "text").execute();
  await db.schema.alterTable("s3_buckets").addColumn("tags", "text").execute();
  await db.schema.alterTable("s3_buckets").addColumn("lifecycle", "text").execute();
  await db.schema.alterTable("s3_buckets").addColumn("notification", "text").execute();
}
