import { describe, expect, it } from "vitest";
import {
  RequestContext,
  evaluate,
  parsePolicy,
  type AuthorizationRequest,
  type ContextInput,
  type Decision,
  type NamedPolicy,
  type PolicySet,
} from "../../src/domain/iam/policy/index.js";
import { compilePattern, globMatch } from "../../src/domain/iam/policy/pattern.js";

/**
 * Properties over random policies and requests, from a seeded generator (mulberry32), so a
 * failure names the seed that reproduces it. Set POLICY_PROPERTY_SEED to explore others.
 */

const BASE_SEED = Number(process.env.POLICY_PROPERTY_SEED ?? 20240501);
const RUNS = 400;

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    // mulberry32
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  some<T>(list: readonly T[], max: number): T[] {
    const n = 1 + this.int(max);
    return Array.from({ length: n }, () => this.pick(list));
  }
}

const ACTIONS = [
  "codecommit:GetRepository",
  "codecommit:ListRepositories",
  "codecommit:DeleteRepository",
  "codecommit:CreateRepository",
  "codecommit:GitPull",
  "codecommit:GitPush",
  "codecommit:GetBranch",
  "codecommit:CreateBranch",
  "codecommit:DeleteBranch",
  "codecommit:PutFile",
  "codecommit:MergeBranchesBySquash",
  "codecommit:MergePullRequestByThreeWay",
  "iam:CreateUser",
  "iam:GetUser",
  "iam:ListUsers",
  "iam:CreateAccessKey",
  "iam:ListAccessKeys",
  "s3:GetObject",
  "s3:PutObject",
  "s3:ListBucket",
  "sns:Publish",
  "sns:Subscribe",
  "sts:AssumeRole",
];

const RESOURCES = [
  "*",
  "arn:aws:codecommit:us-east-1:123456789012:Repo1",
  "arn:aws:codecommit:us-east-1:123456789012:Repo2",
  "arn:aws:codecommit:eu-west-1:123456789012:Repo1",
  "arn:aws:codecommit:us-east-1:999999999999:Repo1",
  "arn:aws:iam::123456789012:user/alice",
  "arn:aws:iam::123456789012:user/bob",
  "arn:aws:s3:::bucket/a/b.txt",
  "arn:aws:s3:::bucket",
  "arn:aws:sns:us-east-1:123456789012:codecommit-topic",
];

/** resource globs without variables, for the NotResource equivalence */
const PLAIN_RESOURCE_GLOBS = [
  "*",
  "arn:aws:codecommit:us-east-1:123456789012:Repo1",
  "arn:aws:codecommit:*:123456789012:Repo1",
  "arn:aws:codecommit:*",
  "arn:aws:codecommit:us-east-1:*:Repo?",
  "arn:aws:iam::*:user/*",
  "arn:aws:s3:::bucket/*",
  "arn:aws:s3:::bucket*",
  "arn:aws:sns:*:*:codecommit*",
];
const RESOURCE_GLOBS = [...PLAIN_RESOURCE_GLOBS, "arn:aws:iam::*:user/${aws:username}", "arn:aws:codecommit:us-east-1:123456789012:${aws:PrincipalTag/repo, 'Repo2'}"];

function randomActionPattern(r: Rng): string {
  const a = r.pick(ACTIONS);
  const [service, name] = a.split(":") as [string, string];
  switch (r.int(7)) {
    case 0:
      return "*";
    case 1:
      return `${service}:*`;
    case 2:
      return `${service}:${name.slice(0, 1 + r.int(name.length))}*`;
    case 3: {
      const i = r.int(name.length);
      return `${service}:${name.slice(0, i)}?${name.slice(i + 1)}`;
    }
    case 4:
      return `${service}:*${name.slice(r.int(name.length))}`;
    case 5:
      return r.chance(0.5) ? a.toUpperCase() : a.toLowerCase();
    default:
      return a;
  }
}

