import type { EntityType } from "../../store/schema.js";
import type { IamDeps } from "./deps.js";
import { paginate, type Page } from "./paging.js";
import { requireEntityIn } from "./entity-policies.js";
import { checkPolicyDocument } from "./policy-documents.js";
import * as v from "./validate.js";

/** IAM's aggregate size quota for an entity's inline policies (white space not counted). */
export const INLINE_QUOTA: Record<EntityType, number> = { user: 2048, group: 5120, role: 10240 };

export async function putInlinePolicy(deps: IamDeps, type: EntityType, entityName: string, nameInput: unknown, docInput: unknown): Promise<void> {
  const policyName = v.policyName(nameInput);
  const document = v.policyDocument(docInput);
  // the quota before the parse: a document too large to keep is refused without reading it
  const quota = () => v.limitExceeded(`Maximum policy size of ${INLINE_QUOTA[type]} bytes exceeded for ${type} ${entityName}`);
  if (v.policySize(document) > INLINE_QUOTA[type]) throw quota();
  checkPolicyDocument(document, "identity");
  await deps.db.transaction().execute(async (trx) => {
    await requireEntityIn(deps, trx, type, entityName);
    const others = await trx
      .selectFrom("iam_inline_policies")
      .select(["policy_name", "document"])
      .where("entity_type", "=", type)
      .where("entity_name", "=", entityName)
      .execute();
    const total = others.filter((o) => o.policy_name !== policyName).reduce((n, o) => n + v.policySize(o.document), 0) + v.policySize(document);
    if (total > INLINE_QUOTA[type]) throw quota();
    await trx
      .insertInto("iam_inline_policies")
      .values({ entity_type: type, entity_name: entityName, policy_name: policyName, document })
      .onConflict((oc) => oc.columns(["entity_type", "entity_name", "policy_name"]).doUpdateSet({ document }))
      .execute();
  });
  deps.changed();
}

export async function getInlinePolicy(deps: IamDeps, type: EntityType, entityName: string, nameInput: unknown): Promise<string> {
  const policyName = v.policyName(nameInput);
  const row = await deps.db
    .selectFrom("iam_inline_policies")
    .select("document")
    .where("entity_type", "=", type)
    .where("entity_name", "=", entityName)
    .where("policy_name", "=", policyName)
    .executeTakeFirst();
  if (!row) throw v.noSuchEntity(`The ${type} policy with name ${policyName} cannot be found.`);
  return row.document;
}

export async function listInlinePolicies(deps: IamDeps, type: EntityType, entityName: string, marker?: string, maxItems?: number): Promise<Page<string>> {
  const rows = await deps.db
    .selectFrom("iam_inline_policies")
    .select("policy_name")
    .where("entity_type", "=", type)
    .where("entity_name", "=", entityName)
    .orderBy("policy_name")
    .execute();
  return paginate(rows.map((r) => r.policy_name), marker, maxItems, (n) => n);
}

export async function deleteInlinePolicy(deps: IamDeps, type: EntityType, entityName: string, nameInput: unknown): Promise<void> {
  const policyName = v.policyName(nameInput);
  const r = await deps.db
    .deleteFrom("iam_inline_policies")
    .where("entity_type", "=", type)
    .where("entity_name", "=", entityName)
    .where("policy_name", "=", policyName)
    .executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw v.noSuchEntity(`The ${type} policy with name ${policyName} cannot be found.`);
  deps.changed();
}
