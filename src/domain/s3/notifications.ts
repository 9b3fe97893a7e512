import crypto from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import { evaluate, parsePolicy } from "../iam/policy/index.js";
import type { SnsDeps } from "../sns/common.js";
import { publishToTopic } from "../sns/publish.js";
import { findTopic, type Topic } from "../sns/topics.js";
import type { Bucket, ObjectEvent, ObjectEventSink } from "./buckets.js";
import { ConfigRefusal, invalidArgument } from "./config-refusal.js";

/**
 * Bucket notifications to SNS topics: the configuration (as the SDK names its members, stored
 * as JSON in `s3_buckets.notification`), its checks, and the event records published to the
 * matching topics inside the transaction that changes the key (so an acknowledged change is
 * announced at least once, after a crash too: the outbox delivers what was committed).
 */

export interface FilterRule {
  Name: "Prefix" | "Suffix";
  Value: string;
}

export interface TopicConfiguration {
  Id: string;
  TopicArn: string;
  Events: string[];
  Filter?: { Key: { FilterRules: FilterRule[] } };
}

export interface NotificationConfiguration {
  TopicConfigurations: TopicConfiguration[];
}

/** S3's event types (botocore's `Event` enum); the ones this server produces are marked in `fires`. */
export const EVENT_TYPES = new Set([
  "s3:ReducedRedundancyLostObject",
  "s3:ObjectCreated:*",
  "s3:ObjectCreated:Put",
  "s3:ObjectCreated:Post",
  "s3:ObjectCreated:Copy",
  "s3:ObjectCreated:CompleteMultipartUpload",
  "s3:ObjectRemoved:*",
  "s3:ObjectRemoved:Delete",
  "s3:ObjectRemoved:DeleteMarkerCreated",
  "s3:ObjectRestore:*",
  "s3:ObjectRestore:Post",
  "s3:ObjectRestore:Completed",
  "s3:ObjectRestore:Delete",
  "s3:Replication:*",
  "s3:Replication:OperationFailedReplication",
  "s3:Replication:OperationNotTracked",
  "s3:Replication:OperationMissedThreshold",
  "s3:Replication:OperationReplicatedAfterThreshold",
  "s3:LifecycleTransition",
  "s3:IntelligentTiering",
  "s3:ObjectAcl:Put",
  "s3:LifecycleExpiration:*",
  "s3:LifecycleExpiration:Delete",
  "s3:LifecycleExpiration:DeleteMarkerCreated",
  "s3:ObjectTagging:*",
  "s3:ObjectTagging:Put",
  "s3:ObjectTagging:Delete",
]);

/** Does a configured event type (`s3:ObjectCreated:*`, `s3:ObjectCreated:Put`) cover an event (`ObjectCreated:Put`)? */
export function eventMatches(configured: string, eventName: string): boolean {
  const full = `s3:${eventName}`;
  if (configured === full) return true;
  return configured.endsWith(":*") && full.startsWith(configured.slice(0, -1));
}

/** Do two configured event types have an event in common? */
function eventsShare(a: string, b: string): boolean {
  if (a === b) return true;
  const base = (e: string) => (e.endsWith(":*") ? e.slice(0, -1) : undefined);
  const wa = base(a);
  const wb = base(b);
  return (wa !== undefined && b.startsWith(wa)) || (wb !== undefined && a.startsWith(wb));
}

function ruleValue(c: TopicConfiguration, name: "Prefix" | "Suffix"): string {
  return c.Filter?.Key.FilterRules.find((r) => r.Name === name)?.Value ?? "";
}

export function keyMatches(c: TopicConfiguration, key: string): boolean {
  return key.startsWith(ruleValue(c, "Prefix")) && key.endsWith(ruleValue(c, "Suffix"));
}

/** Some key could match both: their prefixes are one the start of the other, and their suffixes one the end of the other. */
function filtersOverlap(a: TopicConfiguration, b: TopicConfiguration): boolean {
  const [pa, pb, sa, sb] = [ruleValue(a, "Prefix"), ruleValue(b, "Prefix"), ruleValue(a, "Suffix"), ruleValue(b, "Suffix")];
  return (pa.startsWith(pb) || pb.startsWith(pa)) && (sa.endsWith(sb) || sb.endsWith(sa));
}