const CONDITIONS: (() => [string, string, unknown])[] = [
  () => ["StringEquals", "aws:username", "alice"],
  () => ["StringNotEquals", "aws:username", ["alice", "carol"]],
  () => ["StringLike", "codecommit:References", "refs/heads/*"],
  () => ["StringEqualsIfExists", "codecommit:References", ["refs/heads/main", "refs/heads/prod"]],
  () => ["Null", "codecommit:References", "false"],
  () => ["Null", "codecommit:References", "true"],
  () => ["IpAddress", "aws:SourceIp", "10.0.0.0/8"],
  () => ["NotIpAddress", "aws:SourceIp", ["192.168.0.0/16", "2001:db8::/32"]],
  () => ["Bool", "aws:SecureTransport", "false"],
  () => ["DateLessThan", "aws:CurrentTime", "2024-01-01T00:00:00Z"],
  () => ["NumericLessThanEquals", "s3:max-keys", 10],
  () => ["ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"]],
  () => ["ForAnyValue:StringLike", "aws:TagKeys", "a*"],
  () => ["ForAnyValue:StringNotEquals", "aws:TagKeys", "a"],
  () => ["ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:*"],
  () => ["StringLikeIfExists", "aws:PrincipalTag/team", "${aws:username}*"],
];

interface St {
  Effect: "Allow" | "Deny";
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: Record<string, Record<string, unknown>>;
}

function randomConditions(r: Rng): St["Condition"] | undefined {
  if (r.chance(0.45)) return undefined;
  const out: Record<string, Record<string, unknown>> = {};
  for (let i = 0, n = 1 + r.int(2); i < n; i++) {
    const [op, key, value] = r.pick(CONDITIONS)();
    (out[op] ??= {})[key] = value;
  }
  return out;
}

function randomStatement(r: Rng, opts: { plainResources?: boolean } = {}): St {
  const st: St = { Effect: r.chance(0.65) ? "Allow" : "Deny" };
  const actions = Array.from({ length: 1 + r.int(3) }, () => randomActionPattern(r));
  if (r.chance(0.2)) st.NotAction = actions;
  else st.Action = actions;
  const globs = r.some(opts.plainResources ? PLAIN_RESOURCE_GLOBS : RESOURCE_GLOBS, 3);
  if (r.chance(0.2)) st.NotResource = globs;
  else st.Resource = globs;
  const c = randomConditions(r);
  if (c) st.Condition = c;
  return st;
}

function randomStatements(r: Rng, max = 5, opts: { plainResources?: boolean } = {}): St[] {
  return Array.from({ length: 1 + r.int(max) }, () => randomStatement(r, opts));
}

function randomContext(r: Rng): ContextInput {
  const ctx: Record<string, string | string[]> = {
    "aws:SourceIp": r.pick(["10.1.2.3", "192.168.1.1", "203.0.113.9", "2001:db8::5"]),
    "aws:SecureTransport": r.pick(["true", "false"]),
    "aws:CurrentTime": r.pick(["2023-06-01T00:00:00Z", "2025-06-01T00:00:00Z"]),
  };
  const user = r.pick(["alice", "bob", undefined]);
  if (user) ctx["aws:username"] = user;
  if (r.chance(0.5)) ctx["codecommit:References"] = r.pick(["refs/heads/main", "refs/heads/feature", "refs/tags/v1"]);
  if (r.chance(0.4)) ctx["s3:max-keys"] = r.pick(["5", "50"]);
  if (r.chance(0.5)) ctx["aws:TagKeys"] = r.pick([[], ["a"], ["a", "b"], ["a", "c"], ["c"]]);
  if (r.chance(0.3)) ctx["aws:SourceArn"] = r.pick(["arn:aws:sns:us-east-1:123456789012:t", "arn:aws:sns:us-east-1:999999999999:t"]);
  if (r.chance(0.3)) ctx["aws:PrincipalTag/team"] = r.pick(["alice-team", "red"]);
  if (r.chance(0.3)) ctx["aws:PrincipalTag/repo"] = "Repo1";
  return ctx;
}

function randomRequest(r: Rng): AuthorizationRequest {
  const action = r.pick(ACTIONS);
  return { action: r.chance(0.2) ? action.toUpperCase() : action, resource: r.pick(RESOURCES), context: randomContext(r) };
}

