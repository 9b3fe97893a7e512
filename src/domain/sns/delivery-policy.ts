import { invalidParameter, parseJsonObject } from "./common.js";

/**
 * SNS's HTTP/S delivery policy: how often, and how far apart, a failed delivery is retried,
 * with which content type and at what rate. Topics carry it under `http` (defaults for every
 * subscription), subscriptions carry their own (which win unless the topic disables overrides).
 */
export interface RetryPolicy {
  minDelayTarget: number;
  maxDelayTarget: number;
  numRetries: number;
  numNoDelayRetries: number;
  numMinDelayRetries: number;
  numMaxDelayRetries: number;
  backoffFunction: "linear" | "arithmetic" | "geometric" | "exponential";
}

export const DEFAULT_RETRY: RetryPolicy = {
  minDelayTarget: 20,
  maxDelayTarget: 20,
  numRetries: 3,
  numMaxDelayRetries: 0,
  numNoDelayRetries: 0,
  numMinDelayRetries: 0,
  backoffFunction: "linear",
};

export const DEFAULT_CONTENT_TYPE = "text/plain; charset=UTF-8";

/** What a delivery row carries: its retries (seconds), content type and rate. */
export interface DeliveryPlan {
  retry: RetryPolicy;
  /** explicit delays (seconds) before each retry, instead of a policy (Lambda's 60 s, 120 s) */
  delays?: number[];
  contentType: string;
  maxReceivesPerSecond?: number;
}

export interface TopicDeliveryPolicy {
  http?: {
    defaultHealthyRetryPolicy?: Partial<RetryPolicy>;
    disableSubscriptionOverrides?: boolean;
    defaultThrottlePolicy?: { maxReceivesPerSecond?: number };
    defaultRequestPolicy?: { headerContentType?: string };
  };
}

export interface SubscriptionDeliveryPolicy {
  healthyRetryPolicy?: Partial<RetryPolicy>;
  throttlePolicy?: { maxReceivesPerSecond?: number } | null;
  requestPolicy?: { headerContentType?: string } | null;
}

const BACKOFF = new Set(["linear", "arithmetic", "geometric", "exponential"]);
const RETRY_KEYS = new Set(Object.keys(DEFAULT_RETRY));

function fail(reason: string): never {
  throw invalidParameter(`DeliveryPolicy: ${reason}`);
}

function checkRetry(v: unknown, where: string): Partial<RetryPolicy> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) fail(`${where} must be an object`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!RETRY_KEYS.has(k)) fail(`${where}.${k} is not a retry policy field`);
  const out: Partial<RetryPolicy> = {};
  for (const k of ["minDelayTarget", "maxDelayTarget", "numRetries", "numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries"] as const) {
    if (o[k] === undefined) continue;
    const n = o[k];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) fail(`${where}.${k} must be a non-negative integer`);
    out[k] = n;
  }
  if (o.backoffFunction !== undefined) {
    if (typeof o.backoffFunction !== "string" || !BACKOFF.has(o.backoffFunction)) fail(`${where}.backoffFunction must be linear, arithmetic, geometric or exponential`);
    out.backoffFunction = o.backoffFunction as RetryPolicy["backoffFunction"];
  }
  const r = { ...DEFAULT_RETRY, ...out };
  if (r.numRetries > 100) fail(`${where}.numRetries must be less than or equal to 100`);
  if (r.minDelayTarget < 1) fail(`${where}.minDelayTarget must be greater than or equal to 1`);
  if (r.maxDelayTarget > 3600) fail(`${where}.maxDelayTarget must be less than or equal to 3600`);
  if (r.minDelayTarget > r.maxDelayTarget) fail(`${where}.minDelayTarget must be less than or equal to maxDelayTarget`);
  if (r.numNoDelayRetries + r.numMinDelayRetries + r.numMaxDelayRetries > r.numRetries) {
    fail(`${where}: numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries`);
  }
  const total = retryDelays(r).reduce((a, b) => a + b, 0);
  if (total > 3600) fail(`${where}: the total time of all retries must be at most 3600 seconds`);
  return out;
}

