import crypto from "node:crypto";
import { ConfigRefusal, invalidArgument, malformed } from "./config-refusal.js";

/**
 * A bucket's lifecycle configuration, as the SDK names its members (stored as JSON in
 * `s3_buckets.lifecycle`), S3's checks of it, and the rules' arithmetic: which versions a rule
 * covers and when an action is due. The sweep that applies them is lifecycle-sweep.ts.
 */

export interface Tag {
  Key: string;
  Value: string;
}

export interface LifecycleFilter {
  Prefix?: string;
  Tag?: Tag;
  ObjectSizeGreaterThan?: number;
  ObjectSizeLessThan?: number;
  And?: { Prefix?: string; Tags?: Tag[]; ObjectSizeGreaterThan?: number; ObjectSizeLessThan?: number };
}

export interface LifecycleRule {
  ID: string;
  Status: "Enabled" | "Disabled";
  Filter?: LifecycleFilter;
  /** the legacy top-level prefix (instead of Filter) */
  Prefix?: string;
  Expiration?: { Days?: number; Date?: string; ExpiredObjectDeleteMarker?: boolean };
  NoncurrentVersionExpiration?: { NoncurrentDays?: number; NewerNoncurrentVersions?: number };
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation?: number };
}

export interface LifecycleConfiguration {
  Rules: LifecycleRule[];
}

export const MAX_RULES = 1000;

/** A rule's tag conditions, Filter.Tag and Filter.And.Tags alike. */
function tagsOf(f: LifecycleFilter | undefined): Tag[] {
  if (!f) return [];
  return f.Tag ? [f.Tag] : (f.And?.Tags ?? []);
}

/**
 * S3's checks: 1 to 1,000 rules, unique IDs of at most 255 characters (a missing one is made),
 * a Filter of exactly one kind or the legacy Prefix, at least one action, positive day
 * counts, a Date at midnight UTC, ExpiredObjectDeleteMarker without Days or Date and without tags.
 */
export function checkLifecycleConfiguration(cfg: LifecycleConfiguration): LifecycleConfiguration {
  if (cfg.Rules.length === 0) throw malformed();
  if (cfg.Rules.length > MAX_RULES) throw invalidArgument(`A lifecycle configuration can have at most ${MAX_RULES} rules; this one has ${cfg.Rules.length}`);
  const ids = new Set<string>();
  const rules: LifecycleRule[] = [];
  for (const given of cfg.Rules) {
    const r: LifecycleRule = { ...given, ID: given.ID || crypto.randomBytes(24).toString("base64").replace(/[+/=]/g, "").slice(0, 32) };
    if (r.ID.length > 255) throw invalidArgument("ID length should not exceed allowed limit of 255", "ID", r.ID);
    if (ids.has(r.ID)) throw invalidArgument("Rule ID must be unique. Found same ID for more than one rule", "ID", r.ID);
    ids.add(r.ID);
    if (r.Status !== "Enabled" && r.Status !== "Disabled") throw malformed();
    if (r.Filter !== undefined && r.Prefix !== undefined) throw malformed();
    if (r.Filter === undefined && r.Prefix === undefined) throw malformed();
    if (r.Filter) {
      const f = r.Filter;
      const kinds = [f.Prefix, f.Tag, f.ObjectSizeGreaterThan, f.ObjectSizeLessThan, f.And].filter((x) => x !== undefined).length;
      if (kinds > 1) throw malformed();
      const sizes = f.And ?? f;
      for (const [name, v] of [["ObjectSizeGreaterThan", sizes.ObjectSizeGreaterThan], ["ObjectSizeLessThan", sizes.ObjectSizeLessThan]] as const) {
        if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw invalidArgument(`'${name}' must be a non-negative integer`);
      }
      if (sizes.ObjectSizeGreaterThan !== undefined && sizes.ObjectSizeLessThan !== undefined && sizes.ObjectSizeLessThan <= sizes.ObjectSizeGreaterThan) {
        throw invalidArgument("ObjectSizeLessThan must be greater than ObjectSizeGreaterThan");
      }
      const keys = tagsOf(f).map((t) => t.Key);
      if (new Set(keys).size !== keys.length) throw new ConfigRefusal("InvalidRequest", "Duplicate Tag Keys are not allowed.");
    }
    const e = r.Expiration;
    const n = r.NoncurrentVersionExpiration;
    const a = r.AbortIncompleteMultipartUpload;
    if (!e && !n && !a) throw new ConfigRefusal("InvalidRequest", "At least one action needs to be specified in a rule");
    if (e) {
      const given = [e.Days, e.Date, e.ExpiredObjectDeleteMarker].filter((x) => x !== undefined).length;
      if (given !== 1) throw malformed();
      if (e.Days !== undefined && (!Number.isInteger(e.Days) || e.Days <= 0)) throw invalidArgument("'Days' for Expiration action must be a positive integer");
      if (e.Date !== undefined) {
        const t = Date.parse(e.Date);
        if (Number.isNaN(t)) throw malformed();
        if (t % 86_400_000 !== 0) throw invalidArgument("'Date' must be at midnight GMT");
      }
      if (e.ExpiredObjectDeleteMarker !== undefined && tagsOf(r.Filter).length) {
        throw invalidArgument("ExpiredObjectDeleteMarker cannot be specified with object tags");
      }
    }
    if (n) {
      if (n.NoncurrentDays === undefined) throw malformed();
      if (!Number.isInteger(n.NoncurrentDays) || n.NoncurrentDays <= 0) throw invalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer");
      if (n.NewerNoncurrentVersions !== undefined && (!Number.isInteger(n.NewerNoncurrentVersions) || n.NewerNoncurrentVersions < 1 || n.NewerNoncurrentVersions > 100)) {
        throw invalidArgument("'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be an integer from 1 to 100");
      }
    }
    if (a) {
      if (a.DaysAfterInitiation === undefined) throw malformed();
      if (!Number.isInteger(a.DaysAfterInitiation) || a.DaysAfterInitiation <= 0) {
        throw invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer");
      }
      if (tagsOf(r.Filter).length) throw invalidArgument("AbortIncompleteMultipartUpload cannot be specified with Tags.");
    }
    rules.push(r);
  }
  return { Rules: rules };
}

