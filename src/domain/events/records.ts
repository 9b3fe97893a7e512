import crypto from "node:crypto";
import { ZERO_OID } from "../../git/repository.js";
import type { RefChange } from "./ref-ledger.js";

/** A repository trigger as PutRepositoryTriggers stores it. */
export interface Trigger {
  name: string;
  destinationArn: string;
  customData?: string;
  /** [] = every branch */
  branches: string[];
  /** all | updateReference | createReference | deleteReference */
  events: string[];
}

/** One entry of `codecommit.references`. */
export interface EventReference {
  commit: string;
  ref: string;
  created?: true;
  deleted?: true;
}

/** The most references one record carries; larger pushes are sent in parts. */
export const REFERENCES_PER_PART = 1000;

/** CodeCommit's eventTime: `yyyy-MM-dd'T'HH:mm:ss.SSS+0000` (Go's strict parser needs exactly this). */
export function eventTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

function kind(c: RefChange): "createReference" | "deleteReference" | "updateReference" {
  if (c.oldCommit === ZERO_OID) return "createReference";
  if (c.newCommit === ZERO_OID) return "deleteReference";
  return "updateReference";
}

/** The references of a ref change that a trigger's branch and event filters let through. */
export function matchingReferences(trigger: Trigger, changes: RefChange[]): EventReference[] {
  const all = trigger.events.includes("all");
  const out: EventReference[] = [];
  for (const c of changes) {
    const k = kind(c);
    if (!all && !trigger.events.includes(k)) continue;
    if (trigger.branches.length && !trigger.branches.some((b) => c.ref === `refs/heads/${b}`)) continue;
    if (k === "createReference") out.push({ commit: c.newCommit, ref: c.ref, created: true });
    else if (k === "deleteReference") out.push({ commit: c.oldCommit, ref: c.ref, deleted: true });
    else out.push({ commit: c.newCommit, ref: c.ref });
  }
  return out;
}

export interface RecordContext {
  region: string;
  repositoryArn: string;
  userIdentityArn: string;
  time: number;
  trigger: Trigger;
  configurationId: string;
  eventName?: string;
}

/**
 * The event CodeCommit sends: `{"Records":[…]}`, members in CodeCommit's (alphabetical)
 * order, one document per part of at most REFERENCES_PER_PART references.
 */
export function eventDocuments(ctx: RecordContext, references: EventReference[]): string[] {
  const parts: EventReference[][] = [];
  for (let i = 0; i < references.length; i += REFERENCES_PER_PART) parts.push(references.slice(i, i + REFERENCES_PER_PART));
  return parts.map((refs, i) =>
    JSON.stringify({
      Records: [
        {
          awsRegion: ctx.region,
          codecommit: { references: refs },
          customData: ctx.trigger.customData ? ctx.trigger.customData : null,
          eventId: crypto.randomUUID(),
          eventName: ctx.eventName ?? "ReferenceChanges",
          eventPartNumber: i + 1,
          eventSource: "aws:codecommit",
          eventSourceARN: ctx.repositoryArn,
          eventTime: eventTime(ctx.time),
          eventTotalParts: parts.length,
          eventTriggerConfigId: ctx.configurationId,
          eventTriggerName: ctx.trigger.name,
          eventVersion: "1.0",
          userIdentityARN: ctx.userIdentityArn,
        },
      ],
    }),
  );
}

/** The Subject CodeCommit gives the SNS messages of its triggers. */
export function triggerSubject(region: string, repositoryName: string): string {
  return `UPDATE: AWS CodeCommit ${region} push: ${repositoryName}`;
}
