import { sql, type Kysely } from "kysely";
import { ServiceError } from "../../errors.js";
import { iamId } from "../../secrets/crypto.js";
import type { Database, EntityType, IamPoliciesTable } from "../../store/schema.js";
import type { IamDeps, Tag } from "./deps.js";
import { AWS_MANAGED_POLICIES, type AwsManagedPolicy } from "./policy/managed-policies.js";
import { paginate, type Page } from "./paging.js";
import { lockInTransaction } from "../../store/db.js";
import { requireEntityIn } from "./entity-policies.js";
import { checkPolicyDocument, checkSize } from "./policy-documents.js";
import { addTags, addTagsIn, dropTags, listTags, removeTags, validateTags } from "./tags.js";
import * as v from "./validate.js";

export const MAX_POLICY_VERSIONS = 5;
export const MAX_ATTACHED_POLICIES = 10;
export const MAX_MANAGED_POLICY_SIZE = 6144;

export interface ManagedPolicy {
  arn: string;
  name: string;
  id: string;
  path: string;
  description?: string;
  defaultVersionId: string;
  attachmentCount: number;
  permissionsBoundaryUsageCount: number;
  isAttachable: boolean;
  createdAt: Date;
  updatedAt: Date;
  tags?: Tag[];
  awsManaged: boolean;
}

export interface PolicyVersion {
  versionId: string;
  document: string;
  isDefaultVersion: boolean;
  createdAt: Date;
}

const AWS_BY_ARN = new Map(AWS_MANAGED_POLICIES.map((p) => [p.arn, p]));

function notAttachable(arn: string): ServiceError {
  return v.noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
}

async function attachmentCount(db: Kysely<Database>, arn: string): Promise<number> {
  const r = await db
    .selectFrom("iam_attachments")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("policy_arn", "=", arn)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function boundaryCount(deps: IamDeps, arn: string): Promise<number> {
  const users = await deps.db.selectFrom("iam_users").select("id").where("permissions_boundary", "=", arn).execute();
  const roles = await deps.db.selectFrom("iam_roles").select("id").where("permissions_boundary", "=", arn).execute();
  return users.length + roles.length;
}

function fromAws(p: AwsManagedPolicy, attachments: number, boundaries: number): ManagedPolicy {
  return {
    arn: p.arn,
    name: p.name,
    id: p.policyId,
    path: p.path,
    description: p.description,
    defaultVersionId: p.defaultVersionId,
    attachmentCount: attachments,
    permissionsBoundaryUsageCount: boundaries,
    isAttachable: true,
    createdAt: new Date(p.createDate),
    updatedAt: new Date(p.updateDate),
    awsManaged: true,
  };
}

function fromRow(r: IamPoliciesTable, attachments: number, boundaries: number): ManagedPolicy {
  return {
    arn: r.arn,
    name: r.name,
    id: r.id,
    path: r.path,
    description: r.description ?? undefined,
    defaultVersionId: r.default_version,
    attachmentCount: attachments,
    permissionsBoundaryUsageCount: boundaries,
    isAttachable: true,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    awsManaged: false,
  };
}

/** A managed policy by ARN, AWS managed or ours; undefined when there is none. */
export async function findPolicy(deps: IamDeps, arn: string): Promise<ManagedPolicy | undefined> {
  const aws = AWS_BY_ARN.get(arn);
  if (aws) return fromAws(aws, await attachmentCount(deps.db, arn), await boundaryCount(deps, arn));
  const row = await deps.db.selectFrom("iam_policies").selectAll().where("arn", "=", arn).executeTakeFirst();
  return row ? fromRow(row, await attachmentCount(deps.db, arn), await boundaryCount(deps, arn)) : undefined;
}

async function requireCustomerPolicy(deps: IamDeps, arnInput: unknown): Promise<IamPoliciesTable> {
  const arn = v.arn(arnInput);
  if (AWS_BY_ARN.has(arn)) throw new ServiceError("InvalidInput", `Policy ${arn} is an AWS managed policy and cannot be changed.`);
  const row = await deps.db.selectFrom("iam_policies").selectAll().where("arn", "=", arn).executeTakeFirst();
  if (!row) throw v.noSuchEntity(`Policy ${arn} was not found.`);
  return row;
}

export async function createPolicy(
  deps: IamDeps,
  input: { name: unknown; path?: unknown; document: unknown; description?: unknown; tags?: Array<{ Key?: unknown; Value?: unknown }> },
): Promise<ManagedPolicy> {
  const name = v.policyName(input.name);
  const path = v.path(input.path);
  const document = v.policyDocument(input.document);
  const description = v.description(input.description, 1000);
  const tags = validateTags(input.tags);
  checkSize(document, MAX_MANAGED_POLICY_SIZE, "PolicySize");
  checkPolicyDocument(document, "managed");
  const taken = await deps.db.selectFrom("iam_policies").select("arn").where(sql`lower(name)`, "=", name.toLowerCase()).executeTakeFirst();
  if (taken) throw v.alreadyExists(`A policy called ${name} already exists. Duplicate names are not allowed.`);
  const now = Date.now();
  const row: IamPoliciesTable = {
    arn: deps.arn("policy", path, name),
    id: iamId("ANPA", 21),
    name,
    path,
    description: description ?? null,
    default_version: "v1",
    next_version: 2,
    created_at: now,
    updated_at: now,
  };
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto("iam_policies").values(row).execute();
    await trx.insertInto("iam_policy_versions").values({ policy_arn: row.arn, version_id: "v1", document, created_at: now }).execute();
    await addTagsIn(trx, "policy", row.arn, tags);
  });
  return { ...fromRow(row, 0, 0), tags: tags.length ? tags : undefined };
}

