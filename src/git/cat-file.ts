import type { ChildProcess } from "node:child_process";
import type { GitRunner } from "./exec.js";

export interface ObjectInfo {
  oid: string;
  type: "commit" | "tree" | "blob" | "tag";
  size: number;
}

export interface ObjectData extends ObjectInfo {
  content: Buffer;
}

interface Pending {
  kind: "info" | "contents";
  resolve: (v: ObjectInfo | ObjectData | null) => void;
  reject: (e: Error) => void;
}

/**
 * One long-lived `git cat-file --batch-command` process for one repository. Requests are
 * pipelined: written as they come, answered in order. git re-reads loose refs and rescans packs
 * when it misses, so answers stay current while pushes land.
 */
export class CatFile {
  private readonly child: ChildProcess;
  private readonly queue: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private closed = false;
  /** Commands waiting to be written: all those of one event-loop turn go in one write. */
  private outbox: string[] = [];
  /** Set while reading a `contents` body: its header and how many bytes are still due. */
  private body: { info: ObjectInfo; need: number; chunks: Buffer[]; have: number } | null = null;
  lastUsed = Date.now();

  constructor(runner: GitRunner, gitDir: string, onExit: () => void) {
    this.child = runner.spawn(["cat-file", "--batch-command"], { cwd: gitDir, extraEnv: { GIT_DIR: gitDir } });
    this.child.stdout!.on("data", (d: Buffer) => this.onData(d));
    this.child.stderr!.on("data", () => {});
    this.child.stdin!.on("error", () => {});
    this.child.once("close", () => {
      this.closed = true;
      const err = new Error("git cat-file exited");
      for (const p of this.queue.splice(0)) p.reject(err);
      onExit();
    });
  }

  get busy(): boolean {
    return this.queue.length > 0;
  }

  info(spec: string): Promise<ObjectInfo | null> {
    return this.request("info", spec) as Promise<ObjectInfo | null>;
  }

  contents(spec: string): Promise<ObjectData | null> {
    return this.request("contents", spec) as Promise<ObjectData | null>;
  }

  close(): void {
    if (this.closed) return;
    if (this.outbox.length) this.flush(); // requests already made are still answered
    this.child.stdin!.end();
  }

  private request(kind: Pending["kind"], spec: string): Promise<ObjectInfo | ObjectData | null> {
    if (this.closed) return Promise.reject(new Error("git cat-file exited"));
    if (/[\n\0]/.test(spec)) return Promise.resolve(null);
    this.lastUsed = Date.now();
    return new Promise((resolve, reject) => {
      this.queue.push({ kind, resolve, reject });
      // One write per command cost a syscall (and a wake-up of git) each, which under load was
      // the largest single cost of a read; commands issued in one turn now share one write.
      if (this.outbox.push(`${kind} ${spec}\n`) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const data = this.outbox.join("");
    this.outbox = [];
    if (!this.closed) this.child.stdin!.write(data);
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (this.body) {
        // Collect body chunks without re-concatenating: blobs can be megabytes.
        const want = this.body.need + 1 - this.body.have; // content plus its trailing LF
        const take = Math.min(want, this.buf.length);
        if (take > 0) {
          this.body.chunks.push(this.buf.subarray(0, take));
          this.body.have += take;
          this.buf = this.buf.subarray(take);
        }
        if (this.body.have < this.body.need + 1) return;
        const all = Buffer.concat(this.body.chunks, this.body.have);
        const p = this.queue.shift()!;
        p.resolve({ ...this.body.info, content: all.subarray(0, this.body.need) });
        this.body = null;
        continue;
      }
      const nl = this.buf.indexOf(10);
      if (nl < 0) return;
      const line = this.buf.subarray(0, nl).toString("utf8");
      this.buf = this.buf.subarray(nl + 1);
      const p = this.queue[0];
      if (!p) continue;
      const m = /^([0-9a-f]{40,64}) (commit|tree|blob|tag) (\d+)$/.exec(line);
      if (!m) {
        // "<spec> missing" or "<spec> ambiguous"
        this.queue.shift();
        p.resolve(null);
        continue;
      }
      const info: ObjectInfo = { oid: m[1]!, type: m[2] as ObjectInfo["type"], size: Number(m[3]) };
      if (p.kind === "info") {
        this.queue.shift();
        p.resolve(info);
      } else {
        this.body = { info, need: info.size, chunks: [], have: 0 };
      }
    }
  }
}

/**
 * A bounded pool of CatFile processes, one per repository, closed after an idle timeout and
 * evicted least-recently-used when the pool is full.
 */
export class CatFilePool {
  private readonly procs = new Map<string, CatFile>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly runner: GitRunner,
    private readonly max = 64,
    private readonly idleMs = 60_000,
  ) {
    this.timer = setInterval(() => this.sweep(), Math.min(idleMs, 10_000));
    this.timer.unref();
  }

  get(gitDir: string): CatFile {
    let p = this.procs.get(gitDir);
    if (p) {
      // keep Map order as LRU order
      this.procs.delete(gitDir);
      this.procs.set(gitDir, p);
      return p;
    }
    if (this.procs.size >= this.max) this.evictOne();
    p = new CatFile(this.runner, gitDir, () => {
      if (this.procs.get(gitDir) === p) this.procs.delete(gitDir);
    });
    this.procs.set(gitDir, p);
    return p;
  }

  /** Drops the process of a repository that is going away. */
  forget(gitDir: string): void {
    const p = this.procs.get(gitDir);
    if (p) {
      this.procs.delete(gitDir);
      p.close();
    }
  }

  closeAll(): void {
    clearInterval(this.timer);
    for (const p of this.procs.values()) p.close();
    this.procs.clear();
  }

  private evictOne(): void {
    for (const [dir, p] of this.procs) {
      if (!p.busy) {
        this.procs.delete(dir);
        p.close();
        return;
      }
    }
    // all busy: drop the oldest anyway; its pending requests still finish before stdin EOF
    const [dir, p] = this.procs.entries().next().value as [string, CatFile];
    this.procs.delete(dir);
    p.close();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [dir, p] of this.procs) {
      if (!p.busy && now - p.lastUsed > this.idleMs) {
        this.procs.delete(dir);
        p.close();
      }
    }
  }
}