const doc = (statements: St[], version = "2012-10-17"): string => JSON.stringify({ Version: version, Statement: statements });
const policy = (statements: St[], name = "p"): NamedPolicy => ({ name, policy: parsePolicy(doc(statements)) });
const decide = (policies: St[][], req: AuthorizationRequest, extra: Partial<PolicySet> = {}): Decision =>
  evaluate({ identity: policies.map((s, i) => policy(s, `p${i}`)), ...extra }, req).decision;

/** Runs a property RUNS times, each from its own seed, reporting the seed on failure. */
function property(name: string, body: (r: Rng) => void, runs = RUNS): void {
  it(name, () => {
    for (let i = 0; i < runs; i++) {
      const seed = BASE_SEED + i * 7919;
      try {
        body(new Rng(seed));
      } catch (e) {
        throw new Error(`${name}: failed with seed ${seed}: ${(e as Error).message}`, { cause: e });
      }
    }
  });
}

/** A reference glob (RegExp built independently of the engine). */
function referenceGlob(pattern: string, text: string, flags = ""): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`, `s${flags}`).test(text);
}

/** A reference ARN glob: colon-separated parts matched one by one, the last one taking the rest. */
function referenceArn(pattern: string, arn: string): boolean {
  if (pattern === "*") return true;
  const p = pattern.split(":");
  const head = p.slice(0, 5);
  const parts = p.length > 5 ? [...head, p.slice(5).join(":")] : head;
  const a = arn.split(":");
  if (a.length < parts.length) return false;
  const text = [...a.slice(0, parts.length - 1), a.slice(parts.length - 1).join(":")];
  return parts.every((seg, i) => referenceGlob(seg, text[i]!));
}

describe("policy engine properties", () => {
  property("evaluation is deterministic, and a plain context equals a prepared one", (r) => {
    const policies = [randomStatements(r), randomStatements(r)];
    const req = randomRequest(r);
    const set: PolicySet = { identity: policies.map((s, i) => policy(s, `p${i}`)) };
    const a = evaluate(set, req);
    const b = evaluate(set, req);
    const c = evaluate(set, { ...req, context: RequestContext.from(req.context) });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  property("splitting one policy's statements across two policies never changes the decision", (r) => {
    const statements = randomStatements(r, 6);
    const cut = r.int(statements.length + 1);
    const req = randomRequest(r);
    expect(decide([statements.slice(0, cut), statements.slice(cut)].filter((s) => s.length > 0), req)).toBe(decide([statements], req));
  });

  property("the order of statements and of policies does not matter", (r) => {
    const statements = randomStatements(r, 6);
    const shuffled = [...statements].sort(() => r.next() - 0.5);
    const other = randomStatements(r);
    const req = randomRequest(r);
    expect(decide([shuffled, other], req)).toBe(decide([other, statements], req));
  });

  property("adding a Deny never turns a denial into an Allow, and a matching Deny always denies", (r) => {
    const policies = [randomStatements(r)];
    const req = randomRequest(r);
    const before = decide(policies, req);
    const deny: St = { ...randomStatement(r), Effect: "Deny" };
    const after = decide([...policies, [deny]], req);
    if (before !== "Allow") expect(after).not.toBe("Allow");
    if (before === "ExplicitDeny") expect(after).toBe("ExplicitDeny");
    expect(decide([...policies, [{ Effect: "Deny", Action: [req.action], Resource: ["*"] }]], req)).toBe("ExplicitDeny");
  });

  property("adding an Allow never takes an Allow away, nor an explicit deny", (r) => {
    const policies = [randomStatements(r)];
    const req = randomRequest(r);
    const before = decide(policies, req);
    const after = decide([...policies, [{ ...randomStatement(r), Effect: "Allow" }]], req);
    if (before === "Allow") expect(after).toBe("Allow");
    if (before === "ExplicitDeny") expect(after).toBe("ExplicitDeny");
  });

  /** The statement with its Action/NotAction or Resource/NotResource element replaced. */
  function withElement(st: St, element: "Action" | "NotAction" | "Resource" | "NotResource", values: string[]): St {
    const out: St = { ...st };
    if (element === "Action" || element === "NotAction") {
      delete out.Action;
      delete out.NotAction;
    } else {
      delete out.Resource;
      delete out.NotResource;
    }
    out[element] = values;
    return out;
  }

  property("NotAction X allows exactly what Action (all but X) allows, over a fixed action universe", (r) => {
    const st = randomStatement(r);
    const patterns = st.Action ?? st.NotAction!;
    const others = ACTIONS.filter((a) => !patterns.some((p) => referenceGlob(p, a, "i")));
    const notAction = withElement(st, "NotAction", patterns);
    const ctx = randomContext(r);
    const resource = r.pick(RESOURCES);
    for (const action of ACTIONS) {
      const req = { action, resource, context: ctx };
      const expected = others.length ? decide([[withElement(st, "Action", others)]], req) : "ImplicitDeny";
      expect(decide([[notAction]], req), action).toBe(expected);
    }
  }, 150);

  property("NotResource X matches exactly what Resource (all but X) matches, over a fixed resource universe", (r) => {
    const st = randomStatement(r, { plainResources: true });
    const globs = st.Resource ?? st.NotResource!;
    // "*" as a request resource has no ARN to complement (and as a pattern it would match all)
    const arns = RESOURCES.filter((res) => res !== "*");
    const others = arns.filter((res) => !globs.some((g) => referenceArn(g, res)));
    const notResource = withElement(st, "NotResource", globs);
    const ctx = randomContext(r);
    const action = r.pick(ACTIONS);
    for (const resource of arns) {
      const req = { action, resource, context: ctx };
      const expected = others.length ? decide([[withElement(st, "Resource", others)]], req) : "ImplicitDeny";
      expect(decide([[notResource]], req), resource).toBe(expected);
    }
  }, 150);

  property("a permissions boundary only ever takes permissions away; Allow * as a boundary changes nothing", (r) => {
    const policies = [randomStatements(r)];
    const boundary = [randomStatements(r)];
    const req = randomRequest(r);
    const without = decide(policies, req);
    const withBoundary = decide(policies, req, { boundary: boundary.map((s) => policy(s)) });
    if (withBoundary === "Allow") expect(without).toBe("Allow");
    if (without === "ExplicitDeny") expect(withBoundary).toBe("ExplicitDeny");
    expect(decide(policies, req, { boundary: [policy([{ Effect: "Allow", Action: ["*"], Resource: ["*"] }])] })).toBe(without);
  });

  property("pretty-printed, compact and single-object documents decide alike", (r) => {
    const statements = randomStatements(r, 1);
    const req = randomRequest(r);
    const compact = parsePolicy(doc(statements));
    const pretty = parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements[0] }, null, 3));
    expect(evaluate({ identity: [{ name: "a", policy: pretty }] }, req).decision).toBe(evaluate({ identity: [{ name: "a", policy: compact }] }, req).decision);
  });

  property("IfExists with the key present is the plain operator; a negated operator is the negation", (r) => {
    const value = r.pick(["refs/heads/main", "refs/heads/feature", "x"]);
    const policyValue = r.pick(["refs/heads/main", "refs/heads/*", ["refs/heads/prod", "x"]]);
    const ctx = { "codecommit:References": value };
    const req = { action: "codecommit:GitPush", resource: "*", context: ctx };
    const allow = (op: string): Decision => decide([[{ Effect: "Allow", Action: ["codecommit:GitPush"], Resource: ["*"], Condition: { [op]: { "codecommit:References": policyValue } } }]], req);
    for (const op of ["StringEquals", "StringLike", "StringNotEquals", "StringNotLike"]) expect(allow(`${op}IfExists`)).toBe(allow(op));
    expect(allow("StringNotEquals") === "Allow").toBe(allow("StringEquals") !== "Allow");
    expect(allow("StringNotLike") === "Allow").toBe(allow("StringLike") !== "Allow");
  }, 100);

  property("the glob matcher agrees with a RegExp reference", (r) => {
    const alphabet = ["a", "b", "*", "?"];
    const pattern = Array.from({ length: r.int(7) }, () => r.pick(alphabet)).join("");
    const text = Array.from({ length: r.int(8) }, () => r.pick(["a", "b"])).join("");
    const parts = compilePattern(pattern, { variables: false, wildcards: true }).parts;
    expect(globMatch(parts, text), `${pattern} ~ ${text}`).toBe(referenceGlob(pattern, text));
  }, 3000);
});
