import { XMLParser } from "fast-xml-parser";
import { ConfigRefusal } from "../../../domain/s3/config-refusal.js";
import { checkLifecycleConfiguration, readLifecycleConfiguration, type LifecycleFilter, type LifecycleRule, type Tag } from "../../../domain/s3/lifecycle.js";
import {
  checkNotificationConfiguration,
  readNotificationConfiguration,
  type FilterRule,
  type TopicConfiguration,
} from "../../../domain/s3/notifications.js";
import { storeError } from "./buckets.js";
import type { S3Call, S3Context } from "./context.js";
import { S3Error, s3Errors } from "./errors.js";
import { readSmallBody, requireIntegrityHeader, send, sendXml } from "./http.js";
import { doc, el, wrap } from "./xml.js";

/**
 * Bucket notification and lifecycle configurations: the XML S3 reads and writes, turned into
 * and out of the domain's documents (notifications.ts, lifecycle.ts), which decide what is valid.
 */

const XML_LIMIT = 1024 * 1024;
const LISTS = new Set(["TopicConfiguration", "QueueConfiguration", "CloudFunctionConfiguration", "Event", "FilterRule", "Rule", "Tag", "Transition", "NoncurrentVersionTransition"]);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  // prefixes, suffixes and tag values are kept exactly (a key may start or end with a space)
  trimValues: false,
  processEntities: true,
  isArray: (name) => LISTS.has(name),
});

type Node = Record<string, unknown>;

function parseDocument(body: Buffer, root: string): Node {
  let parsed: unknown;
  try {
    parsed = parser.parse(body.toString("utf8"), true);
  } catch {
    throw s3Errors.malformedXml();
  }
  const top = (parsed as Node | undefined)?.[root];
  if (top === undefined) throw s3Errors.malformedXml();
  return top && typeof top === "object" ? (top as Node) : {};
}

/** An element that holds children (an empty one reads as a string of whitespace). */
function node(v: unknown): Node | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string" && v.trim() === "") return {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw s3Errors.malformedXml();
  return v as Node;
}

function text(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw s3Errors.malformedXml();
  return v;
}

/** A value from a fixed set, a number or an ARN: the whitespace around it is not part of it. */
function word(v: unknown): string | undefined {
  return text(v)?.trim();
}

function integer(v: unknown): number | undefined {
  const s = word(v);
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s)) throw s3Errors.malformedXml();
  return Number(s);
}

function list(v: unknown): unknown[] {
  return v === undefined ? [] : (v as unknown[]);
}

function refusal(e: unknown): unknown {
  if (e instanceof ConfigRefusal) return e.code === "NotImplemented" ? s3Errors.notImplemented(e.message) : new S3Error(e.code, e.message, 400, e.fields);
  return e;
}

async function requireBucket(ctx: S3Context, name: string) {
  const b = await ctx.store.getBucket(name);
  if (!b) throw s3Errors.noSuchBucket(name);
  return b;
}

// ---- notifications

function readTopicConfiguration(n: Node): TopicConfiguration {
  const topic = word(n.Topic);
  if (topic === undefined) throw s3Errors.malformedXml();
  const events = list(n.Event).map((e) => word(e) ?? "");
  const filter = node(n.Filter);
  const key = filter ? node(filter.S3Key) : undefined;
  const rules: FilterRule[] = list(key?.FilterRule).map((r) => {
    const rule = node(r) ?? {};
    const name = (word(rule.Name) ?? "").toLowerCase();
    if (name !== "prefix" && name !== "suffix") {
      throw s3Errors.invalidArgument("filter rule name must be either prefix or suffix", "FilterRule", text(rule.Name) ?? "");
    }
    return { Name: name === "prefix" ? "Prefix" : "Suffix", Value: text(rule.Value) ?? "" };
  });
  return { Id: text(n.Id) ?? "", TopicArn: topic, Events: events, ...(filter ? { Filter: { Key: { FilterRules: rules } } } : {}) };
}

function topicConfigurationXml(c: TopicConfiguration): string {
  const rules = c.Filter ? wrap("Filter", wrap("S3Key", c.Filter.Key.FilterRules.map((r) => wrap("FilterRule", el("Name", r.Name) + el("Value", r.Value))).join(""))) : "";
  return wrap("TopicConfiguration", el("Id", c.Id) + el("Topic", c.TopicArn) + c.Events.map((e) => el("Event", e)).join("") + rules);
}

export async function getBucketNotificationConfiguration(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "GetBucketNotificationConfiguration", { Bucket: req.bucket });
  const b = await requireBucket(ctx, req.bucket);
  const cfg = readNotificationConfiguration(b.notification);
  sendXml(req, doc("NotificationConfiguration", cfg.TopicConfigurations.map(topicConfigurationXml).join("")));
}

