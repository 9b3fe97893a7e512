import type { Kysely } from "kysely";
import { ServiceError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { Engine } from "../../store/db.js";
import type { Database } from "../../store/schema.js";
import { partitionOf } from "../repos/arn.js";

/** SNS's errors, by their awsQuery codes (the model's `awsQueryError`). */
export function invalidParameter(what: string): ServiceError {
  return new ServiceError("InvalidParameter", `Invalid parameter: ${what}`);
}

export function invalidParameterValue(message: string): ServiceError {
  return new ServiceError("ParameterValueInvalid", message);
}

export function topicNotFound(): ServiceError {
  return new ServiceError("NotFound", "Topic does not exist", { status: 404 });
}

export function subscriptionNotFound(): ServiceError {
  return new ServiceError("NotFound", "Subscription does not exist", { status: 404 });
}

export function authorizationError(message: string): ServiceError {
  return new ServiceError("AuthorizationError", message, { status: 403 });
}

/** Public URLs of this server, known once the listener is up. */
export interface PublicUrls {
  /** e.g. https://git.example.com (no trailing slash) */
  base(): string;
}

/** What every SNS operation needs. */
export class SnsDeps {
  readonly partition: string;

  constructor(
    readonly db: Kysely<Database>,
    readonly region: string,
    readonly accountId: string,
    readonly urls: PublicUrls,
    readonly log: Logger,
    /** told whenever deliveries were queued (wakes the delivery workers) */
    readonly queued: () => void,
    readonly engine: Engine = "sqlite",
  ) {
    this.partition = partitionOf(region);
  }

  topicArn(name: string): string {
    return `arn:${this.partition}:sns:${this.region}:${this.accountId}:${name}`;
  }

  subscribeUrl(topicArn: string, token: string): string {
    return `${this.urls.base()}/?Action=ConfirmSubscription&TopicArn=${topicArn}&Token=${token}`;
  }
}

/** The unsigned link a notification carries for leaving the subscription. */
export function unsubscribeUrl(base: string, subscriptionArn: string): string {
  return `${base}/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`;
}

export const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Checks that a topic ARN is well formed and names a topic of this region and account (the
 * only place topics can be). Returns the topic name.
 */
export function checkTopicArn(deps: SnsDeps, value: unknown, member = "TopicArn"): string {
  if (typeof value !== "string" || value === "") throw invalidParameter(`${member}`);
  const parts = value.split(":");
  if (parts.length < 6) throw invalidParameter(`${member} Reason: An ARN must have at least 6 elements, not ${parts.length}`);
  const [arn, partition, service, region, account, ...rest] = parts;
  const name = rest.join(":");
  if (arn !== "arn" || service !== "sns" || !TOPIC_NAME.test(name.replace(/\.fifo$/, ""))) throw invalidParameter(member);
  if (partition !== deps.partition || region !== deps.region || account !== deps.accountId) throw invalidParameter(member);
  return name;
}

/** Checks a subscription ARN's form; returns its topic ARN. */
export function checkSubscriptionArn(deps: SnsDeps, value: unknown): string {
  if (typeof value !== "string" || value === "") throw invalidParameter("SubscriptionArn");
  const cut = value.lastIndexOf(":");
  const topicArn = value.slice(0, cut);
  if (cut < 0 || !SUBSCRIPTION_ID.test(value.slice(cut + 1))) throw invalidParameter("SubscriptionArn");
  checkTopicArn(deps, topicArn, "SubscriptionArn");
  return topicArn;
}

/** Opaque list positions (base64url JSON). */
export function encodeNextToken(position: string): string {
  return Buffer.from(JSON.stringify({ after: position })).toString("base64url");
}

export function decodeNextToken(token: unknown): string | undefined {
  if (token === undefined || token === null || token === "") return undefined;
  try {
    const v = JSON.parse(Buffer.from(String(token), "base64url").toString("utf8")) as { after?: unknown };
    if (typeof v.after === "string") return v.after;
  } catch {
    /* fall through */
  }
  throw invalidParameter("NextToken");
}

export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