export async function getPolicy(deps: IamDeps, arnInput: unknown): Promise<ManagedPolicy> {
  const arn = v.arn(arnInput);
  const p = await findPolicy(deps, arn);
  if (!p) throw v.noSuchEntity(`Policy ${arn} was not found.`);
  if (!p.awsManaged) {
    const tags = await listTags(deps, "policy", arn);
    if (tags.length) p.tags = tags;
  }
  return p;
}

export async function listPolicies(
  deps: IamDeps,
  input: { scope?: unknown; onlyAttached?: boolean; pathPrefix?: unknown; usageFilter?: unknown; marker?: string; maxItems?: number },
): Promise<Page<ManagedPolicy>> {
  const scope = input.scope === undefined || input.scope === "" ? "All" : String(input.scope);
  if (!["All", "AWS", "Local"].includes(scope)) {
    throw new ServiceError("ValidationError", `1 validation error detected: Value '${scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]`);
  }
  const prefix = v.pathPrefix(input.pathPrefix);
  const counts = new Map<string, number>();
  for (const r of await deps.db.selectFrom("iam_attachments").select("policy_arn").execute()) {
    counts.set(r.policy_arn, (counts.get(r.policy_arn) ?? 0) + 1);
  }
  const all: ManagedPolicy[] = [];
  if (scope !== "Local") for (const p of AWS_MANAGED_POLICIES) all.push(fromAws(p, counts.get(p.arn) ?? 0, 0));
  if (scope !== "AWS") {
    for (const r of await deps.db.selectFrom("iam_policies").selectAll().execute()) all.push(fromRow(r, counts.get(r.arn) ?? 0, 0));
  }
  const filtered = all
    .filter((p) => p.path.startsWith(prefix) && (!input.onlyAttached || p.attachmentCount > 0))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return paginate(filtered, input.marker, input.maxItems, (p) => `${p.name}\u0000${p.arn}`);
}

export async function deletePolicy(deps: IamDeps, arnInput: unknown): Promise<void> {
  const row = await requireCustomerPolicy(deps, arnInput);
  const versions = await deps.db.selectFrom("iam_policy_versions").select("version_id").where("policy_arn", "=", row.arn).execute();
  if (versions.length > 1) {
    throw v.deleteConflict(
      "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
    );
  }
  await deps.db.transaction().execute(async (trx) => {
    // checked inside the transaction: an attachment made meanwhile must not outlive the policy
    await lockInTransaction(trx, deps.engine, `headwater.policy:${row.arn}`);
    if ((await attachmentCount(trx, row.arn)) > 0) throw v.deleteConflict("Cannot delete a policy attached to entities.");
    await trx.deleteFrom("iam_policies").where("arn", "=", row.arn).execute();
    await dropTags(trx, "policy", row.arn);
  });
  deps.changed();
}

