import crypto from "node:crypto";
import type { Insertable, Kysely, Selectable } from "kysely";
import { isUniqueViolation, lockInTransaction, type Engine } from "../../store/db.js";
import type { Database, S3BucketsTable, S3VersionsTable } from "../../store/schema.js";
import type { Logger } from "../../log.js";
import type { ObjectStore } from "./object-store.js";
import { Uploads } from "./uploads.js";

export type Bucket = Selectable<S3BucketsTable>;
export type ObjectVersion = Selectable<S3VersionsTable>;
export type VersioningStatus = "Enabled" | "Suspended";

/** One tag of an object version or a bucket, as S3's TagSet gives it. */
export interface Tag {
  Key: string;
  Value: string;
}

/** A stored tag set (JSON text, null for none) as a list. */
export function tagsOf(stored: string | null): Tag[] {
  return stored ? (JSON.parse(stored) as Tag[]) : [];
}

/** What a tag set is stored as: none is null, so "has tags" is one test. */
function storedTags(tags: Tag[] | undefined | null): string | null {
  return tags && tags.length > 0 ? JSON.stringify(tags) : null;
}

/** What the object store's rules refuse; the protocol layer names them S3's way. */
export class S3StoreError extends Error {
  constructor(readonly code: "NoSuchBucket" | "BucketNotEmpty" | "InvalidVersionId") {
    super(code);
  }
}

/** The fields of a new version, its bytes already durable in the ObjectStore. */
export interface NewVersion {
  blob: string;
  size: number;
  etag: string;
  contentType: string | null;
  headers: Record<string, string>;
  checksumAlgorithm: string | null;
  checksum: string | null;
  ownerArn: string;
  /** which request made it, for the ObjectCreated event's name (default "Put") */
  cause?: CreationCause;
  /** who asked, for the event's userIdentity and requestParameters */
  origin?: ChangeOrigin;
  /** the version's tag set (x-amz-tagging, or a copy's); none when absent or empty */
  tags?: Tag[];
  /** the part sizes, in part order, of an object CompleteMultipartUpload made */
  parts?: number[];
}

export type CreationCause = "Put" | "Copy" | "CompleteMultipartUpload";

/** The request behind a change, as S3's event records name it. */
export interface ChangeOrigin {
  /** `AWS:AIDA…` for a user, `AWS:AROA…:session` for a role session */
  principalId: string;
  sourceIp: string;
  requestId: string;
}

/**
 * What happened to a key, as an S3 event names it (`ObjectCreated:Put`,
 * `ObjectRemoved:DeleteMarkerCreated`, `LifecycleExpiration:Delete`, …), told to the bucket's
 * event sink inside the change's transaction.
 */
export interface ObjectEvent {
  eventName: string;
  key: string;
  /** absent for a removal */
  size?: number;
  etag?: string;
  /** only for a bucket that has been versioned */
  versionId?: string;
  /** absent for changes made by the server itself (lifecycle) */
  origin?: ChangeOrigin;
  time: number;
}

/** Where object events go (bucket notifications); `record` runs inside the change's transaction. */
export interface ObjectEventSink {
  /** true when anything was queued for delivery */
  record(trx: Kysely<Database>, bucket: Bucket, event: ObjectEvent): Promise<boolean>;
  /** after the commit of a change whose record queued something */
  committed(): void;
}

export interface DeleteOptions {
  origin?: ChangeOrigin;
  /** a lifecycle rule's action: the event is LifecycleExpiration:…, not ObjectRemoved:… */
  lifecycle?: boolean;
  /**
   * under the key's lock, before anything changes: the key's current version (or marker) and
   * the version named; false leaves everything as it is (the outcome is `skipped`)
   */
  onlyIf?: (current: ObjectVersion | undefined, named: ObjectVersion | undefined) => boolean;
}

export interface DeleteOutcome {
  /** the version (or marker) removed, or the marker made; absent in an unversioned bucket */
  versionId?: string;
  deleteMarker: boolean;
  /** DeleteOptions.onlyIf said no */
  skipped?: boolean;
}

