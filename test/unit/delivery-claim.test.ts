import type { Insertable } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claimDue } from "../../src/domain/events/claim.js";
import { openStore, type Store } from "../../src/store/db.js";
import type { DeliveriesTable } from "../../src/store/schema.js";
import { tmpDir } from "../helpers/server.js";

/** Which rows claimDue gives a worker, on a real (SQLite) store: the ordering rules one by one. */
describe("claimDue", () => {
  let store: Store;
  const now = Date.now();
  beforeEach(async () => {
    store = await openStore({ dataDir: tmpDir("claim") });
  });
  afterEach(async () => {
    await store.close();
  });

  /** Queues one row per [destination, overrides] in order; returns their ids. */
  async function queue(...rows: Array<[string, Partial<Insertable<DeliveriesTable>>?]>): Promise<number[]> {
    const ids: number[] = [];
    for (const [key, over] of rows) {
      const r = await store.db
        .insertInto("deliveries")
        .values({
          message_id: `m${ids.length}`, kind: "http", destination_key: key, topic_arn: null, subscription_arn: null, endpoint: "http://127.0.0.1:9/",
          repository_id: null, event_id: null, trigger_name: null, status: "pending", tries: 0, attempts: 0, policy: "{}", next_attempt_at: now,
          lease_owner: null, lease_until: null, last_status_code: null, last_error: null, created_at: now, updated_at: now, delivered_at: null,
          ...over,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      ids.push(Number(r.id));
    }
    return ids;
  }
  const claim = async (owner = "me", opts: { limit?: number; skip?: string[] } = {}) =>
    (await claimDue(store.db, "sqlite", { owner, now, leaseMs: 60_000, limit: opts.limit ?? 100, skip: opts.skip ?? [] })).map((r) => Number(r.id));
  const leasedBy = (owner: string) => ({ lease_owner: owner, lease_until: now + 60_000 });

  it("takes every due row of free destinations, oldest first, and leases them", async () => {
    const ids = await queue(["a"], ["b"], ["a"], ["b"]);
    expect(await claim()).toEqual(ids);
    expect(await claim("other")).toEqual([]); // leased now
    const leases = await store.db.selectFrom("deliveries").select(["lease_owner", "lease_until"]).execute();
    expect(leases.every((l) => l.lease_owner === "me" && l.lease_until === now + 60_000)).toBe(true);
  });

  it("holds a destination's later rows behind one waiting for its retry, and only that destination's", async () => {
    const [, , b1, , b2] = await queue(["a", { next_attempt_at: now + 5000, tries: 1 }], ["a"], ["b"], ["a"], ["b"]);
    expect(await claim()).toEqual([b1, b2]);
  });

  it("holds them behind rows another worker has leased, but not behind this worker's own", async () => {
    const [, a2, , b2] = await queue(["a", leasedBy("other")], ["a"], ["b", leasedBy("me")], ["b"]);
    expect(await claim()).toEqual([b2]);
    expect(await claim("other")).toEqual([a2]);
  });

  it("lets rows go past an expired lease (a dead worker's) and past rows that ended failed, delivered or cancelled", async () => {
    const [a1, a2] = await queue(
      ["a", { lease_owner: "dead", lease_until: now - 1 }],
      ["a"],
      ["b", { status: "failed" }],
      ["c", { status: "delivered" }],
      ["d", { status: "cancelled" }],
    );
    const [b2, c2, d2] = await queue(["b"], ["c"], ["d"]);
    expect(await claim()).toEqual([a1, a2, b2, c2, d2]);
  });

  it("puts a redelivered row first: newer rows wait while it waits for a retry", async () => {
    const [old, newer] = await queue(["a", { status: "failed", attempts: 4, tries: 4 }], ["a"]);
    // redelivered (status pending again) and then retried: not due for a while
    await store.db.updateTable("deliveries").set({ status: "pending", tries: 1, next_attempt_at: now + 5000 }).where("id", "=", old).execute();
    expect(await claim()).toEqual([]);
    await store.db.updateTable("deliveries").set({ next_attempt_at: now }).where("id", "=", old).execute();
    expect(await claim()).toEqual([old, newer]);
  });

  it("skips the destinations it is told to, and stops at the limit", async () => {
    const [a1, , a2, , c1] = await queue(["a"], ["b"], ["a"], ["b"], ["c"]);
    expect(await claim("me", { skip: ["b"], limit: 2 })).toEqual([a1, a2]);
    expect(await claim("me", { skip: ["b"] })).toEqual([c1]);
  });
});
