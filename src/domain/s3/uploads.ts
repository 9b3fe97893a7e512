import crypto from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { lockInTransaction, type Engine } from "../../store/db.js";
import type { Database, S3PartsTable, S3UploadsTable } from "../../store/schema.js";
import type { NewVersion, ObjectVersion, S3Store } from "./buckets.js";
import type { Hasher } from "./checksums.js";
import type { ObjectStore, WrittenBlob } from "./object-store.js";

export type Upload = Selectable<S3UploadsTable>;
export type Part = Selectable<S3PartsTable>;

/** What the upload rules refuse; the protocol layer names them S3's way. */
export class UploadError extends Error {
  constructor(readonly code: "NoSuchUpload" | "NoSuchBucket" | "PartChanged") {
    super(code);
  }
}

export interface NewUpload {
  contentType: string | null;
  headers: Record<string, string>;
  checksumAlgorithm: string | null;
  checksumType: string | null;
  tagging: string | null;
  ownerArn: string;
}

/** What Complete answered, kept with the completed upload for a retry. */
export interface CompletedUpload {
  etag: string;
  versionId: string;
  versioning: string | null;
  checksumAlgorithm: string | null;
  checksum: string | null;
  checksumType: string | null;
}

export interface NewPart {
  size: number;
  etag: string;
  checksumAlgorithm: string | null;
  checksum: string | null;
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** 64 random letters and digits: URL-safe, and never taken for a CLI option (no leading `-`). */
function newUploadId(): string {
  let id = "";
  while (id.length < 64) {
    for (const b of crypto.randomBytes(80)) {
      if (b < 248 && id.length < 64) id += ALPHANUMERIC[b % 62];
    }
  }
  return id;
}

/**
 * Multipart uploads in the SQL store. A part's row is inserted only once its blob is durable;
 * Complete writes the object's bytes to a new blob through the ObjectStore, then, in the one
 * transaction that makes the key's new version (S3Store.putVersion), removes the upload and its
 * parts; their blobs are deleted after the commit. A crash before that commit leaves the upload
 * as it was (the new blob is swept); after it, the object is complete (the part blobs are swept).
 */
export class Uploads {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly objects: ObjectStore,
    private readonly store: S3Store,
  ) {}

  async create(bucket: string, key: string, u: NewUpload): Promise<string> {
    const uploadId = newUploadId();
    await this.db.transaction().execute(async (trx) => {
      const b = await trx.selectFrom("s3_buckets").select("name").where("name", "=", bucket).executeTakeFirst();
      if (!b) throw new UploadError("NoSuchBucket");
      await trx
        .insertInto("s3_uploads")
        .values({
          upload_id: uploadId,
          bucket,
          key,
          content_type: u.contentType,
          headers: JSON.stringify(u.headers),
          checksum_algorithm: u.checksumAlgorithm,
          checksum_type: u.checksumType,
          tagging: u.tagging,
          owner_arn: u.ownerArn,
          initiated_at: Date.now(),
        })
        .execute();
    });
    return uploadId;
  }

  /** The upload, if it is in progress for this bucket and key. */
  get(bucket: string, key: string, uploadId: string): Promise<Upload | undefined> {
    return this.db
      .selectFrom("s3_uploads")
      .selectAll()
      .where("upload_id", "=", uploadId)
      .where("bucket", "=", bucket)
      .where("key", "=", key)
      .where("completed_at", "is", null)
      .executeTakeFirst();
  }

  /** What Complete answered for this upload, if it was completed (and not yet forgotten). */
  async getCompleted(bucket: string, key: string, uploadId: string): Promise<CompletedUpload | undefined> {
    const row = await this.db
      .selectFrom("s3_uploads")
      .select("completed")
      .where("upload_id", "=", uploadId)
      .where("bucket", "=", bucket)
      .where("key", "=", key)
      .where("completed_at", "is not", null)
      .executeTakeFirst();
    return row?.completed ? (JSON.parse(row.completed) as CompletedUpload) : undefined;
  }

  /** Drops the records of uploads completed before `before` (epoch ms). */
  async forgetCompleted(before: number): Promise<void> {
    await this.db.deleteFrom("s3_uploads").where("completed_at", "is not", null).where("completed_at", "<", before).execute();
  }

  /**
   * Records a part whose bytes are durable in `written`, replacing any part of that number
   * (whose bytes go once this commits). When the upload is gone, the new bytes go and
   * NoSuchUpload is thrown.
   */
  async putPart(uploadId: string, partNumber: number, written: WrittenBlob, p: NewPart): Promise<void> {
    const replaced: string[] = [];
    let committing = false;
    try {
      await this.db.transaction().execute(async (trx) => {
        await lockInTransaction(trx, this.engine, `s3-upload:${uploadId}`);
        const u = await trx.selectFrom("s3_uploads").select("upload_id").where("upload_id", "=", uploadId).where("completed_at", "is", null).executeTakeFirst();
        if (!u) throw new UploadError("NoSuchUpload");
        const old = await trx.selectFrom("s3_parts").select("blob").where("upload_id", "=", uploadId).where("part_number", "=", partNumber).executeTakeFirst();
        if (old) {
          replaced.push(old.blob);
          await trx.deleteFrom("s3_parts").where("upload_id", "=", uploadId).where("part_number", "=", partNumber).execute();
        }
        await trx
          .insertInto("s3_parts")
          .values({
            upload_id: uploadId,
            part_number: partNumber,
            size: p.size,
            etag: p.etag,
            blob: written.blob,
            checksum_algorithm: p.checksumAlgorithm,
            checksum: p.checksum,
            created_at: Date.now(),
          })
          .execute();
        committing = true;
      });
    } catch (e) {
      // as in S3Store.putVersion: a failed commit may have committed, so its bytes stay for the sweep
      if (!committing) await this.objects.delete(written.blob).catch(() => {});
      throw e;
    }
    await this.store.dropBlobs(replaced);
  }

