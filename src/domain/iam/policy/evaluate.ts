/**
 * The one authorization decision, shared by enforcement and by SimulatePrincipalPolicy /
 * SimulateCustomPolicy so that the two can never disagree.
 *
 * AWS's order for a request within one account ("Policy evaluation logic"):
 * 1. A matching Deny in any policy (identity, permissions boundary, resource) → explicit deny.
 * 2. An Allow in an identity policy, or in a resource policy naming the principal → allowed,
 *    except that with a permissions boundary the boundary must allow it too. A resource policy
 *    that names the caller's own user or session ARN is not limited by the boundary; one that
 *    names only the caller's account delegates to the account's identity policies and grants
 *    nothing by itself.
 * 3. Otherwise → implicit deny.
 * Role trust policies are stricter (`resourceMustAllow`): nobody assumes a role its trust policy
 * does not name, whatever their identity policies say.
 *
 * A statement matches a request when its Action (or NotAction), Resource (or NotResource),
 * Principal (or NotPrincipal, resource and trust policies only) and every condition match.
 */

import { matchArn } from "./arn-pattern.js";
import { conditionHolds } from "./conditions.js";
import { RequestContext, type ContextInput } from "./context.js";
import type { Span } from "./json.js";
import { globMatch } from "./pattern.js";
import type { Effect, Policy, PrincipalElement, Statement } from "./types.js";

export type Decision = "Allow" | "ExplicitDeny" | "ImplicitDeny";

/** Which set of policies a statement came from. */
export type PolicySource = "identity" | "boundary" | "resource";

export interface NamedPolicy {
  /** inline policy name, or managed policy name */
  readonly name: string;
  /** managed policies: the policy's ARN */
  readonly arn?: string;
  /** whose policy it is (`user`, `group`, `role`…), carried into matched statements for reports */
  readonly origin?: string;
  readonly policy: Policy;
}

export interface PolicySet {
  /** inline and attached policies of the user or role, and of the user's groups */
  readonly identity: readonly NamedPolicy[];
  /** the permissions boundary, when the principal has one; an empty list allows nothing */
  readonly boundary?: readonly NamedPolicy[];
  /** the resource's own policy (topic policy, role trust policy), when it has one */
  readonly resource?: readonly NamedPolicy[];
  /** the resource policy must allow the request itself (role trust policies and sts:AssumeRole) */
  readonly resourceMustAllow?: boolean;
}

/** Who is asking, as Principal elements of resource and trust policies see it. */
export interface RequestPrincipal {
  /** user ARN, or role session ARN */
  readonly arn: string;
  readonly accountId: string;
  /** for role sessions: the role's ARN, which a resource policy may name instead */
  readonly roleArn?: string;
  /** for AWS services: `codebuild.amazonaws.com` */
  readonly service?: string;
}

export interface AuthorizationRequest {
  /** `service:Action`, any case */
  readonly action: string;
  /** the resource's ARN, or `*` for actions that have none */
  readonly resource: string;
  readonly context: RequestContext | ContextInput;
  /** needed only to match Principal elements of resource and trust policies */
  readonly principal?: RequestPrincipal;
}

export interface MatchedStatement {
  readonly source: PolicySource;
  readonly policyName: string;
  readonly policyArn: string | undefined;
  readonly policyOrigin: string | undefined;
  readonly statementIndex: number;
  readonly sid: string | undefined;
  readonly effect: Effect;
  /** where the statement is in the policy text (SimulatePrincipalPolicy's Start/EndPosition) */
  readonly span: Span | undefined;
}

/** Why a request was refused, which decides the wording of the denial (see explain.ts). */
export type DenialReason =
  | "explicit-deny-identity"
  | "explicit-deny-resource"
  | "explicit-deny-boundary"
  | "no-identity-allow"
  | "no-boundary-allow"
  | "no-resource-allow";

export interface EvaluationResult {
  readonly decision: Decision;
  /** explicit deny: the Deny statements that matched; otherwise the Allow statements that matched */
  readonly matchedStatements: readonly MatchedStatement[];
  /** absent when allowed */
  readonly denialReason?: DenialReason;
  /** with a permissions boundary: whether the boundary alone allows the request */
  readonly allowedByBoundary?: boolean;
}

