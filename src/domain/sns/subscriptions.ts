import crypto from "node:crypto";
import type { Caller } from "../context.js";
import { enqueue, type Db } from "../events/queue.js";
import { lockInTransaction } from "../../store/db.js";
import type { SnsSubscriptionsTable } from "../../store/schema.js";
import {
  authorizationError,
  checkSubscriptionArn,
  checkTopicArn,
  decodeNextToken,
  encodeNextToken,
  invalidParameter,
  subscriptionNotFound,
  topicNotFound,
  type SnsDeps,
} from "./common.js";
import { effectivePlan, parseSubscriptionDeliveryPolicy, subscriptionEffectivePolicy } from "./delivery-policy.js";
import { parseFilterPolicy, parseScope } from "./filter-policy.js";
import { PAGE, findTopic, requireTopic, type Topic } from "./topics.js";

/** Confirmation tokens are good for two days, as SNS's are. */
export const TOKEN_TTL_MS = 2 * 86400_000;
/** Unconfirmed subscriptions are dropped after three days. */
export const PENDING_TTL_MS = 3 * 86400_000;

const SUPPORTED = new Set(["http", "https"]);
const KNOWN = new Set(["email", "email-json", "sms", "sqs", "application", "lambda", "firehose"]);
const SETTABLE = new Set(["RawMessageDelivery", "DeliveryPolicy", "FilterPolicy", "FilterPolicyScope"]);

/** authenticated: 0 no, 1 the confirmation was signed, 2 and unsubscribing needs a signature */
type Row = SnsSubscriptionsTable;

export interface SubscriptionSummary {
  SubscriptionArn: string;
  Owner: string;
  Protocol: string;
  Endpoint: string;
  TopicArn: string;
}

/** Validates one subscription attribute; returns the value to store ("" clears it). */
function checkAttribute(name: string, value: unknown, scope: string | undefined): string {
  const v = value === undefined || value === null ? "" : String(value);
  switch (name) {
    case "RawMessageDelivery":
      if (v !== "true" && v !== "false") throw invalidParameter(`RawMessageDelivery: Invalid value [${v}]. Must be true or false.`);
      return v;
    case "DeliveryPolicy":
      parseSubscriptionDeliveryPolicy(v);
      return v;
    case "FilterPolicy":
      parseFilterPolicy(v, parseScope(scope));
      return v;
    case "FilterPolicyScope":
      parseScope(v);
      return v;
    case "RedrivePolicy":
      throw invalidParameter("RedrivePolicy: dead-letter queues (Amazon SQS) are not served here");
    default:
      throw invalidParameter(`Attributes Reason: Unknown attribute ${name}`);
  }
}

function checkAttributes(input: unknown): Record<string, string> {
  const given = (input && typeof input === "object" ? input : {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) {
    const value = checkAttribute(k, v, typeof given.FilterPolicyScope === "string" ? given.FilterPolicyScope : undefined);
    if (value !== "") out[k] = value;
  }
  return out;
}

/** An endpoint as SNS shows it: a password in the URL is masked. */
export function displayEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    if (!u.password) return endpoint;
    u.password = "****";
    return u.toString();
  } catch {
    return endpoint;
  }
}

function newToken(): string {
  return crypto.randomBytes(64).toString("hex");
}

async function findSubscription(db: Db, arn: string): Promise<Row | undefined> {
  return db.selectFrom("sns_subscriptions").selectAll().where("arn", "=", arn).where("status", "!=", "deleted").executeTakeFirst();
}

