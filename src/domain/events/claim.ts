import type { Kysely, Selectable } from "kysely";
import { lockInTransaction, type Engine } from "../../store/db.js";
import type { Database, DeliveriesTable } from "../../store/schema.js";

export type DeliveryRow = Selectable<DeliveriesTable>;

export interface ClaimRequest {
  /** the claiming worker: its own leases do not hold its later rows back */
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
  /** destinations not to claim for now (their worker queue is full, or a retry is being written) */
  skip: string[];
}

/** Claims on PostgreSQL take turns (see claimDue): one advisory lock for all of them. */
const CLAIM_LOCK = "headwater.deliveries:claim";

/**
 * Leases the due rows that may be sent now, oldest first, and returns them in id order.
 *
 * A destination's messages go one at a time in id order, so a row is claimable only when no
 * earlier pending row of the same destination holds it back: one waiting for its retry (not due
 * yet), or one leased by another worker (being sent there). Earlier rows leased by this worker
 * do not hold it back: they are ahead of it in this worker's in-order queue for the destination,
 * which a later row simply joins; nor do earlier rows claimed in this same call. A row whose
 * earlier row ended failed or cancelled is free to go.
 *
 * The check is a join with each destination's first holding row (`holders`), found from the
 * holding rows alone: those not due (at most about one a destination, the message being
 * retried) through deliveries_due, and those leased through deliveries_leased (at most what the
 * workers hold in memory). A NOT EXISTS over each candidate's earlier rows reads the same
 * answer but visits every earlier pending row of the destination for every candidate: with a
 * backlog, quadratic (seconds a claim for 10,000 queued rows).
 *
 * On PostgreSQL claims from all processes take turns under a transaction-scoped advisory lock:
 * the check locks nothing, so two claims side by side could each see the other's rows as free
 * and send to one destination at once. FOR UPDATE SKIP LOCKED still keeps a claim from waiting
 * on rows that an outcome write has locked (those are leased, so they hold back their
 * destination's later rows anyway).
 */
export async function claimDue(db: Kysely<Database>, engine: Engine, req: ClaimRequest): Promise<DeliveryRow[]> {
  const { owner, now } = req;
  return db.transaction().execute(async (trx) => {
    await lockInTransaction(trx, engine, CLAIM_LOCK);
    let q = trx
      .with("holding", (w) =>
        w
          .selectFrom("deliveries")
          .select(["destination_key", "id"])
          .where("status", "=", "pending")
          .where("next_attempt_at", ">", now)
          .unionAll(
            w
              .selectFrom("deliveries")
              .select(["destination_key", "id"])
              .where("status", "=", "pending")
              .where("lease_until", ">=", now)
              .where("lease_owner", "!=", owner),
          ),
      )
      .with("holders", (w) =>
        w
          .selectFrom("holding")
          .select(["destination_key", (eb) => eb.fn.min("id").as("first_id")])
          .groupBy("destination_key"),
      )
      .selectFrom("deliveries as d")
      .leftJoin("holders as h", "h.destination_key", "d.destination_key")
      .select("d.id")
      .where("d.status", "=", "pending")
      .where("d.next_attempt_at", "<=", now)
      .where((eb) => eb.or([eb("d.lease_until", "is", null), eb("d.lease_until", "<", now)]))
      .where((eb) => eb.or([eb("h.first_id", "is", null), eb("d.id", "<", eb.ref("h.first_id"))]))
      .orderBy("d.id")
      .limit(req.limit);
    if (req.skip.length) q = q.where("d.destination_key", "not in", req.skip);
    if (engine === "postgres") q = q.forUpdate("d").skipLocked();
    const ids = (await q.execute()).map((r) => Number(r.id));
    if (!ids.length) return [];
    await trx.updateTable("deliveries").set({ lease_owner: owner, lease_until: now + req.leaseMs }).where("id", "in", ids).execute();
    return trx.selectFrom("deliveries").selectAll().where("id", "in", ids).orderBy("id").execute();
  });
}
