import { sql, type Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import { displayEndpoint } from "../sns/subscriptions.js";

export interface DeliveryView {
  id: number;
  status: string;
  kind: string;
  messageId: string;
  messageType: string;
  endpoint: string;
  topicArn?: string;
  subscriptionArn?: string;
  repositoryId?: string;
  eventId?: number;
  triggerName?: string;
  attempts: number;
  nextAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  createdAt: string;
  deliveredAt?: string;
  attemptLog: Array<{ attempt: number; startedAt: string; latencyMs: number; outcome: string; statusCode?: number; error?: string }>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The delivery log: newest first, with every attempt. */
export async function listDeliveries(db: Kysely<Database>, opts: { status?: string; limit?: number } = {}): Promise<DeliveryView[]> {
  let q = db
    .selectFrom("deliveries")
    .leftJoin("sns_messages", "sns_messages.id", "deliveries.message_id")
    .selectAll("deliveries")
    .select("sns_messages.type as message_type")
    .orderBy("deliveries.id", "desc")
    .limit(opts.limit ?? 100);
  if (opts.status) q = q.where("deliveries.status", "=", opts.status);
  const rows = await q.execute();
  const ids = rows.map((r) => Number(r.id));
  const attempts = ids.length
    ? await db.selectFrom("delivery_attempts").selectAll().where("delivery_id", "in", ids).orderBy("delivery_id").orderBy("attempt").execute()
    : [];
  return rows.map((r) => ({
    id: Number(r.id),
    status: r.status,
    kind: r.kind,
    messageId: r.message_id,
    messageType: r.message_type ?? "",
    endpoint: displayEndpoint(r.endpoint), // a subscription URL may carry a password
    topicArn: r.topic_arn ?? undefined,
    subscriptionArn: r.subscription_arn ?? undefined,
    repositoryId: r.repository_id ?? undefined,
    eventId: r.event_id === null ? undefined : Number(r.event_id),
    triggerName: r.trigger_name ?? undefined,
    attempts: r.attempts,
    nextAttemptAt: r.status === "pending" ? iso(r.next_attempt_at) : undefined,
    lastStatusCode: r.last_status_code ?? undefined,
    lastError: r.last_error ?? undefined,
    createdAt: iso(r.created_at),
    deliveredAt: r.delivered_at ? iso(r.delivered_at) : undefined,
    attemptLog: attempts
      .filter((a) => Number(a.delivery_id) === Number(r.id))
      .map((a) => ({
        attempt: a.attempt,
        startedAt: iso(a.started_at),
        latencyMs: a.latency_ms,
        outcome: a.outcome,
        statusCode: a.status_code ?? undefined,
        error: a.error ?? undefined,
      })),
  }));
}

/**
 * Puts failed deliveries back in the queue for a new round of attempts (same message, same
 * MessageId). `ids` undefined: every failed delivery. Returns how many were requeued.
 */
export async function redeliver(db: Kysely<Database>, ids?: number[]): Promise<number> {
  const now = Date.now();
  let q = db
    .updateTable("deliveries")
    .set({ status: "pending", tries: 0, next_attempt_at: now, lease_owner: null, lease_until: null, updated_at: now })
    .where("status", "=", "failed");
  if (ids) {
    if (!ids.length) return 0;
    q = q.where("id", "in", ids);
  }
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Forgets delivered (and cancelled) deliveries older than the retention, and their messages. */
export async function sweepDeliveries(db: Kysely<Database>, retentionMs: number): Promise<void> {
  const cutoff = Date.now() - retentionMs;
  const old = db.selectFrom("deliveries").select("id").where("status", "in", ["delivered", "cancelled"]).where("updated_at", "<", cutoff);
  await db.deleteFrom("delivery_attempts").where("delivery_id", "in", old).execute();
  await db.deleteFrom("deliveries").where("status", "in", ["delivered", "cancelled"]).where("updated_at", "<", cutoff).execute();
  await db
    .deleteFrom("sns_messages")
    .where("created_at", "<", cutoff)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom("deliveries").select(sql.lit(1).as("one")).whereRef("deliveries.message_id", "=", "sns_messages.id"))))
    .execute();
}
