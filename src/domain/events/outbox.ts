import type { Kysely, Selectable, Transaction } from "kysely";
import type { Logger } from "../../log.js";
import type { Engine } from "../../store/db.js";
import type { Database, RefEventsTable } from "../../store/schema.js";

export type RefEventRow = Selectable<RefEventsTable>;

/**
 * One reader of the ref_events outbox (triggers, pull requests, …). It sees every row once, in
 * id order, at least once and in effect exactly once: what it writes commits in the transaction
 * that moves its cursor past the rows.
 */
export interface OutboxConsumer {
  readonly name: string;
  /**
   * Works out what a batch of rows means; work that needs no transaction (reading git) belongs
   * here. The function returned runs inside the transaction that advances the cursor, so the
   * consumer's writes and its progress commit together or not at all.
   */
  handle(rows: RefEventRow[]): Promise<(trx: Transaction<Database>) => Promise<void>>;
  /** told after a batch committed (wake a worker that delivers what it queued) */
  afterCommit?(): void;
}

const BATCH = 100;

/**
 * Runs each consumer over the outbox, each at its own pace (a slow reader holds up no other).
 * Several processes on one PostgreSQL database may run the same consumer: each reads and
 * prepares a batch from the cursor it saw, and only the first to lock the cursor row while it
 * still says so writes; the others find it moved and start over from there.
 */
export class Outbox {
  private readonly loops: ConsumerLoop[];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    log: Logger,
    consumers: OutboxConsumer[],
    pollMs = 1000,
  ) {
    this.loops = consumers.map((c) => new ConsumerLoop(db, engine, log, c, pollMs));
  }

  /** Makes each consumer's cursor (a new consumer starts at the end of the outbox), then runs them. */
  async start(): Promise<void> {
    for (const loop of this.loops) await ensureCursor(this.db, loop.consumer.name);
    for (const loop of this.loops) loop.start();
  }

  wake(): void {
    for (const loop of this.loops) loop.wake();
  }

  async stop(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop()));
  }

  /** Runs every consumer until it has caught up (tests and benchmarks; the loops do this on their own). */
  async drain(): Promise<void> {
    for (const loop of this.loops) while ((await runBatch(this.db, this.engine, loop.consumer)) > 0);
  }
}

async function ensureCursor(db: Kysely<Database>, consumer: string): Promise<void> {
  const last = await db.selectFrom("ref_events").select((eb) => eb.fn.max("id").as("id")).executeTakeFirst();
  await db
    .insertInto("outbox_cursors")
    .values({ consumer, position: Number(last?.id ?? 0), updated_at: Date.now() })
    .onConflict((oc) => oc.column("consumer").doNothing())
    .execute();
}

/** One batch of one consumer; returns how many rows it handled (0: caught up, or another process had them). */
export async function runBatch(db: Kysely<Database>, engine: Engine, consumer: OutboxConsumer): Promise<number> {
  const cursor = await db.selectFrom("outbox_cursors").select("position").where("consumer", "=", consumer.name).executeTakeFirstOrThrow();
  const from = Number(cursor.position);
  const rows = await db.selectFrom("ref_events").selectAll().where("id", ">", from).orderBy("id").limit(BATCH).execute();
  if (!rows.length) return 0;
  const write = await consumer.handle(rows);
  const to = rows[rows.length - 1]!.id;
  const done = await db.transaction().execute(async (trx) => {
    let q = trx.selectFrom("outbox_cursors").select("position").where("consumer", "=", consumer.name);
    if (engine === "postgres") q = q.forUpdate();
    const now = await q.executeTakeFirstOrThrow();
    if (Number(now.position) !== from) return false;
    await write(trx);
    await trx.updateTable("outbox_cursors").set({ position: to, updated_at: Date.now() }).where("consumer", "=", consumer.name).execute();
    return true;
  });
  if (!done) return 0;
  consumer.afterCommit?.();
  return rows.length;
}

/** Wakes on new rows, polls meanwhile (rows written by another process arrive by the relay or the poll). */
class ConsumerLoop {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly log: Logger,
    readonly consumer: OutboxConsumer,
    private readonly pollMs: number,
  ) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = (async () => {
      try {
        while (!this.stopped && (await runBatch(this.db, this.engine, this.consumer)) > 0);
      } catch (e) {
        this.log.error({ err: e, consumer: this.consumer.name }, "could not handle ref events; will try again");
      }
    })().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.wake();
      } else if (!this.stopped) {
        this.timer = setTimeout(() => this.wake(), this.pollMs);
        this.timer.unref();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
