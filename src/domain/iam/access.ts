import { ServiceError, withDenial } from "../../errors.js";
import type { EntityType } from "../../store/schema.js";
import type { Caller, Principal } from "../context.js";
import type { IamDeps } from "./deps.js";
import {
  buildRequestContext,
  denialMessage,
  dependsOnContext,
  evaluate,
  parsePolicy,
  awsManagedPolicy,
  parsedAwsManagedPolicy,
  type ContextInput,
  type EvaluationResult,
  type NamedPolicy,
  type PolicySet,
  type RequestFacts,
} from "./policy/index.js";
import { defaultDocument } from "./policies.js";

/** Everything evaluation needs to know about one principal, loaded once and cached. */
export interface PrincipalPolicies {
  set: PolicySet;
  /** an assumed role's session policy: permissions are the intersection with it */
  session?: NamedPolicy;
  /** IAM tags of the user or role, for aws:PrincipalTag/… */
  tags: Record<string, string>;
  /** whether any policy mentions aws:ResourceTag (then requests look up resource tags) */
  usesResourceTags: boolean;
}

export interface AccessRequest {
  action: string;
  resource: string;
  /** service condition keys (codecommit:References, aws:RequestTag/…, iam:PolicyARN, …) */
  keys?: ContextInput;
}

/**
 * A decision, with what a refusal says: `message` for the client, `reason` for the server's log
 * (the evaluation's denial reason, or no-session-allow / explicit-deny-session when the session
 * policy refused).
 */
export type Decided = EvaluationResult & { message?: string; reason?: string };

/**
 * Decides whether a principal may do something: the principal's identity policies (inline,
 * attached, and its groups'), its permissions boundary and any session policy, evaluated by the
 * policy engine. The same function answers API calls, git pulls and pushes, and the simulator.
 */
export class AccessControl {
  private readonly cache = new Map<string, Promise<PrincipalPolicies>>();
  private readonly parsed = new Map<string, ReturnType<typeof parsePolicy>>();
  /** the text each compiled policy came from (to see which context keys policies mention) */
  private readonly source = new WeakMap<object, string>();
  /**
   * Decisions that no condition could change, per loaded policy set (so a change to a
   * principal's policies, which loads a new set, starts afresh): the hot path of a principal
   * asking the same thing again costs a map lookup instead of an evaluation.
   */
  private readonly decisions = new WeakMap<PrincipalPolicies, Map<string, Decided>>();

  constructor(private readonly deps: IamDeps) {
    deps.bus.subscribe("identities", () => this.cache.clear());
  }

  /** A stored document, compiled once (documents were validated when stored). */
  compile(doc: string): ReturnType<typeof parsePolicy> {
    let p = this.parsed.get(doc);
    if (!p) {
      p = parsePolicy(doc, { kind: "identity" });
      this.source.set(p, doc);
      if (this.parsed.size > 5000) this.parsed.clear();
      this.parsed.set(doc, p);
    }
    return p;
  }

  private async managed(arn: string): Promise<NamedPolicy | undefined> {
    const aws = parsedAwsManagedPolicy(arn);
    if (aws) {
      this.source.set(aws, awsManagedPolicy(arn)!.document);
      return { name: arn.slice(arn.lastIndexOf("/") + 1), arn, policy: aws };
    }
    const doc = await defaultDocument(this.deps, arn);
    return doc === undefined ? undefined : { name: arn.slice(arn.lastIndexOf("/") + 1), arn, policy: this.compile(doc) };
  }

  /** Inline and attached policies of one user, group or role (each marked with whose it is). */
  async entityPolicies(type: EntityType, name: string): Promise<NamedPolicy[]> {
    const out: NamedPolicy[] = [];
    const inline = await this.deps.db
      .selectFrom("iam_inline_policies")
      .select(["policy_name", "document"])
      .where("entity_type", "=", type)
      .where("entity_name", "=", name)
      .execute();
    for (const p of inline) out.push({ name: p.policy_name, origin: type, policy: this.compile(p.document) });
    const attached = await this.deps.db
      .selectFrom("iam_attachments")
      .select("policy_arn")
      .where("entity_type", "=", type)
      .where("entity_name", "=", name)
      .execute();
    for (const a of attached) {
      const m = await this.managed(a.policy_arn);
      if (m) out.push({ ...m, origin: type });
    }
    return out;
  }

  private async boundary(arn: string | null | undefined): Promise<NamedPolicy[] | undefined> {
    if (!arn) return undefined;
    const m = await this.managed(arn);
    return m ? [m] : [];
  }

  private async tagsOf(type: "user" | "role", name: string): Promise<Record<string, string>> {
    const rows = await this.deps.db.selectFrom("iam_tags").select(["tag_key", "tag_value"]).where("entity_type", "=", type).where("entity_name", "=", name).execute();
    return Object.fromEntries(rows.map((r) => [r.tag_key, r.tag_value]));
  }

  /** A user's policies with their groups', or a role's (for users, roles and the simulator). */
  async policiesOfEntity(type: EntityType, name: string, sessionPolicy?: string | null): Promise<PrincipalPolicies> {
    const identity = await this.entityPolicies(type, name);
    let boundary: NamedPolicy[] | undefined;
    let tags: Record<string, string> = {};
    if (type === "user") {
      const groups = await this.deps.db.selectFrom("iam_group_members").select("group_name").where("user_name", "=", name).execute();
      for (const g of groups) identity.push(...(await this.entityPolicies("group", g.group_name)));
      const u = await this.deps.db.selectFrom("iam_users").select("permissions_boundary").where("name", "=", name).executeTakeFirst();
      boundary = await this.boundary(u?.permissions_boundary);
      tags = await this.tagsOf("user", name);
    } else if (type === "role") {
      const r = await this.deps.db.selectFrom("iam_roles").select("permissions_boundary").where("name", "=", name).executeTakeFirst();
      boundary = await this.boundary(r?.permissions_boundary);
      tags = await this.tagsOf("role", name);
    }
    const all = [...identity, ...(boundary ?? [])];
    const session = sessionPolicy ? { name: "session policy", policy: this.compile(sessionPolicy) } : undefined;
    return {
      set: { identity, boundary },
      session,
      tags,
      usesResourceTags: all.some((p) => (this.source.get(p.policy) ?? "").toLowerCase().includes("aws:resourcetag")),
    };
  }

