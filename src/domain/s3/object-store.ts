import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import type { Hasher } from "./checksums.js";

/** What a blob write saw: its size and the digests that were asked for. */
export interface WrittenBlob {
  blob: string;
  size: number;
}

/**
 * Where object bytes live. A blob is written whole and durably before any version row names it,
 * is never changed, and is deleted only after the row that named it is gone; a blob no row
 * names (a PUT killed between the write and the commit) is swept.
 */
export interface ObjectStore {
  /**
   * Writes the stream to a new blob, feeding every chunk to `hashers` on the way, and returns
   * once the bytes are durable. `check` runs after the last byte and before the blob becomes
   * durable under its name; when it throws, nothing is kept.
   */
  put(body: AsyncIterable<Buffer>, hashers: Hasher[], check?: (size: number) => void): Promise<WrittenBlob>;
  /** The blob's bytes, or its [start, end] range (inclusive). */
  read(blob: string, range?: { start: number; end: number }): Readable;
  delete(blob: string): Promise<void>;
  /** Removes interrupted writes, and blobs no version names that are older than `before` (epoch ms). */
  sweep(isReferenced: (blob: string) => Promise<boolean>, before: number): Promise<number>;
}

const BLOB_NAME = /^[0-9a-f]{32}$/;

/** Bytes in files under `<data-dir>/objects/`: `objects/ab/ab…` by a random name, `objects/tmp/` while written. */
export class LocalObjectStore implements ObjectStore {
  private readonly tmp: string;

  constructor(private readonly root: string) {
    this.tmp = path.join(root, "tmp");
    fs.mkdirSync(this.tmp, { recursive: true, mode: 0o700 });
  }

  private pathOf(blob: string): string {
    if (!BLOB_NAME.test(blob)) throw new Error(`not a blob name: ${blob}`);
    return path.join(this.root, blob.slice(0, 2), blob);
  }

  async put(body: AsyncIterable<Buffer>, hashers: Hasher[], check?: (size: number) => void): Promise<WrittenBlob> {
    const blob = crypto.randomBytes(16).toString("hex");
    const tmpFile = path.join(this.tmp, blob);
    const fh = await fs.promises.open(tmpFile, "wx", 0o600);
    let size = 0;
    let closing: () => Promise<void> = async () => {};
    try {
      try {
        // The socket's chunks (about 64 KiB) are gathered into batches of WRITE_BATCH and each
        // batch is written while the next is read and hashed: the write runs on libuv's thread
        // pool, so hashing (MD5 at about 650 MB/s, on this thread) and the disk overlap instead
        // of taking turns. At most two batches are held.
        let batch: Buffer[] = [];
        let batchBytes = 0;
        let writing: Promise<void> = Promise.resolve();
        // a body that fails mid-way (the client gone, a bad chunk signature) leaves a write in
        // flight: it is waited for before the file closes, and its own failure is not left unhandled
        closing = () => writing.catch(() => {});
        for await (const chunk of body) {
          for (const h of hashers) h.update(chunk);
          size += chunk.length;
          batch.push(chunk);
          batchBytes += chunk.length;
          if (batchBytes >= WRITE_BATCH) {
            await writing;
            writing = writeAll(fh, batch);
            // handled now, awaited later: a failed write (ENOSPC) while the next batch is read
            // must not be an unhandled rejection, which ends the process
            writing.catch(() => {});
            batch = [];
            batchBytes = 0;
          }
        }
        await writing;
        if (batch.length) await writeAll(fh, batch);
        check?.(size);
        await fh.sync();
      } finally {
        await closing();
        await fh.close();
      }
      const dir = path.dirname(this.pathOf(blob));
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
      await fs.promises.rename(tmpFile, this.pathOf(blob));
      await syncDir(dir);
    } catch (e) {
      await fs.promises.rm(tmpFile, { force: true });
      throw e;
    }
    return { blob, size };
  }

  read(blob: string, range?: { start: number; end: number }): Readable {
    // 1 MiB reads: with the default 64 KiB a large GET moves half as many bytes per second
    // (bench/s3.ts); a small object's read buffer is no larger than the object
    const highWaterMark = range ? Math.max(1, Math.min(READ_CHUNK, range.end - range.start + 1)) : READ_CHUNK;
    return fs.createReadStream(this.pathOf(blob), { highWaterMark, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  async delete(blob: string): Promise<void> {
    await fs.promises.rm(this.pathOf(blob), { force: true });
  }

  async sweep(isReferenced: (blob: string) => Promise<boolean>, before: number): Promise<number> {
    let removed = 0;
    for (const name of await fs.promises.readdir(this.tmp)) {
      await fs.promises.rm(path.join(this.tmp, name), { force: true });
      removed++;
    }
    for (const dir of await fs.promises.readdir(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(dir)) continue;
      for (const name of await fs.promises.readdir(path.join(this.root, dir))) {
        if (!BLOB_NAME.test(name)) continue;
        const file = path.join(this.root, dir, name);
        const st = await fs.promises.stat(file).catch(() => undefined);
        if (!st || st.mtimeMs >= before || (await isReferenced(name))) continue;
        await fs.promises.rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }
}

const WRITE_BATCH = 1 << 20;
const READ_CHUNK = 1 << 20;

/** Writes the buffers in order at the file's position, however many calls writev needs. */
async function writeAll(fh: fs.promises.FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length) {
    let { bytesWritten } = await fh.writev(rest);
    const left: Buffer[] = [];
    for (const b of rest) {
      if (bytesWritten >= b.length) bytesWritten -= b.length;
      else {
        left.push(bytesWritten ? b.subarray(bytesWritten) : b);
        bytesWritten = 0;
      }
    }
    rest = left;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