/** Queues a SubscriptionConfirmation or UnsubscribeConfirmation for a subscription. */
async function queueConfirmation(db: Db, deps: SnsDeps, topic: Topic, sub: Row, type: "SubscriptionConfirmation" | "UnsubscribeConfirmation"): Promise<void> {
  const now = Date.now();
  const message =
    type === "SubscriptionConfirmation"
      ? `You have chosen to subscribe to the topic ${topic.arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`
      : `You have chosen to deactivate subscription ${sub.arn}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.`;
  const attributes = JSON.parse(sub.attributes) as Record<string, string>;
  await enqueue(
    db,
    {
      id: crypto.randomUUID(),
      type,
      topic_arn: topic.arn,
      subject: null,
      message,
      protocol_messages: null,
      message_attributes: null,
      token: sub.token,
      subscribe_url: deps.subscribeUrl(topic.arn, sub.token),
      signature_version: topic.attributes.SignatureVersion ?? "1",
      timestamp: new Date(now).toISOString(),
      created_at: now,
    },
    [
      {
        kind: "http",
        destinationKey: sub.arn,
        endpoint: sub.endpoint,
        topicArn: topic.arn,
        subscriptionArn: sub.arn,
        plan: effectivePlan(topic.attributes.DeliveryPolicy, attributes.DeliveryPolicy),
      },
    ],
    now,
  );
}

export async function subscribe(
  deps: SnsDeps,
  caller: Caller,
  input: { TopicArn?: unknown; Protocol?: unknown; Endpoint?: unknown; Attributes?: unknown; ReturnSubscriptionArn?: unknown },
): Promise<string> {
  checkTopicArn(deps, input.TopicArn);
  const protocol = typeof input.Protocol === "string" ? input.Protocol.toLowerCase() : "";
  if (!SUPPORTED.has(protocol)) {
    if (KNOWN.has(protocol)) throw invalidParameter(`Protocol Reason: only http and https subscriptions are served here, not ${protocol}`);
    throw invalidParameter(`Amazon SNS does not support this protocol string: ${String(input.Protocol ?? "")}`);
  }
  const endpoint = typeof input.Endpoint === "string" ? input.Endpoint : "";
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== `${protocol}:` || !url.hostname) throw invalidParameter("Endpoint must match the specified protocol");
  const attributes = checkAttributes(input.Attributes);
  const returnArn = String(input.ReturnSubscriptionArn ?? "").toLowerCase() === "true";
  const topic = await requireTopic(deps, input.TopicArn);

  const result = await deps.db.transaction().execute(async (trx) => {
    // one subscription per topic, protocol and endpoint, even with several processes subscribing
    await lockInTransaction(trx, deps.engine, `headwater.subscribe:${topic.arn}\n${protocol}\n${endpoint}`);
    const existing = await trx
      .selectFrom("sns_subscriptions")
      .selectAll()
      .where("topic_arn", "=", topic.arn)
      .where("protocol", "=", protocol)
      .where("endpoint", "=", endpoint)
      .where("status", "!=", "deleted")
      .executeTakeFirst();
    const now = Date.now();
    if (existing) {
      const have = JSON.parse(existing.attributes) as Record<string, string>;
      if (Object.entries(attributes).some(([k, v]) => (have[k] ?? "") !== v)) {
        throw invalidParameter("Attributes Reason: Subscription already exists with different attributes");
      }
      if (existing.status === "confirmed") return existing.arn;
      // still pending: send the confirmation again, with the same token, good for two more days
      await trx.updateTable("sns_subscriptions").set({ token_expires_at: now + TOKEN_TTL_MS, updated_at: now }).where("arn", "=", existing.arn).execute();
      await queueConfirmation(trx, deps, topic, existing, "SubscriptionConfirmation");
      return returnArn ? existing.arn : "pending confirmation";
    }
    await trx
      .deleteFrom("sns_subscriptions")
      .where("topic_arn", "=", topic.arn)
      .where("protocol", "=", protocol)
      .where("endpoint", "=", endpoint)
      .execute();
    const row: Row = {
      arn: `${topic.arn}:${crypto.randomUUID()}`,
      topic_arn: topic.arn,
      protocol,
      endpoint,
      owner: deps.accountId,
      principal_arn: caller.principal.arn,
      status: "pending",
      token: newToken(),
      token_expires_at: now + TOKEN_TTL_MS,
      attributes: JSON.stringify(attributes),
      authenticated: 0,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto("sns_subscriptions").values(row).execute();
    await queueConfirmation(trx, deps, topic, row, "SubscriptionConfirmation");
    return returnArn ? row.arn : "pending confirmation";
  });
  deps.queued();
  return result;
}

