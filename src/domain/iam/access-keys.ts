import { iamId, newSecretAccessKey } from "../../secrets/crypto.js";
import type { IamDeps } from "./deps.js";
import { paginate, type Page } from "./paging.js";
import { requireUser } from "./users.js";
import * as v from "./validate.js";

export const MAX_ACCESS_KEYS = 2;

export interface AccessKeyMetadata {
  userName: string;
  accessKeyId: string;
  status: string;
  createdAt: Date;
}

export interface NewAccessKey extends AccessKeyMetadata {
  secretAccessKey: string;
}

export async function createAccessKey(deps: IamDeps, userName: string): Promise<NewAccessKey> {
  const user = await requireUser(deps, userName);
  const count = await deps.db.selectFrom("access_keys").select("id").where("user_name", "=", user.name).execute();
  if (count.length >= MAX_ACCESS_KEYS) throw v.limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${MAX_ACCESS_KEYS}`);
  const key: NewAccessKey = {
    userName: user.name,
    accessKeyId: iamId("AKIA"),
    secretAccessKey: newSecretAccessKey(),
    status: "Active",
    createdAt: new Date(),
  };
  await deps.db
    .insertInto("access_keys")
    .values({
      id: key.accessKeyId,
      user_name: user.name,
      secret_sealed: deps.box.seal(key.secretAccessKey),
      status: "Active",
      created_at: key.createdAt.getTime(),
      last_used_at: null,
      last_used_service: null,
      last_used_region: null,
      bootstrap: 0,
    })
    .execute();
  deps.changed();
  return key;
}

export async function listAccessKeys(deps: IamDeps, input: { userName: string; marker?: string; maxItems?: number }): Promise<Page<AccessKeyMetadata>> {
  const user = await requireUser(deps, input.userName);
  const rows = await deps.db.selectFrom("access_keys").selectAll().where("user_name", "=", user.name).orderBy("id").execute();
  const keys = rows.map((r) => ({ userName: r.user_name, accessKeyId: r.id, status: r.status, createdAt: new Date(r.created_at) }));
  return paginate(keys, input.marker, input.maxItems, (k) => k.accessKeyId);
}

async function requireKey(deps: IamDeps, userName: string, keyInput: unknown) {
  const user = await requireUser(deps, userName);
  const id = v.accessKeyId(keyInput);
  const row = await deps.db.selectFrom("access_keys").selectAll().where("id", "=", id).where("user_name", "=", user.name).executeTakeFirst();
  if (!row) throw v.noSuchEntity(`The Access Key with id ${id} cannot be found.`);
  return row;
}

export async function updateAccessKey(deps: IamDeps, userName: string, keyInput: unknown, statusInput: unknown): Promise<void> {
  const row = await requireKey(deps, userName, keyInput);
  const status = v.status(statusInput);
  await deps.db.updateTable("access_keys").set({ status }).where("id", "=", row.id).execute();
  deps.changed();
}

export async function deleteAccessKey(deps: IamDeps, userName: string, keyInput: unknown): Promise<void> {
  const row = await requireKey(deps, userName, keyInput);
  await deps.db.deleteFrom("access_keys").where("id", "=", row.id).execute();
  deps.changed();
}

/** The user an access key belongs to (GetAccessKeyLastUsed is authorized on that user). */
export async function accessKeyOwner(deps: IamDeps, accessKeyId: unknown): Promise<string | undefined> {
  if (typeof accessKeyId !== "string" || !accessKeyId) return undefined;
  const row = await deps.db.selectFrom("access_keys").select("user_name").where("id", "=", accessKeyId).executeTakeFirst();
  return row?.user_name;
}

/** When and where a key was last used (any user's key: AWS does not require the user name). */
export async function accessKeyLastUsed(deps: IamDeps, keyInput: unknown) {
  const id = v.accessKeyId(keyInput);
  const row = await deps.db.selectFrom("access_keys").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw v.noSuchEntity(`The Access Key with id ${id} cannot be found.`);
  return {
    userName: row.user_name,
    lastUsedDate: row.last_used_at ? new Date(row.last_used_at) : undefined,
    serviceName: row.last_used_service ?? "N/A",
    region: row.last_used_region ?? "N/A",
  };
}

/**
 * Records that a key was used. Called on every verified request, so it writes at most once a
 * minute per key (AWS itself reports last use with a delay of hours).
 */
export class KeyUsageRecorder {
  private readonly lastWrite = new Map<string, number>();

  constructor(private readonly deps: IamDeps) {}

  note(accessKeyId: string, service: string, region: string): void {
    const now = Date.now();
    if ((this.lastWrite.get(accessKeyId) ?? 0) > now - 60_000) return;
    this.lastWrite.set(accessKeyId, now);
    void this.deps.db
      .updateTable("access_keys")
      .set({ last_used_at: now, last_used_service: service, last_used_region: region })
      .where("id", "=", accessKeyId)
      .execute()
      .catch(() => {});
  }
}
