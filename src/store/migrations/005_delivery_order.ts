import type { Kysely } from "kysely";

/**
 * A destination's deliveries go one at a time, in id order: a row is claimed only when no
 * earlier pending row of its destination is waiting for a retry (found through deliveries_due)
 * or leased by another worker. This index finds the leased rows without reading the queue.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("deliveries_leased").on("deliveries").columns(["status", "lease_until"]).execute();
}