const TOPIC_ARN = /^arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/**
 * S3's checks of a configuration that need nothing but the document: known event types, a
 * topic ARN that parses, at most one prefix and one suffix rule, unique IDs (a missing one is
 * made, as S3 does), and no two configurations that could both fire for one event of one key.
 */
export function checkNotificationConfiguration(cfg: NotificationConfiguration): NotificationConfiguration {
  const ids = new Set<string>();
  const out: TopicConfiguration[] = [];
  for (const c of cfg.TopicConfigurations) {
    if (!TOPIC_ARN.test(c.TopicArn)) throw invalidArgument("The ARN could not be parsed", "Topic", c.TopicArn);
    if (c.Events.length === 0) throw new ConfigRefusal("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");
    for (const e of c.Events) if (!EVENT_TYPES.has(e)) throw invalidArgument("The event is not supported for notifications", "Event", e);
    const rules = c.Filter?.Key.FilterRules ?? [];
    for (const name of ["Prefix", "Suffix"] as const) {
      if (rules.filter((r) => r.Name === name).length > 1) throw invalidArgument(`Cannot specify more than one ${name.toLowerCase()} rule in a filter.`, "FilterRule", name.toLowerCase());
    }
    const id = c.Id || crypto.randomUUID();
    if (ids.has(id)) throw invalidArgument("Configuration ID must be unique.", "Id", id);
    ids.add(id);
    out.push({ ...c, Id: id, Events: [...new Set(c.Events)] });
  }
  for (let i = 0; i < out.length; i++) {
    for (let j = i + 1; j < out.length; j++) {
      const shared = out[i]!.Events.some((a) => out[j]!.Events.some((b) => eventsShare(a, b)));
      if (shared && filtersOverlap(out[i]!, out[j]!)) {
        throw invalidArgument("Configurations overlap. Configurations on the same bucket cannot share a common event type.");
      }
    }
  }
  return { TopicConfigurations: out };
}

export function readNotificationConfiguration(stored: string | null): NotificationConfiguration {
  return stored ? (JSON.parse(stored) as NotificationConfiguration) : { TopicConfigurations: [] };
}

/** S3's keys in event records: URL-encoded as a form value (a space is `+`), slashes kept. */
export function eventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/g, "/");
}

/** A clock that never goes back or repeats within this process (the sequencer's low part). */
let lastTick = 0;
function tick(): number {
  lastTick = Math.max(lastTick + 1, Date.now());
  return lastTick;
}

export const SUBJECT = "Amazon S3 Notification";

/**
 * The bucket-notification side of the S3 store: checks destinations, sends the test event,
 * and publishes each change's record to the topics whose configuration matches it.
 */
export class S3Notifier implements ObjectEventSink {
  constructor(
    private readonly sns: SnsDeps,
    private readonly partition: string,
  ) {}

  private bucketArn(name: string): string {
    return `arn:${this.partition}:s3:::${name}`;
  }

  /**
   * Why S3 could not send to the topic, or undefined when it can: the topic must exist here and
   * its access policy must allow `s3.amazonaws.com` to publish for this bucket (the default
   * policy, which names only the account's own principals, does not).
   */
  async unusable(bucket: string, topicArn: string): Promise<string | undefined> {
    const topic = await findTopic(this.sns.db, topicArn);
    if (!topic) return "The destination topic does not exist";
    if (!this.policyAllows(topic, bucket)) return "Permissions on the destination topic do not allow S3 to publish notifications from this bucket";
    return undefined;
  }

  /** topic policy text and bucket → whether S3 may publish (policies change rarely; events are many) */
  private readonly allowed = new Map<string, boolean>();

  private policyAllows(topic: Topic, bucket: string): boolean {
    const text = topic.attributes.Policy;
    if (!text) return false;
    const key = `${bucket}\u0000${topic.arn}\u0000${text}`;
    let yes = this.allowed.get(key);
    if (yes === undefined) {
      if (this.allowed.size > 1000) this.allowed.clear();
      yes = this.decide(topic, text, bucket);
      this.allowed.set(key, yes);
    }
    return yes;
  }

