import crypto from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { Logger } from "../../log.js";
import type { Engine } from "../../store/db.js";
import type { Database, SnsMessagesTable, SnsSubscriptionsTable } from "../../store/schema.js";
import { unsubscribeUrl, type PublicUrls } from "../sns/common.js";
import { planDelays, type DeliveryPlan } from "../sns/delivery-policy.js";
import { bodyFor } from "../sns/publish.js";
import { displayEndpoint } from "../sns/subscriptions.js";
import { renderEnvelope, stringToSign, type EnvelopeFields, type SnsSigner } from "../sns/signer.js";
import { claimDue, type DeliveryRow } from "./claim.js";
import { HeldDestinations } from "./held-destinations.js";
import type { OutboundRequest, Sender } from "./sender.js";
import { DestinationThrottle } from "./throttle.js";

export interface DeliveryWorkerOptions {
  engine: Engine;
  /** multiplies every retry delay (1 in production; small in tests) */
  delayScale: number;
  /** per-attempt deadline (SNS: 15 s) */
  timeoutMs: number;
  /** most destinations being sent to at once */
  concurrency: number;
  /** how long a claimed row stays ours without a renewal */
  leaseMs: number;
  /** how often to look for due rows when nothing wakes the worker */
  pollMs: number;
}

interface Claimed {
  row: DeliveryRow;
  plan: DeliveryPlan;
  message: Selectable<SnsMessagesTable>;
  subscription?: Pick<SnsSubscriptionsTable, "arn" | "status" | "protocol" | "attributes">;
}

type Outcome = "success" | "retry" | "failed" | "cancelled";

interface Result {
  claimed: Claimed;
  outcome: Outcome;
  startedAt: number;
  latencyMs: number;
  status?: number;
  error?: string;
}

/** Claimed rows handed back unsent (their leases cleared), because a retry holds their destination. */
interface GiveBack {
  key: string;
  ids: number[];
}

/** What one outcome write records. */
interface Batch {
  results: Result[];
  giveBacks: GiveBack[];
}

/** Most rows held in memory, and most queued for one destination. */
const CAPACITY = 2000;
const PER_DESTINATION = 200;
const FLUSH_DELAY_MS = 25;

/**
 * Delivers queued messages: claims due rows (a lease; see claimDue for which rows may go), sends
 * each destination's messages one at a time and in order, records every attempt, and schedules
 * retries by the row's delivery policy. A message to be retried holds back its destination's
 * later messages until it is delivered or has failed for good, so each destination gets its
 * messages in order. A row whose retries are used up is left `failed`, visible and
 * redeliverable. Outcomes are written in batches; a crash before they are written only means
 * the message is sent again (at least once), with the same MessageId.
 */
