import type { Kysely } from "kysely";
import { lockInTransaction, type Engine } from "../../store/db.js";
import type { Database } from "../../store/schema.js";

/**
 * ServiceUserName of HTTPS Git credentials: `<user>-at-<account>`, and for a user's second
 * credential `<user>+1-at-<account>`. The name is the git login, so it is unique across all
 * users; because IAM user names may contain `+`, another user's credential can already hold a
 * name (`jane+1`'s first is `jane+1-at-…`), and the next free one is taken then.
 *
 * Callers hold `lockServiceUserNames` in their transaction, so two writers never pick the same
 * name (SQLite runs one transaction at a time anyway; PostgreSQL serialises on the lock).
 */

export function lockServiceUserNames(trx: Kysely<Database>, engine: Engine): Promise<void> {
  return lockInTransaction(trx, engine, "iam:service-user-names");
}

/** The first of `user-at-ACCOUNT`, `user+1-at-ACCOUNT`, `user+2-at-ACCOUNT`, … that no credential holds. */
export async function freeServiceUserName(trx: Kysely<Database>, userName: string, accountId: string): Promise<string> {
  for (let i = 0; ; i++) {
    const candidate = `${userName}${i ? `+${i}` : ""}-at-${accountId}`;
    const held = await trx.selectFrom("service_credentials").select("id").where("service_user_name", "=", candidate).executeTakeFirst();
    if (!held) return candidate;
  }
}

/**
 * After a user is renamed, its credentials' names follow the new name (in the order they were
 * made), and the old names stop logging in. Runs inside the rename's transaction, after the
 * user row (and so, by ON UPDATE CASCADE, the credentials' user_name) changed.
 */
export async function renameServiceUserNames(trx: Kysely<Database>, engine: Engine, newUserName: string, accountId: string): Promise<void> {
  await lockServiceUserNames(trx, engine);
  const rows = await trx.selectFrom("service_credentials").select("id").where("user_name", "=", newUserName).orderBy("created_at").orderBy("id").execute();
  // free the old names first: a new name may be one this user's other credential holds now
  for (const r of rows) await trx.updateTable("service_credentials").set({ service_user_name: `#renaming#${r.id}` }).where("id", "=", r.id).execute();
  for (const r of rows) {
    const name = await freeServiceUserName(trx, newUserName, accountId);
    await trx.updateTable("service_credentials").set({ service_user_name: name }).where("id", "=", r.id).execute();
  }
}
