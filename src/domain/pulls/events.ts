import type { Kysely } from "kysely";
import { ServiceError } from "../../errors.js";
import type { Database } from "../../store/schema.js";

/** The model's PullRequestEventType, each with the member its metadata travels in. */
export const EVENT_METADATA_MEMBER = {
  PULL_REQUEST_CREATED: "pullRequestCreatedEventMetadata",
  PULL_REQUEST_STATUS_CHANGED: "pullRequestStatusChangedEventMetadata",
  PULL_REQUEST_SOURCE_REFERENCE_UPDATED: "pullRequestSourceReferenceUpdatedEventMetadata",
  PULL_REQUEST_MERGE_STATE_CHANGED: "pullRequestMergedStateChangedEventMetadata",
  PULL_REQUEST_APPROVAL_RULE_CREATED: "approvalRuleEventMetadata",
  PULL_REQUEST_APPROVAL_RULE_UPDATED: "approvalRuleEventMetadata",
  PULL_REQUEST_APPROVAL_RULE_DELETED: "approvalRuleEventMetadata",
  PULL_REQUEST_APPROVAL_RULE_OVERRIDDEN: "approvalRuleOverriddenEventMetadata",
  PULL_REQUEST_APPROVAL_STATE_CHANGED: "approvalStateChangedEventMetadata",
} as const;

export type PullRequestEventType = keyof typeof EVENT_METADATA_MEMBER;

export function validateEventType(value: unknown): PullRequestEventType | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || !Object.hasOwn(EVENT_METADATA_MEMBER, value)) {
    throw new ServiceError(
      "InvalidPullRequestEventTypeException",
      `The pull request event type '${String(value)}' is not valid: use one of ${Object.keys(EVENT_METADATA_MEMBER).join(", ")}.`,
    );
  }
  return value as PullRequestEventType;
}

/**
 * Appends an event to a pull request's history, in the transaction that makes the change it
 * describes, and moves the pull request's lastActivityDate.
 */
export async function recordEvent(
  trx: Kysely<Database>,
  pullRequestId: number,
  type: PullRequestEventType,
  actorArn: string,
  metadata: Record<string, unknown>,
  at = Date.now(),
): Promise<void> {
  await trx
    .insertInto("pull_request_events")
    .values({ pull_request_id: pullRequestId, event_type: type, actor_arn: actorArn, metadata: JSON.stringify(metadata), created_at: at })
    .execute();
  await trx.updateTable("pull_requests").set({ last_activity_at: at }).where("id", "=", pullRequestId).execute();
}

export interface PullRequestEventView {
  pullRequestId: string;
  eventDate: Date;
  pullRequestEventType: PullRequestEventType;
  actorArn: string;
  [metadataMember: string]: unknown;
}

export function eventView(row: { pull_request_id: number; event_type: string; actor_arn: string; metadata: string; created_at: number }): PullRequestEventView {
  const type = row.event_type as PullRequestEventType;
  return {
    pullRequestId: String(row.pull_request_id),
    eventDate: new Date(row.created_at),
    pullRequestEventType: type,
    actorArn: row.actor_arn,
    [EVENT_METADATA_MEMBER[type]]: JSON.parse(row.metadata),
  };
}
