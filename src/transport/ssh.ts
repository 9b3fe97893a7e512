import crypto from "node:crypto";
import net from "node:net";
import ssh2 from "ssh2";
import type { AuthContext, ClientInfo, Connection, ServerChannel, Session } from "ssh2";
import type { Caller } from "../domain/context.js";
import type { SshKeyIdentity } from "../domain/iam/identities.js";
import type { Repository } from "../domain/repos/repositories.js";
import { isServiceError, withDenial, type Denial } from "../errors.js";
import type { Logger } from "../log.js";
import { GitServeError, type GitServing, type PushPlan } from "./git-service.js";
import { FLUSH } from "./pkt-line.js";
import { sha256Fingerprint, type HostKey } from "./ssh-host-keys.js";
import { parseGitCommand, type GitCommand } from "./ssh-command.js";
import { GitTransfer, gitAction } from "./transfer-log.js";

/**
 * Git over SSH, as CodeCommit serves it: the SSH user name is the ID (APKA…) of an SSH public
 * key uploaded to IAM, the client proves it holds that key, and it may run git-upload-pack,
 * git-receive-pack or git-upload-archive on `/v1/repos/NAME`. As an extension, the user name
 * `git` is accepted too, the key being found by its fingerprint (GitLab push mirrors need it).
 * Authorization, push recording and refusals go through the same GitServing as smart HTTP.
 */

export type SshKeyLookup = (by: { keyId: string } | { fingerprintSha256: string }) => Promise<SshKeyIdentity[]>;

export interface SshLimits {
  /** connections open at once (authenticated or not); more are dropped as they arrive */
  maxConnections: number;
  /** session channels open at once on one connection */
  maxChannels: number;
  /**
   * connections still authenticating, at once, and from one address (OpenSSH's MaxStartups and
   * PerSourceMaxStartups): a client that opens connections and never authenticates fills these,
   * not the slots of users who have authenticated
   */
  maxUnauthenticated: number;
  maxUnauthenticatedPerSource: number;
  /** a connection not authenticated within this is dropped */
  authTimeoutMs: number;
  /** an authenticated connection with no git data moving for this long is closed */
  idleTimeoutMs: number;
  /** authentication requests per connection (every key an agent offers counts) */
  maxAuthAttempts: number;
}

export interface SshServerOptions {
  serving: GitServing;
  keys: SshKeyLookup;
  hostKeys: HostKey[];
  log: Logger;
  /** refuse a push naming more refs than fit in this many bytes of commands */
  maxCommandBytes: number;
  limits: SshLimits;
  /** ciphers to offer, best first (default: see DEFAULT_CIPHERS) */
  ciphers?: string[];
}

/**
 * Ciphers offered. The client's preference decides among them (OpenSSH's own puts
 * chacha20-poly1305 first, then the CTR modes, then GCM). CTR (with an encrypt-then-MAC HMAC) is
 * kept for older Java clients (JSch) that have nothing else; CBC and arcfour are not offered.
 */
export const DEFAULT_CIPHERS = [
  "aes128-gcm@openssh.com",
  "aes256-gcm@openssh.com",
  "chacha20-poly1305@openssh.com",
  "aes128-ctr",
  "aes192-ctr",
  "aes256-ctr",
];

export const AWS_GREETING = "You have successfully authenticated over SSH. You can use Git to interact with CodeCommit.";

interface Conn {
  socket: net.Socket;
  ip: string;
  acceptedAt: number;
  client?: Connection;
  identity?: SshKeyIdentity;
  lastActivity: number;
  sessions: number;
  authAttempts: number;
  /** why the last authentication request was refused, and the user name it gave (for the log) */
  authRefusal?: { reason: string; user: string };
  closing?: boolean;
  /** run when the connection goes away: stop its git processes */
  onGone: Set<() => void>;
}

/** Printable, bounded text of something a client sent, for messages and logs. */
function printable(s: string, max = 120): string {
  const clean = s.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > max ? clean.slice(0, max) + "…" : clean;
}

export class SshGitServer {
  private readonly ssh: ssh2.Server;
  private readonly listener: net.Server;
  private readonly conns = new Set<Conn>();
  private readonly byRemote = new Map<string, Conn>();
  private unauthenticated = 0;
  private readonly unauthenticatedBySource = new Map<string, number>();
  private sweeper?: NodeJS.Timeout;
  private stopping = false;
  private lastRefusalLog = 0;
  private readonly log: Logger;

