import { sql, type Kysely } from "kysely";
import type { Engine } from "../db.js";

/**
 * The ref_events outbox gets several readers (triggers, pull requests, and later artifacts,
 * mirrors, webhooks), each with its own cursor: the id of the last row it has handled. Rows
 * are written in id order (a lock from the insert to the commit on PostgreSQL, one writer on
 * SQLite), so a reader that has handled every row up to its cursor has seen all of them.
 *
 * The triggers' reader starts where the old per-row `dispatched_at` left off; the column goes.
 * Readers that come later start at the end of the outbox when they first run.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const id = engine === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("outbox_cursors")
    .addColumn("consumer", "text", (c) => c.primaryKey())
    .addColumn("position", id, (c) => c.notNull())
    .addColumn("updated_at", id, (c) => c.notNull())
    .execute();
  await sql`
    insert into outbox_cursors (consumer, position, updated_at)
    select 'triggers',
           coalesce((select min(id) - 1 from ref_events where dispatched_at is null), (select max(id) from ref_events), 0),
           ${Date.now()}`.execute(db);
  await db.schema.dropIndex("ref_events_undispatched").execute();
  await db.schema.alterTable("ref_events").dropColumn("dispatched_at").execute();
}
