import type { Kysely } from "kysely";
import type { Logger } from "../../log.js";
import type { Database } from "../../store/schema.js";
import type { SessionLocks } from "../../store/session-locks.js";
import type { Bucket, ObjectVersion, S3Store } from "./buckets.js";
import { dueAt, readLifecycleConfiguration, ruleApplies, type LifecycleRule } from "./lifecycle.js";
import { UploadError } from "./uploads.js";

/** Keys looked at per query: a batch's versions are all that is ever in memory. */
const KEYS_PER_BATCH = 200;

export interface LifecycleSweepOptions {
  /** a day's length in ms: 86,400,000 except in tests (--bucket-lifecycle-day-ms) */
  dayMs: number;
}

/**
 * Applies every bucket's enabled lifecycle rules once: Expiration (a delete marker on a
 * versioned bucket's current version, the object itself on an unversioned one; LifecycleExpiration
 * events), NoncurrentVersionExpiration (beyond the NewerNoncurrentVersions newest noncurrent
 * versions, those noncurrent for NoncurrentDays) and ExpiredObjectDeleteMarker (a marker that is
 * a key's only version), and AbortIncompleteMultipartUpload. Every action goes through the S3 store's own delete, under the key's
 * lock and only if the key is still as the sweep saw it, so a PUT racing the sweep wins. Several
 * processes on one PostgreSQL take turns through one session lock.
 */
export async function sweepLifecycle(
  db: Kysely<Database>,
  store: S3Store,
  locks: SessionLocks,
  log: Logger,
  opts: LifecycleSweepOptions,
  now = Date.now(),
): Promise<{ actions: number }> {
  const release = await locks.acquire("s3-lifecycle-sweep");
  let actions = 0;
  try {
    const buckets = await db.selectFrom("s3_buckets").selectAll().where("lifecycle", "is not", null).orderBy("name").execute();
    for (const b of buckets) {
      const cfg = readLifecycleConfiguration(b.lifecycle);
      const rules = cfg?.Rules.filter((r) => r.Status === "Enabled") ?? [];
      if (!rules.length) continue;
      try {
        actions += await sweepBucket(db, store, b, rules, opts.dayMs, now);
        actions += await abortIncompleteUploads(db, store, b, rules, opts.dayMs, now);
      } catch (e) {
        log.warn({ err: e, bucket: b.name }, "lifecycle sweep of a bucket failed (tried again at the next sweep)");
      }
    }
  } finally {
    await release();
  }
  return { actions };
}

async function sweepBucket(db: Kysely<Database>, store: S3Store, b: Bucket, rules: LifecycleRule[], dayMs: number, now: number): Promise<number> {
  let actions = 0;
  let after: string | undefined;
  for (;;) {
    let q = db.selectFrom("s3_versions").select("key").distinct().where("bucket", "=", b.name);
    if (after !== undefined) q = q.where("key", ">", after);
    const keys = (await q.orderBy("key").limit(KEYS_PER_BATCH).execute()).map((r) => r.key);
    if (!keys.length) return actions;
    after = keys[keys.length - 1];
    const rows = await db.selectFrom("s3_versions").selectAll().where("bucket", "=", b.name).where("key", "in", keys).orderBy("key").orderBy("id", "desc").execute();
    let start = 0;
    while (start < rows.length) {
      let end = start;
      while (end < rows.length && rows[end]!.key === rows[start]!.key) end++;
      actions += await sweepKey(store, b, rows.slice(start, end), rules, dayMs, now);
      start = end;
    }
  }
}

