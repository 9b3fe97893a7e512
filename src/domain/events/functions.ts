import type { Db } from "./queue.js";

/**
 * Lambda function endpoints: CodeCommit triggers may name `arn:aws:lambda:…:function:NAME`.
 * There is no Lambda here, so an administrator registers, for each function ARN, the HTTP(S)
 * URL that receives the event JSON (as a Lambda function URL would). Only registered ARNs are
 * accepted as trigger destinations.
 */
export const LAMBDA_ARN = /^arn:(aws|aws-cn|aws-us-gov):lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]{1,140})(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;

export interface FunctionEndpoint {
  functionArn: string;
  url: string;
  createdAt: Date;
  updatedAt: Date;
}

export class FunctionRegistryError extends Error {}

export function checkFunctionEndpoint(arn: string, url: string): void {
  if (!LAMBDA_ARN.test(arn)) throw new FunctionRegistryError(`not a Lambda function ARN: ${arn} (expected arn:aws:lambda:REGION:ACCOUNT:function:NAME)`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new FunctionRegistryError(`not a URL: ${url}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new FunctionRegistryError(`the URL must be http:// or https://, not ${u.protocol}`);
}

export async function registerFunction(db: Db, arn: string, url: string): Promise<void> {
  checkFunctionEndpoint(arn, url);
  const now = Date.now();
  await db
    .insertInto("function_endpoints")
    .values({ function_arn: arn, url, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column("function_arn").doUpdateSet({ url, updated_at: now }))
    .execute();
}

export async function deregisterFunction(db: Db, arn: string): Promise<boolean> {
  const r = await db.deleteFrom("function_endpoints").where("function_arn", "=", arn).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listFunctions(db: Db): Promise<FunctionEndpoint[]> {
  const rows = await db.selectFrom("function_endpoints").selectAll().orderBy("function_arn").execute();
  return rows.map((r) => ({ functionArn: r.function_arn, url: r.url, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at) }));
}

export async function functionUrl(db: Db, arn: string): Promise<string | undefined> {
  return (await db.selectFrom("function_endpoints").select("url").where("function_arn", "=", arn).executeTakeFirst())?.url;
}