/**
 * ConfirmSubscription: the signed call, or the unsigned GET behind SubscribeURL (`signed`
 * false). The token of an UnsubscribeConfirmation restores the subscription it ended.
 */
export async function confirmSubscription(
  deps: SnsDeps,
  signed: boolean,
  input: { TopicArn?: unknown; Token?: unknown; AuthenticateOnUnsubscribe?: unknown },
): Promise<string> {
  checkTopicArn(deps, input.TopicArn);
  const token = typeof input.Token === "string" ? input.Token : "";
  if (!token) throw invalidParameter("Token");
  const topicArn = String(input.TopicArn);
  if (!(await findTopic(deps.db, topicArn))) throw topicNotFound();
  const strict = signed && String(input.AuthenticateOnUnsubscribe ?? "").toLowerCase() === "true";
  return deps.db.transaction().execute(async (trx) => {
    const sub = await trx.selectFrom("sns_subscriptions").selectAll().where("token", "=", token).executeTakeFirst();
    if (!sub || sub.topic_arn !== topicArn || sub.token_expires_at < Date.now()) throw invalidParameter("Token");
    if (sub.status !== "confirmed") {
      await trx
        .updateTable("sns_subscriptions")
        .set({ status: "confirmed", authenticated: strict ? 2 : signed ? 1 : 0, updated_at: Date.now() })
        .where("arn", "=", sub.arn)
        .execute();
    } else if (strict && sub.authenticated < 2) {
      await trx.updateTable("sns_subscriptions").set({ authenticated: 2, updated_at: Date.now() }).where("arn", "=", sub.arn).execute();
    }
    return sub.arn;
  });
}

/**
 * Unsubscribe: a confirmed subscription is ended and told so (UnsubscribeConfirmation, whose
 * token can restore it); a pending one is dropped.
 */
export async function unsubscribe(deps: SnsDeps, signed: boolean, arnInput: unknown): Promise<void> {
  checkSubscriptionArn(deps, arnInput);
  const arn = String(arnInput);
  await deps.db.transaction().execute(async (trx) => {
    const sub = await findSubscription(trx, arn);
    if (!sub) throw subscriptionNotFound();
    if (!signed && sub.authenticated === 2) {
      throw authorizationError("This subscription requires an authenticated (signed) request to unsubscribe.");
    }
    if (sub.status !== "confirmed") {
      await trx.deleteFrom("sns_subscriptions").where("arn", "=", arn).execute();
      return;
    }
    const now = Date.now();
    const token = newToken();
    await trx
      .updateTable("sns_subscriptions")
      .set({ status: "deleted", token, token_expires_at: now + TOKEN_TTL_MS, updated_at: now })
      .where("arn", "=", arn)
      .execute();
    const topic = await findTopic(trx, sub.topic_arn);
    if (topic) await queueConfirmation(trx, deps, topic, { ...sub, token }, "UnsubscribeConfirmation");
  });
  deps.queued();
}

