import pg from "pg";
import type { Logger } from "../log.js";

/**
 * Locks that several server processes sharing one database agree on, held for as long as the
 * holder likes (not only for one transaction): a push holds its repository's ref lock while git
 * moves refs, which spans two git hooks and no transaction.
 */
export interface SessionLocks {
  /** Waits for the lock named `key`; resolves with the function that releases it. */
  acquire(key: string): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** SQLite: one process owns the database, and its in-process locks are all there is to agree on. */
export const processLocalLocks: SessionLocks = {
  acquire: async () => async () => {},
  close: async () => {},
};

/**
 * The first of the two 32-bit keys every session lock is taken with. The two-key form of
 * PostgreSQL's advisory locks is a key space of its own, apart from the one-key (bigint) locks
 * `lockInTransaction` takes, so a hash collision with one of those can never make a transaction
 * wait for a session lock its own process holds.
 */
const SESSION_LOCK_CLASS = 4720002;

/**
 * PostgreSQL: session-level advisory locks, each held on a connection of its own from a small
 * pool that is not the main one, so lock holders (and waiters) never take the connections the
 * work under the lock needs. A holder whose connection dies loses its lock with it: PostgreSQL
 * releases a session's locks when the session ends, so a crashed process never keeps one.
 * Callers take their in-process lock first, so one process waits with at most one connection
 * per key.
 */
export function postgresSessionLocks(databaseUrl: string, log: Logger, maxConnections = 8): SessionLocks {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: maxConnections, idleTimeoutMillis: 30_000 });
  pool.on("error", (err) => log.warn({ err }, "an idle lock connection to PostgreSQL failed"));
  return {
    async acquire(key) {
      const client = await pool.connect();
      // A checked-out connection has no error listener of the pool's; one that fails while the
      // lock is held has lost the lock with it (PostgreSQL ended the session), which is logged.
      const lost = (err: Error) => log.error({ err, key }, "the connection holding a lock on PostgreSQL failed; the lock is lost");
      client.on("error", lost);
      try {
        await client.query("select pg_advisory_lock($1, hashtext($2))", [SESSION_LOCK_CLASS, key]);
      } catch (e) {
        client.off("error", lost);
        client.release(e as Error);
        throw e;
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        client.off("error", lost);
        try {
          await client.query("select pg_advisory_unlock($1, hashtext($2))", [SESSION_LOCK_CLASS, key]);
          client.release();
        } catch (e) {
          // the connection is closed instead, which releases the lock just as well
          client.release(e as Error);
          log.warn({ err: e, key }, "could not release a lock on PostgreSQL; its connection was closed instead");
        }
      };
    },
    close: () => pool.end(),
  };
}
