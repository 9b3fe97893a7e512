import crypto from "node:crypto";
import { PassThrough, Readable, Transform, pipeline } from "node:stream";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Hasher } from "./checksums.js";
import type { ObjectStore, WrittenBlob } from "./object-store.js";

const BLOB_NAME = /^[0-9a-f]{32}$/;

/**
 * lib-storage buffers one part per uploader and sends bodies up to a part in one PutObject: 8 MiB
 * parts, two in flight, bound a PUT's memory whatever its size (5 GiB is 640 parts, well under
 * S3's 10,000). Measured against a Headwater backend on the same machine: one PUT of 50, 200 or
 * 800 MB raised the server's peak RSS by 70 to 100 MB (buffers and the GC's slack), at 38 MB/s;
 * one part in flight saved about 25 MB and cost half the speed.
 */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

/** Where `--object-store s3://BUCKET/PREFIX` points: the bucket, and the key prefix ("" or ending in "/"). */
export interface S3Location {
  bucket: string;
  prefix: string;
}

/** `s3://bucket`, `s3://bucket/`, `s3://bucket/some/prefix` (a trailing slash or not: the same place). */
export function parseS3Location(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m) throw new Error(`not an s3://BUCKET/PREFIX address: ${url}`);
  const prefix = (m[2] ?? "").replace(/\/+$/, "");
  return { bucket: m[1]!, prefix: prefix ? prefix + "/" : "" };
}

/**
 * Bytes in an S3-compatible bucket, one object per blob at `PREFIX/<blob>`; the SDK finds the
 * credentials (environment, profile, instance role) itself, so none pass through here.
 *
 * A PUT streams straight to the blob's final key, with no temporary key and no copy: the body
 * reaches lib-storage through a generator that runs `check` after the last byte and throws when
 * it refuses, and lib-storage sends the only request that makes an object visible (the one
 * PutObject of a small body, or CompleteMultipartUpload) only after the body ended; when the
 * body fails it aborts the multipart upload instead. So a refused body never appears under any
 * name. What a crash can leave is swept: an incomplete multipart upload, or a blob whose version
 * row never committed (nothing reads a blob before its row commits, so neither is ever seen).
 */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly where: S3Location,
  ) {}

  private keyOf(blob: string): string {
    if (!BLOB_NAME.test(blob)) throw new Error(`not a blob name: ${blob}`);
    return this.where.prefix + blob;
  }

  async put(body: AsyncIterable<Buffer>, hashers: Hasher[], check?: (size: number) => void): Promise<WrittenBlob> {
    const blob = crypto.randomBytes(16).toString("hex");
    let size = 0;
    // the refusal itself (BadDigest, EntityTooLarge…), whatever lib-storage makes of it
    let refused: unknown;
    let abandoned = false;
    async function* checked(): AsyncGenerator<Buffer> {
      for await (const chunk of body) {
        if (abandoned) continue;
        for (const h of hashers) h.update(chunk);
        size += chunk.length;
        yield chunk;
      }
      if (abandoned) return;
      try {
        check?.(size);
      } catch (e) {
        refused = e;
        throw e;
      }
    }
    const source = Readable.from(checked(), { objectMode: true });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.where.bucket, Key: this.keyOf(blob), Body: source },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    try {
      // resolves once S3 acknowledged PutObject or CompleteMultipartUpload: the bytes are durable
      await upload.done();
    } catch (e) {
      // The rest of the body is read and dropped, as Node does with a body no handler read.
      // Destroying the request mid-way instead (what ending the iteration early does) left its
      // connection counted open by the HTTP server, holding SIGTERM's drain for the whole
      // --stop-timeout-seconds after one failed upload.
      abandoned = true;
      source.on("error", () => {}).resume();
      throw refused ?? e;
    }
    return { blob, size };
  }

  /** Emits `open` once S3 answered GetObject (as a file stream does once opened), or `error`. */
  read(blob: string, range?: { start: number; end: number }): Readable {
    const out = new PassThrough();
    const abort = new AbortController();
    let answered = false;
    out.once("close", () => {
      if (!answered) abort.abort();
    });
    const command = new GetObjectCommand({
      Bucket: this.where.bucket,
      Key: this.keyOf(blob),
      ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
    });
    this.client.send(command, { abortSignal: abort.signal }).then(
      (res) => {
        answered = true;
        const stream = res.Body as Readable;
        // a backend that ignored the Range would send the whole object as if it were the range
        if (range && !res.ContentRange?.startsWith(`bytes ${range.start}-${range.end}/`)) {
          stream.destroy();
          out.destroy(new Error(`the object store answered ${res.ContentRange ?? "no Content-Range"} to the range ${range.start}-${range.end} of ${blob}`));
          return;
        }
        const expected = range ? range.end - range.start + 1 : res.ContentLength;
        out.emit("open");
        pipeline(stream, exactLength(expected, blob), out, (err) => {
          if (err) out.destroy(err);
        });
      },
      (e) => {
        answered = true;
        out.destroy(e instanceof Error ? e : new Error(String(e)));
      },
    );
    return out;
  }

  async delete(blob: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.where.bucket, Key: this.keyOf(blob) }));
  }

  /**
   * Blobs under the prefix no version names, and multipart uploads under it, both started
   * before `before` (by the backend's clock: `before` must leave a margin for other servers'
   * PUTs under way on a shared bucket, see app.ts). Keys that are not blob names are not ours.
   */
  async sweep(isReferenced: (blob: string) => Promise<boolean>, before: number): Promise<number> {
    const { bucket, prefix } = this.where;
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const name = o.Key?.slice(prefix.length);
        if (!name || !BLOB_NAME.test(name) || !o.LastModified || o.LastModified.getTime() >= before) continue;
        if (await isReferenced(name)) continue;
        await this.delete(name);
        removed++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return removed + (await this.abortStaleUploads(before));
  }

  /** The parts of PUTs a crash cut short; a backend without ListMultipartUploads (501) has none to keep. */
  private async abortStaleUploads(before: number): Promise<number> {
    const { bucket, prefix } = this.where;
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      } catch (e) {
        if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 501) return removed;
        throw e;
      }
      for (const u of page.Uploads ?? []) {
        const name = u.Key?.slice(prefix.length);
        if (!name || !BLOB_NAME.test(name) || !u.Initiated || u.Initiated.getTime() >= before) continue;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
        removed++;
      }
      if (!page.IsTruncated) return removed;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }
}

/** Passes the bytes through, and fails the stream when the backend sent more or fewer than it said. */
function exactLength(expected: number | undefined, blob: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      done(expected === undefined || seen === expected ? null : new Error(`the object store sent ${seen} of ${expected} bytes of ${blob}`));
    },
  });
}
