import { sql, type Kysely } from "kysely";
import type { Engine } from "../db.js";

/**
 * Events: SNS-compatible topics and subscriptions, repository triggers, Lambda function
 * endpoints, and the durable delivery queue fed from the ref_events outbox.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const time = engine === "postgres" ? "bigint" : "integer";
  const serial = engine === "postgres" ? "bigserial" : "integer";

  // Fan-out progress on the outbox itself: a row is dispatched once its deliveries exist.
  // Rows written before this migration have nothing to deliver to (there were no triggers).
  await db.schema.alterTable("ref_events").addColumn("dispatched_at", time).execute();
  await sql`update ref_events set dispatched_at = created_at`.execute(db);
  await db.schema
    .createIndex("ref_events_undispatched")
    .on("ref_events")
    .column("id")
    .where(sql.ref("dispatched_at"), "is", null)
    .execute();

  await db.schema
    .createTable("sns_topics")
    .addColumn("arn", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("owner", "text", (c) => c.notNull())
    /** JSON: the attributes set by CreateTopic and SetTopicAttributes */
    .addColumn("attributes", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("sns_topic_tags")
    .addColumn("topic_arn", "text", (c) => c.notNull().references("sns_topics.arn").onDelete("cascade"))
    .addColumn("tag_key", "text", (c) => c.notNull())
    .addColumn("tag_value", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("sns_topic_tags_pk", ["topic_arn", "tag_key"])
    .execute();

  await db.schema
    .createTable("sns_subscriptions")
    .addColumn("arn", "text", (c) => c.primaryKey())
    .addColumn("topic_arn", "text", (c) => c.notNull().references("sns_topics.arn").onDelete("cascade"))
    .addColumn("protocol", "text", (c) => c.notNull())
    .addColumn("endpoint", "text", (c) => c.notNull())
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("principal_arn", "text", (c) => c.notNull())
    /** pending | confirmed | deleted (deleted rows keep the token that restores them) */
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("token", "text", (c) => c.notNull().unique())
    .addColumn("token_expires_at", time, (c) => c.notNull())
    .addColumn("attributes", "text", (c) => c.notNull())
    .addColumn("authenticated", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", time, (c) => c.notNull())
    .addColumn("updated_at", time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("sns_subscriptions_topic").on("sns_subscriptions").columns(["topic_arn", "protocol", "endpoint"]).execute();

  /** One published message (or a confirmation): what every retry of its deliveries resends. */
  await db.schema
    .createTable("sns_messages")
    .addColumn("id", "text", (c) => c.primaryKey())
    /** Notification | SubscriptionConfirmation | UnsubscribeConfirmation | Lambda */
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("topic_arn", "text")
    .addColumn("subject", "text")
    .addColumn("message", "text", (c) => c.notNull())
    /** JSON {http?, https?}: per-protocol bodies of MessageStructure=json */
    .addColumn("protocol_messages", "text")
    /** JSON {name: {Type, Value}} */
    .addColumn("message_attributes", "text")
    .addColumn("token", "text")
    .addColumn("subscribe_url", "text")
    .addColumn("signature_version", "text", (c) => c.notNull())
    /** ISO-8601 with milliseconds, as the message carries it */
    .addColumn("timestamp", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("repository_triggers")
    .addColumn("repository_id", "text", (c) => c.primaryKey().references("repositories.id").onDelete("cascade"))
    .addColumn("configuration_id", "text", (c) => c.notNull())
    /** JSON: the triggers as PutRepositoryTriggers stored them */
    .addColumn("triggers", "text", (c) => c.notNull())
    .addColumn("updated_at", time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("function_endpoints")
    .addColumn("function_arn", "text", (c) => c.primaryKey())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("created_at", time, (c) => c.notNull())
    .addColumn("updated_at", time, (c) => c.notNull())
    .execute();

  /**
   * The delivery queue: one row per message per destination. Workers lease due rows (FOR UPDATE
   * SKIP LOCKED on PostgreSQL), deliver, and record each attempt.
   */
  await db.schema
    .createTable("deliveries")
    .addColumn("id", serial, (c) => (engine === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn("message_id", "text", (c) => c.notNull())
    /** http (an SNS HTTP/S subscription) | lambda (a registered function endpoint) */
    .addColumn("kind", "text", (c) => c.notNull())
    /** subscription ARN, or lambda:<function ARN>: deliveries to one key go one at a time, in order */
    .addColumn("destination_key", "text", (c) => c.notNull())
    .addColumn("topic_arn", "text")
    .addColumn("subscription_arn", "text")
    .addColumn("endpoint", "text", (c) => c.notNull())
    .addColumn("repository_id", "text")
    .addColumn("event_id", time)
    .addColumn("trigger_name", "text")
    /** pending | delivered | failed | cancelled */
    .addColumn("status", "text", (c) => c.notNull())
    /** attempts in the current round (redelivery starts a new round) */
    .addColumn("tries", "integer", (c) => c.notNull())
    /** attempts in all rounds */
    .addColumn("attempts", "integer", (c) => c.notNull())
    /** JSON: the retry policy, content type and throttle that apply */
    .addColumn("policy", "text", (c) => c.notNull())
    .addColumn("next_attempt_at", time, (c) => c.notNull())
    .addColumn("lease_owner", "text")
    .addColumn("lease_until", time)
    .addColumn("last_status_code", "integer")
    .addColumn("last_error", "text")
    .addColumn("created_at", time, (c) => c.notNull())
    .addColumn("updated_at", time, (c) => c.notNull())
    .addColumn("delivered_at", time)
    .execute();
  await db.schema.createIndex("deliveries_due").on("deliveries").columns(["status", "next_attempt_at"]).execute();
  await db.schema.createIndex("deliveries_status").on("deliveries").columns(["status", "id"]).execute();
  await db.schema.createIndex("deliveries_message").on("deliveries").column("message_id").execute();

  await db.schema
    .createTable("delivery_attempts")
    .addColumn("delivery_id", time, (c) => c.notNull().references("deliveries.id").onDelete("cascade"))
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("started_at", time, (c) => c.notNull())
    .addColumn("latency_ms", "integer", (c) => c.notNull())
    /** success | retry | failed */
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("status_code", "integer")
    .addColumn("error", "text")
    .addPrimaryKeyConstraint("delivery_attempts_pk", ["delivery_id", "attempt"])
    .execute();
}
