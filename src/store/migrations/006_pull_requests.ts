import type { Kysely } from "kysely";
import type { Engine } from "../db.js";

/**
 * Pull requests, their events, approval rules and approvals, approval rule templates, comments
 * and reactions (CodeCommit's other half), and the client request tokens that make
 * CreatePullRequest and the PostComment operations idempotent.
 *
 * Pull requests and comments name their repository by ID, so a rename changes nothing here;
 * deleting a repository deletes them with it.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const time = engine === "postgres" ? "bigint" : "integer";
  const serial = engine === "postgres" ? "bigserial" : "integer";
  /** a reference to a serial column */
  const id = engine === "postgres" ? "bigint" : "integer";

  await db.schema
    .createTable("pull_requests")
    /** CodeCommit's pull request IDs are numbers, increasing across the account */
    .addColumn("id", serial, (c) => (engine === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn("repository_id", "text", (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("author_arn", "text", (c) => c.notNull())
    /** OPEN | CLOSED */
    .addColumn("status", "text", (c) => c.notNull())
    /** full ref names (refs/heads/…) */
    .addColumn("source_ref", "text", (c) => c.notNull())
    .addColumn("destination_ref", "text", (c) => c.notNull())
    /** the tips as last seen: the source's is the revision's commit */
    .addColumn("source_commit", "text", (c) => c.notNull())
    .addColumn("destination_commit", "text", (c) => c.notNull())
    .addColumn("merge_base", "text")
    /** changes whenever the source commit does; approvals belong to a revision */
    .addColumn("revision_id", "text", (c) => c.notNull())
    .addColumn("is_merged", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("merged_by", "text")
    .addColumn("merge_commit_id", "text")
    /** FAST_FORWARD_MERGE | SQUASH_MERGE | THREE_WAY_MERGE */
    .addColumn("merge_option", "text")
    .addColumn("client_request_token", "text")
    .addColumn("created_at", time, (c) => c.notNull())
    .addColumn("last_activity_at", time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("pull_requests_repository").on("pull_requests").columns(["repository_id", "status", "id"]).execute();
  await db.schema.createIndex("pull_requests_author").on("pull_requests").columns(["author_arn", "id"]).execute();
  // the pull requests a change to a ref can concern (the follow-git consumer's lookup)
  await db.schema.createIndex("pull_requests_open_refs").on("pull_requests").columns(["repository_id", "status", "source_ref"]).execute();

  /** DescribePullRequestEvents: one row per event, its type's metadata as JSON. */
  await db.schema
    .createTable("pull_request_events")
    .addColumn("id", serial, (c) => (engine === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn("pull_request_id", id, (c) => c.notNull().references("pull_requests.id").onDelete("cascade"))
    /** PULL_REQUEST_CREATED, PULL_REQUEST_STATUS_CHANGED, … (the model's PullRequestEventType) */
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("actor_arn", "text", (c) => c.notNull())
    /** JSON: the event's <type>EventMetadata member as the wire carries it */
    .addColumn("metadata", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("pull_request_events_pr").on("pull_request_events").columns(["pull_request_id", "id"]).execute();

  /** A pull request's approval rules (its own, or made from a template when it was created). */
  await db.schema
    .createTable("pull_request_approval_rules")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("pull_request_id", id, (c) => c.notNull().references("pull_requests.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("content", "text", (c) => c.notNull())
    .addColumn("content_sha256", "text", (c) => c.notNull())
    .addColumn("origin_template_id", "text")
    .addColumn("origin_template_name", "text")
    .addColumn("last_modified_user", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .addColumn("updated_at", time, (c) => c.notNull())
    .addUniqueConstraint("pull_request_approval_rules_name", ["pull_request_id", "name"])
    .execute();

  /** Approvals given, per revision (a new revision starts with none). */
  await db.schema
    .createTable("pull_request_approvals")
    .addColumn("pull_request_id", id, (c) => c.notNull().references("pull_requests.id").onDelete("cascade"))
    .addColumn("revision_id", "text", (c) => c.notNull())
    .addColumn("user_arn", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .addPrimaryKeyConstraint("pull_request_approvals_pk", ["pull_request_id", "revision_id", "user_arn"])
    .execute();

  /** OverridePullRequestApprovalRules with OVERRIDE, per revision (REVOKE deletes the row). */
  await db.schema
    .createTable("pull_request_overrides")
    .addColumn("pull_request_id", id, (c) => c.notNull().references("pull_requests.id").onDelete("cascade"))
    .addColumn("revision_id", "text", (c) => c.notNull())
    .addColumn("overrider_arn", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .addPrimaryKeyConstraint("pull_request_overrides_pk", ["pull_request_id", "revision_id"])
    .execute();

  await db.schema
    .createTable("approval_rule_templates")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("content", "text", (c) => c.notNull())
    .addColumn("content_sha256", "text", (c) => c.notNull())
    .addColumn("last_modified_user", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .addColumn("updated_at", time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("approval_rule_template_repositories")
    .addColumn("template_id", "text", (c) => c.notNull().references("approval_rule_templates.id").onDelete("cascade"))
    .addColumn("repository_id", "text", (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("created_at", time, (c) => c.notNull())
    .addPrimaryKeyConstraint("approval_rule_template_repositories_pk", ["template_id", "repository_id"])
    .execute();
  await db.schema.createIndex("approval_rule_template_repositories_repo").on("approval_rule_template_repositories").column("repository_id").execute();

  /**
   * Comments on a comparison of two commits, or on a pull request (pull_request_id set). A
   * comment with a location is on a file (and a position in it); replies inherit the thread.
   */
  await db.schema
    .createTable("comments")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("repository_id", "text", (c) => c.notNull().references("repositories.id").onDelete("cascade"))
    .addColumn("pull_request_id", id, (c) => c.references("pull_requests.id").onDelete("cascade"))
    .addColumn("before_commit_id", "text")
    .addColumn("after_commit_id", "text", (c) => c.notNull())
    .addColumn("before_blob_id", "text")
    .addColumn("after_blob_id", "text")
    .addColumn("file_path", "text")
    .addColumn("file_position", time)
    /** BEFORE | AFTER */
    .addColumn("relative_file_version", "text")
    .addColumn("in_reply_to", "text")
    /** the thread's first comment (itself for a first comment): replies are grouped with it */
    .addColumn("thread_id", "text", (c) => c.notNull())
    .addColumn("content", "text", (c) => c.notNull())
    .addColumn("deleted", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("author_arn", "text", (c) => c.notNull())
    .addColumn("client_request_token", "text")
    .addColumn("created_at", time, (c) => c.notNull())
    .addColumn("updated_at", time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("comments_pull_request").on("comments").columns(["pull_request_id", "created_at"]).execute();
  await db.schema
    .createIndex("comments_compared")
    .on("comments")
    .columns(["repository_id", "after_commit_id", "before_commit_id", "created_at"])
    .execute();
  await db.schema.createIndex("comments_thread").on("comments").columns(["thread_id", "created_at"]).execute();

  /** One reaction per user per comment (PutCommentReaction replaces it; an empty value removes it). */
  await db.schema
    .createTable("comment_reactions")
    .addColumn("comment_id", "text", (c) => c.notNull().references("comments.id").onDelete("cascade"))
    .addColumn("user_arn", "text", (c) => c.notNull())
    /** the reaction's key, e.g. THUMBSUP (domain/comments/reactions.ts) */
    .addColumn("reaction", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .addPrimaryKeyConstraint("comment_reactions_pk", ["comment_id", "user_arn"])
    .execute();

  /**
   * Idempotency: what a clientRequestToken already made. `scope` is the operation family
   * (pull-request, comment), `fingerprint` a hash of the request's parameters (a reuse with
   * other parameters is IdempotencyParameterMismatchException), `result` the ID it made.
   */
  await db.schema
    .createTable("client_request_tokens")
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("token", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("result", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .addPrimaryKeyConstraint("client_request_tokens_pk", ["scope", "token"])
    .execute();
}
