import crypto from "node:crypto";
import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import MessageValidator from "sns-validator";

/** One request an endpoint received. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json?: any;
  at: number;
  /** the status the endpoint answered */
  answered: number | "hang";
}

/** What to answer the n-th (0-based) request with: a status, or never answer. */
export type Responder = (r: Received, n: number) => number | "hang";

/** GET over http or https (with a CA for our self-signed certificate). */
export function httpGet(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith("https:") ? https : http;
    const req = mod.get(url, ca ? { ca } : {}, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
}

export interface SubscriberOptions {
  /** GET SubscribeURL when a SubscriptionConfirmation arrives (default true) */
  confirm?: boolean;
  respond?: Responder;
  /** the CA that SubscribeURL's server certificate is checked against */
  ca?: string;
  path?: string;
  /** listen on this port (to come back where a subscription points after being down) */
  port?: number;
  /** serve HTTPS with this key and certificate instead of HTTP */
  tls?: { key: string; cert: string };
  /** answer each request this long after it arrived (a slow endpoint) */
  answerAfterMs?: number;
}

/**
 * A real HTTP(S) endpoint, as a subscriber (Jira, a webhook receiver) runs one: it records what
 * it receives, confirms subscriptions by GETting SubscribeURL, and answers as told.
 */
export class Subscriber {
  readonly received: Received[] = [];
  /** requests being answered right now, and the most there ever were at once */
  inFlight = 0;
  maxInFlight = 0;
  private readonly waiters = new Set<() => void>();
  private readonly hung: http.ServerResponse[] = [];
  private server!: http.Server;
  url = "";
  port = 0;

  private constructor(private readonly opts: SubscriberOptions & { confirm: boolean }) {}

  static async start(opts: SubscriberOptions = {}): Promise<Subscriber> {
    const s = new Subscriber({ ...opts, confirm: opts.confirm ?? true });
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (d: Buffer) => chunks.push(d));
      req.on("end", () => void s.handle(req, res, Buffer.concat(chunks).toString("utf8")));
    };
    s.server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest) : http.createServer(onRequest);
    s.server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => s.server.listen(opts.port ?? 0, "127.0.0.1", r));
    s.port = (s.server.address() as { port: number }).port;
    s.url = `${opts.tls ? "https" : "http"}://127.0.0.1:${s.port}${opts.path ?? "/hook"}`;
    return s;
  }

  /** Changes how the next requests are answered. */
  respondWith(fn: Responder | undefined): void {
    this.opts.respond = fn;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const r: Received = { path: req.url ?? "", headers: req.headers, body, json, at: Date.now(), answered: 200 };
    const n = this.received.length;
    const status = this.opts.respond ? this.opts.respond(r, n) : 200;
    r.answered = status;
    this.received.push(r);
    if (status === "hang") {
      this.hung.push(res);
      for (const w of this.waiters) w();
      return;
    }
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      if (this.opts.answerAfterMs) await new Promise((t) => setTimeout(t, this.opts.answerAfterMs));
      if (status < 300 && this.opts.confirm && (json as { Type?: string })?.Type === "SubscriptionConfirmation") {
        await httpGet((json as { SubscribeURL: string }).SubscribeURL, this.opts.ca);
      }
    } finally {
      this.inFlight--;
    }
    res.writeHead(status, { "content-type": "text/plain" }).end("ok");
    for (const w of this.waiters) w();
  }

  /** Messages of one type (by the x-amz-sns-message-type header), as answered successfully or not. */
  ofType(type: string): Received[] {
    return this.received.filter((r) => r.headers["x-amz-sns-message-type"] === type);
  }

  notifications(): Received[] {
    return this.ofType("Notification");
  }

  /** Waits until `pred` holds over what was received. */
  async waitFor<T>(pred: (received: Received[]) => T | undefined | false, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pred(this.received);
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; received ${this.received.length} requests:\n${this.received.map((r) => r.body.slice(0, 300)).join("\n")}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(left, 250));
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.waiters.add(done);
      });
      this.waiters.clear();
    }
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/**
 * Verifies an SNS message's signature with AWS's own validator (sns-validator), told to trust
 * our host; the certificate is fetched from SigningCertURL over HTTPS.
 */
export function validateWithSnsValidator(message: object, hostPattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    new MessageValidator(hostPattern).validate(message as never, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

/**
 * SNS's signature check, written from AWS's documentation (for UnsubscribeConfirmation, which
 * sns-validator 0.3.5 gets wrong: it leaves Token out of the string to sign).
 */
export function verifySnsSignature(m: Record<string, string>, certPem: string): boolean {
  const keys =
    m.Type === "Notification"
      ? ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
      : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"];
  let s = "";
  for (const k of keys) if (m[k] !== undefined) s += `${k}\n${m[k]}\n`;
  return crypto.verify(m.SignatureVersion === "2" ? "sha256" : "sha1", Buffer.from(s, "utf8"), certPem, Buffer.from(m.Signature!, "base64"));
}
