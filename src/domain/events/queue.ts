import type { Insertable, Kysely, Transaction } from "kysely";
import type { Database, DeliveriesTable, SnsMessagesTable } from "../../store/schema.js";
import type { DeliveryPlan } from "../sns/delivery-policy.js";

/** A database handle or an open transaction. */
export type Db = Kysely<Database> | Transaction<Database>;

/** Where a delivery goes and what it belongs to. */
export interface NewDelivery {
  kind: "http" | "lambda";
  destinationKey: string;
  endpoint: string;
  topicArn?: string;
  subscriptionArn?: string;
  plan: DeliveryPlan;
  repositoryId?: string;
  eventId?: number;
  triggerName?: string;
}

/**
 * Writes a message and its deliveries: the durable record the delivery workers work from. Call
 * it inside the transaction that makes the message true (a publish, a subscription, an outbox
 * row's fan-out), so a message exists exactly when its cause does.
 */
export async function enqueue(db: Db, message: Insertable<SnsMessagesTable>, deliveries: NewDelivery[], now = Date.now()): Promise<void> {
  await db.insertInto("sns_messages").values(message).execute();
  const rows: Insertable<DeliveriesTable>[] = deliveries.map((d) => ({
    message_id: message.id,
    kind: d.kind,
    destination_key: d.destinationKey,
    topic_arn: d.topicArn ?? null,
    subscription_arn: d.subscriptionArn ?? null,
    endpoint: d.endpoint,
    repository_id: d.repositoryId ?? null,
    event_id: d.eventId ?? null,
    trigger_name: d.triggerName ?? null,
    status: "pending",
    tries: 0,
    attempts: 0,
    policy: JSON.stringify(d.plan),
    next_attempt_at: now,
    lease_owner: null,
    lease_until: null,
    last_status_code: null,
    last_error: null,
    created_at: now,
    updated_at: now,
    delivered_at: null,
  }));
  // SQLite takes at most 32766 bound values a statement; 21 columns a row
  for (let i = 0; i < rows.length; i += 500) await db.insertInto("deliveries").values(rows.slice(i, i + 500)).execute();
}