export async function listSubscriptions(
  deps: SnsDeps,
  nextToken: unknown,
  topicArnInput?: unknown,
): Promise<{ subscriptions: SubscriptionSummary[]; nextToken?: string }> {
  const after = decodeNextToken(nextToken);
  let topicArn: string | undefined;
  if (topicArnInput !== undefined) topicArn = (await requireTopic(deps, topicArnInput)).arn;
  let q = deps.db.selectFrom("sns_subscriptions").selectAll().where("status", "!=", "deleted").orderBy("arn").limit(PAGE + 1);
  if (topicArn) q = q.where("topic_arn", "=", topicArn);
  if (after !== undefined) q = q.where("arn", ">", after);
  const rows = await q.execute();
  const page = rows.slice(0, PAGE);
  return {
    subscriptions: page.map((r) => ({
      SubscriptionArn: r.status === "pending" ? "PendingConfirmation" : r.arn,
      Owner: r.owner,
      Protocol: r.protocol,
      Endpoint: displayEndpoint(r.endpoint),
      TopicArn: r.topic_arn,
    })),
    nextToken: rows.length > PAGE ? encodeNextToken(page[page.length - 1]!.arn) : undefined,
  };
}

export async function getSubscriptionAttributes(deps: SnsDeps, arnInput: unknown): Promise<Record<string, string>> {
  checkSubscriptionArn(deps, arnInput);
  const sub = await findSubscription(deps.db, String(arnInput));
  if (!sub) throw subscriptionNotFound();
  const topic = await findTopic(deps.db, sub.topic_arn);
  const a = JSON.parse(sub.attributes) as Record<string, string>;
  const out: Record<string, string> = {
    ConfirmationWasAuthenticated: String(sub.authenticated > 0),
    PendingConfirmation: String(sub.status === "pending"),
    Owner: sub.owner,
    RawMessageDelivery: a.RawMessageDelivery ?? "false",
    TopicArn: sub.topic_arn,
    Endpoint: displayEndpoint(sub.endpoint),
    Protocol: sub.protocol,
    SubscriptionArn: sub.arn,
    SubscriptionPrincipal: sub.principal_arn,
    EffectiveDeliveryPolicy: subscriptionEffectivePolicy(topic?.attributes.DeliveryPolicy, a.DeliveryPolicy),
  };
  if (a.DeliveryPolicy) out.DeliveryPolicy = a.DeliveryPolicy;
  if (a.FilterPolicy) {
    out.FilterPolicy = a.FilterPolicy;
    out.FilterPolicyScope = a.FilterPolicyScope ?? "MessageAttributes";
  }
  return out;
}

export async function setSubscriptionAttribute(deps: SnsDeps, arnInput: unknown, nameInput: unknown, value: unknown): Promise<void> {
  checkSubscriptionArn(deps, arnInput);
  const name = typeof nameInput === "string" ? nameInput : "";
  if (!SETTABLE.has(name) && name !== "RedrivePolicy") throw invalidParameter("AttributeName");
  await deps.db.transaction().execute(async (trx) => {
    const sub = await findSubscription(trx, String(arnInput));
    if (!sub) throw subscriptionNotFound();
    const a = JSON.parse(sub.attributes) as Record<string, string>;
    const checked = checkAttribute(name, value, name === "FilterPolicy" ? a.FilterPolicyScope : undefined);
    if (name === "FilterPolicyScope" && a.FilterPolicy) parseFilterPolicy(a.FilterPolicy, parseScope(checked));
    if (checked === "") delete a[name];
    else a[name] = checked;
    await trx.updateTable("sns_subscriptions").set({ attributes: JSON.stringify(a), updated_at: Date.now() }).where("arn", "=", sub.arn).execute();
  });
}

/** The topic a subscription ARN belongs to (for authorization), whether or not it exists. */
export function topicOfSubscription(arn: unknown): string {
  const s = typeof arn === "string" ? arn : "";
  const cut = s.lastIndexOf(":");
  return cut > 0 ? s.slice(0, cut) : s;
}

/** Drops unconfirmed subscriptions after three days and ended ones once their token expires. */
export async function sweepSubscriptions(deps: SnsDeps): Promise<void> {
  const now = Date.now();
  await deps.db.deleteFrom("sns_subscriptions").where("status", "=", "pending").where("created_at", "<", now - PENDING_TTL_MS).execute();
  await deps.db.deleteFrom("sns_subscriptions").where("status", "=", "deleted").where("token_expires_at", "<", now).execute();
}