  /** The policies that apply to a principal (cached until identities change). */
  policiesOf(p: Principal): Promise<PrincipalPolicies> {
    const key = `${p.arn}\u0000${p.accessKeyId ?? ""}`;
    let hit = this.cache.get(key);
    if (!hit) {
      hit = (async () => {
        if (p.kind === "assumed-role" && p.roleName) {
          const s = p.accessKeyId
            ? await this.deps.db.selectFrom("sts_sessions").select("session_policy").where("access_key_id", "=", p.accessKeyId).executeTakeFirst()
            : undefined;
          return this.policiesOfEntity("role", p.roleName, s?.session_policy);
        }
        return this.policiesOfEntity("user", p.userName ?? "");
      })();
      hit.catch(() => this.cache.delete(key));
      // every STS session is a key of its own: bounded, like the credential cache
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(key, hit);
    }
    return hit;
  }

  /**
   * Evaluates with an already loaded policy set (the simulator's entry point as well).
   * `facts`: what the request tells (a Caller has them all; the simulator only those its context
   * entries give). `resourcePolicy`: a policy of the resource itself (a role's trust policy) that
   * must allow. `missing`, when given, collects (lower-cased) the keys the decision looked for
   * and did not find.
   */
  decideWith(
    policies: PrincipalPolicies,
    principal: Principal,
    request: AccessRequest,
    facts: Pick<RequestFacts, "sourceIp" | "secureTransport" | "time">,
    resourcePolicy?: NamedPolicy,
    missing?: Set<string>,
  ): Decided {
    // the simulator's runs (recording misses) and trust-policy checks are decided afresh
    if (missing || resourcePolicy) return this.evaluateWith(policies, principal, request, facts, resourcePolicy, missing);
    let known = this.decisions.get(policies);
    const key = `${principal.arn}\u0000${request.action}\u0000${request.resource}`;
    const hit = known?.get(key);
    if (hit) return hit;
    const result = this.evaluateWith(policies, principal, request, facts);
    const sets = policies.session ? [policies.set, { identity: policies.set.identity, boundary: [policies.session] }] : [policies.set];
    if (!sets.some((set) => dependsOnContext(set, request.action))) {
      if (!known) this.decisions.set(policies, (known = new Map()));
      if (known.size >= 256) known.clear();
      known.set(key, result);
    }
    return result;
  }

  private evaluateWith(
    policies: PrincipalPolicies,
    principal: Principal,
    request: AccessRequest,
    facts: Pick<RequestFacts, "sourceIp" | "secureTransport" | "time">,
    resourcePolicy?: NamedPolicy,
    missing?: Set<string>,
  ): Decided {
    const built = buildRequestContext(
      {
        kind: principal.kind,
        arn: principal.arn,
        roleArn: principal.roleArn,
        userId: principal.userId || undefined,
        accountId: principal.accountId,
        userName: principal.userName,
        tags: policies.tags,
        tokenIssueTime: principal.tokenIssueTime,
      },
      { sourceIp: facts.sourceIp, secureTransport: facts.secureTransport, time: facts.time, region: this.deps.region },
      request.keys ?? {},
    );
    const context = missing ? built.recordingMisses(missing) : built;
    const req = {
      action: request.action,
      resource: request.resource,
      context,
      principal: {
        arn: principal.arn,
        accountId: principal.accountId,
        // the role's own ARN, path included (trust policies and aws:PrincipalArn name it so)
        roleArn: principal.roleArn ?? (principal.roleName ? `arn:${this.deps.partition}:iam::${principal.accountId}:role/${principal.roleName}` : undefined),
      },
    };
    const set = resourcePolicy ? { ...policies.set, resource: [resourcePolicy], resourceMustAllow: true } : policies.set;
    const result = evaluate(set, req);
    if (result.decision !== "Allow") {
      return {
        ...result,
        message: result.denialReason ? denialMessage(principal.arn, request.action, request.resource, result.denialReason) : undefined,
        reason: result.denialReason,
      };
    }
    if (policies.session) {
      const limited = evaluate({ identity: policies.set.identity, boundary: [policies.session] }, req);
      if (limited.decision !== "Allow") {
        return {
          ...limited,
          // the session policy is evaluated as a boundary; the log says which it was
          reason: limited.denialReason === "explicit-deny-boundary" ? "explicit-deny-session" : "no-session-allow",
          message: `User: ${principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource} because no session policy allows the ${request.action} action`,
        };
      }
    }
    return result;
  }

  async decide(caller: Caller, request: AccessRequest): Promise<Decided> {
    return this.decideWith(await this.policiesOf(caller.principal), caller.principal, request, caller);
  }

  /** Throws `deny(message)` unless the request is allowed. */
  async authorize(caller: Caller, request: AccessRequest, deny: (message: string) => ServiceError): Promise<void> {
    const r = await this.decide(caller, request);
    if (r.decision !== "Allow") {
      throw withDenial(deny(r.message ?? `User: ${caller.principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource}`), {
        action: request.action,
        resource: request.resource,
        reason: r.reason ?? "denied",
      });
    }
  }
}
