import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import { parseArn } from "../repos/arn.js";

/**
 * Whether an identity ARN names someone of this account: a user (by its full ARN, path
 * included), a role or a session of one, or the account's root. What CodeCommit checks for
 * the authorArn and actorArn filters (AuthorDoesNotExist, ActorDoesNotExist).
 */
export async function identityExists(db: Kysely<Database>, accountId: string, arnText: string): Promise<boolean> {
  const arn = parseArn(arnText);
  if (!arn || arn.accountId !== accountId) return false;
  if (arn.service === "iam" && arn.resource === "root") return true;
  if (arn.service === "iam" && arn.resource.startsWith("user/")) {
    return Boolean(await db.selectFrom("iam_users").select("id").where("arn", "=", arnText).executeTakeFirst());
  }
  if (arn.service === "iam" && arn.resource.startsWith("role/")) {
    return Boolean(await db.selectFrom("iam_roles").select("id").where("arn", "=", arnText).executeTakeFirst());
  }
  const session = arn.service === "sts" ? /^assumed-role\/([^/]+)\/[^/]+$/.exec(arn.resource) : null;
  if (session) return Boolean(await db.selectFrom("iam_roles").select("id").where("name", "=", session[1]!).executeTakeFirst());
  return false;
}
