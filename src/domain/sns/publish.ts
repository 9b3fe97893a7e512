import crypto from "node:crypto";
import { ServiceError } from "../../errors.js";
import { enqueue, type Db, type NewDelivery } from "../events/queue.js";
import { invalidParameter, invalidParameterValue, parseJsonObject, type SnsDeps } from "./common.js";
import { effectivePlan } from "./delivery-policy.js";
import { filterMatches, parseFilterPolicy, parseScope, type FilterPolicy, type MessageAttribute } from "./filter-policy.js";
import type { Topic } from "./topics.js";

export const MAX_MESSAGE_BYTES = 262_144;

export interface OutgoingMessage {
  subject?: string;
  /** the default body */
  message: string;
  /** MessageStructure=json: the bodies for http and https subscriptions, when given */
  protocolMessages?: { http?: string; https?: string };
  attributes?: Record<string, MessageAttribute>;
}

/** What a delivery belongs to, for the delivery log (a trigger's event, or nothing). */
export interface DeliveryOrigin {
  repositoryId?: string;
  eventId?: number;
  triggerName?: string;
}

/** `null`: a stored filter policy that can no longer be read, which lets nothing through */
const filterCache = new Map<string, FilterPolicy | undefined | null>();

function filterOf(attributes: Record<string, string>): FilterPolicy | undefined | null {
  const text = attributes.FilterPolicy;
  if (!text) return undefined;
  const key = `${attributes.FilterPolicyScope ?? ""}\u0000${text}`;
  if (!filterCache.has(key)) {
    if (filterCache.size > 2000) filterCache.clear();
    filterCache.set(key, readStoredFilter(text, attributes.FilterPolicyScope));
  }
  return filterCache.get(key)!;
}

/**
 * A policy stored before SNS's complexity limit was checked may nest deeper than the reader
 * goes: that subscription gets nothing (its filter cannot be applied), while the publish and
 * the topic's other subscriptions go on.
 */
function readStoredFilter(text: string, scope: string | undefined): FilterPolicy | undefined | null {
  try {
    return parseFilterPolicy(text, parseScope(scope), { stored: true });
  } catch (e) {
    if (e instanceof ServiceError) return null;
    throw e;
  }
}

/** The body a subscription of this protocol gets. */
export function bodyFor(m: { message: string; protocolMessages?: { http?: string; https?: string } | null }, protocol: string): string {
  const pm = m.protocolMessages;
  return (protocol === "https" ? pm?.https : protocol === "http" ? pm?.http : undefined) ?? m.message;
}

/**
 * Publishes a message to a topic inside `db` (a transaction): one message row, one delivery per
 * confirmed subscription whose filter policy lets it through. Returns the MessageId.
 */
export async function publishToTopic(db: Db, topic: Topic, m: OutgoingMessage, origin: DeliveryOrigin = {}): Promise<string> {
  const id = crypto.randomUUID();
  const now = Date.now();
  const subs = await db
    .selectFrom("sns_subscriptions")
    .select(["arn", "protocol", "endpoint", "attributes"])
    .where("topic_arn", "=", topic.arn)
    .where("status", "=", "confirmed")
    .execute();
  const deliveries: NewDelivery[] = [];
  for (const s of subs) {
    const attributes = JSON.parse(s.attributes) as Record<string, string>;
    const filter = filterOf(attributes);
    if (filter === null || !filterMatches(filter, m.attributes ?? {}, bodyFor(m, s.protocol))) continue;
    deliveries.push({
      kind: "http",
      destinationKey: s.arn,
      endpoint: s.endpoint,
      topicArn: topic.arn,
      subscriptionArn: s.arn,
      plan: effectivePlan(topic.attributes.DeliveryPolicy, attributes.DeliveryPolicy),
      ...origin,
    });
  }
  await enqueue(
    db,
    {
      id,
      type: "Notification",
      topic_arn: topic.arn,
      subject: m.subject ?? null,
      message: m.message,
      protocol_messages: m.protocolMessages ? JSON.stringify(m.protocolMessages) : null,
      message_attributes: m.attributes && Object.keys(m.attributes).length ? JSON.stringify(m.attributes) : null,
      token: null,
      subscribe_url: null,
      signature_version: topic.attributes.SignatureVersion ?? "1",
      timestamp: new Date(now).toISOString(),
      created_at: now,
    },
    deliveries,
    now,
  );
  return id;
}

