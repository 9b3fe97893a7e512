/**
 * The request context: the condition keys and values a request carries, as AWS builds it.
 * Keys are case-insensitive; values are text (AWS passes numbers, dates and booleans as
 * strings too), or lists of text for multivalued keys such as `aws:TagKeys`.
 */

import { normaliseIp } from "./ip.js";
import type { ContextLookup, ContextValue } from "./types.js";

export type ContextInput = Readonly<Record<string, ContextValue>>;

/** An immutable context; `with` makes the variant for one more check (e.g. one pushed ref). */
export class RequestContext implements ContextLookup {
  private constructor(
    private readonly values: ReadonlyMap<string, ContextValue>,
    /** when set, every lookup of an absent key adds the key here (the simulator's MissingContextValues) */
    private readonly misses?: Set<string>,
  ) {}

  static readonly empty = new RequestContext(new Map());

  static from(input: ContextInput | RequestContext): RequestContext {
    if (input instanceof RequestContext) return input;
    return RequestContext.empty.with(input);
  }

  /** A copy with these keys set (replacing any value they had, whatever its case). */
  with(entries: ContextInput): RequestContext {
    const next = new Map(this.values);
    for (const [key, value] of Object.entries(entries)) next.set(key.toLowerCase(), typeof value === "string" ? value : [...value]);
    return new RequestContext(next);
  }

  /** A copy without these keys. */
  without(...keys: string[]): RequestContext {
    const next = new Map(this.values);
    for (const key of keys) next.delete(key.toLowerCase());
    return new RequestContext(next);
  }

  /** The value under a key of any case; an empty list reads as missing, as in AWS. */
  get(key: string): ContextValue | undefined {
    return this.lookup(key.toLowerCase());
  }

  lookup(lowerCaseKey: string): ContextValue | undefined {
    const v = this.values.get(lowerCaseKey);
    const value = typeof v === "object" && v.length === 0 ? undefined : v;
    if (value === undefined) this.misses?.add(lowerCaseKey);
    return value;
  }

  /**
   * The same context, noting in `misses` (lower-cased) every key an evaluation looked for and
   * did not find: the keys a decision needed but the request did not have.
   */
  recordingMisses(misses: Set<string>): RequestContext {
    return new RequestContext(this.values, misses);
  }

  /** Whether lookups are being recorded (evaluation then looks at every condition, to name them all). */
  get recording(): boolean {
    return this.misses !== undefined;
  }

  /** Lower-cased keys and their values, for reports and tests. */
  entries(): [string, ContextValue][] {
    return [...this.values.entries()];
  }
}

/** Who is asking; `Principal` from src/domain/context.ts fits, plus the optional extras. */
export interface PrincipalInfo {
  kind: "user" | "assumed-role";
  /** user ARN, or for a role session `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` */
  arn: string;
  /** `AIDA…` for users, `AROA…:session` for role sessions; absent when not known (a simulated role has no session) */
  userId?: string;
  accountId: string;
  /** users only */
  userName?: string;
  /** for role sessions: the role's ARN with its path; derived from the session ARN when absent */
  roleArn?: string;
  /** IAM tags of the user or role (and session tags), as aws:PrincipalTag/<key> */
  tags?: Readonly<Record<string, string>>;
  /** for temporary credentials: when they were issued (aws:TokenIssueTime) */
  tokenIssueTime?: Date;
}

/**
 * What the request itself tells: where it came from, how, and when. Enforcement always knows
 * these; the simulator knows only what its context entries say, so a fact left out here is
 * absent from the context (never made up), as in AWS.
 */
export interface RequestFacts {
  sourceIp?: string;
  secureTransport?: boolean;
  /** undefined: now; null: not known (aws:CurrentTime and aws:EpochTime are then absent) */
  time?: Date | null;
  /** the region the request is for (aws:RequestedRegion) */
  region?: string;
  userAgent?: string;
}

/**
 * The context of a request: AWS's global keys for this principal and request, then the
 * service's keys (`codecommit:References`, `aws:RequestTag/…`, `aws:TagKeys`,
 * `aws:ResourceTag/…`, `sns:Protocol`, `iam:PolicyARN`, …). Service keys are applied last and
 * replace a global key of the same name, which is what SimulatePrincipalPolicy's context
 * entries need.
 */