export function readLifecycleConfiguration(stored: string | null): LifecycleConfiguration | undefined {
  return stored ? (JSON.parse(stored) as LifecycleConfiguration) : undefined;
}

/** What a rule's filter looks at in a version. */
export interface FilterSubject {
  key: string;
  size: number;
  /** `s3_versions.tags`: a JSON array of {Key, Value}; null, no tags */
  tags: string | null;
}

export function ruleApplies(r: LifecycleRule, v: FilterSubject): boolean {
  const f = r.Filter;
  const prefix = r.Prefix ?? f?.Prefix ?? f?.And?.Prefix ?? "";
  if (!v.key.startsWith(prefix)) return false;
  const sizes = f?.And ?? f;
  if (sizes?.ObjectSizeGreaterThan !== undefined && !(v.size > sizes.ObjectSizeGreaterThan)) return false;
  if (sizes?.ObjectSizeLessThan !== undefined && !(v.size < sizes.ObjectSizeLessThan)) return false;
  const wanted = tagsOf(f);
  if (wanted.length) {
    const have = v.tags ? (JSON.parse(v.tags) as Tag[]) : [];
    if (!wanted.every((w) => have.some((h) => h.Key === w.Key && h.Value === w.Value))) return false;
  }
  return true;
}

/**
 * When an action counted in days from `since` is due: S3 adds the days and rounds up to the
 * next midnight UTC. `dayMs` is a day's length (shortened for tests); "midnight" is then a
 * multiple of it since the epoch, which for 86,400,000 ms is midnight UTC.
 */
export function dueAt(since: number, days: number, dayMs: number): number {
  return Math.ceil((since + days * dayMs) / dayMs) * dayMs;
}

/**
 * When the object's current version expires by the bucket's rules, and by which rule (the
 * earliest of the enabled Expiration rules with Days or Date that cover it), for S3's
 * `x-amz-expiration` header on PUT, GET and HEAD.
 */
export function expirationOf(stored: string | null, v: FilterSubject & { createdAt: number }, dayMs: number): { at: number; ruleId: string } | undefined {
  const cfg = readLifecycleConfiguration(stored);
  let best: { at: number; ruleId: string } | undefined;
  for (const r of cfg?.Rules ?? []) {
    const e = r.Expiration;
    if (r.Status !== "Enabled" || !e || (e.Days === undefined && e.Date === undefined) || !ruleApplies(r, v)) continue;
    const at = e.Days !== undefined ? dueAt(v.createdAt, e.Days, dayMs) : Date.parse(e.Date!);
    if (!best || at < best.at) best = { at, ruleId: r.ID };
  }
  return best;
}

/** The `x-amz-expiration` header's value: `expiry-date="Fri, 23 Dec 2012 00:00:00 GMT", rule-id="…"`. */
export function expirationHeader(e: { at: number; ruleId: string } | undefined): string | undefined {
  return e ? `expiry-date="${new Date(e.at).toUTCString()}", rule-id="${encodeURIComponent(e.ruleId)}"` : undefined;
}