  constructor(private readonly opts: SshServerOptions) {
    this.log = opts.log;
    this.ssh = new ssh2.Server(
      {
        hostKeys: opts.hostKeys.map((k) => k.privateKey),
        ident: "Headwater",
        algorithms: { cipher: (opts.ciphers ?? DEFAULT_CIPHERS) as ssh2.CipherAlgorithm[] },
      },
      (client: Connection, info: ClientInfo) => this.onConnection(client, info),
    );
    this.listener = net.createServer((socket) => this.onSocket(socket));
    this.listener.on("error", (e) => this.log.error({ err: e }, "ssh listener error"));
  }

  /** Starts listening; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.listener.once("error", reject);
      this.listener.listen(port, host, () => {
        this.listener.off("error", reject);
        const { authTimeoutMs, idleTimeoutMs } = this.opts.limits;
        const tick = Math.min(5000, Math.max(100, Math.min(authTimeoutMs, idleTimeoutMs) / 4));
        this.sweeper = setInterval(() => this.sweep(), tick);
        this.sweeper.unref();
        resolve((this.listener.address() as net.AddressInfo).port);
      });
    });
  }

  /**
   * Graceful stop: no new connections; connections with no git running are closed; running git
   * operations finish (up to `hardLimitMs`), then everything left is closed.
   */
  async stop(hardLimitMs = 60_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const check = () => {
        // connections with a session open are busy: their git finishes first
        for (const c of this.conns) if (c.sessions === 0) this.drop(c, "server stopping");
        if (this.conns.size === 0) return resolve();
        if (Date.now() - started > hardLimitMs) {
          for (const c of this.conns) c.socket.destroy();
          return resolve();
        }
        setTimeout(check, 100);
      };
      check();
    });
    clearInterval(this.sweeper);
    await closed;
  }

  private onSocket(socket: net.Socket): void {
    socket.on("error", () => {}); // reported through the ssh2 connection, or irrelevant before it
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const ip = socket.remoteAddress ?? "";
    const refusal = this.admission(ip);
    if (refusal) {
      if (Date.now() - this.lastRefusalLog > 10_000) {
        this.lastRefusalLog = Date.now();
        this.log.warn({ ip, limit: refusal }, "ssh connection limit reached; refusing new connections");
      }
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const now = Date.now();
    const conn: Conn = {
      socket,
      ip,
      acceptedAt: now,
      lastActivity: now,
      sessions: 0,
      authAttempts: 0,
      onGone: new Set(),
    };
    const key = `${socket.remoteAddress}|${socket.remotePort}`;
    this.conns.add(conn);
    this.byRemote.set(key, conn);
    this.countUnauthenticated(ip, +1);
    socket.once("close", () => {
      if (!conn.identity && conn.authRefusal) {
        // one line per connection that never authenticated, however many keys it offered
        const { reason, user } = conn.authRefusal;
        this.log.warn(
          { transport: "ssh", user: printable(user, 64), principal: null, authAttempts: conn.authAttempts, sourceIp: ip, action: null, resource: null, reason },
          "ssh authentication failed",
        );
      }
      this.conns.delete(conn);
      if (!conn.identity) this.countUnauthenticated(ip, -1);
      if (this.byRemote.get(key) === conn) this.byRemote.delete(key);
      for (const f of conn.onGone) f();
      conn.onGone.clear();
    });
    this.ssh.injectSocket(socket);
  }

  /** Which limit a new connection from `ip` would break, if any. */
  private admission(ip: string): string | undefined {
    const { maxConnections, maxUnauthenticated, maxUnauthenticatedPerSource } = this.opts.limits;
    if (this.conns.size >= maxConnections) return "ssh-max-connections";
    if (this.unauthenticated >= maxUnauthenticated) return "ssh-max-unauthenticated";
    if ((this.unauthenticatedBySource.get(ip) ?? 0) >= maxUnauthenticatedPerSource) return "ssh-max-unauthenticated-per-source";
    return undefined;
  }

  private countUnauthenticated(ip: string, delta: 1 | -1): void {
    this.unauthenticated += delta;
    const n = (this.unauthenticatedBySource.get(ip) ?? 0) + delta;
    if (n > 0) this.unauthenticatedBySource.set(ip, n);
    else this.unauthenticatedBySource.delete(ip);
  }

  /** Drops unauthenticated connections past the authentication timeout and idle ones. */
  private sweep(): void {
    const now = Date.now();
    const { authTimeoutMs, idleTimeoutMs } = this.opts.limits;
    for (const c of this.conns) {
      if (!c.identity) {
        if (now - c.acceptedAt > authTimeoutMs) this.drop(c, "authentication timeout", true);
      } else if (now - c.lastActivity > idleTimeoutMs) {
        this.drop(c, "idle timeout");
      }
    }
  }

  /** Ends a connection: politely (SSH disconnect) unless `hard`, and for certain a moment later. */
  private drop(c: Conn, reason: string, hard = false): void {
    if (c.closing && !hard) return;
    c.closing = true;
    this.log.debug({ ip: c.ip, reason }, "closing ssh connection");
    if (hard || !c.client) {
      c.socket.destroy();
      return;
    }
    try {
      c.client.end();
    } catch {
      /* already gone */
    }
    setTimeout(() => c.socket.destroy(), 2000).unref();
  }

  private onConnection(client: Connection, info: ClientInfo): void {
    const conn = this.byRemote.get(`${info.ip}|${info.port}`);
    client.on("error", (e: Error & { level?: string }) => {
      if (e.level !== "socket" && e.level !== "client-timeout") this.log.debug({ err: e, ip: info.ip }, "ssh connection error");
    });
    if (!conn) {
      client.end();
      return;
    }
    conn.client = client;
    client.on("authentication", (ctx: AuthContext) => {
      void this.authenticate(conn, ctx).catch((e) => {
        this.log.error({ err: e }, "ssh authentication failed with an error");
        try {
          ctx.reject(["publickey"]);
        } catch {
          /* connection gone */
        }
      });
    });
    client.on("ready", () => {
      conn.lastActivity = Date.now();
    });
    client.on("session", (accept: () => Session, reject: () => void) => this.onSession(conn, accept, reject));
    // no listeners for tcpip, streamlocal, global requests or sftp: ssh2 refuses them all
  }

  private async authenticate(conn: Conn, ctx: AuthContext): Promise<void> {
    if (++conn.authAttempts > this.opts.limits.maxAuthAttempts) {
      conn.authRefusal = { reason: "tooManyAttempts", user: ctx.username };
      ctx.reject();
      this.drop(conn, "too many authentication attempts", true);
      return;
    }
    if (ctx.method !== "publickey") {
      // `none` is how every client starts; a password or keyboard-interactive one is refused
      if (ctx.method !== "none") conn.authRefusal ??= { reason: "publickeyOnly", user: ctx.username };
      return ctx.reject(["publickey"]);
    }
    const user = ctx.username;
    let candidates: SshKeyIdentity[] = [];
    if (user === "git") candidates = await this.opts.keys({ fingerprintSha256: sha256Fingerprint(ctx.key.data) });
    else if (/^APKA\w{16,124}$/.test(user)) candidates = await this.opts.keys({ keyId: user });
    const matching = candidates.filter((c) => sameKey(c.line, ctx.key.data));
    if (matching.length !== 1) {
      if (matching.length > 1) {
        this.log.warn(
          { keys: matching.map((m) => m.keyId) },
          "an SSH key offered as user git is uploaded (active) for more than one IAM user; refused: use the key ID as the user name",
        );
      }
      conn.authRefusal = { reason: matching.length > 1 ? "ambiguousKey" : "unknownKey", user };
      return ctx.reject(["publickey"]);
    }
    const found = matching[0]!;
    if (!ctx.signature || !ctx.blob) {
      // the client asks whether this key would do; it signs with it next
      ctx.accept();
      return;
    }
    const parsed = ssh2.utils.parseKey(found.line);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key || key instanceof Error || key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
      conn.authRefusal = { reason: "badSignature", user };
      return ctx.reject(["publickey"]);
    }
    if (!conn.identity) this.countUnauthenticated(conn.ip, -1);
    conn.identity = found;
    conn.lastActivity = Date.now();
    this.log.debug({ ip: conn.ip, keyId: found.keyId, arn: found.principal.arn }, "ssh authenticated");
    ctx.accept();
  }

  private onSession(conn: Conn, accept: () => Session, reject: () => void): void {
    if (conn.sessions >= this.opts.limits.maxChannels || this.stopping) {
      reject();
      return;
    }
    conn.sessions++;
    conn.lastActivity = Date.now();
    const session = accept();
    let protocol: string | undefined;
    let closed = false;
    const done = () => {
      if (closed) return;
      closed = true;
      conn.sessions--;
      conn.lastActivity = Date.now();
    };
    session.on("close", done);
    session.on("env", (ok, no, info) => {
      // GIT_PROTOCOL is the one variable git sends (`ssh -o SendEnv=GIT_PROTOCOL`)
      if (info.key === "GIT_PROTOCOL" && /^[\w.=:-]{1,200}$/.test(info.val)) {
        protocol = info.val;
        ok?.();
      } else no?.();
    });
    // a terminal is accepted and ignored, so a plain `ssh host` gets the greeting without a warning
    session.on("pty", (ok) => ok?.());
    session.on("window-change", (ok) => ok?.());
    session.on("shell", (ok) => {
      const channel = ok();
      if (!channel) return;
      this.finish(channel, 1, this.greeting(conn) + "\n");
    });
    session.on("exec", (ok, _no, info) => {
      const channel = ok();
      if (!channel) return;
      this.exec(conn, channel, info.command, protocol).catch((e) => {
        this.log.error({ err: e }, "ssh git command failed");
        this.finish(channel, 1, "Internal error.\n");
      });
    });
  }

  private greeting(conn: Conn): string {
    const id = conn.identity!;
    return `${AWS_GREETING}\nYou are ${id.principal.arn} (SSH key ${id.keyId}). Interactive shells are not supported.`;
  }

  /** Writes `stderr`, then sends the exit status once everything written has gone out, then closes. */
  private finish(channel: ServerChannel, status: number | string, stderr?: string): void {
    if (stderr) channel.stderr.write(stderr);
    // empty writes complete only after every earlier write on the same stream has been sent
    channel.write(Buffer.alloc(0), () => {
      channel.stderr.write(Buffer.alloc(0), () => {
        if (typeof status === "number") channel.exit(status);
        else channel.exit(status.replace(/^SIG/, ""), false, "");
        channel.end();
      });
    });
  }

  private async exec(conn: Conn, channel: ServerChannel, command: string, protocol: string | undefined): Promise<void> {
    const identity = conn.identity!;
    const cmd = parseGitCommand(command);
    if (!cmd) {
      this.finish(
        channel,
        1,
        `${this.greeting(conn)}\nUnknown command: ${printable(command)}\n` +
          "Only git-upload-pack, git-receive-pack and git-upload-archive of '/v1/repos/NAME' are served.\n",
      );
      return;
    }
    const caller: Caller = { principal: identity.principal, requestId: crypto.randomUUID(), sourceIp: conn.ip, secureTransport: true };
    const t = new GitTransfer("ssh", conn.ip);
    t.service = cmd.service;
    t.repository = cmd.repository.endsWith(".git") ? cmd.repository.slice(0, -4) : cmd.repository;
    t.principal = identity.principal.arn;
    t.keyId = identity.keyId;
    const started = performance.now();
    try {
      await this.transfer(conn, channel, cmd, protocol, caller, t);
    } catch (e) {
      t.exitCode = 1;
      throw e;
    } finally {
      t.write(this.log.child({ requestId: caller.requestId }), performance.now() - started);
    }
  }

  /** Runs one git command of an authenticated connection, noting what happens in `t`. */
  private async transfer(conn: Conn, channel: ServerChannel, cmd: GitCommand, protocol: string | undefined, caller: Caller, t: GitTransfer): Promise<void> {
    const identity = conn.identity!;
    const { serving } = this.opts;
    /** the exit status, noted for the log line before it is sent */
    const finish = (status: number | string, stderr?: string) => {
      t.exitCode = status;
      this.finish(channel, status, stderr);
    };
    let repo: Repository;
    try {
      // the connection may be older than a deactivation of its key (multiplexed clients reuse it)
      const still = await this.opts.keys({ keyId: identity.keyId });
      if (!still.some((k) => k.line === identity.line && k.principal.arn === identity.principal.arn)) {
        throw withDenial(new GitServeError(403, `The SSH key ${identity.keyId} is not active any more.`), {
          action: gitAction(cmd.service),
          resource: serving.repos.arnOf(t.repository!),
          reason: "inactiveKey",
        });
      }
      repo = await serving.open(cmd.repository);
      await serving.authorize(caller, repo, cmd.service);
    } catch (e) {
      const text = this.refusalText(e);
      t.refused(text, (e as { denial?: Denial }).denial);
      finish(1, text + "\n");
      return;
    }

    // a push's receive-pack comes with the session that locks and records its ref changes
    const push = cmd.service === "git-receive-pack" ? serving.receivePack(caller, repo, { statelessRpc: false, protocol }) : undefined;
    const child =
      push?.child ??
      serving.spawn(cmd.service, repo, {
        statelessRpc: false,
        // git archive --remote speaks no protocol v2
        protocol: cmd.service === "git-upload-archive" ? undefined : protocol,
      });
    const touch = () => {
      conn.lastActivity = Date.now();
    };
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    };
    conn.onGone.add(kill);
    channel.once("close", kill);
    child.stdin!.on("error", () => {});
    child.stdout!.on("data", touch);
    child.stderr!.on("data", touch);
    t.watch(child);
    if (push) {
      // No backpressure on receive-pack's output: it writes its report while holding the
      // repository's ref lock, and a client slow to read must not keep the lock. The output is
      // bounded (the ref advertisement, a report line per ref, progress).
      child.stdout!.on("data", (d: Buffer) => {
        if (channel.writable) channel.write(d);
      });
      child.stderr!.on("data", (d: Buffer) => {
        if (channel.stderr.writable) channel.stderr.write(d);
      });
    } else {
      child.stdout!.pipe(channel, { end: false });
      child.stderr!.pipe(channel.stderr, { end: false });
    }
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once("close", (code, signal) => resolve({ code, signal }));
      child.once("error", (e) => {
        this.log.error({ err: e }, "could not run git");
        resolve({ code: 1, signal: null });
      });
    });
    if (push) {
      // receive-pack has advertised its refs; the commands arrive next, and are checked before
      // git sees them
      channel.on("data", touch);
      t.countIn(channel);
      let plan: PushPlan;
      try {
        plan = await serving.receiveCommands(caller, repo, channel, this.opts.maxCommandBytes);
      } catch (e) {
        kill();
        await exited;
        conn.onGone.delete(kill);
        const text = this.refusalText(e);
        t.refused(text);
        finish(1, text + "\n");
        return;
      }
      t.refs = plan.commands.length;
      if (plan.refused) {
        t.ref = plan.ref;
        t.refused(plan.message, plan.denial);
        // receive-pack gets no commands and exits without touching anything (and without a word);
        // the refusal goes where its report would. It is sent at once: git reads it after sending
        // its pack and closing its end, other clients (JGit) read it and then hang up. Until one
        // of those, the client's input (its pack) is read and dropped.
        child.stdin!.end(FLUSH);
        await exited;
        conn.onGone.delete(kill);
        if (plan.report.length) channel.write(plan.report);
        if (!channel.readableEnded) {
          await new Promise<void>((resolve) => {
            channel.once("end", resolve);
            channel.once("close", resolve);
            channel.resume();
          });
        }
        finish(0);
        return;
      }
      push.accept(plan);
      child.stdin!.write(plan.consumed);
      channel.pipe(child.stdin!);
    } else {
      channel.on("data", touch);
      channel.pipe(child.stdin!);
    }

    const { code, signal } = await exited;
    conn.onGone.delete(kill);
    // a push is recorded before the client hears that it is over, so an acknowledged push has its event
    if (push) await push.done;
    finish(code ?? signal ?? 1);
  }

  /** The text git should print for a refusal: the same words smart HTTP answers with. */
  private refusalText(e: unknown): string {
    if (e instanceof GitServeError || isServiceError(e)) return e.message;
    this.log.error({ err: e }, "ssh git request failed");
    return "Internal error.";
  }
}

/** Whether a stored `type base64` line is the key whose SSH wire blob a client offered. */
function sameKey(line: string, offered: Buffer): boolean {
  const b64 = line.split(" ")[1];
  if (!b64) return false;
  const stored = Buffer.from(b64, "base64");
  return stored.length === offered.length && crypto.timingSafeEqual(stored, offered);
}