export class DeliveryWorker {
  readonly owner = `${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
  private readonly queues = new Map<string, Claimed[]>();
  private held = 0;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private results: Result[] = [];
  private giveBacks: GiveBack[] = [];
  private readonly heldBack = new HeldDestinations();
  private readonly throttle = new DestinationThrottle();
  private flushing: Promise<void> | null = null;
  private claiming: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly signer: SnsSigner,
    private readonly urls: PublicUrls,
    private readonly send: Sender,
    private readonly log: Logger,
    private readonly opts: DeliveryWorkerOptions,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    // SQLite has one server process: whatever a previous process held is free now. On
    // PostgreSQL, leases of a process that died run out on their own.
    if (this.opts.engine === "sqlite") {
      await this.db.updateTable("deliveries").set({ lease_owner: null, lease_until: null }).where("lease_owner", "is not", null).execute();
    }
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(1000, this.opts.leaseMs / 3));
    this.heartbeat.unref();
    this.wake();
  }

  /** Something was queued, or a destination has room again: look for work now. */
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.claiming = this.claim()
      .catch((e) => {
        this.log.error({ err: e }, "could not claim deliveries");
        return false;
      })
      .then((more) => {
        this.claiming = null;
        if (this.again || more) {
          this.again = false;
          this.wake();
        } else void this.schedule();
      });
  }

  /** Sleeps until the next retry falls due (or the poll interval, whichever is first). */
  private async schedule(): Promise<void> {
    if (this.stopped) return;
    let delay = this.opts.pollMs;
    try {
      const next = await this.db
        .selectFrom("deliveries")
        .select((eb) => eb.fn.min("next_attempt_at").as("t"))
        .where("status", "=", "pending")
        .where("next_attempt_at", ">", Date.now())
        .executeTakeFirst();
      const t = next?.t === null || next?.t === undefined ? undefined : Number(next.t);
      if (t !== undefined) delay = Math.max(0, Math.min(delay, t - Date.now()));
    } catch {
      /* the poll will do */
    }
    if (this.stopped || this.claiming) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  /** Claims due rows into the destination queues; true when there may be more to claim now. */
  private async claim(): Promise<boolean> {
    const room = CAPACITY - this.held;
    if (room <= 0) return false;
    const saturated = [...this.queues].filter(([, q]) => q.length >= PER_DESTINATION).map(([k]) => k);
    const limit = Math.min(room, 500);
    const claimed = await claimDue(this.db, this.opts.engine, {
      owner: this.owner,
      now: Date.now(),
      leaseMs: this.opts.leaseMs,
      limit,
      skip: [...saturated, ...this.heldBack.claimStarting()],
    });
    if (!claimed.length) return false;

    const messageIds = [...new Set(claimed.map((r) => r.message_id))];
    const subArns = [...new Set(claimed.map((r) => r.subscription_arn).filter((a): a is string => !!a))];
    const messages = new Map<string, Selectable<SnsMessagesTable>>();
    for (let i = 0; i < messageIds.length; i += 500) {
      for (const m of await this.db.selectFrom("sns_messages").selectAll().where("id", "in", messageIds.slice(i, i + 500)).execute()) messages.set(m.id, m);
    }
    const subs = new Map<string, Claimed["subscription"]>();
    for (let i = 0; i < subArns.length; i += 500) {
      const rows = await this.db
        .selectFrom("sns_subscriptions")
        .select(["arn", "status", "protocol", "attributes"])
        .where("arn", "in", subArns.slice(i, i + 500))
        .execute();
      for (const s of rows) subs.set(s.arn, s);
    }
    const givenBack = new Map<string, number[]>();
    for (const row of claimed) {
      const key = row.destination_key;
      // held while this claim ran: its query saw the retrying row still leased by us
      if (this.heldBack.heldSinceClaimStarted(key)) {
        givenBack.set(key, [...(givenBack.get(key) ?? []), row.id]);
        continue;
      }
      const message = messages.get(row.message_id);
      const c: Claimed = {
        row,
        plan: JSON.parse(row.policy) as DeliveryPlan,
        message: message ?? ({ id: row.message_id, type: "Missing" } as Selectable<SnsMessagesTable>),
        subscription: row.subscription_arn ? subs.get(row.subscription_arn) : undefined,
      };
      this.held++;
      const queue = this.queues.get(key);
      if (queue) queue.push(c);
      else {
        this.queues.set(key, [c]);
        void this.runDestination(key);
      }
    }
    for (const [key, ids] of givenBack) this.giveBack(key, ids);
    return claimed.length >= limit;
  }

  /** Sends one destination's messages, one at a time, in order. */
  private async runDestination(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    while (queue.length) {
      // only this loop takes from the queue: its head stays the same across the waits
      const c = queue[0]!;
      await this.throttle.turn(key, c.plan.maxReceivesPerSecond);
      await this.permit();
      if (this.stopped) {
        this.release();
        break;
      }
      let result: Result;
      try {
        result = await this.deliver(c);
      } catch (e) {
        result = { claimed: c, outcome: "retry", startedAt: Date.now(), latencyMs: 0, error: (e as Error).message };
      } finally {
        this.release();
      }
      queue.shift();
      this.held--;
      this.record(result);
      if (result.outcome === "retry") {
        // The rest waits for this one: handed back unsent, their leases cleared in the write
        // that records the retry (they stay behind it), claimed again once it is due.
        const rest = queue.splice(0);
        this.held -= rest.length;
        if (rest.length) this.giveBack(key, rest.map((r) => r.row.id));
        break;
      }
      if (this.stopped) break;
    }
    // after a stop, what is left in the queue stays pending; its lease is released in stop()
    this.queues.delete(key);
    if (!this.stopped) this.wake();
    if (this.active === 0 && this.queues.size === 0) for (const f of this.idle) f();
  }

  private record(result: Result): void {
    this.results.push(result);
    if (result.outcome === "retry") this.heldBack.hold(result.claimed.row.destination_key);
    this.flushSoon();
  }

  private giveBack(key: string, ids: number[]): void {
    this.giveBacks.push({ key, ids });
    this.heldBack.hold(key);
    this.flushSoon();
  }

  /** Takes what is waiting to be written. */
  private takeBatch(): Batch {
    const batch = { results: this.results, giveBacks: this.giveBacks };
    this.results = [];
    this.giveBacks = [];
    return batch;
  }

  /** A batch is written: the destinations it held may be claimed again (the database holds them now). */
  private written(batch: Batch): void {
    for (const r of batch.results) if (r.outcome === "retry") this.heldBack.written(r.claimed.row.destination_key);
    for (const g of batch.giveBacks) this.heldBack.written(g.key);
  }

  private permit(): Promise<void> {
    if (this.active < this.opts.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.active++;
        resolve();
      }),
    );
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  /** Builds and sends one delivery; decides what its outcome means. */
  private async deliver(c: Claimed): Promise<Result> {
    const { row, message } = c;
    const startedAt = Date.now();
    if (message.type === "Missing") return { claimed: c, outcome: "failed", startedAt, latencyMs: 0, error: "the message is gone" };
    if (message.type === "Notification" && c.subscription?.status !== "confirmed") {
      return { claimed: c, outcome: "cancelled", startedAt, latencyMs: 0, error: "the subscription was removed before delivery" };
    }
    if (row.kind === "http" && message.type !== "Notification" && !c.subscription) {
      return { claimed: c, outcome: "cancelled", startedAt, latencyMs: 0, error: "the subscription (or its topic) was deleted before delivery" };
    }
    const req = this.request(c);
    this.throttle.sent(row.destination_key, c.plan.maxReceivesPerSecond);
    const r = await this.send(req);
    const retries = planDelays(c.plan);
    let outcome: Outcome;
    if (r.status !== undefined && r.status >= 200 && r.status < 400) outcome = "success";
    else if (r.status !== undefined && r.status >= 400 && r.status < 500 && r.status !== 429) outcome = "failed"; // a client error is not retried (SNS)
    else outcome = row.tries + 1 <= retries.length ? "retry" : "failed";
    return {
      claimed: c,
      outcome,
      startedAt,
      latencyMs: r.latencyMs,
      status: r.status,
      error: r.error ?? (outcome === "success" ? undefined : `HTTP ${r.status}`),
    };
  }

  private request(c: Claimed): OutboundRequest {
    const { row, message, plan } = c;
    const headers: Record<string, string> = { "content-type": plan.contentType };
    if (row.kind === "lambda") {
      return { url: row.endpoint, headers: { "content-type": "application/json", "user-agent": "Headwater Lambda Endpoint Invoker" }, body: message.message, timeoutMs: this.opts.timeoutMs };
    }
    headers["x-amz-sns-message-type"] = message.type;
    headers["x-amz-sns-message-id"] = message.id;
    headers["x-amz-sns-topic-arn"] = message.topic_arn ?? "";
    if (message.type !== "SubscriptionConfirmation" && row.subscription_arn) headers["x-amz-sns-subscription-arn"] = row.subscription_arn;
    headers["user-agent"] = "Amazon Simple Notification Service Agent";
    headers["accept-encoding"] = "gzip,deflate";
    const protocol = c.subscription?.protocol ?? (row.endpoint.startsWith("https:") ? "https" : "http");
    const protocolMessages = message.protocol_messages ? (JSON.parse(message.protocol_messages) as { http?: string; https?: string }) : undefined;
    const body = bodyFor({ message: message.message, protocolMessages }, protocol);
    if (message.type === "Notification") {
      const attrs = c.subscription ? (JSON.parse(c.subscription.attributes) as Record<string, string>) : {};
      if (attrs.RawMessageDelivery === "true") {
        headers["x-amz-sns-rawdelivery"] = "true";
        return { url: row.endpoint, headers, body, timeoutMs: this.opts.timeoutMs };
      }
    }
    const fields: EnvelopeFields = {
      Type: message.type,
      MessageId: message.id,
      Token: message.token ?? undefined,
      TopicArn: message.topic_arn ?? "",
      Subject: message.subject ?? undefined,
      Message: body,
      SubscribeURL: message.subscribe_url ?? undefined,
      Timestamp: message.timestamp,
      SignatureVersion: message.signature_version,
      UnsubscribeURL: message.type === "Notification" && row.subscription_arn ? unsubscribeUrl(this.urls.base(), row.subscription_arn) : undefined,
      MessageAttributes: message.message_attributes ? (JSON.parse(message.message_attributes) as EnvelopeFields["MessageAttributes"]) : undefined,
    };
    const signature = this.signer.sign(stringToSign(fields), message.signature_version, `${message.id}:${protocol}`);
    return {
      url: row.endpoint,
      headers,
      body: renderEnvelope(fields, signature, `${this.urls.base()}/${this.signer.certFileName}`),
      timeoutMs: this.opts.timeoutMs,
    };
  }

  /**
   * Outcomes are written together, a few milliseconds after the first of them: one transaction
   * (one fsync) for many deliveries instead of one each.
   */
  private flushSoon(): void {
    if (this.flushing) return;
    this.flushing = (async () => {
      await new Promise((r) => setTimeout(r, FLUSH_DELAY_MS));
      while (this.results.length || this.giveBacks.length) {
        const batch = this.takeBatch();
        try {
          await this.write(batch);
          this.written(batch);
        } catch (e) {
          // Kept and tried again: dropping them would leave their rows leased by this worker
          // (and renewed) for as long as it stays busy. Once stopped, the leases run out and
          // another worker (or the next start) delivers them again.
          if (this.stopped) {
            this.log.error({ err: e, count: batch.results.length }, "could not record delivery outcomes; they will be delivered again");
            break;
          }
          this.log.error({ err: e, count: batch.results.length }, "could not record delivery outcomes; trying again in a second");
          await new Promise((r) => setTimeout(r, 1000));
          this.results.unshift(...batch.results);
          this.giveBacks.unshift(...batch.giveBacks);
          break;
        }
      }
    })().finally(() => {
      this.flushing = null;
      if (this.results.length || this.giveBacks.length) this.flushSoon();
    });
  }

  private async write({ results: batch, giveBacks }: Batch): Promise<void> {
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
      const attempts = batch
        .filter((r) => r.outcome !== "cancelled")
        .map((r) => ({
          delivery_id: r.claimed.row.id,
          attempt: r.claimed.row.attempts + 1,
          started_at: r.startedAt,
          latency_ms: r.latencyMs,
          outcome: r.outcome,
          status_code: r.status ?? null,
          error: r.error ?? null,
        }));
      for (let i = 0; i < attempts.length; i += 500) {
        await trx
          .insertInto("delivery_attempts")
          .values(attempts.slice(i, i + 500))
          .onConflict((oc) => oc.columns(["delivery_id", "attempt"]).doNothing())
          .execute();
      }
      // successes (nearly everything): one statement per status code
      const delivered = new Map<number, number[]>();
      for (const r of batch) {
        if (r.outcome !== "success") continue;
        const ids = delivered.get(r.status!) ?? [];
        ids.push(r.claimed.row.id);
        delivered.set(r.status!, ids);
      }
      for (const [status, ids] of delivered) {
        for (let i = 0; i < ids.length; i += 500) {
          await trx
            .updateTable("deliveries")
            .set((eb) => ({
              status: "delivered",
              tries: eb("tries", "+", 1),
              attempts: eb("attempts", "+", 1),
              lease_owner: null,
              lease_until: null,
              last_status_code: status,
              last_error: null,
              updated_at: now,
              delivered_at: now,
            }))
            .where("id", "in", ids.slice(i, i + 500))
            .execute();
        }
      }
      for (const r of batch) {
        if (r.outcome === "success") continue;
        const { row, plan } = r.claimed;
        const delayMs = r.outcome === "retry" ? Math.round((planDelays(plan)[row.tries] ?? 0) * 1000 * this.opts.delayScale) : 0;
        await trx
          .updateTable("deliveries")
          .set({
            status: r.outcome === "retry" ? "pending" : r.outcome,
            tries: r.outcome === "cancelled" ? row.tries : row.tries + 1,
            attempts: r.outcome === "cancelled" ? row.attempts : row.attempts + 1,
            next_attempt_at: r.outcome === "retry" ? now + delayMs : row.next_attempt_at,
            lease_owner: null,
            lease_until: null,
            last_status_code: r.status ?? null,
            last_error: r.error ?? null,
            updated_at: now,
          })
          .where("id", "=", row.id)
          .execute();
        if (r.outcome === "failed") {
          this.log.warn({ deliveryId: row.id, endpoint: displayEndpoint(row.endpoint), attempts: row.attempts + 1, error: r.error }, "delivery failed for good; kept in the failed list");
        }
      }
      // in the transaction that writes the retry holding them back, so no claim sees them free
      // before it sees the retry's next_attempt_at
      const handedBack = giveBacks.flatMap((g) => g.ids);
      for (let i = 0; i < handedBack.length; i += 500) {
        await trx
          .updateTable("deliveries")
          .set({ lease_owner: null, lease_until: null })
          .where("id", "in", handedBack.slice(i, i + 500))
          .where("lease_owner", "=", this.owner)
          .where("status", "=", "pending")
          .execute();
      }
    });
    if (batch.some((r) => r.outcome === "retry")) void this.schedule();
  }

  private async renewLeases(): Promise<void> {
    if (this.stopped || this.held === 0) return;
    try {
      await this.db
        .updateTable("deliveries")
        .set({ lease_until: Date.now() + this.opts.leaseMs })
        .where("lease_owner", "=", this.owner)
        .where("status", "=", "pending")
        .execute();
    } catch (e) {
      this.log.warn({ err: e }, "could not renew delivery leases");
    }
  }

  /** Stops claiming, lets sends under way finish (up to `graceMs`), records them, frees the rest. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    await this.claiming;
    if (this.active > 0 || this.queues.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        this.idle.add(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    while (this.flushing) await this.flushing;
    if (this.results.length || this.giveBacks.length) await this.write(this.takeBatch()).catch(() => {});
    await this.db
      .updateTable("deliveries")
      .set({ lease_owner: null, lease_until: null })
      .where("lease_owner", "=", this.owner)
      .where("status", "=", "pending")
      .execute()
      .catch(() => {});
  }
}