/** The MD5 of nothing: a delete marker's ETag */
const EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e";

/** Version IDs this server makes: 32 letters and digits (URL-safe ones accepted). */
const VERSION_ID = /^[A-Za-z0-9_-]{32}$/;

export function isValidVersionId(v: string): boolean {
  return v === "null" || VERSION_ID.test(v);
}

/**
 * Buckets and object versions in the SQL store. Every change to a key runs in one transaction
 * under the key's lock; a version row is inserted only after its blob is durable, and a blob a
 * change replaced is deleted only after the change commits.
 */
export class S3Store {
  /** multipart uploads in progress, whose Complete ends in putVersion */
  readonly uploads: Uploads;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    readonly objects: ObjectStore,
    private readonly log: Logger,
    /** bucket notifications, told of every change in its transaction */
    private readonly events?: ObjectEventSink,
  ) {
    this.uploads = new Uploads(db, engine, objects, this);
  }

  async createBucket(name: string, region: string, ownerArn: string): Promise<"created" | "exists"> {
    try {
      await this.db.insertInto("s3_buckets").values({ name, region, versioning: null, owner_arn: ownerArn, created_at: Date.now() }).execute();
      return "created";
    } catch (e) {
      if (isUniqueViolation(e)) return "exists";
      throw e;
    }
  }

  getBucket(name: string): Promise<Bucket | undefined> {
    return this.db.selectFrom("s3_buckets").selectAll().where("name", "=", name).executeTakeFirst();
  }

  async requireBucket(name: string): Promise<Bucket> {
    const b = await this.getBucket(name);
    if (!b) throw new S3StoreError("NoSuchBucket");
    return b;
  }

  listBuckets(): Promise<Bucket[]> {
    return this.db.selectFrom("s3_buckets").selectAll().orderBy("name").execute();
  }

  /**
   * Refuses while any version or delete marker remains. Multipart uploads in progress do not
   * keep a bucket (as on AWS): they go with it, and their parts' bytes after the commit.
   */
  async deleteBucket(name: string): Promise<void> {
    const dropped: string[] = [];
    await this.db.transaction().execute(async (trx) => {
      await lockInTransaction(trx, this.engine, `s3-bucket:${name}`);
      await requireIn(trx, name);
      const any = await trx.selectFrom("s3_versions").select("id").where("bucket", "=", name).limit(1).executeTakeFirst();
      if (any) throw new S3StoreError("BucketNotEmpty");
      dropped.push(...(await this.uploads.removeAllIn(trx, name)));
      await trx.deleteFrom("s3_buckets").where("name", "=", name).execute();
    });
    await this.dropBlobs(dropped);
  }

  async setVersioning(name: string, status: VersioningStatus): Promise<void> {
    const r = await this.db.updateTable("s3_buckets").set({ versioning: status }).where("name", "=", name).executeTakeFirst();
    if (!r.numUpdatedRows) throw new S3StoreError("NoSuchBucket");
  }

  /** A bucket's configuration document (lifecycle or notification, as JSON; null removes it). */
  async setConfig(name: string, which: "lifecycle" | "notification", json: string | null): Promise<void> {
    const r = await this.db.updateTable("s3_buckets").set({ [which]: json }).where("name", "=", name).executeTakeFirst();
    if (!r.numUpdatedRows) throw new S3StoreError("NoSuchBucket");
  }

  /**
   * Makes the version the key's current one. Versioning Enabled: a new version ID; otherwise
   * the `null` version, replacing the one there was (whose bytes go once this commits).
   * Returns the version ID and the bucket's versioning state at the time.
   */
  async putVersion(
    bucket: string,
    key: string,
    v: NewVersion,
    /** conditional writes: sees the key's current version (or marker) under the lock, throws to refuse */
    precondition?: (current: ObjectVersion | undefined) => void,
    /** more to change in the same transaction, given the new version's ID (CompleteMultipartUpload ends its upload); throws to refuse */
    alsoInTransaction?: (trx: Kysely<Database>, versionId: string) => Promise<void>,
  ): Promise<{ versionId: string; versioning: string | null; createdAt: number }> {
    const replaced: string[] = [];
    const createdAt = Date.now();
    let queued = false;
    let committing = false;
    let result: { versionId: string; versioning: string | null; createdAt: number };
    try {
      result = await this.db.transaction().execute(async (trx) => {
        await lockInTransaction(trx, this.engine, `s3-key:${bucket}/${key}`);
        const b = await requireIn(trx, bucket);
        if (precondition) {
          precondition(await trx.selectFrom("s3_versions").selectAll().where("bucket", "=", bucket).where("key", "=", key).where("latest", "=", 1).executeTakeFirst());
        }
        const versionId = await addLatest(trx, bucket, key, b.versioning, replaced, {
          delete_marker: 0,
          size: v.size,
          etag: v.etag,
          blob: v.blob,
          content_type: v.contentType,
          headers: JSON.stringify(v.headers),
          checksum_algorithm: v.checksumAlgorithm,
          checksum: v.checksum,
          created_at: createdAt,
          owner_arn: v.ownerArn,
          tags: storedTags(v.tags),
          parts: v.parts ? JSON.stringify(v.parts) : null,
        });
        if (alsoInTransaction) await alsoInTransaction(trx, versionId);
        if (this.events) {
          const versioned = b.versioning !== null;
          const event = { eventName: `ObjectCreated:${v.cause ?? "Put"}`, key, size: v.size, etag: v.etag, versionId: versioned ? versionId : undefined, origin: v.origin, time: createdAt };
          queued = await this.events.record(trx, b, event);
        }
        committing = true;
        return { versionId, versioning: b.versioning, createdAt };
      });
    } catch (e) {
      // refused before the commit: nothing names the new bytes. A failure of the commit itself
      // (PostgreSQL's connection lost with the answer in flight) may have committed: the bytes
      // stay, and the start sweep removes them if no row names them.
      if (!committing) await this.objects.delete(v.blob).catch(() => {});
      throw e;
    }
    if (queued) this.events?.committed();
    await this.dropBlobs(replaced);
    return result;
  }

  /**
   * Replaces the tag set of the key's current version, or of the given version (null or empty:
   * no tags), under the key's lock. `check` sees the row (undefined when there is none) and
   * throws to refuse: a missing key or version, a delete marker. Returns the version's row.
   */
  async setObjectTags(bucket: string, key: string, versionId: string | undefined, tags: Tag[] | null, check: (v: ObjectVersion | undefined) => void): Promise<ObjectVersion> {
    return this.db.transaction().execute(async (trx) => {
      await lockInTransaction(trx, this.engine, `s3-key:${bucket}/${key}`);
      await requireIn(trx, bucket);
      let q = trx.selectFrom("s3_versions").selectAll().where("bucket", "=", bucket).where("key", "=", key);
      q = versionId === undefined ? q.where("latest", "=", 1) : q.where("version_id", "=", versionId);
      const row = await q.executeTakeFirst();
      check(row);
      if (!row) throw new Error("setObjectTags: check let a missing version through");
      const stored = storedTags(tags);
      await trx.updateTable("s3_versions").set({ tags: stored }).where("id", "=", row.id).execute();
      return { ...row, tags: stored };
    });
  }

  /** Replaces a bucket's tag set (null or empty: none). */
  async setBucketTags(name: string, tags: Tag[] | null): Promise<void> {
    const r = await this.db.updateTable("s3_buckets").set({ tags: storedTags(tags) }).where("name", "=", name).executeTakeFirst();
    if (!r.numUpdatedRows) throw new S3StoreError("NoSuchBucket");
  }

  /** The key's current version (which may be a delete marker), or the given version. */
  async getVersion(bucket: string, key: string, versionId?: string): Promise<ObjectVersion | undefined> {
    let q = this.db.selectFrom("s3_versions").selectAll().where("bucket", "=", bucket).where("key", "=", key);
    q = versionId === undefined ? q.where("latest", "=", 1) : q.where("version_id", "=", versionId);
    return q.executeTakeFirst();
  }

  /**
   * DeleteObject. Without a version ID: a delete marker when versioning is Enabled, a `null`
   * delete marker replacing the `null` version when Suspended, the object itself when the
   * bucket was never versioned. With one: that version or marker, for good (the next newest
   * becomes current).
   */
  async deleteObject(bucket: string, key: string, versionId: string | undefined, ownerArn: string, opts: DeleteOptions = {}): Promise<DeleteOutcome> {
    const dropped: string[] = [];
    let queued = false;
    const outcome = await this.db.transaction().execute(async (trx): Promise<DeleteOutcome> => {
      await lockInTransaction(trx, this.engine, `s3-key:${bucket}/${key}`);
      const b = await requireIn(trx, bucket);
      const now = Date.now();
      const removed = opts.lifecycle ? "LifecycleExpiration" : "ObjectRemoved";
      const tell = async (event: Omit<ObjectEvent, "key" | "origin" | "time">) => {
        if (this.events) queued = (await this.events.record(trx, b, { ...event, key, origin: opts.origin, time: now })) || queued;
      };
      if (versionId !== undefined && !isValidVersionId(versionId)) throw new S3StoreError("InvalidVersionId");
      if (opts.onlyIf) {
        const current = await trx.selectFrom("s3_versions").selectAll().where("bucket", "=", bucket).where("key", "=", key).where("latest", "=", 1).executeTakeFirst();
        const named = versionId === undefined ? undefined : await trx.selectFrom("s3_versions").selectAll().where("bucket", "=", bucket).where("key", "=", key).where("version_id", "=", versionId).executeTakeFirst();
        if (!opts.onlyIf(current, named)) return { deleteMarker: false, skipped: true };
      }
      if (versionId !== undefined) {
        const row = await trx.selectFrom("s3_versions").selectAll().where("bucket", "=", bucket).where("key", "=", key).where("version_id", "=", versionId).executeTakeFirst();
        if (!row) return { versionId, deleteMarker: false };
        await trx.deleteFrom("s3_versions").where("id", "=", row.id).execute();
        if (row.blob) dropped.push(row.blob);
        if (row.latest) await promoteNewest(trx, bucket, key);
        await tell({ eventName: `${removed}:Delete`, versionId: b.versioning !== null ? versionId : undefined });
        return { versionId, deleteMarker: row.delete_marker === 1 };
      }
      if (b.versioning === null) {
        const had = await trx.selectFrom("s3_versions").select("id").where("bucket", "=", bucket).where("key", "=", key).where("version_id", "=", "null").executeTakeFirst();
        dropped.push(...(await removeNullVersion(trx, bucket, key)));
        if (had) await tell({ eventName: `${removed}:Delete` });
        return { deleteMarker: false };
      }
      const markerId = await addLatest(trx, bucket, key, b.versioning, dropped, {
        delete_marker: 1,
        size: 0,
        etag: EMPTY_MD5,
        blob: null,
        content_type: null,
        headers: "{}",
        checksum_algorithm: null,
        checksum: null,
        created_at: now,
        owner_arn: ownerArn,
      });
      await tell({ eventName: `${removed}:DeleteMarkerCreated`, etag: EMPTY_MD5, versionId: markerId });
      return { versionId: markerId, deleteMarker: true };
    });
    if (queued) this.events?.committed();
    await this.dropBlobs(dropped);
    return outcome;
  }

  /** Current objects (no delete markers) with keys after `after` and at or after `from`, in key order. */
  listCurrent(bucket: string, from: string, after: string | undefined, limit: number): Promise<ObjectVersion[]> {
    let q = this.db.selectFrom("s3_versions").selectAll().where("bucket", "=", bucket).where("latest", "=", 1).where("delete_marker", "=", 0);
    if (from) q = q.where("key", ">=", from);
    if (after !== undefined) q = q.where("key", ">", after);
    return q.orderBy("key").limit(limit).execute();
  }

  /** Versions and delete markers in key order, newest first within a key, after the (key, version row id) marker. */
  listVersions(bucket: string, from: string, after: { key: string; id?: number } | undefined, limit: number): Promise<ObjectVersion[]> {
    let q = this.db.selectFrom("s3_versions").selectAll().where("bucket", "=", bucket);
    if (from) q = q.where("key", ">=", from);
    if (after) {
      const a = after;
      q = a.id === undefined ? q.where("key", ">", a.key) : q.where((eb) => eb.or([eb("key", ">", a.key), eb.and([eb("key", "=", a.key), eb("id", "<", a.id!)])]));
    }
    return q.orderBy("key").orderBy("id", "desc").limit(limit).execute();
  }

  /** Interrupted writes, and blobs of PUTs, parts and Completes killed before their commit. */
  async sweep(before: number): Promise<number> {
    // a retried Complete comes within minutes; a day on, the record of the answer goes
    await this.uploads.forgetCompleted(before - 86400_000);
    return this.objects.sweep(
      async (blob) =>
        Boolean(await this.db.selectFrom("s3_versions").select("id").where("blob", "=", blob).executeTakeFirst()) ||
        Boolean(await this.db.selectFrom("s3_parts").select("upload_id").where("blob", "=", blob).executeTakeFirst()),
      before,
    );
  }

  /** Deletes blobs no row names any more; a failure is logged, and the sweep at the next start removes them. */
  async dropBlobs(blobs: string[]): Promise<void> {
    for (const blob of blobs) {
      await this.objects.delete(blob).catch((e) => this.log.warn({ err: e, blob }, "could not delete a replaced object's bytes (swept at the next start)"));
    }
  }
}

