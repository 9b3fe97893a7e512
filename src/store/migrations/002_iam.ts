import type { Kysely } from "kysely";
import type { Engine } from "../db.js";

/**
 * IAM and STS: groups, roles, managed and inline policies, attachments, tags, SSH keys,
 * service-specific (HTTPS Git) credentials, login profiles and temporary credentials. Entities
 * are referenced by name with ON UPDATE CASCADE, so renames (UpdateUser, UpdateGroup) follow.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const time = engine === "postgres" ? "bigint" : "integer";

  await db.schema.alterTable("iam_users").addColumn("permissions_boundary", "text").execute();

  await db.schema
    .createTable("iam_groups")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("path", "text", (c) => c.notNull())
    .addColumn("arn", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("iam_group_members")
    .addColumn("group_name", "text", (c) => c.notNull().references("iam_groups.name").onDelete("cascade").onUpdate("cascade"))
    .addColumn("user_name", "text", (c) => c.notNull().references("iam_users.name").onDelete("cascade").onUpdate("cascade"))
    .addPrimaryKeyConstraint("iam_group_members_pk", ["group_name", "user_name"])
    .execute();
  await db.schema.createIndex("iam_group_members_user").on("iam_group_members").column("user_name").execute();

  await db.schema
    .createTable("iam_roles")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("path", "text", (c) => c.notNull())
    .addColumn("arn", "text", (c) => c.notNull())
    .addColumn("trust_policy", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("max_session_duration", "integer", (c) => c.notNull())
    .addColumn("permissions_boundary", "text")
    .addColumn("created_at", time, (c) => c.notNull())
    .execute();

  /** Customer managed policies (the AWS managed ones are built in, not stored). */
  await db.schema
    .createTable("iam_policies")
    .addColumn("arn", "text", (c) => c.primaryKey())
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("path", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("default_version", "text", (c) => c.notNull())
    .addColumn("next_version", "integer", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .addColumn("updated_at", time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("iam_policy_versions")
    .addColumn("policy_arn", "text", (c) => c.notNull().references("iam_policies.arn").onDelete("cascade"))
    .addColumn("version_id", "text", (c) => c.notNull())
    .addColumn("document", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .addPrimaryKeyConstraint("iam_policy_versions_pk", ["policy_arn", "version_id"])
    .execute();

  /** Managed policy attachments: entity_type user | group | role. */
  await db.schema
    .createTable("iam_attachments")
    .addColumn("entity_type", "text", (c) => c.notNull())
    .addColumn("entity_name", "text", (c) => c.notNull())
    .addColumn("policy_arn", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .addPrimaryKeyConstraint("iam_attachments_pk", ["entity_type", "entity_name", "policy_arn"])
    .execute();
  await db.schema.createIndex("iam_attachments_policy").on("iam_attachments").column("policy_arn").execute();

  await db.schema
    .createTable("iam_inline_policies")
    .addColumn("entity_type", "text", (c) => c.notNull())
    .addColumn("entity_name", "text", (c) => c.notNull())
    .addColumn("policy_name", "text", (c) => c.notNull())
    .addColumn("document", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("iam_inline_policies_pk", ["entity_type", "entity_name", "policy_name"])
    .execute();

  /** Tags on users, roles and customer managed policies. */
  await db.schema
    .createTable("iam_tags")
    .addColumn("entity_type", "text", (c) => c.notNull())
    .addColumn("entity_name", "text", (c) => c.notNull())
    .addColumn("tag_key", "text", (c) => c.notNull())
    .addColumn("tag_value", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("iam_tags_pk", ["entity_type", "entity_name", "tag_key"])
    .execute();

  await db.schema
    .createTable("ssh_public_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_name", "text", (c) => c.notNull().references("iam_users.name").onDelete("cascade").onUpdate("cascade"))
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("fingerprint_md5", "text", (c) => c.notNull())
    .addColumn("fingerprint_sha256", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("uploaded_at", time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("ssh_public_keys_sha256").on("ssh_public_keys").column("fingerprint_sha256").execute();

  await db.schema
    .createTable("service_credentials")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_name", "text", (c) => c.notNull().references("iam_users.name").onDelete("cascade").onUpdate("cascade"))
    .addColumn("service_name", "text", (c) => c.notNull())
    .addColumn("service_user_name", "text", (c) => c.notNull().unique())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("login_profiles")
    .addColumn("user_name", "text", (c) => c.primaryKey().references("iam_users.name").onDelete("cascade").onUpdate("cascade"))
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("reset_required", "integer", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .execute();

  /** STS temporary credentials: the secret sealed, the session token only as a hash. */
  await db.schema
    .createTable("sts_sessions")
    .addColumn("access_key_id", "text", (c) => c.primaryKey())
    .addColumn("secret_sealed", "text", (c) => c.notNull())
    .addColumn("token_sha256", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    /** user name (session token of a user) or role name (assumed role) */
    .addColumn("entity_name", "text", (c) => c.notNull())
    .addColumn("session_name", "text")
    .addColumn("session_policy", "text")
    .addColumn("expires_at", time, (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("sts_sessions_expiry").on("sts_sessions").column("expires_at").execute();
}
