import type { Caller } from "../domain/context.js";
import { withDenial } from "../errors.js";
import type { AccessControl } from "../domain/iam/access.js";
import { requestTagKeys, resourceTagKeys, tagKeysOnly, type ContextInput } from "../domain/iam/policy/index.js";
import { asList } from "./query-protocol.js";
import type { AwsService } from "./service.js";

/**
 * One row of an authorization table: which IAM action an operation is, on which resources,
 * with which condition keys. Every operation of every service has a row (a test checks it), and
 * the authorizer below applies it before the operation's function runs.
 */
export interface AuthzRule {
  action: string;
  /** resource ARNs, or `*`; with several (a batch), each must be allowed; none is decided on `*` */
  resources(input: Record<string, unknown>, caller: Caller): Promise<string[]> | string[];
  /** the request's service condition keys */
  keys?(input: Record<string, unknown>, caller: Caller): Promise<ContextInput> | ContextInput;
  /** `aws:ResourceTag/…` for a resource, fetched only when some policy of the caller uses them */
  resourceTags?(resource: string): Promise<Record<string, string>>;
  /**
   * `none`: no authorization (sts:GetCallerIdentity, sts:GetSessionToken); `handler`: the
   * operation decides itself, because it needs more than identity policies (sts:AssumeRole).
   */
  decidedBy?: "none" | "handler";
}

export type AuthzTable = Record<string, AuthzRule>;

/** Rows for operations whose resource is a single ARN computed from the input. */
export function rule(action: string, resource: (input: Record<string, unknown>, caller: Caller) => Promise<string> | string, extra: Partial<AuthzRule> = {}): AuthzRule {
  return { action, resources: async (i, c) => [await resource(i, c)], ...extra };
}

/**
 * The request-tag condition keys of a tagging call: `aws:RequestTag/KEY` for each tag it sets and
 * `aws:TagKeys` for the keys it sets or removes.
 */
export function requestTagContext(tags: Array<[string, string]> | undefined, removedKeys?: string[]): ContextInput {
  return {
    ...(tags ? requestTagKeys(tags.filter(([k]) => k).map(([Key, Value]) => ({ Key, Value }))) : {}),
    ...(removedKeys ? tagKeysOnly(removedKeys) : {}),
  };
}

/** The same for awsQuery services (IAM, SNS): `Tags.member.N.Key/Value` and `TagKeys.member.N`. */
export function queryTagContext(input: Record<string, unknown>): ContextInput {
  const tags = asList<{ Key?: string; Value?: string }>(input.Tags);
  const keys = asList<string>(input.TagKeys);
  return requestTagContext(tags?.map((t) => [String(t?.Key ?? ""), String(t?.Value ?? "")]), keys?.map(String));
}

export function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** What the table authorizer needs of a service (S3, which is not an AwsService of the JSON/Query router, has these too). */
export type TableAuthorizer = (
  caller: Caller,
  service: { authz: AuthzTable; accessDenied(message: string): Error },
  operation: string,
  input: unknown,
) => Promise<void>;

/** Applies a service's table: every resource the operation touches must be allowed. */
export function tableAuthorizer(access: AccessControl): TableAuthorizer {
  return async (caller, service, operation, input) => {
    const table = service.authz;
    const row = table && Object.hasOwn(table, operation) ? table[operation] : undefined;
    if (!row) throw new Error(`no authorization rule for ${operation}`); // the table test prevents this
    if (Object.hasOwn(row, "decidedBy") && row.decidedBy) return;
    const keys = row.keys ? await row.keys(input as Record<string, unknown>, caller) : {};
    const policies = await access.policiesOf(caller.principal);
    const resources = await row.resources(input as Record<string, unknown>, caller);
    // A batch naming no resource is still a request for the action: fail closed and decide it
    // on `*` (only a policy allowing the action everywhere lets it reach the handler, which then
    // refuses the empty input), never let it through unchecked.
    if (resources.length === 0) resources.push("*");
    for (const resource of resources) {
      const tags = policies.usesResourceTags && row.resourceTags ? await row.resourceTags(resource) : undefined;
      const withTags = tags ? { ...keys, ...resourceTagKeys(tags) } : keys;
      const r = access.decideWith(policies, caller.principal, { action: row.action, resource, keys: withTags }, caller);
      if (r.decision !== "Allow") {
        throw withDenial(service.accessDenied(r.message ?? `Not authorized to perform ${row.action}.`), { action: row.action, resource, reason: r.reason ?? "denied" });
      }
    }
  };
}