  /** Parts after `after` in part-number order, up to `limit`. */
  listParts(uploadId: string, after: number, limit: number): Promise<Part[]> {
    return this.db.selectFrom("s3_parts").selectAll().where("upload_id", "=", uploadId).where("part_number", ">", after).orderBy("part_number").limit(limit).execute();
  }

  /** Uploads in key order, oldest first within a key, at or after `from` and after the (key, row id) marker. */
  listUploads(bucket: string, from: string, after: { key: string; id?: number } | undefined, limit: number): Promise<Upload[]> {
    let q = this.db.selectFrom("s3_uploads").selectAll().where("bucket", "=", bucket).where("completed_at", "is", null);
    if (from) q = q.where("key", ">=", from);
    if (after) {
      const a = after;
      q = a.id === undefined ? q.where("key", ">", a.key) : q.where((eb) => eb.or([eb("key", ">", a.key), eb.and([eb("key", "=", a.key), eb("id", ">", a.id!)])]));
    }
    return q.orderBy("key").orderBy("id").limit(limit).execute();
  }

  /** Removes the upload and its parts; NoSuchUpload when it is not in progress. */
  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    const dropped = await this.db.transaction().execute(async (trx) => {
      await lockInTransaction(trx, this.engine, `s3-upload:${uploadId}`);
      const blobs = await removeParts(trx, bucket, key, uploadId);
      await trx.deleteFrom("s3_uploads").where("upload_id", "=", uploadId).execute();
      return blobs;
    });
    await this.store.dropBlobs(dropped);
  }

  /**
   * The parts' bytes, in the order given, streamed into one new durable blob (never more than a
   * read buffer in memory), each chunk fed to `hashers`.
   */
  assemble(parts: Part[], hashers: Hasher[]): Promise<WrittenBlob> {
    const objects = this.objects;
    async function* bytes(): AsyncGenerator<Buffer> {
      for (const p of parts) {
        if (p.size === 0) continue;
        for await (const chunk of objects.read(p.blob)) yield chunk as Buffer;
      }
    }
    return this.objects.put(bytes(), hashers, (size) => {
      const expected = parts.reduce((n, p) => n + p.size, 0);
      if (size !== expected) throw new Error(`assembled ${size} bytes where the parts have ${expected}`);
    });
  }

  /**
   * Makes the assembled blob the key's latest version and, in the same transaction, removes the
   * upload's parts and marks it completed with the answer (for a retried Complete). The parts
   * used must still be the ones assembled (a part re-uploaded meanwhile is PartChanged); when
   * the upload is gone it is NoSuchUpload. Either way the new blob goes.
   */
  async complete(
    upload: Upload,
    used: Part[],
    v: NewVersion,
    checksumType: string | null,
    precondition?: (current: ObjectVersion | undefined) => void,
  ): Promise<CompletedUpload> {
    let dropped: string[] = [];
    let answer: CompletedUpload | undefined;
    await this.store.putVersion(upload.bucket, upload.key, v, precondition, async (trx, versionId) => {
      await lockInTransaction(trx, this.engine, `s3-upload:${upload.upload_id}`);
      const now = await trx.selectFrom("s3_parts").select(["part_number", "blob"]).where("upload_id", "=", upload.upload_id).execute();
      const blobOf = new Map(now.map((p) => [p.part_number, p.blob]));
      if (now.length > 0 && used.some((p) => blobOf.get(p.part_number) !== p.blob)) throw new UploadError("PartChanged");
      dropped = await removeParts(trx, upload.bucket, upload.key, upload.upload_id);
      const b = await trx.selectFrom("s3_buckets").select("versioning").where("name", "=", upload.bucket).executeTakeFirstOrThrow();
      answer = { etag: v.etag, versionId, versioning: b.versioning, checksumAlgorithm: v.checksumAlgorithm, checksum: v.checksum, checksumType };
      await trx.updateTable("s3_uploads").set({ completed_at: Date.now(), completed: JSON.stringify(answer) }).where("upload_id", "=", upload.upload_id).execute();
    });
    await this.store.dropBlobs(dropped);
    return answer!;
  }

  /** Every upload of a bucket being deleted, in its transaction; returns the part blobs to delete after the commit. */
  async removeAllIn(trx: Kysely<Database>, bucket: string): Promise<string[]> {
    const ids = trx.selectFrom("s3_uploads").select("upload_id").where("bucket", "=", bucket);
    const blobs = await trx.selectFrom("s3_parts").select("blob").where("upload_id", "in", ids).execute();
    await trx.deleteFrom("s3_parts").where("upload_id", "in", ids).execute();
    await trx.deleteFrom("s3_uploads").where("bucket", "=", bucket).execute();
    return blobs.map((b) => b.blob);
  }
}

/**
 * Removes the parts of an upload in progress, in the transaction (NoSuchUpload when there is no
 * such upload, or it was completed); returns the part blobs to delete after the commit.
 */
async function removeParts(trx: Kysely<Database>, bucket: string, key: string, uploadId: string): Promise<string[]> {
  const u = await trx
    .selectFrom("s3_uploads")
    .select("upload_id")
    .where("upload_id", "=", uploadId)
    .where("bucket", "=", bucket)
    .where("key", "=", key)
    .where("completed_at", "is", null)
    .executeTakeFirst();
  if (!u) throw new UploadError("NoSuchUpload");
  const blobs = await trx.selectFrom("s3_parts").select("blob").where("upload_id", "=", uploadId).execute();
  await trx.deleteFrom("s3_parts").where("upload_id", "=", uploadId).execute();
  return blobs.map((b) => b.blob);
}
