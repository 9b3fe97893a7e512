/**
 * Condition operators: parsing `[ForAllValues:|ForAnyValue:]<Operator>[IfExists]`, compiling
 * the policy's values once, and deciding one condition against a request context.
 *
 * The rules, from the IAM reference ("Condition operators", "Multivalued context keys"):
 * - Several values for one key are ORed; for a negated operator (StringNotEquals, …) the
 *   request value must match none of them, i.e. the negated operator is the negation of its
 *   positive twin.
 * - A key missing from the request makes the condition false, except that a negated operator
 *   is then true, `…IfExists` is then true, `ForAllValues:` is then true (the empty-set trap)
 *   and `ForAnyValue:` is then false. An empty list counts as missing.
 * - `ForAllValues:` holds when every request value satisfies the operator; `ForAnyValue:` when
 *   at least one does. Without a set qualifier a multivalued request value is treated as
 *   ForAnyValue would for a positive operator, and as its negation for a negated one.
 * - `Null: true` holds when the key is missing, `Null: false` when it is present.
 * - Policy variables are substituted in String*, Arn* and Bool values only; a variable with no
 *   value makes that policy value match nothing (so negated operators then match).
 */

import { compileArnPattern, matchArn, type ArnPattern } from "./arn-pattern.js";
import { parseDate } from "./dates.js";
import { cidrContains, parseCidr, parseIpAddress, type CidrBlock } from "./ip.js";
import { compilePattern, globMatch, resolveText, type Pattern } from "./pattern.js";
import type { ContextLookup } from "./types.js";
import { syntaxError } from "./validate.js";

export type SetQualifier = "ForAllValues" | "ForAnyValue" | undefined;

type Comparison = "eq" | "lt" | "le" | "gt" | "ge";

type Base =
  | { family: "string"; match: "equals" | "equalsIgnoreCase" | "like"; negated: boolean }
  | { family: "numeric" | "date"; cmp: Comparison; negated: boolean }
  | { family: "bool" | "binary" | "null"; negated: false }
  | { family: "ip" | "arn"; negated: boolean };

const COMPARISONS: [string, Comparison, boolean][] = [
  ["Equals", "eq", false],
  ["NotEquals", "eq", true],
  ["LessThan", "lt", false],
  ["LessThanEquals", "le", false],
  ["GreaterThan", "gt", false],
  ["GreaterThanEquals", "ge", false],
];

const OPERATORS = new Map<string, Base>([
  ["StringEquals", { family: "string", match: "equals", negated: false }],
  ["StringNotEquals", { family: "string", match: "equals", negated: true }],
  ["StringEqualsIgnoreCase", { family: "string", match: "equalsIgnoreCase", negated: false }],
  ["StringNotEqualsIgnoreCase", { family: "string", match: "equalsIgnoreCase", negated: true }],
  ["StringLike", { family: "string", match: "like", negated: false }],
  ["StringNotLike", { family: "string", match: "like", negated: true }],
  ...COMPARISONS.map(([name, cmp, negated]): [string, Base] => [`Numeric${name}`, { family: "numeric", cmp, negated }]),
  ...COMPARISONS.map(([name, cmp, negated]): [string, Base] => [`Date${name}`, { family: "date", cmp, negated }]),
  ["Bool", { family: "bool", negated: false }],
  ["BinaryEquals", { family: "binary", negated: false }],
  ["IpAddress", { family: "ip", negated: false }],
  ["NotIpAddress", { family: "ip", negated: true }],
  ["ArnEquals", { family: "arn", negated: false }],
  ["ArnLike", { family: "arn", negated: false }],
  ["ArnNotEquals", { family: "arn", negated: true }],
  ["ArnNotLike", { family: "arn", negated: true }],
  ["Null", { family: "null", negated: false }],
]);

/** Every operator name a policy may use, without qualifiers. */
export const CONDITION_OPERATORS: readonly string[] = [...OPERATORS.keys()];

export interface ParsedOperator {
  readonly name: string;
  readonly base: Base;
  readonly set: SetQualifier;
  readonly ifExists: boolean;
}

/** `ForAnyValue:StringLikeIfExists` → its parts; `undefined` when it is no operator. */
export function parseOperator(name: string): ParsedOperator | undefined {
  let rest = name;
  let set: SetQualifier;
  if (rest.startsWith("ForAllValues:")) set = "ForAllValues";
  else if (rest.startsWith("ForAnyValue:")) set = "ForAnyValue";
  if (set) rest = rest.slice(set.length + 1);
  let base = OPERATORS.get(rest);
  let ifExists = false;
  if (!base && rest.endsWith("IfExists")) {
    base = OPERATORS.get(rest.slice(0, -"IfExists".length));
    // IfExists makes no sense on Null, which tests existence itself
    if (base?.family === "null") return undefined;
    ifExists = true;
  }
  return base ? { name, base, set, ifExists } : undefined;
}

export interface Condition {
  /** as written, e.g. `ForAnyValue:StringLike` */
  readonly operator: string;
  /** the context key as written */
  readonly key: string;
  readonly lowerKey: string;
  readonly set: SetQualifier;
  readonly ifExists: boolean;
  readonly negated: boolean;
  /** Null's wanted answers (`true`: the key must be missing); empty for other operators */
  readonly nullChecks: readonly boolean[];
  /** the positive operator: does one request value match any of the policy's values? */
  readonly matchesAny: (requestValue: string, ctx: ContextLookup) => boolean;
}

