import type { Kysely } from "kysely";
import { lockInTransaction } from "../../store/db.js";
import type { Database, EntityType } from "../../store/schema.js";
import type { IamDeps } from "./deps.js";
import * as v from "./validate.js";

const TABLE = { user: "iam_users", group: "iam_groups", role: "iam_roles" } as const;

/**
 * AWS refuses to delete a user, group or role while policies are still embedded in it or
 * attached to it; the caller must remove them first (DeleteConflict, with AWS's wording).
 * Runs inside the deletion's transaction: a policy put or attached meanwhile must not survive
 * the entity and pass to a later one of the same name.
 */
export async function refuseWhilePoliciesRemain(deps: IamDeps, db: Kysely<Database>, type: EntityType, name: string): Promise<void> {
  await lockEntity(deps, db, type, name);
  const inline = await db.selectFrom("iam_inline_policies").select("policy_name").where("entity_type", "=", type).where("entity_name", "=", name).executeTakeFirst();
  if (inline) throw v.deleteConflict("Cannot delete entity, must delete policies first.");
  const attached = await db.selectFrom("iam_attachments").select("policy_arn").where("entity_type", "=", type).where("entity_name", "=", name).executeTakeFirst();
  if (attached) throw v.deleteConflict("Cannot delete entity, must detach all policies first.");
}

/** Inside a policy write's transaction: the entity still exists (it may have been deleted since it was looked up). */
export async function requireEntityIn(deps: IamDeps, db: Kysely<Database>, type: EntityType, name: string): Promise<void> {
  await lockEntity(deps, db, type, name);
  const row = await db.selectFrom(TABLE[type]).select("name").where("name", "=", name).executeTakeFirst();
  if (!row) throw v.noSuchEntity(`The ${type} with name ${name} cannot be found.`);
}

/** Serialises, across processes too, the transactions that delete an entity or give it policies. */
function lockEntity(deps: IamDeps, db: Kysely<Database>, type: EntityType, name: string): Promise<void> {
  return lockInTransaction(db, deps.engine, `headwater.iam.${type}:${name}`);
}
