import { sql } from "kysely";
import { iamId } from "../../secrets/crypto.js";
import { isUniqueViolation } from "../../store/db.js";
import type { IamGroupsTable } from "../../store/schema.js";
import type { IamDeps } from "./deps.js";
import { paginate, type Page } from "./paging.js";
import { requireUser, toUser, type User } from "./users.js";
import { refuseWhilePoliciesRemain } from "./entity-policies.js";
import * as v from "./validate.js";

export interface Group {
  name: string;
  id: string;
  path: string;
  arn: string;
  createdAt: Date;
}

function toGroup(r: IamGroupsTable): Group {
  return { name: r.name, id: r.id, path: r.path, arn: r.arn, createdAt: new Date(r.created_at) };
}

export async function findGroup(deps: IamDeps, name: string): Promise<IamGroupsTable | undefined> {
  return deps.db.selectFrom("iam_groups").selectAll().where(sql`lower(name)`, "=", name.toLowerCase()).executeTakeFirst();
}

export async function requireGroup(deps: IamDeps, name: string): Promise<IamGroupsTable> {
  const row = await findGroup(deps, name);
  if (!row) throw v.noSuchEntity(`The group with name ${name} cannot be found.`);
  return row;
}

export async function createGroup(deps: IamDeps, input: { name: unknown; path?: unknown }): Promise<Group> {
  const name = v.groupName(input.name);
  const path = v.path(input.path);
  if (await findGroup(deps, name)) throw v.alreadyExists(`Group with name ${name} already exists.`);
  const row: IamGroupsTable = { name, id: iamId("AGPA", 21), path, arn: deps.arn("group", path, name), created_at: Date.now() };
  await deps.db
    .insertInto("iam_groups")
    .values(row)
    .execute()
    .catch((e) => {
      throw isUniqueViolation(e) ? v.alreadyExists(`Group with name ${name} already exists.`) : e;
    });
  deps.changed();
  return toGroup(row);
}

/** The group and a page of its members (GetGroup lists members without their tags, as AWS does). */
export async function getGroup(deps: IamDeps, input: { name: unknown; marker?: string; maxItems?: number }): Promise<{ group: Group; users: Page<User> }> {
  const row = await requireGroup(deps, v.groupName(input.name));
  const members = await deps.db
    .selectFrom("iam_group_members")
    .innerJoin("iam_users", "iam_users.name", "iam_group_members.user_name")
    .selectAll("iam_users")
    .where("iam_group_members.group_name", "=", row.name)
    .orderBy("iam_users.name")
    .execute();
  return { group: toGroup(row), users: paginate(members.map(toUser), input.marker, input.maxItems, (u) => u.name) };
}

export async function listGroups(deps: IamDeps, input: { pathPrefix?: unknown; marker?: string; maxItems?: number }): Promise<Page<Group>> {
  const prefix = v.pathPrefix(input.pathPrefix);
  const rows = await deps.db.selectFrom("iam_groups").selectAll().orderBy("name").execute();
  return paginate(rows.filter((r) => r.path.startsWith(prefix)).map(toGroup), input.marker, input.maxItems, (g) => g.name);
}

export async function listGroupsForUser(deps: IamDeps, input: { userName: unknown; marker?: string; maxItems?: number }): Promise<Page<Group>> {
  const user = await requireUser(deps, v.userName(input.userName));
  const rows = await deps.db
    .selectFrom("iam_groups")
    .innerJoin("iam_group_members", "iam_group_members.group_name", "iam_groups.name")
    .selectAll("iam_groups")
    .where("iam_group_members.user_name", "=", user.name)
    .orderBy("iam_groups.name")
    .execute();
  return paginate(rows.map(toGroup), input.marker, input.maxItems, (g) => g.name);
}

export async function updateGroup(deps: IamDeps, input: { name: unknown; newName?: unknown; newPath?: unknown }): Promise<void> {
  const row = await requireGroup(deps, v.groupName(input.name));
  const newName = v.optional(input.newName, v.groupName, "newGroupName") ?? row.name;
  const newPath = input.newPath === undefined ? row.path : v.path(input.newPath, "newPath");
  if (newName.toLowerCase() !== row.name.toLowerCase() && (await findGroup(deps, newName))) {
    throw v.alreadyExists(`Group with name ${newName} already exists.`);
  }
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable("iam_groups").set({ name: newName, path: newPath, arn: deps.arn("group", newPath, newName) }).where("id", "=", row.id).execute();
    if (newName !== row.name) {
      for (const table of ["iam_attachments", "iam_inline_policies"] as const) {
        await trx.updateTable(table).set({ entity_name: newName }).where("entity_type", "=", "group").where("entity_name", "=", row.name).execute();
      }
    }
  });
  deps.changed();
}

export async function deleteGroup(deps: IamDeps, nameInput: unknown): Promise<void> {
  const row = await requireGroup(deps, v.groupName(nameInput));
  const member = await deps.db.selectFrom("iam_group_members").select("user_name").where("group_name", "=", row.name).executeTakeFirst();
  if (member) throw v.deleteConflict("Cannot delete entity, must remove users from group first.");
  await deps.db.transaction().execute(async (trx) => {
    await refuseWhilePoliciesRemain(deps, trx, "group", row.name);
    await trx.deleteFrom("iam_groups").where("id", "=", row.id).execute();
  });
  deps.changed();
}

export async function addUserToGroup(deps: IamDeps, groupInput: unknown, userInput: unknown): Promise<void> {
  const group = await requireGroup(deps, v.groupName(groupInput));
  const user = await requireUser(deps, v.userName(userInput));
  await deps.db
    .insertInto("iam_group_members")
    .values({ group_name: group.name, user_name: user.name })
    .onConflict((oc) => oc.columns(["group_name", "user_name"]).doNothing())
    .execute();
  deps.changed();
}

export async function removeUserFromGroup(deps: IamDeps, groupInput: unknown, userInput: unknown): Promise<void> {
  const group = await requireGroup(deps, v.groupName(groupInput));
  const user = await requireUser(deps, v.userName(userInput));
  const r = await deps.db.deleteFrom("iam_group_members").where("group_name", "=", group.name).where("user_name", "=", user.name).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw v.noSuchEntity(`The user with name ${user.name} cannot be found in group ${group.name}.`);
  deps.changed();
}
