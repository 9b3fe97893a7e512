import { ServiceError } from "../../errors.js";
import { hashPassword } from "../../secrets/passwords.js";
import type { IamDeps } from "./deps.js";
import { requireUser } from "./users.js";
import * as v from "./validate.js";

export interface LoginProfile {
  userName: string;
  createdAt: Date;
  passwordResetRequired: boolean;
}

/** AWS's default account password policy: at least 8 characters. */
function checkPassword(pw: unknown): string {
  const password = v.required(pw, "password");
  if (password.length < 8 || password.length > 128) {
    throw new ServiceError("PasswordPolicyViolation", "Password should have a minimum length of 8", { status: 400 });
  }
  return password;
}

export async function createLoginProfile(deps: IamDeps, userInput: unknown, passwordInput: unknown, resetRequired: boolean): Promise<LoginProfile> {
  const user = await requireUser(deps, v.userName(userInput));
  const password = checkPassword(passwordInput);
  const existing = await deps.db.selectFrom("login_profiles").select("user_name").where("user_name", "=", user.name).executeTakeFirst();
  if (existing) throw v.alreadyExists(`Login Profile for user ${user.name} already exists.`);
  const createdAt = Date.now();
  await deps.db
    .insertInto("login_profiles")
    .values({ user_name: user.name, password_hash: await hashPassword(password), reset_required: resetRequired ? 1 : 0, created_at: createdAt })
    .execute();
  deps.changed();
  return { userName: user.name, createdAt: new Date(createdAt), passwordResetRequired: resetRequired };
}

async function requireProfile(deps: IamDeps, userName: string) {
  const row = await deps.db.selectFrom("login_profiles").selectAll().where("user_name", "=", userName).executeTakeFirst();
  if (!row) throw v.noSuchEntity(`Login Profile for User ${userName} cannot be found.`);
  return row;
}

export async function getLoginProfile(deps: IamDeps, userName: string): Promise<LoginProfile> {
  const user = await requireUser(deps, userName);
  const row = await requireProfile(deps, user.name);
  return { userName: user.name, createdAt: new Date(row.created_at), passwordResetRequired: row.reset_required === 1 };
}

export async function updateLoginProfile(deps: IamDeps, userInput: unknown, passwordInput: unknown, resetRequired: boolean | undefined): Promise<void> {
  const user = await requireUser(deps, v.userName(userInput));
  await requireProfile(deps, user.name);
  const update: { password_hash?: string; reset_required?: number } = {};
  if (passwordInput !== undefined) update.password_hash = await hashPassword(checkPassword(passwordInput));
  if (resetRequired !== undefined) update.reset_required = resetRequired ? 1 : 0;
  if (Object.keys(update).length) await deps.db.updateTable("login_profiles").set(update).where("user_name", "=", user.name).execute();
  deps.changed();
}

export async function deleteLoginProfile(deps: IamDeps, userInput: unknown): Promise<void> {
  const user = await requireUser(deps, v.userName(userInput));
  await requireProfile(deps, user.name);
  await deps.db.deleteFrom("login_profiles").where("user_name", "=", user.name).execute();
  deps.changed();
}