const NONE: readonly MatchedStatement[] = Object.freeze([]);

/**
 * How a statement matched: not at all; through the caller's account only (a delegation to the
 * account's identity policies); in a way that grants (no Principal element, anyone, the
 * caller's role or service); or by the caller's own user or session ARN.
 */
type PrincipalMatch = 0 | 1 | 2 | 3;
const PrincipalMatch = { No: 0, Account: 1, Grants: 2, Exactly: 3 } as const;

export function evaluate(policies: PolicySet, request: AuthorizationRequest): EvaluationResult {
  const ctx = RequestContext.from(request.context);
  const action = request.action.toLowerCase();
  const colon = action.indexOf(":");
  const service = colon < 0 ? action : action.slice(0, colon);
  const scan = new Scan(action, service, request.resource, ctx, request.principal);

  scan.run(policies.identity, "identity");
  if (policies.resource) scan.run(policies.resource, "resource");
  const hasBoundary = policies.boundary !== undefined;
  if (policies.boundary) scan.run(policies.boundary, "boundary");

  const boundaryDetail = hasBoundary ? { allowedByBoundary: scan.boundaryAllows } : {};
  if (scan.denies) {
    return {
      decision: "ExplicitDeny",
      matchedStatements: scan.denies,
      denialReason: `explicit-deny-${scan.firstDenySource!}`,
      ...boundaryDetail,
    };
  }
  const matchedStatements = scan.allows ?? NONE;
  if (policies.resourceMustAllow && !scan.resourceNames) {
    return { decision: "ImplicitDeny", matchedStatements, denialReason: "no-resource-allow", ...boundaryDetail };
  }
  const allowed = scan.identityAllows || scan.resourceAllows;
  if (scan.resourceAllowsExactly || (allowed && (!hasBoundary || scan.boundaryAllows))) {
    return { decision: "Allow", matchedStatements, ...boundaryDetail };
  }
  return {
    decision: "ImplicitDeny",
    matchedStatements,
    denialReason: allowed ? "no-boundary-allow" : "no-identity-allow",
    ...boundaryDetail,
  };
}

/** One evaluation's walk over the policies; collects what matched. */
class Scan {
  denies: MatchedStatement[] | undefined;
  allows: MatchedStatement[] | undefined;
  firstDenySource: PolicySource | undefined;
  identityAllows = false;
  /** a resource policy Allow names the caller (or its account) */
  resourceNames = false;
  /** … and grants by itself (names the caller, its role, a service, or anyone) */
  resourceAllows = false;
  resourceAllowsExactly = false;
  boundaryAllows = false;

  constructor(
    private readonly action: string,
    private readonly service: string,
    private readonly resource: string,
    private readonly ctx: RequestContext,
    private readonly principal: RequestPrincipal | undefined,
  ) {}

  run(set: readonly NamedPolicy[], source: PolicySource): void {
    for (const named of set) {
      for (const st of statementsFor(named.policy, this.action, this.service)) {
        const m = this.matches(st);
        if (m === PrincipalMatch.No) continue;
        const matched: MatchedStatement = {
          source,
          policyName: named.name,
          policyArn: named.arn,
          policyOrigin: named.origin,
          statementIndex: st.index,
          sid: st.sid,
          effect: st.effect,
          span: st.span,
        };
        if (st.effect === "Deny") {
          (this.denies ??= []).push(matched);
          this.firstDenySource ??= source;
          continue;
        }
        (this.allows ??= []).push(matched);
        if (source === "identity") this.identityAllows = true;
        else if (source === "boundary") this.boundaryAllows = true;
        else {
          this.resourceNames = true;
          if (m >= PrincipalMatch.Grants) this.resourceAllows = true;
          if (m === PrincipalMatch.Exactly) this.resourceAllowsExactly = true;
        }
      }
    }
  }