/**
 * Stores the configuration once S3's checks pass and each topic is one S3 could publish to,
 * then sends each topic an `s3:TestEvent`. SQS and Lambda destinations cannot exist on this
 * server: they fail validation as a missing destination does on S3 (with
 * x-amz-skip-destination-validation, NotImplemented: nothing could deliver to them).
 * EventBridge has no counterpart here: NotImplemented.
 */
export async function putBucketNotificationConfiguration(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  await ctx.authorize(caller, "PutBucketNotificationConfiguration", { Bucket: req.bucket });
  const notifier = ctx.notifications;
  if (!notifier) throw s3Errors.notImplemented("bucket notifications");
  const { data } = await readSmallBody(req, call.payloadHash, XML_LIMIT);
  const root = parseDocument(data, "NotificationConfiguration");
  await requireBucket(ctx, req.bucket);
  if (root.EventBridgeConfiguration !== undefined) throw s3Errors.notImplemented("EventBridge notifications (EventBridgeConfiguration)");
  const skip = req.header("x-amz-skip-destination-validation")?.toLowerCase() === "true";
  const unvalidated: Array<[string, string]> = [];
  for (const [element, member, what] of [["QueueConfiguration", "Queue", "queue"], ["CloudFunctionConfiguration", "CloudFunction", "function"]] as const) {
    for (const n of list(root[element])) {
      const arn = word(node(n)?.[member]);
      if (arn === undefined) throw s3Errors.malformedXml();
      if (skip) throw s3Errors.notImplemented(`${what} destinations (this server has no SQS or Lambda; notify an SNS topic)`);
      unvalidated.push([arn, `The destination ${what} does not exist`]);
    }
  }
  let cfg;
  try {
    cfg = checkNotificationConfiguration({ TopicConfigurations: list(root.TopicConfiguration).map((n) => readTopicConfiguration(node(n) ?? {})) });
  } catch (e) {
    throw refusal(e);
  }
  if (!skip) {
    for (const c of cfg.TopicConfigurations) {
      const why = await notifier.unusable(req.bucket, c.TopicArn);
      if (why) unvalidated.push([c.TopicArn, why]);
    }
  }
  if (unvalidated.length) {
    const fields: Record<string, string> = {};
    unvalidated.forEach(([arn, why], i) => {
      fields[`ArgumentName${i + 1}`] = arn;
      fields[`ArgumentValue${i + 1}`] = why;
    });
    throw new S3Error("InvalidArgument", "Unable to validate the following destination configurations", 400, fields);
  }
  try {
    await ctx.store.setConfig(req.bucket, "notification", cfg.TopicConfigurations.length ? JSON.stringify(cfg) : null);
  } catch (e) {
    throw storeError(e, req.bucket);
  }
  if (!skip) await notifier.sendTestEvents(req.bucket, cfg.TopicConfigurations.map((c) => c.TopicArn), req.id);
  send(req, 200, {});
}

// ---- lifecycle

const DEFAULT_MINIMUM_SIZE = { "x-amz-transition-default-minimum-object-size": "all_storage_classes_128K" };

function readTags(v: unknown): Tag[] {
  return list(v).map((t) => {
    const n = node(t) ?? {};
    const key = text(n.Key);
    if (key === undefined) throw s3Errors.malformedXml();
    return { Key: key, Value: text(n.Value) ?? "" };
  });
}

function readFilter(n: Node): LifecycleFilter {
  const f: LifecycleFilter = {};
  if (n.Prefix !== undefined) f.Prefix = text(n.Prefix);
  if (n.Tag !== undefined) {
    const tags = readTags(n.Tag);
    if (tags.length !== 1) throw s3Errors.malformedXml();
    f.Tag = tags[0];
  }
  if (n.ObjectSizeGreaterThan !== undefined) f.ObjectSizeGreaterThan = integer(n.ObjectSizeGreaterThan);
  if (n.ObjectSizeLessThan !== undefined) f.ObjectSizeLessThan = integer(n.ObjectSizeLessThan);
  const and = node(n.And);
  if (and) {
    f.And = {};
    if (and.Prefix !== undefined) f.And.Prefix = text(and.Prefix);
    if (and.Tag !== undefined) f.And.Tags = readTags(and.Tag);
    if (and.ObjectSizeGreaterThan !== undefined) f.And.ObjectSizeGreaterThan = integer(and.ObjectSizeGreaterThan);
    if (and.ObjectSizeLessThan !== undefined) f.And.ObjectSizeLessThan = integer(and.ObjectSizeLessThan);
  }
  return f;
}

