import { sql } from "kysely";
import { ServiceError } from "../../errors.js";
import { iamId } from "../../secrets/crypto.js";
import { isUniqueViolation } from "../../store/db.js";
import type { IamUsersTable } from "../../store/schema.js";
import type { Principal } from "../context.js";
import type { IamDeps, Tag } from "./deps.js";
import { paginate, type Page } from "./paging.js";
import { addTags, addTagsIn, dropTags, listTags, removeTags, renameTagged, validateTags } from "./tags.js";
import { refuseWhilePoliciesRemain } from "./entity-policies.js";
import { renameServiceUserNames } from "./service-user-names.js";
import * as v from "./validate.js";

export interface User {
  name: string;
  id: string;
  path: string;
  arn: string;
  createdAt: Date;
  permissionsBoundary?: string;
  tags?: Tag[];
}

export function toUser(r: IamUsersTable): User {
  return {
    name: r.name,
    id: r.id,
    path: r.path,
    arn: r.arn,
    createdAt: new Date(r.created_at),
    permissionsBoundary: r.permissions_boundary ?? undefined,
  };
}

/** IAM user names are unique without regard to case. */
export async function findUser(deps: IamDeps, name: string): Promise<IamUsersTable | undefined> {
  return deps.db
    .selectFrom("iam_users")
    .selectAll()
    .where(sql`lower(name)`, "=", name.toLowerCase())
    .executeTakeFirst();
}

export async function requireUser(deps: IamDeps, name: string): Promise<IamUsersTable> {
  const row = await findUser(deps, name);
  if (!row) throw v.noSuchEntity(`The user with name ${name} cannot be found.`);
  return row;
}

/** The user an operation means: the one named, or the calling user when none is named. */
export function userOrCaller(nameInput: unknown, caller: Principal): string {
  if (nameInput !== undefined && nameInput !== null && nameInput !== "") return v.userName(nameInput);
  if (caller.kind !== "user" || !caller.userName) {
    throw new ServiceError("ValidationError", "Must specify userName when calling with non-User credentials");
  }
  return caller.userName;
}

export async function createUser(
  deps: IamDeps,
  input: { name: unknown; path?: unknown; permissionsBoundary?: unknown; tags?: Array<{ Key?: unknown; Value?: unknown }> },
): Promise<User> {
  const name = v.userName(input.name);
  const path = v.path(input.path);
  const tags = validateTags(input.tags);
  const boundary = v.optional(input.permissionsBoundary, v.arn, "permissionsBoundary");
  if (await findUser(deps, name)) throw v.alreadyExists(`User with name ${name} already exists.`);
  const row: IamUsersTable = {
    id: iamId("AIDA", 21),
    name,
    path,
    arn: deps.arn("user", path, name),
    created_at: Date.now(),
    permissions_boundary: boundary ?? null,
  };
  await deps.db
    .transaction()
    .execute(async (trx) => {
      await trx.insertInto("iam_users").values(row).execute();
      await addTagsIn(trx, "user", name, tags);
    })
    .catch((e) => {
      throw isUniqueViolation(e) ? v.alreadyExists(`User with name ${name} already exists.`) : e;
    });
  deps.changed();
  return { ...toUser(row), tags: tags.length ? tags : undefined };
}

export async function getUser(deps: IamDeps, name: string): Promise<User> {
  const row = await requireUser(deps, name);
  const tags = await listTags(deps, "user", row.name);
  return { ...toUser(row), tags: tags.length ? tags : undefined };
}

export async function listUsers(deps: IamDeps, input: { pathPrefix?: unknown; marker?: string; maxItems?: number }): Promise<Page<User>> {
  const prefix = v.pathPrefix(input.pathPrefix);
  const rows = await deps.db.selectFrom("iam_users").selectAll().orderBy("name").execute();
  const users = rows.filter((r) => r.path.startsWith(prefix)).map(toUser);
  return paginate(users, input.marker, input.maxItems, (u) => u.name);
}

export async function updateUser(deps: IamDeps, input: { name: unknown; newName?: unknown; newPath?: unknown }): Promise<void> {
  const name = v.userName(input.name);
  const row = await requireUser(deps, name);
  const newName = v.optional(input.newName, v.userName, "newUserName");
  const newPath = input.newPath === undefined ? undefined : v.path(input.newPath, "newPath");
  if (newName && newName.toLowerCase() !== row.name.toLowerCase() && (await findUser(deps, newName))) {
    throw v.alreadyExists(`User with name ${newName} already exists.`);
  }
  const finalName = newName ?? row.name;
  const finalPath = newPath ?? row.path;
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .updateTable("iam_users")
      .set({ name: finalName, path: finalPath, arn: deps.arn("user", finalPath, finalName) })
      .where("id", "=", row.id)
      .execute();
    if (finalName !== row.name) {
      for (const table of ["iam_attachments", "iam_inline_policies"] as const) {
        await trx.updateTable(table).set({ entity_name: finalName }).where("entity_type", "=", "user").where("entity_name", "=", row.name).execute();
      }
      await trx.updateTable("sts_sessions").set({ entity_name: finalName }).where("kind", "=", "session").where("entity_name", "=", row.name).execute();
      await renameTagged(trx, "user", row.name, finalName);
      // HTTPS Git user names are made of the user name: they follow it (the old ones stop)
      await renameServiceUserNames(trx, deps.engine, finalName, deps.accountId);
    }
  });
  deps.changed();
}

/** Refused, as AWS refuses it, while anything still belongs to the user. */
export async function deleteUser(deps: IamDeps, nameInput: unknown): Promise<void> {
  const row = await requireUser(deps, v.userName(nameInput));
  const has = async (table: "access_keys" | "ssh_public_keys" | "service_credentials" | "login_profiles" | "iam_group_members") =>
    Boolean(await deps.db.selectFrom(table).select("user_name").where("user_name", "=", row.name).executeTakeFirst());
  if (await has("access_keys")) throw v.deleteConflict("Cannot delete entity, must delete access keys first.");
  if (await has("login_profiles")) throw v.deleteConflict("Cannot delete entity, must delete login profile first.");
  if (await has("ssh_public_keys")) throw v.deleteConflict("Cannot delete entity, must delete SSH public keys first.");
  if (await has("service_credentials")) throw v.deleteConflict("Cannot delete entity, must remove referenced objects first.");
  if (await has("iam_group_members")) throw v.deleteConflict("Cannot delete entity, must remove users from group first.");
  await deps.db.transaction().execute(async (trx) => {
    await refuseWhilePoliciesRemain(deps, trx, "user", row.name);
    await trx.deleteFrom("sts_sessions").where("kind", "=", "session").where("entity_name", "=", row.name).execute();
    await trx.deleteFrom("iam_users").where("id", "=", row.id).execute();
    await dropTags(trx, "user", row.name);
  });
  deps.changed();
}

export async function tagUser(deps: IamDeps, nameInput: unknown, tagsInput: Array<{ Key?: unknown; Value?: unknown }> | undefined): Promise<void> {
  const row = await requireUser(deps, v.userName(nameInput));
  await addTags(deps, "user", row.name, validateTags(tagsInput));
}

export async function untagUser(deps: IamDeps, nameInput: unknown, keys: string[]): Promise<void> {
  const row = await requireUser(deps, v.userName(nameInput));
  await removeTags(deps, "user", row.name, keys);
}

export async function userTags(deps: IamDeps, nameInput: unknown): Promise<Tag[]> {
  const row = await requireUser(deps, v.userName(nameInput));
  return listTags(deps, "user", row.name);
}