  private decide(topic: Topic, text: string, bucket: string): boolean {
    let policy;
    try {
      policy = parsePolicy(text, { kind: "resource" });
    } catch {
      return false;
    }
    const r = evaluate(
      { identity: [], resource: [{ name: "topic policy", policy }], resourceMustAllow: true },
      {
        action: "sns:Publish",
        resource: topic.arn,
        context: { "aws:SourceArn": this.bucketArn(bucket), "aws:SourceAccount": this.sns.accountId },
        principal: { arn: "s3.amazonaws.com", accountId: "", service: "s3.amazonaws.com" },
      },
    );
    return r.decision === "Allow";
  }

  /** S3's `s3:TestEvent`, once to each topic of a configuration just stored. */
  async sendTestEvents(bucket: string, topicArns: string[], requestId: string): Promise<void> {
    const topics = (await Promise.all([...new Set(topicArns)].map((a) => findTopic(this.sns.db, a)))).filter((t): t is Topic => t !== undefined);
    if (!topics.length) return;
    const message = JSON.stringify({ Service: "Amazon S3", Event: "s3:TestEvent", Time: new Date().toISOString(), Bucket: bucket, RequestId: requestId, HostId: requestId });
    await this.sns.db.transaction().execute(async (trx) => {
      for (const t of topics) await publishToTopic(trx, t, { subject: SUBJECT, message });
    });
    this.sns.queued();
  }

  async record(trx: Kysely<Database>, bucket: Bucket, event: ObjectEvent): Promise<boolean> {
    const cfg = readNotificationConfiguration(bucket.notification);
    const matching = cfg.TopicConfigurations.filter((c) => c.Events.some((e) => eventMatches(e, event.eventName)) && keyMatches(c, event.key));
    if (!matching.length) return false;
    const sequencer = await this.sequencer(trx);
    let queued = false;
    for (const c of matching) {
      const topic = await findTopic(trx, c.TopicArn);
      // a topic deleted since the configuration was stored, or whose policy no longer lets S3
      // publish: SNS refuses S3's publish, and the event is dropped
      if (!topic || !this.policyAllows(topic, bucket.name)) continue;
      await publishToTopic(trx, topic, { subject: SUBJECT, message: JSON.stringify(this.eventRecord(bucket, event, c.Id, sequencer)) });
      queued = true;
    }
    return queued;
  }

  committed(): void {
    this.sns.queued();
  }

  /**
   * A hex string that grows with every change of a key: the highest version row ID (row IDs only
   * grow, and a change is made under the key's lock), then this process's never-repeating clock
   * for changes that add no row (deletes). Fixed width, so strings compare as numbers.
   */
  private async sequencer(trx: Kysely<Database>): Promise<string> {
    const r = await trx.selectFrom("s3_versions").select(sql<number | string | null>`max(id)`.as("top")).executeTakeFirst();
    const top = BigInt(r?.top ?? 0);
    return top.toString(16).toUpperCase().padStart(16, "0") + tick().toString(16).toUpperCase().padStart(12, "0");
  }

  private eventRecord(bucket: Bucket, e: ObjectEvent, configurationId: string, sequencer: string): Record<string, unknown> {
    const byServer = e.origin === undefined;
    // a change the server made itself (lifecycle) has no request: it gets an ID of its own, as on S3
    const requestId = e.origin?.requestId ?? crypto.randomBytes(8).toString("hex").toUpperCase();
    const object: Record<string, unknown> = { key: eventKey(e.key) };
    if (e.size !== undefined) object.size = e.size;
    if (e.etag !== undefined) object.eTag = e.etag;
    if (e.versionId !== undefined) object.versionId = e.versionId;
    object.sequencer = sequencer;
    return {
      Records: [
        {
          // S3 documents lifecycle expiration records as 2.3, and records the request-made ones as 2.1
          eventVersion: byServer ? "2.3" : "2.1",
          eventSource: "aws:s3",
          awsRegion: bucket.region,
          eventTime: new Date(e.time).toISOString(),
          eventName: e.eventName,
          userIdentity: { principalId: e.origin?.principalId ?? "s3.amazonaws.com" },
          requestParameters: { sourceIPAddress: e.origin?.sourceIp ?? "s3.amazonaws.com" },
          responseElements: { "x-amz-request-id": requestId, "x-amz-id-2": requestId },
          s3: {
            s3SchemaVersion: "1.0",
            configurationId,
            bucket: { name: bucket.name, ownerIdentity: { principalId: this.sns.accountId }, arn: this.bucketArn(bucket.name) },
            object,
          },
        },
      ],
    };
  }
}
