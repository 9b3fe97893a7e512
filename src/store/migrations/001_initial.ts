import type { Kysely } from "kysely";
import type { Engine } from "../db.js";

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const time = engine === "postgres" ? "bigint" : "integer";

  await db.schema
    .createTable("repositories")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("default_branch", "text")
    .addColumn("kms_key_id", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .addColumn("updated_at", time, (c) => c.notNull())
    .addUniqueConstraint("repositories_account_name", ["account_id", "name"])
    .execute();

  await db.schema
    .createTable("repository_tags")
    .addColumn("repository_id", "text", (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("tag_key", "text", (c) => c.notNull())
    .addColumn("tag_value", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("repository_tags_pk", ["repository_id", "tag_key"])
    .execute();

  await db.schema
    .createTable("iam_users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("path", "text", (c) => c.notNull())
    .addColumn("arn", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("access_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_name", "text", (c) => c.notNull().references("iam_users.name").onDelete("cascade").onUpdate("cascade"))
    .addColumn("secret_sealed", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .addColumn("last_used_at", time)
    .addColumn("last_used_service", "text")
    .addColumn("last_used_region", "text")
    .addColumn("bootstrap", "integer", (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable("ref_tips")
    .addColumn("repository_id", "text", (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("ref_name", "text", (c) => c.notNull())
    .addColumn("commit_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("ref_tips_pk", ["repository_id", "ref_name"])
    .execute();

  await db.schema
    .createTable("ref_events")
    .addColumn("id", engine === "postgres" ? "bigserial" : "integer", (c) =>
      engine === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn("repository_id", "text", (c) => c.notNull())
    .addColumn("repository_name", "text", (c) => c.notNull())
    .addColumn("actor_arn", "text", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("refs", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("ref_events_repository").on("ref_events").columns(["repository_id", "id"]).execute();

  await db.schema
    .createTable("ref_intents")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("repository_id", "text", (c) => c.notNull())
    .addColumn("actor_arn", "text", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("refs", "text", (c) => c.notNull())
    .addColumn("started_at", time, (c) => c.notNull())
    .execute();
}
