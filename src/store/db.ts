import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { Database } from "./schema.js";
import { migrations } from "./migrations/index.js";

export type Engine = "sqlite" | "postgres";

/**
 * Serialises transactions that name the same key until they end. SQLite needs nothing (one
 * process, one connection, one transaction at a time); on PostgreSQL, where several processes
 * write at once, it is a transaction-scoped advisory lock.
 */
export async function lockInTransaction(trx: Kysely<Database>, engine: Engine, key: string): Promise<void> {
  if (engine === "postgres") await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
}

/** True for a unique-constraint violation, on either engine (a racing insert lost). */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

export interface Store {
  db: Kysely<Database>;
  engine: Engine;
  close(): Promise<void>;
}

/** Opens SQLite in the data directory, or PostgreSQL when a postgres:// URL is given, and migrates. */
export async function openStore(opts: { dataDir: string; databaseUrl?: string | undefined }): Promise<Store> {
  let db: Kysely<Database>;
  let engine: Engine;
  if (opts.databaseUrl) {
    engine = "postgres";
    // int8 (bigint) columns hold epoch milliseconds: well inside Number's exact range.
    pg.types.setTypeParser(20, (v) => Number(v));
    db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: opts.databaseUrl, max: 10 }) }),
    });
  } else {
    engine = "sqlite";
    fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    // IAM data and password hashes are for this user alone: the database is 0600, and SQLite
    // gives its -wal and -shm files the database file's mode
    const dbFile = path.join(opts.dataDir, "headwater.db");
    fs.closeSync(fs.openSync(dbFile, "a", 0o600));
    fs.chmodSync(dbFile, 0o600);
    const file = new SQLite(dbFile);
    file.pragma("journal_mode = WAL");
    // FULL: a committed event or ref tip survives power loss, not only a process crash.
    file.pragma("synchronous = FULL");
    file.pragma("foreign_keys = ON");
    file.pragma("busy_timeout = 5000");
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(file) }) });
  }
  await migrate(db as unknown as Kysely<unknown>, engine);
  return { db, engine, close: () => db.destroy() };
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running most of
 * ours. Statements are cached by their SQL text (bounded), which is safe because the driver
 * runs one query at a time on the single connection.
 */
function withStatementCache(file: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = file.prepare.bind(file);
  return new Proxy(file, {
    get(target, prop, receiver) {
      if (prop === "prepare") {
        return (sql: string) => {
          let stmt = cache.get(sql);
          if (!stmt) {
            stmt = prepare(sql);
            if (cache.size >= 500) cache.delete(cache.keys().next().value!);
            cache.set(sql, stmt);
          }
          return stmt;
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

async function migrate(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable("schema_migrations")
    .ifNotExists()
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("applied_at", engine === "postgres" ? "bigint" : "integer", (c) => c.notNull())
    .execute();
  await db.transaction().execute(async (trx) => {
    // Several server processes may start at once on one PostgreSQL database.
    if (engine === "postgres") await sql`select pg_advisory_xact_lock(4720001)`.execute(trx);
    const done = new Set(
      (await sql<{ name: string }>`select name from schema_migrations`.execute(trx)).rows.map((r) => r.name),
    );
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      await m.up(trx, engine);
      await sql`insert into schema_migrations (name, applied_at) values (${m.name}, ${Date.now()})`.execute(trx);
    }
  });
}
