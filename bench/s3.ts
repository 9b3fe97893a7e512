/**
 * Buckets (issue 13): PUT and GET of one large object and of many small ones, against `cp` of
 * the same bytes on the same disk (the limit: a PUT or GET cannot move bytes faster than the
 * file system under it), measured in the same run, with the server's peak RSS throughout.
 *
 * The large object goes through curl (`--aws-sigv4`, UNSIGNED-PAYLOAD: the client a build job
 * uses, and one that costs next to nothing itself), so the figure is the server's. The small
 * objects go through `@aws-sdk/client-s3` with 16 requests in flight, as a program uploading
 * artifacts would. Every PUT is durable when acknowledged (fsync of the bytes, the directory
 * and the version row's commit), so `cp` is measured both as it is and followed by a `sync`
 * of what it wrote: the durable figure is the fair limit, the other the absolute one.
 *
 * A bare Node HTTP server in the bench process (bench/lib/bare-receiver.ts) does the same PUT
 * and GET with nothing but MD5, the writes and the fsync: the limit for any Node server here.
 *
 * `backend`: the same requests to a server whose bytes go to a second Headwater acting as S3
 * (`--object-store s3://…`), when that backend is built.
 */
import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ADMIN, startServer, type ServerHandle } from "../test/helpers/server.js";
import { startBareReceiver } from "./lib/bare-receiver.js";
import { freePort } from "./lib/ports.js";
import { median, timeIt } from "./lib/stats.js";

export interface S3BenchOptions {
  megabytes: number;
  smallObjects: number;
  runs: number;
  /** extra server arguments (e.g. an object store) and environment for the server under test */
  serverArgs?: string[];
  serverEnv?: Record<string, string>;
}

export interface S3BenchResult {
  megabytes: number;
  smallObjects: number;
  smallBytes: number;
  runs: number;
  /** seconds, median of the runs */
  large: { cp: number; cpSync: number; put: number; get: number; barePut: number; barePutNoMd5: number; bareGet: number };
  small: { cp: number; cpSync: number; put: number; get: number };
  /** the server's peak RSS (VmHWM) during each phase, in bytes (the highest over the runs) */
  peakRss: { largePut: number; largeGet: number; small: number };
  startRss: number;
}

const CONCURRENCY = 16;

