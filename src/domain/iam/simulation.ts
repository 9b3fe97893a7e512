import type { Principal } from "../context.js";
import type { AccessControl, PrincipalPolicies } from "./access.js";
import type { IamDeps } from "./deps.js";
import { requireGroup } from "./groups.js";
import { GLOBAL_CONDITION_KEYS, type ContextInput, type Decision, type MatchedStatement, type NamedPolicy } from "./policy/index.js";
import { requireRole } from "./roles.js";
import { findUser, requireUser } from "./users.js";
import * as v from "./validate.js";

/**
 * SimulatePrincipalPolicy and SimulateCustomPolicy, decided by the very evaluation enforcement
 * uses (AccessControl.decideWith). What a real request would carry and a simulation is not told
 * (aws:SourceIp, aws:SecureTransport, aws:CurrentTime, a session's aws:userid and
 * aws:TokenIssueTime…) is left absent, never made up; every key the decision looked for and
 * did not find is reported as missing, as AWS's MissingContextValues. So a simulation that
 * reports nothing missing decides exactly as enforcement does, and one that reports keys
 * decides so once they are supplied as context entries.
 */

export interface SimulatedPrincipal {
  principal: Principal;
  policies: PrincipalPolicies;
  /** which kind of entity PolicySourceArn named */
  kind: "user" | "group" | "role";
}

export interface SimulationRequest {
  actions: readonly string[];
  /** empty: the resource `*` */
  resources: readonly string[];
  /** the context entries, by key */
  entries: ContextInput;
}

export interface SimulationResult {
  action: string;
  resource: string;
  decision: Decision;
  matchedStatements: readonly MatchedStatement[];
  /** context keys, as the policies spell them, that the decision needed and was not given */
  missingContextValues: string[];
  /** with a permissions boundary: whether it allows the request */
  allowedByBoundary?: boolean;
}

/** The user named by a CallerArn, as the simulated caller: its name, and its ID when it exists. */
export async function callerPrincipal(deps: IamDeps, callerArn: string): Promise<Principal> {
  const name = v.arn(callerArn, "callerArn").split("/").pop() ?? "";
  const user = await findUser(deps, name);
  return user && user.arn === callerArn
    ? { kind: "user", arn: user.arn, userId: user.id, userName: user.name, accountId: deps.accountId }
    : { kind: "user", arn: callerArn, userId: "", userName: name || undefined, accountId: deps.accountId };
}

/**
 * The principal PolicySourceArn names and its policies. A role is simulated without a session
 * (so no session name in aws:userid, no aws:TokenIssueTime); a group as the CallerArn's user,
 * or as nobody in particular.
 */
export async function simulatedPrincipal(deps: IamDeps, access: AccessControl, sourceArn: string, callerArn?: string): Promise<SimulatedPrincipal> {
  const m = /^arn:[\w-]+:iam::\d{12}:(user|group|role)\/(?:.*\/)?([\w+=,.@-]+)$/.exec(sourceArn);
  if (!m) throw v.invalidInput(`Invalid ARN ${sourceArn}: simulate a user, group or role.`);
  const kind = m[1] as "user" | "group" | "role";
  if (kind === "user") {
    const u = await requireUser(deps, m[2]!);
    const own: Principal = { kind: "user", arn: u.arn, userId: u.id, userName: u.name, accountId: deps.accountId };
    return { kind, policies: await access.policiesOfEntity("user", u.name), principal: callerArn ? await callerPrincipal(deps, callerArn) : own };
  }
  if (kind === "role") {
    const r = await requireRole(deps, m[2]!);
    const principal: Principal = { kind: "assumed-role", arn: r.arn, userId: "", roleName: r.name, roleArn: r.arn, accountId: deps.accountId };
    return { kind, policies: await access.policiesOfEntity("role", r.name), principal };
  }
  const g = await requireGroup(deps, m[2]!);
  const principal: Principal = callerArn ? await callerPrincipal(deps, callerArn) : { kind: "user", arn: g.arn, userId: "", accountId: deps.accountId };
  return { kind, policies: await access.policiesOfEntity("group", g.name), principal };
}

/** Condition keys as the policies write them, by lower-cased key, then AWS's own spelling. */
function keySpellings(policies: PrincipalPolicies): Map<string, string> {
  const out = new Map<string, string>();
  const all: NamedPolicy[] = [...policies.set.identity, ...(policies.set.boundary ?? []), ...(policies.session ? [policies.session] : [])];
  for (const named of all) {
    for (const st of named.policy.statements) for (const c of st.conditions) if (!out.has(c.lowerKey)) out.set(c.lowerKey, c.key);
  }
  for (const key of GLOBAL_CONDITION_KEYS) if (!out.has(key.toLowerCase())) out.set(key.toLowerCase(), key);
  return out;
}

/** Every action on every resource, with nothing about the request assumed beyond the entries. */
export function simulate(access: AccessControl, who: { principal: Principal; policies: PrincipalPolicies }, request: SimulationRequest): SimulationResult[] {
  const spelling = keySpellings(who.policies);
  const results: SimulationResult[] = [];
  for (const action of request.actions) {
    for (const resource of request.resources.length ? request.resources : ["*"]) {
      const missing = new Set<string>();
      // no source address, transport or time: only what the context entries say
      const r = access.decideWith(who.policies, who.principal, { action, resource, keys: request.entries }, { time: null }, undefined, missing);
      results.push({
        action,
        resource,
        decision: r.decision,
        matchedStatements: r.matchedStatements,
        missingContextValues: [...missing].map((k) => spelling.get(k) ?? k).sort(),
        allowedByBoundary: who.policies.set.boundary ? (r.allowedByBoundary ?? false) : undefined,
      });
    }
  }
  return results;
}
