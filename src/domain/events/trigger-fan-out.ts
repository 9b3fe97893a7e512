import type { Transaction } from "kysely";
import type { Logger } from "../../log.js";
import type { Database } from "../../store/schema.js";
import { partitionOf, repositoryArn } from "../repos/arn.js";
import { publishToTopic } from "../sns/publish.js";
import { findTopic, type Topic } from "../sns/topics.js";
import { functionUrl } from "./functions.js";
import type { OutboxConsumer, RefEventRow } from "./outbox.js";
import { eventDocuments, matchingReferences, triggerSubject } from "./records.js";
import type { RefChange } from "./ref-ledger.js";
import { queueLambda, triggersOf, type TriggerConfiguration } from "./triggers.js";

/**
 * The triggers' reader of the ref_events outbox: for each row, in id order, every trigger
 * whose branch and event filters match gets CodeCommit's event, published to its topic (one
 * delivery per confirmed subscription) or queued for its Lambda endpoint. The deliveries are
 * written in the transaction that moves the reader's cursor (see outbox.ts), so a crash
 * repeats nothing and loses nothing, and each repository's events are queued in order.
 */
export class TriggerFanOut implements OutboxConsumer {
  readonly name = "triggers";

  constructor(
    private readonly where: { region: string; accountId: string },
    private readonly log: Logger,
    /** told when deliveries were queued */
    private readonly queued: () => void,
  ) {}

  async handle(rows: RefEventRow[]): Promise<(trx: Transaction<Database>) => Promise<void>> {
    return async (trx) => {
      const triggers = new Map<string, TriggerConfiguration>();
      const topics = new Map<string, Topic | undefined>();
      for (const row of rows) await this.fanOut(trx, row, triggers, topics);
    };
  }

  afterCommit(): void {
    this.queued();
  }

  private async fanOut(
    trx: Transaction<Database>,
    row: RefEventRow,
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
