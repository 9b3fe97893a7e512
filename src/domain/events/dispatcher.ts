import type { Kysely, Selectable, Transaction } from "kysely";
import type { Logger } from "../../log.js";
import type { Engine } from "../../store/db.js";
import type { Database, RefEventsTable } from "../../store/schema.js";
import { partitionOf, repositoryArn } from "../repos/arn.js";
import { publishToTopic } from "../sns/publish.js";
import { findTopic, type Topic } from "../sns/topics.js";
import { functionUrl } from "./functions.js";
import { eventDocuments, matchingReferences, triggerSubject } from "./records.js";
import type { RefChange } from "./ref-ledger.js";
import { queueLambda, triggersOf, type TriggerConfiguration } from "./triggers.js";

const BATCH = 100;

/**
 * Fans the ref_events outbox out to repository triggers: for each row, in id order, every
 * trigger whose branch and event filters match gets CodeCommit's event, published to its topic
 * (one delivery per confirmed subscription) or queued for its Lambda endpoint. The deliveries
 * and the row's `dispatched_at` are written in one transaction, so a crash repeats nothing and
 * loses nothing. On PostgreSQL rows are taken FOR UPDATE SKIP LOCKED, and a repository's rows
 * are only taken when no earlier row of it is still waiting, so each repository's events go
 * out in order whichever process fans them out.
 */
export class EventDispatcher {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly where: { region: string; accountId: string },
    private readonly log: Logger,
    /** told when deliveries were queued */
    private readonly queued: () => void,
    private readonly pollMs = 1000,
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
        while (!this.stopped && (await this.dispatchBatch()) > 0) this.queued();
      } catch (e) {
        this.log.error({ err: e }, "could not fan out ref events; will try again");
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

  /** Fans out one batch; returns how many rows it dispatched. */
  async dispatchBatch(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom("ref_events").selectAll().where("dispatched_at", "is", null).orderBy("id").limit(BATCH);
      if (this.engine === "postgres") q = q.forUpdate().skipLocked();
      let rows = await q.execute();
      if (!rows.length) return 0;
      if (this.engine === "postgres") rows = await this.inOrder(trx, rows);
      const triggers = new Map<string, TriggerConfiguration>();
      const topics = new Map<string, Topic | undefined>();
      for (const row of rows) await this.fanOut(trx, row, triggers, topics);
      const ids = rows.map((r) => r.id);
      if (ids.length) await trx.updateTable("ref_events").set({ dispatched_at: Date.now() }).where("id", "in", ids).execute();
      return ids.length;
    });
  }

  /** Drops the rows of repositories that have an earlier row still waiting (locked elsewhere). */
  private async inOrder(trx: Transaction<Database>, rows: Selectable<RefEventsTable>[]): Promise<Selectable<RefEventsTable>[]> {
    const repos = [...new Set(rows.map((r) => r.repository_id))];
    const firsts = await trx
      .selectFrom("ref_events")
      .select(["repository_id", (eb) => eb.fn.min("id").as("first")])
      .where("dispatched_at", "is", null)
      .where("repository_id", "in", repos)
      .groupBy("repository_id")
      .execute();
    const ours = new Map<string, number>();
    for (const r of rows) if (!ours.has(r.repository_id)) ours.set(r.repository_id, r.id);
    const blocked = new Set(firsts.filter((f) => Number(f.first) < ours.get(f.repository_id)!).map((f) => f.repository_id));
    return rows.filter((r) => !blocked.has(r.repository_id));
  }

  private async fanOut(
    trx: Transaction<Database>,
    row: Selectable<RefEventsTable>,
    triggers: Map<string, TriggerConfiguration>,
    topics: Map<string, Topic | undefined>,
  ): Promise<void> {
    let cfg = triggers.get(row.repository_id);
    if (!cfg) {
      cfg = await triggersOf(trx, row.repository_id);
      triggers.set(row.repository_id, cfg);
    }
    if (!cfg.triggers.length) return;
    const changes = JSON.parse(row.refs) as RefChange[];
    const { region, accountId } = this.where;
    for (const trigger of cfg.triggers) {
      const refs = matchingReferences(trigger, changes);
      if (!refs.length) continue;
      const docs = eventDocuments(
        {
          region,
          repositoryArn: repositoryArn(region, accountId, row.repository_name),
          // a change found by start-up repair has no known author: the account's
          userIdentityArn: row.actor_arn || `arn:${partitionOf(region)}:iam::${accountId}:root`,
          time: row.created_at,
          trigger,
          configurationId: cfg.configurationId ?? "",
        },
        refs,
      );
      const origin = { repositoryId: row.repository_id, eventId: row.id, triggerName: trigger.name };
      if (trigger.destinationArn.split(":")[2] === "lambda") {
        const url = await functionUrl(trx, trigger.destinationArn);
        if (!url) {
          this.log.warn({ repository: row.repository_name, trigger: trigger.name, destination: trigger.destinationArn }, "trigger destination has no registered function endpoint; event not sent");
          continue;
        }
        for (const doc of docs) await queueLambda(trx, trigger.destinationArn, url, doc, origin);
        continue;
      }
      if (!topics.has(trigger.destinationArn)) topics.set(trigger.destinationArn, await findTopic(trx, trigger.destinationArn));
      const topic = topics.get(trigger.destinationArn);
      if (!topic) {
        this.log.warn({ repository: row.repository_name, trigger: trigger.name, destination: trigger.destinationArn }, "trigger destination topic no longer exists; event not sent");
        continue;
      }
      for (const doc of docs) await publishToTopic(trx, topic, { subject: triggerSubject(region, row.repository_name), message: doc }, origin);
    }
  }
}