function checkRate(v: unknown, where: string): { maxReceivesPerSecond?: number } | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) fail(`${where} must be an object`);
  const n = (v as Record<string, unknown>).maxReceivesPerSecond;
  if (n === undefined) return {};
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) fail(`${where}.maxReceivesPerSecond must be a positive integer`);
  return { maxReceivesPerSecond: n };
}

function checkRequest(v: unknown, where: string): { headerContentType?: string } | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) fail(`${where} must be an object`);
  const t = (v as Record<string, unknown>).headerContentType;
  if (t === undefined) return {};
  if (typeof t !== "string" || !t || /[\r\n]/.test(t)) fail(`${where}.headerContentType must be a content type`);
  return { headerContentType: t };
}

/** Validates a topic's DeliveryPolicy attribute ("" clears it). */
export function parseTopicDeliveryPolicy(text: string): TopicDeliveryPolicy | undefined {
  if (text === "") return undefined;
  const o = parseJsonObject(text);
  if (!o) fail("the policy is not a JSON object");
  const out: TopicDeliveryPolicy = {};
  for (const [k, v] of Object.entries(o)) {
    // other protocols' sections (sqs, lambda…) are accepted and have no effect here
    if (k !== "http") continue;
    if (!v || typeof v !== "object" || Array.isArray(v)) fail("http must be an object");
    const h = v as Record<string, unknown>;
    if (h.disableSubscriptionOverrides !== undefined && typeof h.disableSubscriptionOverrides !== "boolean") {
      fail("http.disableSubscriptionOverrides must be true or false");
    }
    out.http = {
      defaultHealthyRetryPolicy: checkRetry(h.defaultHealthyRetryPolicy, "http.defaultHealthyRetryPolicy"),
      disableSubscriptionOverrides: h.disableSubscriptionOverrides as boolean | undefined,
      defaultThrottlePolicy: checkRate(h.defaultThrottlePolicy, "http.defaultThrottlePolicy"),
      defaultRequestPolicy: checkRequest(h.defaultRequestPolicy, "http.defaultRequestPolicy"),
    };
  }
  return out;
}

/** Validates a subscription's DeliveryPolicy attribute ("" clears it). */
export function parseSubscriptionDeliveryPolicy(text: string): SubscriptionDeliveryPolicy | undefined {
  if (text === "") return undefined;
  const o = parseJsonObject(text);
  if (!o) fail("the policy is not a JSON object");
  return {
    healthyRetryPolicy: checkRetry(o.healthyRetryPolicy, "healthyRetryPolicy"),
    throttlePolicy: checkRate(o.throttlePolicy, "throttlePolicy"),
    requestPolicy: checkRequest(o.requestPolicy, "requestPolicy"),
  };
}

/** The plan for one subscription: its own policy, else the topic's, else SNS's defaults. */
export function effectivePlan(topicPolicyText: string | undefined, subscriptionPolicyText: string | undefined): DeliveryPlan {
  const topic = topicPolicyText ? parseTopicDeliveryPolicy(topicPolicyText)?.http : undefined;
  let retry: RetryPolicy = { ...DEFAULT_RETRY, ...(topic?.defaultHealthyRetryPolicy ?? {}) };
  let contentType = topic?.defaultRequestPolicy?.headerContentType ?? DEFAULT_CONTENT_TYPE;
  let rate = topic?.defaultThrottlePolicy?.maxReceivesPerSecond;
  const sub = subscriptionPolicyText && !topic?.disableSubscriptionOverrides ? parseSubscriptionDeliveryPolicy(subscriptionPolicyText) : undefined;
  if (sub) {
    if (sub.healthyRetryPolicy && Object.keys(sub.healthyRetryPolicy).length) retry = { ...DEFAULT_RETRY, ...sub.healthyRetryPolicy };
    contentType = sub.requestPolicy?.headerContentType ?? contentType;
    rate = sub.throttlePolicy?.maxReceivesPerSecond ?? rate;
  }
  return { retry, contentType, ...(rate ? { maxReceivesPerSecond: rate } : {}) };
}

