import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { tmpDir } from "./server.js";

export interface Postgres {
  url: (database: string) => string;
  createDatabase(name: string): void;
  /** Rows of a query, as JSON objects. */
  query(database: string, sql: string): Array<Record<string, unknown>>;
  stop(): void;
}

function pgBin(name: string): string {
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const p = path.join(root, v, "bin", name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`PostgreSQL's ${name} is not installed (Debian package postgresql)`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A throwaway PostgreSQL server of our own (run as the postgres user: it refuses root). */
export async function startPostgres(): Promise<Postgres> {
  const dir = tmpDir("pg");
  fs.chmodSync(dir, 0o777);
  const data = path.join(dir, "data");
  const asPostgres = (args: string[]) => {
    const r = spawnSync("runuser", ["-u", "postgres", "--", ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
  };
  asPostgres([pgBin("initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const port = await freePort();
  asPostgres([pgBin("pg_ctl"), "-D", data, "-w", "-l", path.join(dir, "log"), "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"]);
  const url = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  return {
    url,
    createDatabase: (name) => execFileSync(pgBin("psql"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-c", `create database ${name}`], { stdio: "ignore" }),
    query: (db, sql) => {
      const out = execFileSync(pgBin("psql"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", db, "-At", "-c", `select coalesce(json_agg(q), '[]') from (${sql}) q`], { encoding: "utf8" });
      return JSON.parse(out) as Array<Record<string, unknown>>;
    },
    stop: () => asPostgres([pgBin("pg_ctl"), "-D", data, "-m", "fast", "stop"]),
  };
}
