import { ServiceError } from "../../errors.js";
import type { Db } from "../events/queue.js";
import {
  TOPIC_NAME,
  checkTopicArn,
  decodeNextToken,
  encodeNextToken,
  invalidParameter,
  parseJsonObject,
  topicNotFound,
  type SnsDeps,
} from "./common.js";
import { parseTopicDeliveryPolicy, topicEffectivePolicy } from "./delivery-policy.js";
import { checkTopicPolicy } from "./topic-policy.js";

export const PAGE = 100;
export const MAX_TAGS = 50;

export interface Topic {
  arn: string;
  name: string;
  owner: string;
  /** what CreateTopic and SetTopicAttributes set */
  attributes: Record<string, string>;
}

export interface TagInput {
  Key?: unknown;
  Value?: unknown;
}

const FEEDBACK = ["HTTP", "Lambda", "SQS", "Application", "Firehose"].flatMap((p) => [
  `${p}SuccessFeedbackRoleArn`,
  `${p}SuccessFeedbackSampleRate`,
  `${p}FailureFeedbackRoleArn`,
]);
/** Attributes a standard topic can be given (at creation or later). */
const SETTABLE = new Set(["DeliveryPolicy", "DisplayName", "Policy", "TracingConfig", "KmsMasterKeyId", "SignatureVersion", ...FEEDBACK]);
const FIFO_ONLY = new Set(["ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope"]);

/** Validates one attribute value; returns the value to store ("" clears optional ones). */
export function checkTopicAttribute(name: string, value: unknown): string {
  const v = value === undefined || value === null ? "" : String(value);
  switch (name) {
    case "DisplayName":
      if (v.length > 100) throw invalidParameter("DisplayName");
      return v;
    case "Policy":
      if (v !== "") checkTopicPolicy(v);
      return v;
    case "DeliveryPolicy":
      parseTopicDeliveryPolicy(v);
      return v;
    case "SignatureVersion":
      if (v !== "1" && v !== "2") throw invalidParameter("SignatureVersion: must be 1 or 2");
      return v;
    case "TracingConfig":
      if (v !== "PassThrough" && v !== "Active") throw invalidParameter("TracingConfig: must be PassThrough or Active");
      return v;
    default:
      if (name.endsWith("SampleRate") && v !== "" && !/^(\d|[1-9]\d|100)$/.test(v)) throw invalidParameter(`${name}: must be an integer from 0 to 100`);
      return v;
  }
}

function defaultPolicy(deps: SnsDeps, arn: string): string {
  return JSON.stringify({
    Version: "2008-10-17",
    Id: "__default_policy_ID",
    Statement: [
      {
        Sid: "__default_statement_ID",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: [
          "SNS:GetTopicAttributes",
          "SNS:SetTopicAttributes",
          "SNS:AddPermission",
          "SNS:RemovePermission",
          "SNS:DeleteTopic",
          "SNS:Subscribe",
          "SNS:ListSubscriptionsByTopic",
          "SNS:Publish",
        ],
        Resource: arn,
        Condition: { StringEquals: { "AWS:SourceOwner": deps.accountId } },
      },
    ],
  });
}

export function checkTags(input: unknown): Record<string, string> {
  if (input === undefined || input === "") return {};
  if (!Array.isArray(input)) throw invalidParameter("Tags");
  const out: Record<string, string> = {};
  for (const t of input as TagInput[]) {
    const key = typeof t?.Key === "string" ? t.Key : "";
    const value = t?.Value === undefined ? undefined : String(t.Value);
    if (key.length < 1 || key.length > 128) throw invalidParameter("Tags Reason: Tag keys must be between 1 and 128 characters long");
    if (value === undefined) throw invalidParameter(`Tags Reason: The tag ${key} has no value`);
    if (value.length > 256) throw invalidParameter("Tags Reason: Tag values must be at most 256 characters long");
    if (key.toLowerCase().startsWith("aws:")) throw invalidParameter("Tags Reason: Tag keys can't start with 'aws:'");
    out[key] = value;
  }
  if (Object.keys(out).length > MAX_TAGS) throw tagLimit();
  return out;
}

function tagLimit(): ServiceError {
  return new ServiceError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded");
}

