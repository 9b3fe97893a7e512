import http from "node:http";
import https from "node:https";
import type { OutboundResult, Sender } from "../domain/events/sender.js";

/** Largest response body read (and thrown away) so the connection can be reused. */
const MAX_RESPONSE = 64 * 1024;

/**
 * POSTs with kept-alive connections and a deadline covering connect, send and response, as
 * SNS's 15-second timeout does. HTTPS endpoints are checked against Node's CAs (add private
 * ones with NODE_EXTRA_CA_CERTS).
 */
export function httpSender(): { send: Sender; close(): void } {
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 32 }),
  };
  const send: Sender = (req) =>
    new Promise((resolve) => {
      const started = performance.now();
      let settled = false;
      const finish = (r: Omit<OutboundResult, "latencyMs">) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...r, latencyMs: Math.round(performance.now() - started) });
      };
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        finish({ error: "invalid URL" });
        return;
      }
      const secure = url.protocol === "https:";
      const body = Buffer.from(req.body, "utf8");
      const r = (secure ? https : http).request(
        url,
        {
          method: "POST",
          agent: secure ? agents.https : agents.http,
          headers: { ...req.headers, "content-length": String(body.length) },
        },
        (res) => {
          let seen = 0;
          res.on("data", (d: Buffer) => {
            seen += d.length;
            if (seen > MAX_RESPONSE) res.destroy();
          });
          res.on("end", () => finish({ status: res.statusCode }));
          res.on("close", () => finish({ status: res.statusCode }));
          res.on("error", () => finish({ status: res.statusCode }));
        },
      );
      const timer = setTimeout(() => {
        finish({ error: `no response within ${Math.round(req.timeoutMs / 1000)} seconds` });
        r.destroy();
      }, req.timeoutMs);
      r.on("error", (e: NodeJS.ErrnoException) => finish({ error: e.code ? `${e.code}: ${e.message}` : e.message }));
      r.end(body);
    });
  return {
    send,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
