import fs from "node:fs";
import path from "node:path";
import { ConfigError, loadConfig } from "../config.js";
import { listDeliveries, redeliver } from "../domain/events/admin.js";
import { FunctionRegistryError, LAMBDA_ARN, deregisterFunction, listFunctions, registerFunction } from "../domain/events/functions.js";
import { openStore } from "../store/db.js";

export const ADMIN_USAGE = `Administration (works on the data directory or database; the server may be running):
  headwater admin register-function --function-arn ARN --url URL [server flags]
      accept arn:aws:lambda:REGION:ACCOUNT:function:NAME as a trigger destination; its events
      are POSTed (JSON) to URL
  headwater admin deregister-function --function-arn ARN [server flags]
  headwater admin list-functions [server flags]
  headwater admin list-deliveries [--status pending|delivered|failed|cancelled] [--limit N] [server flags]
      the delivery log, newest first, with every attempt
  headwater admin redeliver (--delivery-id N ... | --all-failed) [server flags]
      puts failed deliveries back in the queue for a new round of attempts
Server flags: --data-dir, --database-url, --region, --account-id (or their HEADWATER_* variables).
`;

const OWN = new Set(["function-arn", "url", "status", "limit", "delivery-id", "all-failed"]);

export class AdminError extends Error {}

/** Splits the command's own flags from the server flags (which loadConfig reads). */
function split(argv: string[]): { own: Map<string, string[]>; rest: string[] } {
  const own = new Map<string, string[]>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    if (m && OWN.has(m[1]!)) {
      const name = m[1]!;
      let value = m[2];
      if (value === undefined && name !== "all-failed") {
        value = argv[++i];
        if (value === undefined) throw new AdminError(`--${name} needs a value`);
      }
      own.set(name, [...(own.get(name) ?? []), value ?? "true"]);
    } else rest.push(arg);
  }
  return { own, rest };
}

function one(own: Map<string, string[]>, name: string, required = true): string | undefined {
  const v = own.get(name)?.[0];
  if (required && v === undefined) throw new AdminError(`--${name} is required`);
  return v;
}

/** Runs one admin command; returns what to print (JSON). */
export async function runAdmin(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<unknown> {
  const [command, ...args] = argv;
  const { own, rest } = split(args);
  const cfg = loadConfig(rest, env);
  if (!cfg.databaseUrl && !fs.existsSync(path.join(cfg.dataDir, "headwater.db"))) {
    throw new AdminError(`there is no Headwater database in ${cfg.dataDir}: give the server's --data-dir (or --database-url)`);
  }
  const store = await openStore({ dataDir: cfg.dataDir, databaseUrl: cfg.databaseUrl });
  try {
    switch (command) {
      case "register-function": {
        const arn = one(own, "function-arn")!;
        const url = one(own, "url")!;
        const m = LAMBDA_ARN.exec(arn);
        if (m && m[2] !== cfg.region) throw new AdminError(`the function is in ${m[2]}, but this server answers as ${cfg.region}; triggers need both in one region`);
        await registerFunction(store.db, arn, url);
        return { functionArn: arn, url };
      }
      case "deregister-function": {
        const arn = one(own, "function-arn")!;
        return { functionArn: arn, deregistered: await deregisterFunction(store.db, arn) };
      }
      case "list-functions":
        return { functions: await listFunctions(store.db) };
      case "list-deliveries": {
        const status = one(own, "status", false);
        if (status && !["pending", "delivered", "failed", "cancelled"].includes(status)) throw new AdminError(`--status must be pending, delivered, failed or cancelled`);
        const limit = Number(one(own, "limit", false) ?? 100);
        if (!Number.isInteger(limit) || limit < 1) throw new AdminError("--limit must be a positive integer");
        return { deliveries: await listDeliveries(store.db, { status, limit }) };
      }
      case "redeliver": {
        const all = own.has("all-failed");
        const ids = (own.get("delivery-id") ?? []).map((v) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1) throw new AdminError(`--delivery-id must be a delivery ID, not ${v}`);
          return n;
        });
        if (!all && !ids.length) throw new AdminError("name the deliveries: --delivery-id N (repeatable) or --all-failed");
        return { requeued: await redeliver(store.db, all ? undefined : ids) };
      }
      default:
        throw new AdminError(`unknown admin command "${command ?? ""}"`);
    }
  } catch (e) {
    if (e instanceof FunctionRegistryError) throw new AdminError(e.message);
    throw e;
  } finally {
    await store.close();
  }
}

export { ConfigError };