async function requireIn(trx: Kysely<Database>, name: string): Promise<Bucket> {
  const b = await trx.selectFrom("s3_buckets").selectAll().where("name", "=", name).executeTakeFirst();
  if (!b) throw new S3StoreError("NoSuchBucket");
  return b;
}

/**
 * Makes a new version (or delete marker) the key's latest, in the key's transaction: a new ID
 * when versioning is Enabled, otherwise `null`, replacing the `null` version there was (its
 * bytes go into `dropped`, to delete after the commit). Returns the version ID.
 */
async function addLatest(
  trx: Kysely<Database>,
  bucket: string,
  key: string,
  versioning: string | null,
  dropped: string[],
  row: Omit<Insertable<S3VersionsTable>, "bucket" | "key" | "version_id" | "latest">,
): Promise<string> {
  const versionId = versioning === "Enabled" ? newVersionId() : "null";
  if (versionId === "null") dropped.push(...(await removeNullVersion(trx, bucket, key)));
  await trx.updateTable("s3_versions").set({ latest: 0 }).where("bucket", "=", bucket).where("key", "=", key).where("latest", "=", 1).execute();
  await trx.insertInto("s3_versions").values({ ...row, bucket, key, version_id: versionId, latest: 1 }).execute();
  return versionId;
}