function rowToTopic(r: { arn: string; name: string; owner: string; attributes: string }): Topic {
  return { arn: r.arn, name: r.name, owner: r.owner, attributes: JSON.parse(r.attributes) as Record<string, string> };
}

export async function findTopic(db: Db, arn: string): Promise<Topic | undefined> {
  const r = await db.selectFrom("sns_topics").selectAll().where("arn", "=", arn).executeTakeFirst();
  return r ? rowToTopic(r) : undefined;
}

/** The topic a (valid) ARN names, or NotFound. */
export async function requireTopic(deps: SnsDeps, arnInput: unknown, member = "TopicArn"): Promise<Topic> {
  checkTopicArn(deps, arnInput, member);
  const t = await findTopic(deps.db, String(arnInput));
  if (!t) throw topicNotFound();
  return t;
}

export async function createTopic(
  deps: SnsDeps,
  input: { name: unknown; attributes?: unknown; tags?: unknown; dataProtectionPolicy?: unknown },
): Promise<string> {
  const name = typeof input.name === "string" ? input.name : "";
  const given = (input.attributes && typeof input.attributes === "object" ? input.attributes : {}) as Record<string, unknown>;
  if (name.endsWith(".fifo") || String(given.FifoTopic ?? "false").toLowerCase() === "true") {
    throw invalidParameter("Attributes Reason: FIFO topics are not supported by this server; use a standard topic");
  }
  if (!TOPIC_NAME.test(name)) throw invalidParameter("Topic Name");
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) {
    if (k === "FifoTopic") continue;
    if (FIFO_ONLY.has(k)) throw invalidParameter(`Attributes Reason: ${k} is only valid for FIFO topics`);
    if (!SETTABLE.has(k)) throw invalidParameter(`Attributes Reason: Unknown attribute ${k}`);
    const value = checkTopicAttribute(k, v);
    if (value !== "") attributes[k] = value;
  }
  if (input.dataProtectionPolicy !== undefined && input.dataProtectionPolicy !== "" && !parseJsonObject(String(input.dataProtectionPolicy))) {
    throw invalidParameter("DataProtectionPolicy");
  }
  const tags = checkTags(input.tags);
  const arn = deps.topicArn(name);

  return deps.db.transaction().execute(async (trx) => {
    const existing = await findTopic(trx, arn);
    if (existing) {
      // CreateTopic is idempotent, as long as it asks for the same topic
      for (const [k, v] of Object.entries(attributes)) {
        if (existing.attributes[k] !== v) throw invalidParameter("Attributes Reason: Topic already exists with different attributes");
      }
      if (Object.keys(tags).length) {
        const have = await topicTags(trx, arn);
        if (Object.entries(tags).some(([k, v]) => have[k] !== v) || Object.keys(have).length !== Object.keys(tags).length) {
          throw invalidParameter("Tags Reason: Topic already exists with different tags");
        }
      }
      return arn;
    }
    await trx
      .insertInto("sns_topics")
      .values({ arn, name, owner: deps.accountId, attributes: JSON.stringify(attributes), created_at: Date.now() })
      .execute();
    for (const [k, v] of Object.entries(tags)) await trx.insertInto("sns_topic_tags").values({ topic_arn: arn, tag_key: k, tag_value: v }).execute();
    return arn;
  });
}

/** Deletes a topic and its subscriptions; a topic that is not there is already deleted. */
export async function deleteTopic(deps: SnsDeps, arnInput: unknown): Promise<void> {
  checkTopicArn(deps, arnInput);
  const arn = String(arnInput);
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom("sns_subscriptions").where("topic_arn", "=", arn).execute();
    await trx.deleteFrom("sns_topic_tags").where("topic_arn", "=", arn).execute();
    await trx.deleteFrom("sns_topics").where("arn", "=", arn).execute();
  });
}

export async function listTopics(deps: SnsDeps, nextToken: unknown): Promise<{ arns: string[]; nextToken?: string }> {
  const after = decodeNextToken(nextToken);
  let q = deps.db.selectFrom("sns_topics").select("arn").orderBy("arn").limit(PAGE + 1);
  if (after !== undefined) q = q.where("arn", ">", after);
  const rows = await q.execute();
  const page = rows.slice(0, PAGE).map((r) => r.arn);
  return { arns: page, nextToken: rows.length > PAGE ? encodeNextToken(page[page.length - 1]!) : undefined };
}