/** Policy values as JSON gives them: strings, numbers and booleans all read as text. */
export function compileCondition(op: ParsedOperator, key: string, values: readonly string[], variables: boolean): Condition {
  const base = op.base;
  const common = {
    operator: op.name,
    key,
    lowerKey: key.toLowerCase(),
    set: op.set,
    ifExists: op.ifExists,
    negated: base.negated,
  };
  if (base.family === "null") {
    const nullChecks = values.map((v) => {
      const t = v.toLowerCase();
      if (t !== "true" && t !== "false") {
        throw syntaxError(`The Null operator takes "true" or "false", not ${JSON.stringify(v)} (key ${key}).`);
      }
      return t === "true";
    });
    return { ...common, nullChecks, matchesAny: () => false };
  }
  return { ...common, nullChecks: [], matchesAny: compileMatcher(op, key, values, variables) };
}

function compileMatcher(
  op: ParsedOperator,
  key: string,
  values: readonly string[],
  variables: boolean,
): (requestValue: string, ctx: ContextLookup) => boolean {
  const base = op.base;
  switch (base.family) {
    case "string": {
      if (base.match === "like") {
        const patterns = values.map((v) => compilePattern(v, { variables, wildcards: true }));
        return (value, ctx) => patterns.some((p) => likeMatch(p, value, ctx));
      }
      const lower = base.match === "equalsIgnoreCase";
      const patterns = values.map((v) => compilePattern(v, { variables, wildcards: false, lowerCase: lower }));
      return (value, ctx) => {
        const v = lower ? value.toLowerCase() : value;
        return patterns.some((p) => resolveText(p, ctx, lower) === v);
      };
    }
    case "bool": {
      const patterns = values.map((v) => compilePattern(v, { variables, wildcards: false, lowerCase: true }));
      return (value, ctx) => {
        const v = value.toLowerCase();
        return patterns.some((p) => resolveText(p, ctx, true) === v);
      };
    }
    case "numeric": {
      const numbers = values.map((v) => {
        const n = v.trim() === "" ? NaN : Number(v);
        if (Number.isNaN(n)) throw syntaxError(`${op.name} compares numbers; ${JSON.stringify(v)} (key ${key}) is not one.`);
        return n;
      });
      return (value) => {
        const n = value.trim() === "" ? NaN : Number(value);
        return !Number.isNaN(n) && numbers.some((x) => compare(n, x, base.cmp));
      };
    }
    case "date": {
      const times = values.map((v) => {
        const t = parseDate(v);
        if (t === undefined) {
          throw syntaxError(
            `${op.name} compares dates; ${JSON.stringify(v)} (key ${key}) is neither ISO 8601 (2024-05-01T12:00:00Z) nor epoch seconds.`,
          );
        }
        return t;
      });
      return (value) => {
        const t = parseDate(value);
        return t !== undefined && times.some((x) => compare(t, x, base.cmp));
      };
    }
    case "binary": {
      const wanted = values.map((v) => Buffer.from(v, "base64").toString("base64"));
      return (value) => wanted.includes(Buffer.from(value, "base64").toString("base64"));
    }
    case "ip": {
      const blocks: CidrBlock[] = values.map((v) => {
        const b = parseCidr(v);
        if (!b) {
          throw syntaxError(
            `${op.name} takes IP addresses or CIDR blocks (203.0.113.0/24, 2001:db8::/32); ${JSON.stringify(v)} (key ${key}) is not one.`,
          );
        }
        return b;
      });
      return (value) => {
        const ip = parseIpAddress(value);
        return ip !== undefined && blocks.some((b) => cidrContains(b, ip));
      };
    }
    case "arn": {
      const patterns: ArnPattern[] = values.map((v) => compileArnPattern(v, variables));
      return (value, ctx) => patterns.some((p) => matchArn(p, value, ctx));
    }
  }
  throw new Error(`unhandled condition family ${base.family}`);
}

function likeMatch(p: Pattern, value: string, ctx: ContextLookup): boolean {
  return p.literal !== undefined ? p.literal === value : globMatch(p.parts, value, 0, value.length, ctx);
}

function compare(request: number, policy: number, cmp: Comparison): boolean {
  switch (cmp) {
    case "eq":
      return request === policy;
    case "lt":
      return request < policy;
    case "le":
      return request <= policy;
    case "gt":
      return request > policy;
    case "ge":
      return request >= policy;
  }
}

/** Does the condition hold for this request? */
export function conditionHolds(c: Condition, ctx: ContextLookup): boolean {
  const raw = ctx.lookup(c.lowerKey);
  if (c.nullChecks.length > 0) {
    const missing = raw === undefined;
    return c.nullChecks.some((wantMissing) => wantMissing === missing);
  }
  if (raw === undefined) {
    if (c.ifExists || c.set === "ForAllValues") return true;
    if (c.set === "ForAnyValue") return false;
    return c.negated;
  }
  if (typeof raw === "string") {
    // one request value: every form reduces to the operator on that value
    return c.matchesAny(raw, ctx) !== c.negated;
  }
  if (c.set === "ForAllValues") {
    for (const v of raw) if (c.matchesAny(v, ctx) === c.negated) return false;
    return true;
  }
  if (c.set === "ForAnyValue") {
    for (const v of raw) if (c.matchesAny(v, ctx) !== c.negated) return true;
    return false;
  }
  let any = false;
  for (const v of raw) {
    if (c.matchesAny(v, ctx)) {
      any = true;
      break;
    }
  }
  return any !== c.negated;
}
