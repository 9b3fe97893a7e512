import { sql } from "kysely";
import { iamId } from "../../secrets/crypto.js";
import { isUniqueViolation } from "../../store/db.js";
import type { IamRolesTable } from "../../store/schema.js";
import type { IamDeps, Tag } from "./deps.js";
import { paginate, type Page } from "./paging.js";
import { checkPolicyDocument, checkSize } from "./policy-documents.js";
import { addTags, addTagsIn, dropTags, listTags, removeTags, validateTags } from "./tags.js";
import { refuseWhilePoliciesRemain } from "./entity-policies.js";
import * as v from "./validate.js";

/** IAM's default quota for a role's trust policy (ACLSizePerRole), white space not counted */
export const MAX_TRUST_POLICY_SIZE = 2048;

export interface Role {
  name: string;
  id: string;
  path: string;
  arn: string;
  trustPolicy: string;
  description?: string;
  maxSessionDuration: number;
  permissionsBoundary?: string;
  createdAt: Date;
  tags?: Tag[];
}

function toRole(r: IamRolesTable): Role {
  return {
    name: r.name,
    id: r.id,
    path: r.path,
    arn: r.arn,
    trustPolicy: r.trust_policy,
    description: r.description ?? undefined,
    maxSessionDuration: r.max_session_duration,
    permissionsBoundary: r.permissions_boundary ?? undefined,
    createdAt: new Date(r.created_at),
  };
}

export async function findRole(deps: IamDeps, name: string): Promise<IamRolesTable | undefined> {
  return deps.db.selectFrom("iam_roles").selectAll().where(sql`lower(name)`, "=", name.toLowerCase()).executeTakeFirst();
}

export async function requireRole(deps: IamDeps, name: string): Promise<IamRolesTable> {
  const row = await findRole(deps, name);
  if (!row) throw v.noSuchEntity(`The role with name ${name} cannot be found.`);
  return row;
}

function maxSession(input: unknown): number {
  if (input === undefined || input === null || input === "") return 3600;
  const n = Number(input);
  if (!Number.isInteger(n) || n < 3600 || n > 43200) {
    throw v.invalidInput(`1 validation error detected: Value '${String(input)}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200`);
  }
  return n;
}

export async function createRole(
  deps: IamDeps,
  input: {
    name: unknown;
    path?: unknown;
    trustPolicy: unknown;
    description?: unknown;
    maxSessionDuration?: unknown;
    permissionsBoundary?: unknown;
    tags?: Array<{ Key?: unknown; Value?: unknown }>;
  },
): Promise<Role> {
  const name = v.roleName(input.name);
  const path = v.path(input.path);
  const trust = v.policyDocument(input.trustPolicy, "assumeRolePolicyDocument");
  checkSize(trust, MAX_TRUST_POLICY_SIZE, "ACLSizePerRole");
  checkPolicyDocument(trust, "trust");
  const tags = validateTags(input.tags);
  if (await findRole(deps, name)) throw v.alreadyExists(`Role with name ${name} already exists.`);
  const row: IamRolesTable = {
    name,
    id: iamId("AROA", 21),
    path,
    arn: deps.arn("role", path, name),
    trust_policy: trust,
    description: v.description(input.description, 1000) ?? null,
    max_session_duration: maxSession(input.maxSessionDuration),
    permissions_boundary: v.optional(input.permissionsBoundary, v.arn, "permissionsBoundary") ?? null,
    created_at: Date.now(),
  };
  await deps.db
    .transaction()
    .execute(async (trx) => {
      await trx.insertInto("iam_roles").values(row).execute();
      await addTagsIn(trx, "role", name, tags);
    })
    .catch((e) => {
      throw isUniqueViolation(e) ? v.alreadyExists(`Role with name ${name} already exists.`) : e;
    });
  deps.changed();
  return { ...toRole(row), tags: tags.length ? tags : undefined };
}

export async function getRole(deps: IamDeps, nameInput: unknown): Promise<Role> {
  const row = await requireRole(deps, v.roleName(nameInput));
  const tags = await listTags(deps, "role", row.name);
  return { ...toRole(row), tags: tags.length ? tags : undefined };
}

export async function listRoles(deps: IamDeps, input: { pathPrefix?: unknown; marker?: string; maxItems?: number }): Promise<Page<Role>> {
  const prefix = v.pathPrefix(input.pathPrefix);
  const rows = await deps.db.selectFrom("iam_roles").selectAll().orderBy("name").execute();
  return paginate(rows.filter((r) => r.path.startsWith(prefix)).map(toRole), input.marker, input.maxItems, (r) => r.name);
}

export async function updateAssumeRolePolicy(deps: IamDeps, nameInput: unknown, docInput: unknown): Promise<void> {
  const row = await requireRole(deps, v.roleName(nameInput));
  const trust = v.policyDocument(docInput);
  checkSize(trust, MAX_TRUST_POLICY_SIZE, "ACLSizePerRole");
  checkPolicyDocument(trust, "trust");
  await deps.db.updateTable("iam_roles").set({ trust_policy: trust }).where("id", "=", row.id).execute();
  deps.changed();
}

export async function updateRole(deps: IamDeps, nameInput: unknown, description: unknown, maxSessionDuration: unknown): Promise<void> {
  const row = await requireRole(deps, v.roleName(nameInput));
  await deps.db
    .updateTable("iam_roles")
    .set({
      ...(description !== undefined ? { description: v.description(description, 1000) ?? null } : {}),
      ...(maxSessionDuration !== undefined ? { max_session_duration: maxSession(maxSessionDuration) } : {}),
    })
    .where("id", "=", row.id)
    .execute();
}

export async function deleteRole(deps: IamDeps, nameInput: unknown): Promise<void> {
  const row = await requireRole(deps, v.roleName(nameInput));
  await deps.db.transaction().execute(async (trx) => {
    await refuseWhilePoliciesRemain(deps, trx, "role", row.name);
    await trx.deleteFrom("sts_sessions").where("kind", "=", "assumed-role").where("entity_name", "=", row.name).execute();
    await trx.deleteFrom("iam_roles").where("id", "=", row.id).execute();
    await dropTags(trx, "role", row.name);
  });
  deps.changed();
}

export async function tagRole(deps: IamDeps, nameInput: unknown, tags: Array<{ Key?: unknown; Value?: unknown }> | undefined): Promise<void> {
  const row = await requireRole(deps, v.roleName(nameInput));
  await addTags(deps, "role", row.name, validateTags(tags));
}

export async function untagRole(deps: IamDeps, nameInput: unknown, keys: string[]): Promise<void> {
  const row = await requireRole(deps, v.roleName(nameInput));
  await removeTags(deps, "role", row.name, keys);
}

export async function roleTags(deps: IamDeps, nameInput: unknown): Promise<Tag[]> {
  const row = await requireRole(deps, v.roleName(nameInput));
  return listTags(deps, "role", row.name);
}
