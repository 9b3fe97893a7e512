import { sql, type Kysely } from "kysely";

/**
 * IAM user, group and role names are unique without regard to case. The services check it
 * before inserting; these indexes make it hold when two requests race ("Alice" and "alice").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ["iam_users", "iam_groups", "iam_roles"]) {
    await sql`create unique index ${sql.raw(`${table}_name_nocase`)} on ${sql.table(table)} (lower(name))`.execute(db);
  }
}
