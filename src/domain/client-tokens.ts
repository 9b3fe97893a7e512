import crypto from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import { ServiceError } from "../errors.js";
import { isUniqueViolation } from "../store/db.js";
import type { Database } from "../store/schema.js";

/** Idempotency scopes: the operation families whose tokens are remembered apart. */
export type TokenScope = "pull-request" | "comment";

const MAX_TOKEN = 256;

/** The clientRequestToken of a request: undefined when absent, refused when not a usable string. */
export function validateClientToken(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || value.length > MAX_TOKEN || /[\x00-\x1f\x7f]/.test(value)) {
    throw new ServiceError("InvalidClientRequestTokenException", `The client request token is not valid: use a string of 1 to ${MAX_TOKEN} printable characters (the SDKs send a UUID).`);
  }
  return value;
}

/** A stable digest of a request's parameters (object keys in sorted order). */
export function fingerprint(params: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return crypto.createHash("sha256").update(JSON.stringify(canonical(params))).digest("hex");
}

/**
 * Runs `make` once per client request token: a request repeated with the same token and the same
 * parameters gets what the first one made (its ID), with other parameters
 * IdempotencyParameterMismatchException. The token row is written in `make`'s transaction, so a
 * crash leaves either both or neither; of two racing requests with one token, the second waits
 * on the row's key and then finds it.
 */
export async function oncePerToken(
  db: Kysely<Database>,
  scope: TokenScope,
  token: string | undefined,
  params: unknown,
  make: (trx: Transaction<Database>) => Promise<string>,
): Promise<{ id: string; repeated: boolean }> {
  if (token === undefined) return { id: await db.transaction().execute(make), repeated: false };
  const digest = fingerprint(params);
  const earlier = async () => {
    const row = await db.selectFrom("client_request_tokens").selectAll().where("scope", "=", scope).where("token", "=", token).executeTakeFirst();
    if (!row) return undefined;
    if (row.fingerprint !== digest) {
      throw new ServiceError(
        "IdempotencyParameterMismatchException",
        "The client request token was already used by a request with other parameters; use a new token for a new request.",
      );
    }
    return row.result;
  };
  const found = await earlier();
  if (found !== undefined) return { id: found, repeated: true };
  try {
    const id = await db.transaction().execute(async (trx) => {
      const made = await make(trx);
      await trx.insertInto("client_request_tokens").values({ scope, token, fingerprint: digest, result: made, created_at: Date.now() }).execute();
      return made;
    });
    return { id, repeated: false };
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const raced = await earlier();
    if (raced === undefined) throw e;
    return { id: raced, repeated: true };
  }
}