export async function getTopicAttributes(deps: SnsDeps, arnInput: unknown): Promise<Record<string, string>> {
  const topic = await requireTopic(deps, arnInput);
  const counts = await deps.db
    .selectFrom("sns_subscriptions")
    .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
    .where("topic_arn", "=", topic.arn)
    .groupBy("status")
    .execute();
  const count = (s: string) => String(Number(counts.find((c) => c.status === s)?.n ?? 0));
  const a = topic.attributes;
  const out: Record<string, string> = {
    Policy: a.Policy || defaultPolicy(deps, topic.arn),
    Owner: topic.owner,
    SubscriptionsPending: count("pending"),
    TopicArn: topic.arn,
    EffectiveDeliveryPolicy: topicEffectivePolicy(a.DeliveryPolicy),
    SubscriptionsConfirmed: count("confirmed"),
    DisplayName: a.DisplayName ?? "",
    SubscriptionsDeleted: count("deleted"),
  };
  for (const [k, v] of Object.entries(a)) if (!(k in out)) out[k] = v;
  return out;
}

export async function setTopicAttribute(deps: SnsDeps, arnInput: unknown, nameInput: unknown, value: unknown): Promise<void> {
  const name = typeof nameInput === "string" ? nameInput : "";
  if (!SETTABLE.has(name)) throw invalidParameter("AttributeName");
  const checked = checkTopicAttribute(name, value);
  const topic = await requireTopic(deps, arnInput);
  await deps.db.transaction().execute(async (trx) => {
    const current = await findTopic(trx, topic.arn);
    if (!current) throw topicNotFound();
    const next = { ...current.attributes };
    if (checked === "") delete next[name];
    else next[name] = checked;
    await trx.updateTable("sns_topics").set({ attributes: JSON.stringify(next) }).where("arn", "=", topic.arn).execute();
  });
}

export async function topicTags(db: Db, arn: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom("sns_topic_tags").select(["tag_key", "tag_value"]).where("topic_arn", "=", arn).orderBy("tag_key").execute();
  return Object.fromEntries(rows.map((r) => [r.tag_key, r.tag_value]));
}

function resourceNotFound(): ServiceError {
  return new ServiceError("ResourceNotFound", "Resource does not exist", { status: 404 });
}

async function taggedTopic(deps: SnsDeps, arnInput: unknown): Promise<string> {
  checkTopicArn(deps, arnInput, "ResourceArn");
  const arn = String(arnInput);
  if (!(await findTopic(deps.db, arn))) throw resourceNotFound();
  return arn;
}

export async function tagTopic(deps: SnsDeps, arnInput: unknown, tagsInput: unknown): Promise<void> {
  const arn = await taggedTopic(deps, arnInput);
  const tags = checkTags(tagsInput);
  await deps.db.transaction().execute(async (trx) => {
    const have = await topicTags(trx, arn);
    if (Object.keys({ ...have, ...tags }).length > MAX_TAGS) throw tagLimit();
    for (const [k, v] of Object.entries(tags)) {
      await trx
        .insertInto("sns_topic_tags")
        .values({ topic_arn: arn, tag_key: k, tag_value: v })
        .onConflict((oc) => oc.columns(["topic_arn", "tag_key"]).doUpdateSet({ tag_value: v }))
        .execute();
    }
  });
}

export async function untagTopic(deps: SnsDeps, arnInput: unknown, keysInput: unknown): Promise<void> {
  const arn = await taggedTopic(deps, arnInput);
  const keys = Array.isArray(keysInput) ? keysInput.map(String) : [];
  if (keys.length) await deps.db.deleteFrom("sns_topic_tags").where("topic_arn", "=", arn).where("tag_key", "in", keys).execute();
}

export async function listTopicTags(deps: SnsDeps, arnInput: unknown): Promise<Record<string, string>> {
  return topicTags(deps.db, await taggedTopic(deps, arnInput));
}