/** The EffectiveDeliveryPolicy topic attribute, in AWS's member order. */
export function topicEffectivePolicy(topicPolicyText: string | undefined): string {
  const topic = topicPolicyText ? parseTopicDeliveryPolicy(topicPolicyText)?.http : undefined;
  const retry = { ...DEFAULT_RETRY, ...(topic?.defaultHealthyRetryPolicy ?? {}) };
  const http: Record<string, unknown> = {
    defaultHealthyRetryPolicy: orderRetry(retry),
    disableSubscriptionOverrides: topic?.disableSubscriptionOverrides ?? false,
  };
  if (topic?.defaultThrottlePolicy?.maxReceivesPerSecond) http.defaultThrottlePolicy = topic.defaultThrottlePolicy;
  http.defaultRequestPolicy = { headerContentType: topic?.defaultRequestPolicy?.headerContentType ?? DEFAULT_CONTENT_TYPE };
  return JSON.stringify({ http });
}

/** The EffectiveDeliveryPolicy subscription attribute. */
export function subscriptionEffectivePolicy(topicPolicyText: string | undefined, subscriptionPolicyText: string | undefined): string {
  const plan = effectivePlan(topicPolicyText, subscriptionPolicyText);
  return JSON.stringify({
    healthyRetryPolicy: orderRetry(plan.retry),
    sicklyRetryPolicy: null,
    throttlePolicy: plan.maxReceivesPerSecond ? { maxReceivesPerSecond: plan.maxReceivesPerSecond } : null,
    requestPolicy: { headerContentType: plan.contentType },
    guaranteed: false,
  });
}

function orderRetry(r: RetryPolicy) {
  return {
    minDelayTarget: r.minDelayTarget,
    maxDelayTarget: r.maxDelayTarget,
    numRetries: r.numRetries,
    numMaxDelayRetries: r.numMaxDelayRetries,
    numNoDelayRetries: r.numNoDelayRetries,
    numMinDelayRetries: r.numMinDelayRetries,
    backoffFunction: r.backoffFunction,
  };
}

/**
 * The delay (seconds) before each retry, in SNS's four phases: immediate retries, retries at
 * the minimum delay, the backoff from minimum to maximum, retries at the maximum delay.
 */
export function retryDelays(r: RetryPolicy): number[] {
  const out: number[] = [];
  for (let i = 0; i < r.numNoDelayRetries; i++) out.push(0);
  for (let i = 0; i < r.numMinDelayRetries; i++) out.push(r.minDelayTarget);
  const backoff = Math.max(0, r.numRetries - r.numNoDelayRetries - r.numMinDelayRetries - r.numMaxDelayRetries);
  for (let i = 1; i <= backoff; i++) out.push(r.minDelayTarget + (r.maxDelayTarget - r.minDelayTarget) * curve(r.backoffFunction, i, backoff));
  for (let i = 0; i < r.numMaxDelayRetries; i++) out.push(r.maxDelayTarget);
  return out.slice(0, r.numRetries);
}

/** Fraction 0..1 of the way from the minimum to the maximum delay at backoff step i of n. */
function curve(fn: RetryPolicy["backoffFunction"], i: number, n: number): number {
  if (n <= 1) return n === 1 ? 1 : 0;
  const x = (i - 1) / (n - 1);
  switch (fn) {
    case "linear":
      return x;
    case "arithmetic":
      return (x * (x + 1)) / 2;
    case "geometric":
      return (Math.pow(2, x * 4) - 1) / 15;
    case "exponential":
      return (Math.exp(x * 5) - 1) / (Math.exp(5) - 1);
  }
}

/** The delays of a stored plan. */
export function planDelays(plan: DeliveryPlan): number[] {
  return plan.delays ?? retryDelays(plan.retry);
}