export function buildRequestContext(principal: PrincipalInfo, request: RequestFacts, serviceKeys: ContextInput = {}): RequestContext {
  const time = request.time === undefined ? new Date() : request.time;
  const keys: Record<string, ContextValue> = {
    "aws:PrincipalArn": principal.kind === "assumed-role" ? (principal.roleArn ?? roleArnOf(principal.arn)) : principal.arn,
    "aws:PrincipalAccount": principal.accountId,
    "aws:PrincipalType": principal.kind === "user" ? "User" : "AssumedRole",
    "aws:ViaAWSService": "false",
    "aws:PrincipalIsAWSService": "false",
  };
  if (request.sourceIp !== undefined) keys["aws:SourceIp"] = normaliseIp(request.sourceIp);
  if (request.secureTransport !== undefined) keys["aws:SecureTransport"] = request.secureTransport ? "true" : "false";
  if (time) {
    keys["aws:CurrentTime"] = isoSeconds(time);
    keys["aws:EpochTime"] = String(Math.floor(time.getTime() / 1000));
  }
  if (principal.userId) keys["aws:userid"] = principal.userId;
  if (principal.kind === "user" && principal.userName !== undefined) keys["aws:username"] = principal.userName;
  if (request.region !== undefined) keys["aws:RequestedRegion"] = request.region;
  if (request.userAgent !== undefined) keys["aws:UserAgent"] = request.userAgent;
  if (principal.tokenIssueTime !== undefined) keys["aws:TokenIssueTime"] = isoSeconds(principal.tokenIssueTime);
  for (const [k, v] of Object.entries(principal.tags ?? {})) keys[`aws:PrincipalTag/${k}`] = v;
  return RequestContext.empty.with(keys).with(serviceKeys);
}

/** AWS's spelling of its global condition keys, for naming a key a decision found missing. */
export const GLOBAL_CONDITION_KEYS: readonly string[] = [
  "aws:CalledVia", "aws:CurrentTime", "aws:EpochTime", "aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent",
  "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalIsAWSService", "aws:PrincipalOrgID", "aws:PrincipalType",
  "aws:Referer", "aws:RequestedRegion", "aws:SecureTransport", "aws:SourceAccount", "aws:SourceArn", "aws:SourceIp",
  "aws:SourceVpc", "aws:SourceVpce", "aws:TagKeys", "aws:TokenIssueTime", "aws:UserAgent", "aws:userid", "aws:username",
  "aws:ViaAWSService", "aws:VpcSourceIp", "codecommit:References",
];

/** `2024-05-01T12:00:00Z`, the form AWS gives aws:CurrentTime. */
export function isoSeconds(t: Date): string {
  return t.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `arn:aws:sts::1:assumed-role/R/S` → `arn:aws:iam::1:role/R` (the path, if any, is not in a session ARN). */
export function roleArnOf(sessionArn: string): string {
  const m = /^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\/.*$/.exec(sessionArn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : sessionArn;
}

export type TagList = Readonly<Record<string, string>> | readonly { Key: string; Value: string }[];

function tagEntries(tags: TagList): [string, string][] {
  return Array.isArray(tags)
    ? (tags as readonly { Key: string; Value: string }[]).map((t) => [t.Key, t.Value])
    : Object.entries(tags as Record<string, string>);
}

/** The keys a tagging request carries: `aws:RequestTag/<key>` for each tag, and `aws:TagKeys`. */
export function requestTagKeys(tags: TagList): Record<string, ContextValue> {
  const out: Record<string, ContextValue> = {};
  const keys: string[] = [];
  for (const [k, v] of tagEntries(tags)) {
    out[`aws:RequestTag/${k}`] = v;
    keys.push(k);
  }
  out["aws:TagKeys"] = keys;
  return out;
}

/** `aws:TagKeys` alone, for untagging requests, which name keys only. */
export function tagKeysOnly(keys: readonly string[]): Record<string, ContextValue> {
  return { "aws:TagKeys": [...keys] };
}

/** The tags of the resource acted on, as `aws:ResourceTag/<key>`. */
export function resourceTagKeys(tags: TagList): Record<string, ContextValue> {
  const out: Record<string, ContextValue> = {};
  for (const [k, v] of tagEntries(tags)) out[`aws:ResourceTag/${k}`] = v;
  return out;
}
