import type { AccessControl, PrincipalPolicies } from "../../../domain/iam/access.js";
import type { Principal } from "../../../domain/context.js";
import type { IamDeps } from "../../../domain/iam/deps.js";
import { requireGroup } from "../../../domain/iam/groups.js";
import type { ContextValue, NamedPolicy } from "../../../domain/iam/policy/index.js";
import { parsePolicy } from "../../../domain/iam/policy/index.js";
import { requireRole } from "../../../domain/iam/roles.js";
import { requireUser } from "../../../domain/iam/users.js";
import * as v from "../../../domain/iam/validate.js";
import { ServiceError } from "../../../errors.js";
import { asList } from "../../query-protocol.js";
import type { OperationHandler } from "../../service.js";
import { pageIn } from "./shapes.js";

type Op = OperationHandler<Record<string, unknown>, Record<string, unknown>>;

interface ContextEntryIn {
  ContextKeyName?: string;
  ContextKeyValues?: unknown;
  ContextKeyType?: string;
}

/** Context entries as typed values: lists for the `…List` types, single strings otherwise. */
function contextKeys(entries: ContextEntryIn[] | undefined): Record<string, ContextValue> {
  const out: Record<string, ContextValue> = {};
  for (const e of entries ?? []) {
    if (!e.ContextKeyName) continue;
    const values = (asList<string>(e.ContextKeyValues) ?? []).map(String);
    out[e.ContextKeyName] = e.ContextKeyType?.endsWith("List") || values.length > 1 ? values : (values[0] ?? "");
  }
  return out;
}

function extraPolicies(input: unknown, what: string): NamedPolicy[] {
  return (asList<string>(input) ?? []).map((doc, i) => {
    const document = v.policyDocument(doc, what);
    return { name: `PolicyInputList.${i + 1}`, policy: parsePolicy(document, { kind: "identity" }) };
  });
}

/**
 * SimulatePrincipalPolicy and SimulateCustomPolicy. They answer with the same evaluation that
 * enforcement uses (AccessControl.decideWith), so the simulator and the server always agree.
 */
export function simulateOperations(deps: IamDeps, access: AccessControl): Record<string, Op> {
  const run = (
    policies: PrincipalPolicies,
    principal: Principal,
    i: Record<string, unknown>,
    sourceTypeOf: (m: { policyName: string; policyArn?: string }) => string,
  ) => {
    const actions = (asList<string>(i.ActionNames) ?? []).map(String);
    if (!actions.length) throw new ServiceError("ValidationError", "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null");
    const resources = (asList<string>(i.ResourceArns) ?? []).map(String);
    const keys = contextKeys(asList<ContextEntryIn>(i.ContextEntries));
    const results = [];
    for (const action of actions) {
      for (const resource of resources.length ? resources : ["*"]) {
        const r = access.decideWith(policies, principal, { action, resource, keys }, { sourceIp: String(keys["aws:SourceIp"] ?? "127.0.0.1"), secureTransport: true });
        results.push({
          EvalActionName: action,
          EvalResourceName: resource,
          EvalDecision: r.decision === "Allow" ? "allowed" : r.decision === "ExplicitDeny" ? "explicitDeny" : "implicitDeny",
          MatchedStatements: r.matchedStatements.map((m) => ({
            SourcePolicyId: m.policyArn ? m.policyName : m.policyName,
            SourcePolicyType: sourceTypeOf({ policyName: m.policyName, policyArn: m.policyArn }),
            StartPosition: m.span ? { Line: m.span.start.line, Column: m.span.start.column } : undefined,
            EndPosition: m.span ? { Line: m.span.end.line, Column: m.span.end.column } : undefined,
          })),
          MissingContextValues: [],
          PermissionsBoundaryDecisionDetail: policies.set.boundary ? { AllowedByPermissionsBoundary: r.allowedByBoundary ?? false } : undefined,
        });
      }
    }
    const page = pageIn(i);
    const start = page.marker ? Number(Buffer.from(page.marker, "base64url").toString()) : 0;
    const max = page.maxItems ?? 1000;
    const slice = results.slice(start, start + max);
    const truncated = start + max < results.length;
    return { EvaluationResults: slice, IsTruncated: truncated, Marker: truncated ? Buffer.from(String(start + max)).toString("base64url") : undefined };
  };

  const managedType = (arn?: string) => (arn ? (arn.startsWith("arn:aws:iam::aws:policy/") ? "aws-managed" : "user-managed") : undefined);

  return {
    SimulatePrincipalPolicy: async (_c, i) => {
      const source = v.arn(i.PolicySourceArn, "policySourceArn");
      const m = /^arn:[\w-]+:iam::\d{12}:(user|group|role)\/(?:.*\/)?([\w+=,.@-]+)$/.exec(source);
      if (!m) throw v.invalidInput(`Invalid ARN ${source}: simulate a user, group or role.`);
      const kind = m[1] as "user" | "group" | "role";
      let principal: Principal;
      let policies: PrincipalPolicies;
      if (kind === "user") {
        const u = await requireUser(deps, m[2]!);
        policies = await access.policiesOfEntity("user", u.name);
        principal = { kind: "user", arn: u.arn, userId: u.id, userName: u.name, accountId: deps.accountId };
      } else if (kind === "role") {
        const r = await requireRole(deps, m[2]!);
        policies = await access.policiesOfEntity("role", r.name);
        principal = { kind: "assumed-role", arn: r.arn, userId: r.id, roleName: r.name, roleArn: r.arn, accountId: deps.accountId };
      } else {
        const g = await requireGroup(deps, m[2]!);
        policies = await access.policiesOfEntity("group", g.name);
        const caller = typeof i.CallerArn === "string" ? i.CallerArn : g.arn;
        principal = { kind: "user", arn: caller, userId: g.id, accountId: deps.accountId };
      }
      const extra = extraPolicies(i.PolicyInputList, "policyInputList");
      const boundaries = extraPolicies(i.PermissionsBoundaryPolicyInputList, "permissionsBoundaryPolicyInputList");
      const effective: PrincipalPolicies = {
        ...policies,
        set: { ...policies.set, identity: [...policies.set.identity, ...extra], boundary: boundaries.length ? boundaries : policies.set.boundary },
      };
      return run(effective, principal, i, (x) => managedType(x.policyArn) ?? (x.policyName.startsWith("PolicyInputList.") ? "none" : policies.inlineSources.get(x.policyName) ?? kind));
    },
    SimulateCustomPolicy: async (c, i) => {
      const policies = extraPolicies(i.PolicyInputList, "policyInputList");
      if (!policies.length) throw new ServiceError("ValidationError", "1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null");
      const boundaries = extraPolicies(i.PermissionsBoundaryPolicyInputList, "permissionsBoundaryPolicyInputList");
      const set: PrincipalPolicies = {
        set: { identity: policies, boundary: boundaries.length ? boundaries : undefined },
        tags: {},
        usesResourceTags: false,
        inlineSources: new Map(),
      };
      const principal: Principal = typeof i.CallerArn === "string" ? { ...c.principal, arn: i.CallerArn } : c.principal;
      return run(set, principal, i, () => "none");
    },
  };
}