  /**
   * No when the statement does not apply; otherwise how its Principal matched (Grants without
   * one). Its Action is known to match already.
   */
  private matches(st: Statement): PrincipalMatch {
    const res = st.resource;
    if (res) {
      let any = false;
      for (const p of res.patterns) {
        if (matchArn(p, this.resource, this.ctx)) {
          any = true;
          break;
        }
      }
      if (any === res.negated) return PrincipalMatch.No;
    }
    let strength: PrincipalMatch = PrincipalMatch.Grants;
    if (st.principal) {
      const m = principalMatch(st.principal, this.principal);
      if (st.principal.negated) {
        if (m !== PrincipalMatch.No) return PrincipalMatch.No;
      } else {
        if (m === PrincipalMatch.No) return PrincipalMatch.No;
        strength = m;
      }
    }
    // A statement needs all its conditions. Normally the first that fails decides; when the
    // simulator records what the request lacked, every condition is looked at, so that all the
    // keys the statement needs are named at once.
    let holds = true;
    for (const c of st.conditions) {
      if (!conditionHolds(c, this.ctx)) {
        holds = false;
        if (!this.ctx.recording) break;
      }
    }
    return holds ? strength : PrincipalMatch.No;
  }
}

/**
 * Whether an evaluation of `action` against these policies can depend on the request's context
 * (its condition keys, and policy variables in Resource): false when no statement that concerns
 * the action has a condition or a variable. Then the decision depends only on the policies, the
 * action, the resource and the principal, and a caller may keep it.
 */
export function dependsOnContext(policies: PolicySet, action: string): boolean {
  const lower = action.toLowerCase();
  const colon = lower.indexOf(":");
  const service = colon < 0 ? lower : lower.slice(0, colon);
  for (const set of [policies.identity, policies.boundary, policies.resource]) {
    for (const named of set ?? []) {
      for (const st of statementsFor(named.policy, lower, service)) {
        if (st.conditions.length > 0) return true;
        if (st.resource?.patterns.some((p) => p.segments.some((seg) => seg.hasVariables))) return true;
      }
    }
  }
  return false;
}

/**
 * Which statements of a policy match an action on Action/NotAction alone. That depends on
 * nothing else in the request, so it is worked out once per policy and action and kept: after
 * the first request for an action, evaluation only looks at the statements that concern it.
 */
const actionCache = new WeakMap<Policy, Map<string, readonly Statement[]>>();
const ACTION_CACHE_LIMIT = 2048;

function statementsFor(policy: Policy, action: string, service: string): readonly Statement[] {
  let byAction = actionCache.get(policy);
  if (!byAction) {
    byAction = new Map();
    actionCache.set(policy, byAction);
  }
  let list = byAction.get(action);
  if (list === undefined) {
    const candidates = policy.byService.get(service) ?? policy.otherServices;
    list = candidates.filter((st) => actionMatches(st, action) !== st.action.negated);
    // actions come from our own operation table, but bound the map all the same
    if (byAction.size >= ACTION_CACHE_LIMIT) byAction.clear();
    byAction.set(action, list);
  }
  return list;
}

function actionMatches(st: Statement, action: string): boolean {
  for (const p of st.action.patterns) {
    if (p.literal !== undefined ? p.literal === action : globMatch(p.parts, action)) return true;
  }
  return false;
}

function principalMatch(el: PrincipalElement, who: RequestPrincipal | undefined): PrincipalMatch {
  if (!who) return el.anyone ? PrincipalMatch.Grants : PrincipalMatch.No;
  let best: PrincipalMatch = el.anyone ? PrincipalMatch.Grants : PrincipalMatch.No;
  for (const arn of el.aws) {
    if (arn === who.arn) return PrincipalMatch.Exactly;
    if (arn.endsWith(":root")) {
      // an account (as an ID or its root ARN) stands for every principal in it
      if (best < PrincipalMatch.Account && arn.split(":")[4] === who.accountId) best = PrincipalMatch.Account;
    } else if (who.roleArn !== undefined && arn === who.roleArn) {
      best = PrincipalMatch.Grants;
    }
  }
  if (who.service !== undefined && el.service.includes(who.service)) return PrincipalMatch.Exactly;
  return best;
}
