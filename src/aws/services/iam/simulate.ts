import type { AccessControl, PrincipalPolicies } from "../../../domain/iam/access.js";
import type { Principal } from "../../../domain/context.js";
import type { IamDeps } from "../../../domain/iam/deps.js";
import type { ContextValue, MatchedStatement, NamedPolicy } from "../../../domain/iam/policy/index.js";
import { parsePolicy } from "../../../domain/iam/policy/index.js";
import { callerPrincipal, simulate, simulatedPrincipal, type SimulationResult } from "../../../domain/iam/simulation.js";
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

/** SourcePolicyType as AWS names it: whose inline policy, which kind of managed policy, or none. */
function sourceType(m: MatchedStatement): string {
  if (m.policyArn) return m.policyArn.startsWith("arn:aws:iam::aws:policy/") ? "aws-managed" : "user-managed";
  return m.policyOrigin ?? "none";
}

const statementOut = (m: MatchedStatement) => ({
  SourcePolicyId: m.policyName,
  SourcePolicyType: sourceType(m),
  StartPosition: m.span ? { Line: m.span.start.line, Column: m.span.start.column } : undefined,
  EndPosition: m.span ? { Line: m.span.end.line, Column: m.span.end.column } : undefined,
});

const decisionOut = (d: SimulationResult["decision"]) => (d === "Allow" ? "allowed" : d === "ExplicitDeny" ? "explicitDeny" : "implicitDeny");

/**
 * SimulatePrincipalPolicy and SimulateCustomPolicy: the wire around the domain's simulate()
 * (src/domain/iam/simulation.ts), which decides as enforcement does and reports the context
 * keys it needed and was not given.
 */
export function simulateOperations(deps: IamDeps, access: AccessControl): Record<string, Op> {
  const run = (who: { principal: Principal; policies: PrincipalPolicies }, i: Record<string, unknown>) => {
    const actions = (asList<string>(i.ActionNames) ?? []).map(String);
    if (!actions.length) throw new ServiceError("ValidationError", "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null");
    const resources = (asList<string>(i.ResourceArns) ?? []).map(String);
    const entries = contextKeys(asList<ContextEntryIn>(i.ContextEntries));
    const results = simulate(access, who, { actions, resources, entries }).map((r) => {
      const boundary = r.allowedByBoundary === undefined ? undefined : { AllowedByPermissionsBoundary: r.allowedByBoundary };
      return {
        EvalActionName: r.action,
        EvalResourceName: r.resource,
        EvalDecision: decisionOut(r.decision),
        MatchedStatements: r.matchedStatements.map(statementOut),
        MissingContextValues: r.missingContextValues,
        // with named resources AWS also answers per resource (and puts missing keys there)
        ResourceSpecificResults: resources.length
          ? [
              {
                EvalResourceName: r.resource,
                EvalResourceDecision: decisionOut(r.decision),
                MatchedStatements: r.matchedStatements.map(statementOut),
                MissingContextValues: r.missingContextValues,
                PermissionsBoundaryDecisionDetail: boundary,
              },
            ]
          : undefined,
        PermissionsBoundaryDecisionDetail: boundary,
      };
    });
    const page = pageIn(i);
    const start = page.marker ? Number(Buffer.from(page.marker, "base64url").toString()) : 0;
    const max = page.maxItems ?? 1000;
    const slice = results.slice(start, start + max);
    const truncated = start + max < results.length;
    return { EvaluationResults: slice, IsTruncated: truncated, Marker: truncated ? Buffer.from(String(start + max)).toString("base64url") : undefined };
  };

  return {
    SimulatePrincipalPolicy: async (_c, i) => {
      const source = v.arn(i.PolicySourceArn, "policySourceArn");
      const callerArn = typeof i.CallerArn === "string" && i.CallerArn ? i.CallerArn : undefined;
      const who = await simulatedPrincipal(deps, access, source, callerArn);
      const extra = extraPolicies(i.PolicyInputList, "policyInputList");
      const boundaries = extraPolicies(i.PermissionsBoundaryPolicyInputList, "permissionsBoundaryPolicyInputList");
      const set = who.policies.set;
      const policies: PrincipalPolicies = {
        ...who.policies,
        set: { ...set, identity: [...set.identity, ...extra], boundary: boundaries.length ? boundaries : set.boundary },
      };
      return run({ principal: who.principal, policies }, i);
    },
    SimulateCustomPolicy: async (c, i) => {
      const policies = extraPolicies(i.PolicyInputList, "policyInputList");
      if (!policies.length) throw new ServiceError("ValidationError", "1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null");
      const boundaries = extraPolicies(i.PermissionsBoundaryPolicyInputList, "permissionsBoundaryPolicyInputList");
      const set: PrincipalPolicies = { set: { identity: policies, boundary: boundaries.length ? boundaries : undefined }, tags: {}, usesResourceTags: false };
      // the caller named by CallerArn (its name in aws:username too), else the calling principal
      const principal = typeof i.CallerArn === "string" && i.CallerArn ? await callerPrincipal(deps, i.CallerArn) : c.principal;
      return run({ principal, policies: set }, i);
    },
  };
}