interface AttributeInput {
  DataType?: unknown;
  StringValue?: unknown;
  BinaryValue?: unknown;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

/** Validates Publish's MessageAttributes into the {Type, Value} form notifications carry. */
export function checkMessageAttributes(input: unknown): Record<string, MessageAttribute> {
  if (input === undefined || input === "") return {};
  if (!input || typeof input !== "object" || Array.isArray(input)) throw invalidParameter("MessageAttributes");
  const entries = Object.entries(input as Record<string, AttributeInput>);
  if (entries.length > 10) throw invalidParameterValue(`Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`);
  const out: Record<string, MessageAttribute> = {};
  for (const [name, v] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || name.startsWith(".") || name.endsWith(".") || name.includes("..") || /^(aws|amazon)\./i.test(name)) {
      throw invalidParameterValue(`The message attribute name '${name}' is invalid.`);
    }
    const type = typeof v?.DataType === "string" ? v.DataType : "";
    if (!type) throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute type.`);
    const base = type.split(".")[0];
    const isArray = type === "String.Array" || type.startsWith("String.Array.");
    if (base === "Binary") {
      const b = typeof v.BinaryValue === "string" ? v.BinaryValue : "";
      if (!b) throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`);
      out[name] = { Type: type, Value: b };
      continue;
    }
    if (base !== "String" && base !== "Number") {
      throw invalidParameterValue(`The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    }
    const s = typeof v.StringValue === "string" ? v.StringValue : "";
    if (!s) throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`);
    if (base === "Number" && !Number.isFinite(Number(s))) {
      throw invalidParameterValue(`Could not cast message attribute '${name}' value to number.`);
    }
    if (isArray) {
      let arr: unknown;
      try {
        arr = JSON.parse(s);
      } catch {
        arr = undefined;
      }
      if (!Array.isArray(arr) || arr.some((x) => x !== null && typeof x === "object")) {
        throw invalidParameterValue(`The message attribute '${name}' with type 'String.Array' must use a valid JSON array of strings, numbers, booleans or null.`);
      }
    }
    out[name] = { Type: type, Value: s };
  }
  return out;
}

/** Validates a Publish (or a PublishBatch entry) into the message to send. */
export function checkPublish(input: {
  Message?: unknown;
  Subject?: unknown;
  MessageStructure?: unknown;
  MessageAttributes?: unknown;
}): OutgoingMessage {
  const message = typeof input.Message === "string" ? input.Message : "";
  if (message === "") throw invalidParameter("Empty message");
  let subject: string | undefined;
  if (input.Subject !== undefined) {
    subject = String(input.Subject);
    if (subject === "" || subject.length >= 100 || /[\u0000-\u001f\u007f]/.test(subject)) throw invalidParameter("Subject");
  }
  const attributes = checkMessageAttributes(input.MessageAttributes);
  let size = Buffer.byteLength(message, "utf8");
  for (const [k, a] of Object.entries(attributes)) size += Buffer.byteLength(k) + Buffer.byteLength(a.Type) + Buffer.byteLength(a.Value);
  if (size > MAX_MESSAGE_BYTES) throw invalidParameter("Message too long");

  const out: OutgoingMessage = { message, subject, attributes };
  if (input.MessageStructure !== undefined && input.MessageStructure !== "") {
    if (input.MessageStructure !== "json") throw invalidParameter("MessageStructure");
    const doc = parseJsonObject(message);
    if (!doc) throw invalidParameter("Message Structure - JSON message body failed to parse");
    if (typeof doc.default !== "string") throw invalidParameter("Message Structure - No default entry in JSON message body");
    out.message = doc.default;
    out.protocolMessages = {
      ...(typeof doc.http === "string" ? { http: doc.http } : {}),
      ...(typeof doc.https === "string" ? { https: doc.https } : {}),
    };
  }
  return out;
}

export async function publish(deps: SnsDeps, topic: Topic, m: OutgoingMessage): Promise<string> {
  return (await publishMany(deps, topic, [m]))[0]!;
}

/** Publishes several messages to one topic in one transaction (PublishBatch); their message IDs in order. */
export async function publishMany(deps: SnsDeps, topic: Topic, messages: OutgoingMessage[]): Promise<string[]> {
  if (messages.length === 0) return [];
  const ids = await deps.db.transaction().execute(async (trx) => {
    const out: string[] = [];
    for (const m of messages) out.push(await publishToTopic(trx, topic, m));
    return out;
  });
  deps.queued();
  return ids;
}

/** PublishBatch's request-level checks (its entries are checked one by one). */
export function checkBatch(entries: unknown): Array<Record<string, unknown>> {
  const list = Array.isArray(entries) ? (entries as Array<Record<string, unknown>>) : entries === undefined || entries === "" ? [] : null;
  if (!list) throw invalidParameter("PublishBatchRequestEntries");
  if (list.length === 0) throw new ServiceError("EmptyBatchRequest", "The batch request doesn't contain any entries.");
  if (list.length > 10) throw new ServiceError("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.");
  const ids = new Set<string>();
  let total = 0;
  for (const e of list) {
    const id = typeof e.Id === "string" ? e.Id : "";
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(id)) throw new ServiceError("InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide by the specification.");
    if (ids.has(id)) throw new ServiceError("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.");
    ids.add(id);
    total += Buffer.byteLength(typeof e.Message === "string" ? e.Message : "");
  }
  if (total > MAX_MESSAGE_BYTES) throw new ServiceError("BatchRequestTooLong", "The length of all the messages put together is more than the limit.");
  return list;
}