async function writeRandomFile(file: string, bytes: number): Promise<void> {
  const fh = await fs.promises.open(file, "w");
  const piece = 8 << 20;
  for (let done = 0; done < bytes; done += piece) await fh.write(crypto.randomBytes(Math.min(piece, bytes - done)));
  await fh.close();
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}: ${err}`))));
  });
}

/** curl signing with SigV4 itself; S3 wants the payload hash header, which curl 7.88 does not add on its own. */
function curlArgs(): string[] {
  return ["-sS", "--fail-with-body", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", `${ADMIN.accessKeyId}:${ADMIN.secretAccessKey}`, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"];
}

/** Runs `fn` while sampling nothing: the peak comes from the kernel's VmHWM, reset first. */
async function withPeak(server: ServerHandle, fn: () => Promise<void>): Promise<{ seconds: number; peak: number }> {
  server.resetPeakRss();
  const seconds = await timeIt(fn);
  return { seconds, peak: server.peakRss() };
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export async function benchS3(work: string, opts: S3BenchOptions): Promise<S3BenchResult> {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const big = path.join(work, "big.bin");
  await writeRandomFile(big, opts.megabytes * 2 ** 20);
  const smallDir = path.join(work, "small");
  fs.mkdirSync(smallDir);
  const names: string[] = [];
  let smallBytes = 0;
  for (let i = 0; i < opts.smallObjects; i++) {
    const name = `obj-${String(i).padStart(5, "0")}.txt`;
    const size = 1024 + (i % 3072);
    fs.writeFileSync(path.join(smallDir, name), crypto.randomBytes(size));
    names.push(name);
    smallBytes += size;
  }

  const dataDir = path.join(work, "data");
  // at warn (no line per request); no "headwater is ready" line then, so ports are chosen here
  const server = await startServer({
    dataDir,
    args: ["--log-level", "warn", ...(opts.serverArgs ?? [])],
    env: opts.serverEnv,
    logFile: path.join(work, "server.log"),
    ports: { http: await freePort(), ssh: await freePort() },
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const s3 = new S3Client({
    endpoint: server.url,
    region: "us-east-1",
    credentials: ADMIN,
    forcePathStyle: true,
    // the options of the SDK's own Node handler: keep-alive sockets, 16 at most
    requestHandler: { httpAgent: agent },
    // the SDK's default CRC32 of every body is the client's cost, not the server's: leave it out
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const bucket = "bench";
  const startRss = server.rss();
  const large = { cp: [] as number[], cpSync: [] as number[], put: [] as number[], get: [] as number[], barePut: [] as number[], barePutNoMd5: [] as number[], bareGet: [] as number[] };
  const bare = await startBareReceiver(path.join(work, "bare"), { md5: true });
  const bareNoMd5 = await startBareReceiver(path.join(work, "bare-no-md5"), { md5: false });
  const small = { cp: [] as number[], cpSync: [] as number[], put: [] as number[], get: [] as number[] };
  const peakRss = { largePut: 0, largeGet: 0, small: 0 };
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const objectUrl = `${server.url}/${bucket}/big.bin`;
    for (let r = 0; r < opts.runs; r++) {
      const copy = path.join(work, "copy.bin");
      fs.rmSync(copy, { force: true });
      large.cp.push(await timeIt(() => run("cp", [big, copy])));
      fs.rmSync(copy, { force: true });
      large.cpSync.push(await timeIt(() => run("sh", ["-c", `cp "$0" "$1" && sync "$1"`, big, copy])));
      fs.rmSync(copy, { force: true });

      large.barePut.push(await timeIt(() => run("curl", ["-sS", "--fail", "-T", big, "-o", "/dev/null", `${bare.url}/object`])));
      large.barePutNoMd5.push(await timeIt(() => run("curl", ["-sS", "--fail", "-T", big, "-o", "/dev/null", `${bareNoMd5.url}/object`])));
      large.bareGet.push(await timeIt(() => run("curl", ["-sS", "--fail", "-o", path.join(work, "bare-got.bin"), `${bare.url}/object`])));
      fs.rmSync(path.join(work, "bare-got.bin"), { force: true });

      const put = await withPeak(server, () => run("curl", [...curlArgs(), "-T", big, "-o", "/dev/null", objectUrl]));
      large.put.push(put.seconds);
      peakRss.largePut = Math.max(peakRss.largePut, put.peak);
      const got = path.join(work, "got.bin");
      fs.rmSync(got, { force: true });
      const get = await withPeak(server, () => run("curl", [...curlArgs(), "-o", got, objectUrl]));
      large.get.push(get.seconds);
      peakRss.largeGet = Math.max(peakRss.largeGet, get.peak);
      if (r === 0) execFileSync("cmp", [big, got]);
      fs.rmSync(got, { force: true });

      const copyDir = path.join(work, "small-copy");
      fs.rmSync(copyDir, { recursive: true, force: true });
      small.cp.push(await timeIt(() => run("cp", ["-r", smallDir, copyDir])));
      fs.rmSync(copyDir, { recursive: true, force: true });
      small.cpSync.push(await timeIt(() => run("sh", ["-c", `cp -r "$0" "$1" && sync -f "$1"`, smallDir, copyDir])));
      fs.rmSync(copyDir, { recursive: true, force: true });

      server.resetPeakRss();
      small.put.push(
        await timeIt(() =>
          pool(names, CONCURRENCY, async (name) => {
            const body = fs.readFileSync(path.join(smallDir, name));
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `small/${name}`, Body: body, ContentLength: body.length }));
          }),
        ),
      );
      small.get.push(
        await timeIt(() =>
          pool(names, CONCURRENCY, async (name) => {
            const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `small/${name}` }));
            await res.Body!.transformToByteArray();
          }),
        ),
      );
      peakRss.small = Math.max(peakRss.small, server.peakRss());
    }
  } finally {
    s3.destroy();
    agent.destroy();
    await server.stop();
    await bare.close();
    await bareNoMd5.close();
  }
  const med = <T extends Record<string, number[]>>(o: T) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, median(v)])) as { [K in keyof T]: number };
  fs.rmSync(work, { recursive: true, force: true });
  return { megabytes: opts.megabytes, smallObjects: opts.smallObjects, smallBytes, runs: opts.runs, large: med(large), small: med(small), peakRss, startRss };
}