function readRule(n: Node): LifecycleRule {
  if (n.Transition !== undefined || n.NoncurrentVersionTransition !== undefined) {
    throw s3Errors.notImplemented("lifecycle transitions (this server has one storage class)");
  }
  const r: LifecycleRule = { ID: text(n.ID) ?? "", Status: (word(n.Status) ?? "") as LifecycleRule["Status"] };
  const filter = node(n.Filter);
  if (filter) r.Filter = readFilter(filter);
  if (n.Prefix !== undefined) r.Prefix = text(n.Prefix);
  const e = node(n.Expiration);
  if (e) {
    r.Expiration = {};
    if (e.Days !== undefined) r.Expiration.Days = integer(e.Days);
    if (e.Date !== undefined) {
      const t = Date.parse(word(e.Date)!);
      if (Number.isNaN(t)) throw s3Errors.malformedXml();
      r.Expiration.Date = new Date(t).toISOString();
    }
    if (e.ExpiredObjectDeleteMarker !== undefined) {
      const v = word(e.ExpiredObjectDeleteMarker)!.toLowerCase();
      if (v !== "true" && v !== "false") throw s3Errors.malformedXml();
      r.Expiration.ExpiredObjectDeleteMarker = v === "true";
    }
  }
  const nv = node(n.NoncurrentVersionExpiration);
  if (nv) {
    r.NoncurrentVersionExpiration = {};
    if (nv.NoncurrentDays !== undefined) r.NoncurrentVersionExpiration.NoncurrentDays = integer(nv.NoncurrentDays);
    if (nv.NewerNoncurrentVersions !== undefined) r.NoncurrentVersionExpiration.NewerNoncurrentVersions = integer(nv.NewerNoncurrentVersions);
  }
  const a = node(n.AbortIncompleteMultipartUpload);
  if (a) r.AbortIncompleteMultipartUpload = { DaysAfterInitiation: integer(a.DaysAfterInitiation) };
  return r;
}

function tagXml(t: Tag): string {
  return wrap("Tag", el("Key", t.Key) + el("Value", t.Value));
}

function filterXml(f: LifecycleFilter): string {
  const and = f.And
    ? wrap(
        "And",
        el("Prefix", f.And.Prefix) + (f.And.Tags ?? []).map(tagXml).join("") + el("ObjectSizeGreaterThan", f.And.ObjectSizeGreaterThan) + el("ObjectSizeLessThan", f.And.ObjectSizeLessThan),
      )
    : "";
  return wrap("Filter", el("Prefix", f.Prefix) + (f.Tag ? tagXml(f.Tag) : "") + el("ObjectSizeGreaterThan", f.ObjectSizeGreaterThan) + el("ObjectSizeLessThan", f.ObjectSizeLessThan) + and);
}

function ruleXml(r: LifecycleRule): string {
  const e = r.Expiration;
  const n = r.NoncurrentVersionExpiration;
  const a = r.AbortIncompleteMultipartUpload;
  return wrap(
    "Rule",
    el("ID", r.ID) +
      (r.Filter ? filterXml(r.Filter) : el("Prefix", r.Prefix)) +
      el("Status", r.Status) +
      (e ? wrap("Expiration", el("Date", e.Date) + el("Days", e.Days) + el("ExpiredObjectDeleteMarker", e.ExpiredObjectDeleteMarker)) : "") +
      (n ? wrap("NoncurrentVersionExpiration", el("NoncurrentDays", n.NoncurrentDays) + el("NewerNoncurrentVersions", n.NewerNoncurrentVersions)) : "") +
      (a ? wrap("AbortIncompleteMultipartUpload", el("DaysAfterInitiation", a.DaysAfterInitiation)) : ""),
  );
}

export async function getBucketLifecycleConfiguration(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "GetBucketLifecycleConfiguration", { Bucket: req.bucket });
  const b = await requireBucket(ctx, req.bucket);
  const cfg = readLifecycleConfiguration(b.lifecycle);
  if (!cfg) throw new S3Error("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", 404, { BucketName: req.bucket });
  sendXml(req, doc("LifecycleConfiguration", cfg.Rules.map(ruleXml).join("")), DEFAULT_MINIMUM_SIZE);
}

export async function putBucketLifecycleConfiguration(ctx: S3Context, call: S3Call): Promise<void> {
  const { req, caller } = call;
  await ctx.authorize(caller, "PutBucketLifecycleConfiguration", { Bucket: req.bucket });
  requireIntegrityHeader(req);
  const { data } = await readSmallBody(req, call.payloadHash, XML_LIMIT);
  const root = parseDocument(data, "LifecycleConfiguration");
  await requireBucket(ctx, req.bucket);
  let cfg;
  try {
    cfg = checkLifecycleConfiguration({ Rules: list(root.Rule).map((n) => readRule(node(n) ?? {})) });
  } catch (e) {
    throw refusal(e);
  }
  try {
    await ctx.store.setConfig(req.bucket, "lifecycle", JSON.stringify(cfg));
  } catch (e) {
    throw storeError(e, req.bucket);
  }
  send(req, 200, DEFAULT_MINIMUM_SIZE);
}

export async function deleteBucketLifecycle(ctx: S3Context, { req, caller }: S3Call): Promise<void> {
  await ctx.authorize(caller, "DeleteBucketLifecycle", { Bucket: req.bucket });
  try {
    await ctx.store.setConfig(req.bucket, "lifecycle", null);
  } catch (e) {
    throw storeError(e, req.bucket);
  }
  send(req, 204, {});
}
