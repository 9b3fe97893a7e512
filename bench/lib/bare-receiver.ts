/**
 * The fastest an S3-style PUT and GET can be in Node on this machine, for bench/s3.ts: a bare
 * `node:http` server in the bench process that does only what a durable PUT must (hash the
 * body with MD5 for the ETag, write it in 1 MiB batches while the next is read, fsync) and what a
 * GET must (stream the file in 1 MiB reads). No signature, no database, no routing.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pipeline } from "node:stream/promises";

export async function startBareReceiver(dir: string, opts: { md5: boolean }): Promise<{ url: string; close(): Promise<void> }> {
  fs.mkdirSync(dir, { recursive: true });
  const server = http.createServer(async (req, res) => {
    const file = path.join(dir, "object");
    try {
      if (req.method === "PUT") {
        const fh = await fs.promises.open(file, "w");
        const md5 = opts.md5 ? crypto.createHash("md5") : undefined;
        let batch: Buffer[] = [];
        let bytes = 0;
        let writing: Promise<unknown> = Promise.resolve();
        for await (const chunk of req as AsyncIterable<Buffer>) {
          md5?.update(chunk);
          batch.push(chunk);
          bytes += chunk.length;
          if (bytes >= 1 << 20) {
            await writing;
            writing = fh.writev(batch);
            batch = [];
            bytes = 0;
          }
        }
        await writing;
        if (batch.length) await fh.writev(batch);
        await fh.sync();
        await fh.close();
        res.writeHead(200, { etag: `"${md5?.digest("hex") ?? ""}"` }).end();
      } else {
        const size = (await fs.promises.stat(file)).size;
        res.writeHead(200, { "content-length": size });
        await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), res);
      }
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