/** One key's versions, newest first. */
async function sweepKey(store: S3Store, b: Bucket, versions: ObjectVersion[], rules: LifecycleRule[], dayMs: number, now: number): Promise<number> {
  const key = versions[0]!.key;
  const current = versions[0]!.latest ? versions[0]! : undefined;
  let actions = 0;
  const act = async (versionId: string | undefined, still: (cur: ObjectVersion | undefined, named: ObjectVersion | undefined) => boolean) => {
    const r = await store.deleteObject(b.name, key, versionId, b.owner_arn, { lifecycle: true, onlyIf: still });
    if (!r.skipped) actions++;
  };
  // a version is removed by at most one rule, and the current version expires at most once
  const removed = new Set<number>();
  let currentDone = false;
  for (const rule of rules) {
    const e = rule.Expiration;
    if (e && !currentDone && current && !current.delete_marker && ruleApplies(rule, current)) {
      const due = e.Days !== undefined ? dueAt(current.created_at, e.Days, dayMs) : e.Date !== undefined ? Date.parse(e.Date) : Infinity;
      if (now >= due) {
        currentDone = true;
        await act(undefined, (cur) => cur?.id === current.id);
      }
    }
    // a delete marker that is all that is left of its key: ExpiredObjectDeleteMarker removes it at
    // once, and a Days or Date expiration once the marker itself is due (as S3 does)
    const lone = versions.length === 1 && current?.delete_marker ? current : undefined;
    if (e && lone && ruleApplies(rule, lone) && !removed.has(lone.id)) {
      const due = e.ExpiredObjectDeleteMarker ? 0 : e.Days !== undefined ? dueAt(lone.created_at, e.Days, dayMs) : e.Date !== undefined ? Date.parse(e.Date) : Infinity;
      if (now >= due) {
        removed.add(lone.id);
        await act(lone.version_id, (cur) => cur?.id === lone.id);
      }
    }
    const n = rule.NoncurrentVersionExpiration;
    if (n?.NoncurrentDays !== undefined) {
      const keep = n.NewerNoncurrentVersions ?? 0;
      // versions[i] became noncurrent when versions[i - 1], the version that replaced it, was made
      for (let i = 1; i < versions.length; i++) {
        const v = versions[i]!;
        if (i <= keep || removed.has(v.id) || !ruleApplies(rule, v)) continue;
        if (now < dueAt(versions[i - 1]!.created_at, n.NoncurrentDays, dayMs)) continue;
        removed.add(v.id);
        await act(v.version_id, (_cur, named) => named?.id === v.id && named.latest === 0);
      }
    }
  }
  return actions;
}

/**
 * AbortIncompleteMultipartUpload: uploads still in progress DaysAfterInitiation days (rounded up
 * to midnight, as for the other actions) after they began, under the rule's prefix (S3 allows no
 * tag filter with this action), are aborted: their parts and bytes go. An upload completed or
 * aborted meanwhile is left alone.
 */
async function abortIncompleteUploads(db: Kysely<Database>, store: S3Store, b: Bucket, rules: LifecycleRule[], dayMs: number, now: number): Promise<number> {
  let aborted = 0;
  for (const r of rules) {
    const days = r.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
    if (days === undefined) continue;
    const prefix = r.Prefix ?? r.Filter?.Prefix ?? r.Filter?.And?.Prefix ?? "";
    let after = 0;
    for (;;) {
      const batch = await db
        .selectFrom("s3_uploads")
        .select(["id", "upload_id", "key", "initiated_at"])
        .where("bucket", "=", b.name)
        .where("completed_at", "is", null)
        .where("id", ">", after)
        .orderBy("id")
        .limit(KEYS_PER_BATCH)
        .execute();
      if (!batch.length) break;
      after = batch[batch.length - 1]!.id;
      for (const u of batch) {
        if (!u.key.startsWith(prefix) || dueAt(u.initiated_at, days, dayMs) > now) continue;
        try {
          await store.uploads.abort(b.name, u.key, u.upload_id);
          aborted++;
        } catch (e) {
          if (!(e instanceof UploadError)) throw e;
        }
      }
    }
  }
  return aborted;
}

/**
 * Runs the sweep every `intervalMs`, never two at once in this process; the returned function
 * stops it (and waits for a sweep under way).
 */
export function scheduleLifecycleSweep(run: () => Promise<unknown>, intervalMs: number, log: Logger): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = run()
        .catch((e) => log.warn({ err: e }, "lifecycle sweep failed (tried again at the next interval)"))
        .finally(next);
    }, intervalMs);
    timer.unref();
  };
  next();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
