import crypto from "node:crypto";
import pg from "pg";
import { CHANGE_TOPICS, type ChangeBus, type ChangeTopic } from "../domain/change-bus.js";
import type { Logger } from "../log.js";

const CHANNEL = "headwater_changes";

export interface ChangeRelay {
  close(): Promise<void>;
}

/**
 * Carries change notices between processes sharing one PostgreSQL database, with LISTEN/NOTIFY
 * on a connection of its own: a key deactivated through one process is refused by the others
 * as soon as the notice arrives (milliseconds), not when their caches happen to expire.
 *
 * A notice names its sender so a process does not hear itself twice. While the connection is
 * down notices can be missed, so on every (re)connection all local caches are dropped.
 */
export async function startChangeRelay(databaseUrl: string, bus: ChangeBus, log: Logger): Promise<ChangeRelay> {
  const me = crypto.randomUUID();
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: databaseUrl });
    c.on("notification", (n) => {
      const [sender, topic] = (n.payload ?? "").split(" ");
      if (sender !== me && CHANGE_TOPICS.includes(topic as ChangeTopic)) bus.deliver(topic as ChangeTopic);
    });
    const lost = (err?: Error) => {
      if (client !== c) return;
      client = undefined;
      c.end().catch(() => {});
      if (closed) return;
      log.warn({ err }, "change relay lost its PostgreSQL connection; reconnecting");
      retry = setTimeout(() => void connect().catch(() => {}), 1000); // a failure schedules the next try
      retry.unref();
    };
    c.on("error", lost);
    c.on("end", () => lost());
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      lost(err as Error);
      throw err;
    }
    // whatever was said while nobody listened
    for (const t of CHANGE_TOPICS) bus.deliver(t);
  };
  try {
    await connect();
  } catch (err) {
    closed = true; // the server does not start; no retries behind its back
    if (retry) clearTimeout(retry);
    throw err;
  }

  bus.relayTo((topic) => {
    client?.query("select pg_notify($1, $2)", [CHANNEL, `${me} ${topic}`]).catch((err: Error) => log.warn({ err, topic }, "could not tell other processes of a change"));
  });
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      bus.relayTo(undefined);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