export async function createPolicyVersion(deps: IamDeps, arnInput: unknown, docInput: unknown, setAsDefault: boolean): Promise<PolicyVersion> {
  const row = await requireCustomerPolicy(deps, arnInput);
  const document = v.policyDocument(docInput);
  checkSize(document, MAX_MANAGED_POLICY_SIZE, "PolicySize");
  checkPolicyDocument(document, "managed");
  const now = Date.now();
  // the count and the next number are read inside the transaction: concurrent calls get v2 and v3
  const versionId = await deps.db.transaction().execute(async (trx) => {
    await lockInTransaction(trx, deps.engine, `headwater.policy:${row.arn}`);
    const current = await trx.selectFrom("iam_policies").select("next_version").where("arn", "=", row.arn).executeTakeFirst();
    if (!current) throw v.noSuchEntity(`Policy ${row.arn} was not found.`);
    const versions = await trx.selectFrom("iam_policy_versions").select("version_id").where("policy_arn", "=", row.arn).execute();
    if (versions.length >= MAX_POLICY_VERSIONS) {
      throw v.limitExceeded(
        `A managed policy can have up to ${MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
      );
    }
    const id = `v${current.next_version}`;
    await trx.insertInto("iam_policy_versions").values({ policy_arn: row.arn, version_id: id, document, created_at: now }).execute();
    await trx
      .updateTable("iam_policies")
      .set({ next_version: current.next_version + 1, updated_at: now, ...(setAsDefault ? { default_version: id } : {}) })
      .where("arn", "=", row.arn)
      .execute();
    return id;
  });
  if (setAsDefault) deps.changed();
  return { versionId, document, isDefaultVersion: setAsDefault, createdAt: new Date(now) };
}

export async function getPolicyVersion(deps: IamDeps, arnInput: unknown, versionInput: unknown): Promise<PolicyVersion> {
  const arn = v.arn(arnInput);
  const versionId = v.required(versionInput, "versionId");
  const aws = AWS_BY_ARN.get(arn);
  if (aws) {
    if (versionId !== aws.defaultVersionId) throw v.noSuchEntity(`Policy ${arn} version ${versionId} does not exist or is not attachable.`);
    return { versionId, document: aws.document, isDefaultVersion: true, createdAt: new Date(aws.updateDate) };
  }
  const policy = await deps.db.selectFrom("iam_policies").select(["default_version"]).where("arn", "=", arn).executeTakeFirst();
  if (!policy) throw v.noSuchEntity(`Policy ${arn} was not found.`);
  const row = await deps.db.selectFrom("iam_policy_versions").selectAll().where("policy_arn", "=", arn).where("version_id", "=", versionId).executeTakeFirst();
  if (!row) throw v.noSuchEntity(`Policy ${arn} version ${versionId} does not exist or is not attachable.`);
  return { versionId, document: row.document, isDefaultVersion: policy.default_version === versionId, createdAt: new Date(row.created_at) };
}

export async function listPolicyVersions(deps: IamDeps, arnInput: unknown, marker?: string, maxItems?: number): Promise<Page<PolicyVersion>> {
  const arn = v.arn(arnInput);
  const aws = AWS_BY_ARN.get(arn);
  if (aws) {
    return paginate([{ versionId: aws.defaultVersionId, document: aws.document, isDefaultVersion: true, createdAt: new Date(aws.updateDate) }], marker, maxItems, (x) => x.versionId);
  }
  const policy = await deps.db.selectFrom("iam_policies").select(["default_version"]).where("arn", "=", arn).executeTakeFirst();
  if (!policy) throw v.noSuchEntity(`Policy ${arn} was not found.`);
  const rows = await deps.db.selectFrom("iam_policy_versions").selectAll().where("policy_arn", "=", arn).execute();
  const versions = rows
    .map((r) => ({ versionId: r.version_id, document: r.document, isDefaultVersion: r.version_id === policy.default_version, createdAt: new Date(r.created_at) }))
    .sort((a, b) => Number(b.versionId.slice(1)) - Number(a.versionId.slice(1)));
  return paginate(versions, marker, maxItems, (x) => x.versionId.padStart(12, "0"));
}

export async function deletePolicyVersion(deps: IamDeps, arnInput: unknown, versionInput: unknown): Promise<void> {
  const row = await requireCustomerPolicy(deps, arnInput);
  const versionId = v.required(versionInput, "versionId");
  await deps.db.transaction().execute(async (trx) => {
    // the default is read inside the transaction: a SetDefaultPolicyVersion meanwhile must not leave it pointing nowhere
    await lockInTransaction(trx, deps.engine, `headwater.policy:${row.arn}`);
    const current = await trx.selectFrom("iam_policies").select("default_version").where("arn", "=", row.arn).executeTakeFirst();
    if (versionId === current?.default_version) throw v.deleteConflict("Cannot delete the default version of a policy.");
    const r = await trx.deleteFrom("iam_policy_versions").where("policy_arn", "=", row.arn).where("version_id", "=", versionId).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw v.noSuchEntity(`Policy ${row.arn} version ${versionId} does not exist or is not attachable.`);
  });
}

export async function setDefaultPolicyVersion(deps: IamDeps, arnInput: unknown, versionInput: unknown): Promise<void> {
  const row = await requireCustomerPolicy(deps, arnInput);
  const versionId = v.required(versionInput, "versionId");
  await deps.db.transaction().execute(async (trx) => {
    await lockInTransaction(trx, deps.engine, `headwater.policy:${row.arn}`);
    const exists = await trx.selectFrom("iam_policy_versions").select("version_id").where("policy_arn", "=", row.arn).where("version_id", "=", versionId).executeTakeFirst();
    if (!exists) throw v.noSuchEntity(`Policy ${row.arn} version ${versionId} does not exist or is not attachable.`);
    await trx.updateTable("iam_policies").set({ default_version: versionId, updated_at: Date.now() }).where("arn", "=", row.arn).execute();
  });
  deps.changed();
}

/** The default-version document of a managed policy (for evaluation), or undefined. */
export async function defaultDocument(deps: IamDeps, arn: string): Promise<string | undefined> {
  const aws = AWS_BY_ARN.get(arn);
  if (aws) return aws.document;
  const row = await deps.db
    .selectFrom("iam_policies")
    .innerJoin("iam_policy_versions", (j) =>
      j.onRef("iam_policy_versions.policy_arn", "=", "iam_policies.arn").onRef("iam_policy_versions.version_id", "=", "iam_policies.default_version"),
    )
    .select("iam_policy_versions.document")
    .where("iam_policies.arn", "=", arn)
    .executeTakeFirst();
  return row?.document;
}

const QUOTA_NAME: Record<EntityType, string> = { user: "PoliciesPerUser", group: "PoliciesPerGroup", role: "PoliciesPerRole" };

export async function attachPolicy(deps: IamDeps, type: EntityType, entityName: string, arnInput: unknown): Promise<void> {
  const arn = v.arn(arnInput);
  const added = await deps.db.transaction().execute(async (trx) => {
    await requireEntityIn(deps, trx, type, entityName);
    // checked here, not before: a policy deleted meanwhile must not be attached
    await lockInTransaction(trx, deps.engine, `headwater.policy:${arn}`);
    if (!AWS_BY_ARN.has(arn) && !(await trx.selectFrom("iam_policies").select("arn").where("arn", "=", arn).executeTakeFirst())) throw notAttachable(arn);
    const attached = await trx.selectFrom("iam_attachments").select("policy_arn").where("entity_type", "=", type).where("entity_name", "=", entityName).execute();
    if (attached.some((a) => a.policy_arn === arn)) return false;
    if (attached.length >= MAX_ATTACHED_POLICIES) throw v.limitExceeded(`Cannot exceed quota for ${QUOTA_NAME[type]}: ${MAX_ATTACHED_POLICIES}`);
    await trx.insertInto("iam_attachments").values({ entity_type: type, entity_name: entityName, policy_arn: arn, created_at: Date.now() }).execute();
    return true;
  });
  if (added) deps.changed();
}

export async function detachPolicy(deps: IamDeps, type: EntityType, entityName: string, arnInput: unknown): Promise<void> {
  const arn = v.arn(arnInput);
  const r = await deps.db.deleteFrom("iam_attachments").where("entity_type", "=", type).where("entity_name", "=", entityName).where("policy_arn", "=", arn).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw v.noSuchEntity(`Policy ${arn} was not found.`);
  deps.changed();
}

export async function listAttached(
  deps: IamDeps,
  type: EntityType,
  entityName: string,
  input: { pathPrefix?: unknown; marker?: string; maxItems?: number },
): Promise<Page<{ name: string; arn: string }>> {
  const prefix = v.pathPrefix(input.pathPrefix);
  const rows = await deps.db.selectFrom("iam_attachments").select("policy_arn").where("entity_type", "=", type).where("entity_name", "=", entityName).execute();
  const out: Array<{ name: string; arn: string }> = [];
  for (const r of rows) {
    const p = await findPolicy(deps, r.policy_arn);
    if (p && p.path.startsWith(prefix)) out.push({ name: p.name, arn: p.arn });
  }
  out.sort((a, b) => (a.name < b.name ? -1 : 1));
  return paginate(out, input.marker, input.maxItems, (x) => `${x.name}\u0000${x.arn}`);
}

export interface PolicyEntity {
  type: "Group" | "User" | "Role";
  name: string;
  id: string;
}

const ENTITY_TYPES = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"];
const USAGES = ["PermissionsPolicy", "PermissionsBoundary"];

/**
 * ListEntitiesForPolicy: the groups, users and roles a policy is attached to (usage
 * PermissionsPolicy) or is the permissions boundary of (PermissionsBoundary); both without a
 * usage filter. Filtered by entity type and path prefix, and paged (groups, then users, then
 * roles, each by name).
 */
export async function entitiesForPolicy(
  deps: IamDeps,
  input: { arn: unknown; entityFilter?: unknown; pathPrefix?: unknown; usage?: unknown; marker?: string; maxItems?: number },
): Promise<Page<PolicyEntity>> {
  const arn = v.arn(input.arn);
  const filter = v.optional(input.entityFilter, (x, m) => v.enumValue(x, m, ENTITY_TYPES), "entityFilter");
  const usage = v.optional(input.usage, (x, m) => v.enumValue(x, m, USAGES), "policyUsageFilter");
  const prefix = v.pathPrefix(input.pathPrefix);
  if (!(await findPolicy(deps, arn))) throw v.noSuchEntity(`Policy ${arn} was not found.`);
  const want = (t: PolicyEntity["type"]) => filter === undefined || filter === t;
  const rows: Array<{ type: PolicyEntity["type"]; name: string; id: string; path: string }> = [];
  if (usage !== "PermissionsBoundary") {
    const attached = await deps.db.selectFrom("iam_attachments").select(["entity_type", "entity_name"]).where("policy_arn", "=", arn).execute();
    for (const a of attached) {
      const table = a.entity_type === "user" ? "iam_users" : a.entity_type === "group" ? "iam_groups" : "iam_roles";
      const e = await deps.db.selectFrom(table).select(["name", "id", "path"]).where("name", "=", a.entity_name).executeTakeFirst();
      const type = a.entity_type === "user" ? "User" : a.entity_type === "group" ? "Group" : "Role";
      if (e) rows.push({ type, ...e });
    }
  }
  if (usage !== "PermissionsPolicy") {
    for (const [table, type] of [["iam_users", "User"], ["iam_roles", "Role"]] as const) {
      const bounded = await deps.db.selectFrom(table).select(["name", "id", "path"]).where("permissions_boundary", "=", arn).execute();
      for (const e of bounded) if (!rows.some((r) => r.type === type && r.name === e.name)) rows.push({ type, ...e });
    }
  }
  const order = { Group: "0", User: "1", Role: "2" };
  const keyOf = (e: PolicyEntity) => `${order[e.type]}\u0000${e.name}`;
  const entities = rows
    .filter((e) => want(e.type) && e.path.startsWith(prefix))
    .map(({ type, name, id }) => ({ type, name, id }))
    .sort((x, y) => (keyOf(x) < keyOf(y) ? -1 : keyOf(x) > keyOf(y) ? 1 : 0));
  return paginate(entities, input.marker, input.maxItems, keyOf);
}

export async function tagPolicy(deps: IamDeps, arnInput: unknown, tags: Array<{ Key?: unknown; Value?: unknown }> | undefined): Promise<void> {
  const row = await requireCustomerPolicy(deps, arnInput);
  await addTags(deps, "policy", row.arn, validateTags(tags));
}

export async function untagPolicy(deps: IamDeps, arnInput: unknown, keys: string[]): Promise<void> {
  const row = await requireCustomerPolicy(deps, arnInput);
  await removeTags(deps, "policy", row.arn, keys);
}

export async function policyTags(deps: IamDeps, arnInput: unknown): Promise<Tag[]> {
  const row = await requireCustomerPolicy(deps, arnInput);
  return listTags(deps, "policy", row.arn);
}
