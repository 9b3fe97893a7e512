import fs from "node:fs";
import path from "node:path";
import type { Config } from "../config.js";
import { listDeliveries, redeliver } from "../domain/events/admin.js";
import { FunctionRegistryError, LAMBDA_ARN, deregisterFunction, listFunctions, registerFunction } from "../domain/events/functions.js";
import { openStore } from "../store/db.js";
import { UsageError } from "./commands.js";

/** An admin command's mistake or refusal (exit 2, as a usage error). */
export class AdminError extends UsageError {}

function one(own: Map<string, string[]>, name: string): string | undefined {
  return own.get(name)?.[0];
}

/**
 * Runs one admin command with its own flags (parsed and checked against its declaration in
 * commands.ts, required ones there) and the server's configuration; returns what to print (JSON).
 */
export async function runAdmin(command: string, own: Map<string, string[]>, cfg: Config): Promise<unknown> {
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
        const status = one(own, "status");
        if (status && !["pending", "delivered", "failed", "cancelled"].includes(status)) throw new AdminError(`--status must be pending, delivered, failed or cancelled`);
        const limit = Number(one(own, "limit") ?? 100);
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
        throw new AdminError(`unknown admin command "${command}"`);
    }
  } catch (e) {
    if (e instanceof FunctionRegistryError) throw new AdminError(e.message);
    throw e;
  } finally {
    await store.close();
  }
}