/** Removes the key's `null` version or marker (if any) and returns the blobs to delete after the commit. */
async function removeNullVersion(trx: Kysely<Database>, bucket: string, key: string): Promise<string[]> {
  const row = await trx.selectFrom("s3_versions").select(["id", "blob"]).where("bucket", "=", bucket).where("key", "=", key).where("version_id", "=", "null").executeTakeFirst();
  if (!row) return [];
  await trx.deleteFrom("s3_versions").where("id", "=", row.id).execute();
  return row.blob ? [row.blob] : [];
}

async function promoteNewest(trx: Kysely<Database>, bucket: string, key: string): Promise<void> {
  const next = await trx.selectFrom("s3_versions").select("id").where("bucket", "=", bucket).where("key", "=", key).orderBy("id", "desc").limit(1).executeTakeFirst();
  if (next) await trx.updateTable("s3_versions").set({ latest: 1 }).where("id", "=", next.id).execute();
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * 32 random letters and digits: URL-safe, and never starting with `-` (a version ID like
 * `-EIX…` is taken for an option by the AWS CLI's `--version-id`).
 */
function newVersionId(): string {
  let id = "";
  while (id.length < 32) {
    for (const b of crypto.randomBytes(40)) {
      // 248 = 4 × 62: no bias
      if (b < 248 && id.length < 32) id += ALPHANUMERIC[b % 62];
    }
  }
  return id;
}
