import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import { ServiceError } from "../../errors.js";
import type { IamDeps, Tag } from "./deps.js";
import { limitExceeded } from "./validate.js";

type Taggable = "user" | "role" | "policy";
const KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const MAX_TAGS = 50;

/** Validates IAM tags (the `Tags.member.N.Key/Value` list). */
export function validateTags(input: Array<{ Key?: unknown; Value?: unknown }> | undefined): Tag[] {
  if (!input) return [];
  const tags: Tag[] = [];
  for (const [i, t] of input.entries()) {
    const key = t?.Key;
    const value = t?.Value ?? "";
    if (typeof key !== "string" || key.length < 1 || key.length > 128 || !KEY.test(key)) {
      throw new ServiceError(
        "ValidationError",
        `1 validation error detected: Value '${String(key)}' at 'tags.${i + 1}.member.key' failed to satisfy constraint: Member must have length between 1 and 128 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+`,
      );
    }
    if (typeof value !== "string" || value.length > 256 || !VALUE.test(value)) {
      throw new ServiceError(
        "ValidationError",
        `1 validation error detected: Value '${String(value)}' at 'tags.${i + 1}.member.value' failed to satisfy constraint: Member must have length less than or equal to 256`,
      );
    }
    if (key.toLowerCase().startsWith("aws:")) throw new ServiceError("InvalidInput", "Tag keys starting with 'aws:' are reserved for AWS use.");
    if (tags.some((x) => x.key.toLowerCase() === key.toLowerCase())) {
      throw new ServiceError("InvalidInput", `Duplicate tag keys found. Please note that Tag keys are case insensitive.`);
    }
    tags.push({ key, value });
  }
  if (tags.length > MAX_TAGS) throw limitExceeded(`The number of tags has reached the maximum limit of ${MAX_TAGS}.`);
  return tags;
}

export async function listTags(deps: IamDeps, type: Taggable, name: string): Promise<Tag[]> {
  const rows = await deps.db
    .selectFrom("iam_tags")
    .select(["tag_key", "tag_value"])
    .where("entity_type", "=", type)
    .where("entity_name", "=", name)
    .orderBy("tag_key")
    .execute();
  return rows.map((r) => ({ key: r.tag_key, value: r.tag_value }));
}

/** Adds or overwrites tags (keys compare case-insensitively, as IAM's do). */
export async function addTags(deps: IamDeps, type: Taggable, name: string, tags: Tag[]): Promise<void> {
  await deps.db.transaction().execute((trx) => addTagsIn(trx, type, name, tags));
  deps.changed();
}

/** The same inside a caller's transaction: an entity created with tags gets them atomically. */
export async function addTagsIn(trx: Kysely<Database>, type: Taggable, name: string, tags: Tag[]): Promise<void> {
  const existing = await trx.selectFrom("iam_tags").select("tag_key").where("entity_type", "=", type).where("entity_name", "=", name).execute();
  const keys = new Set(existing.map((r) => r.tag_key.toLowerCase()));
  for (const t of tags) keys.add(t.key.toLowerCase());
  if (keys.size > MAX_TAGS) throw limitExceeded(`The number of tags has reached the maximum limit of ${MAX_TAGS}.`);
  for (const t of tags) {
    for (const old of existing) {
      if (old.tag_key.toLowerCase() === t.key.toLowerCase()) {
        await trx.deleteFrom("iam_tags").where("entity_type", "=", type).where("entity_name", "=", name).where("tag_key", "=", old.tag_key).execute();
      }
    }
    await trx.insertInto("iam_tags").values({ entity_type: type, entity_name: name, tag_key: t.key, tag_value: t.value }).execute();
  }
}

export async function removeTags(deps: IamDeps, type: Taggable, name: string, keys: string[]): Promise<void> {
  if (!keys.length) return;
  const rows = await deps.db.selectFrom("iam_tags").select("tag_key").where("entity_type", "=", type).where("entity_name", "=", name).execute();
  const lower = new Set(keys.map((k) => k.toLowerCase()));
  const doomed = rows.map((r) => r.tag_key).filter((k) => lower.has(k.toLowerCase()));
  if (doomed.length) {
    await deps.db.deleteFrom("iam_tags").where("entity_type", "=", type).where("entity_name", "=", name).where("tag_key", "in", doomed).execute();
  }
  deps.changed();
}

/** Runs inside the rename's transaction, so tags never stay behind under the old name. */
export async function renameTagged(db: Kysely<Database>, type: Taggable, from: string, to: string): Promise<void> {
  await db.updateTable("iam_tags").set({ entity_name: to }).where("entity_type", "=", type).where("entity_name", "=", from).execute();
}

/** Runs inside the deletion's transaction: a later entity of the same name must not inherit them. */
export async function dropTags(db: Kysely<Database>, type: Taggable, name: string): Promise<void> {
  await db.deleteFrom("iam_tags").where("entity_type", "=", type).where("entity_name", "=", name).execute();
}
