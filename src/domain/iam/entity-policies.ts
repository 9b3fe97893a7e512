import type { EntityType } from "../../store/schema.js";
import type { IamDeps } from "./deps.js";
import * as v from "./validate.js";

/**
 * AWS refuses to delete a user, group or role while policies are still embedded in it or
 * attached to it; the caller must remove them first (DeleteConflict, with AWS's wording).
 */
export async function refuseWhilePoliciesRemain(deps: IamDeps, type: EntityType, name: string): Promise<void> {
  const inline = await deps.db.selectFrom("iam_inline_policies").select("policy_name").where("entity_type", "=", type).where("entity_name", "=", name).executeTakeFirst();
  if (inline) throw v.deleteConflict("Cannot delete entity, must delete policies first.");
  const attached = await deps.db.selectFrom("iam_attachments").select("policy_arn").where("entity_type", "=", type).where("entity_name", "=", name).executeTakeFirst();
  if (attached) throw v.deleteConflict("Cannot delete entity, must detach all policies first.");
}
