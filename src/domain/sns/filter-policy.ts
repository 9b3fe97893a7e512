import { invalidParameter } from "./common.js";

/**
 * SNS subscription filter policies: on message attributes (the default scope) or on the JSON
 * message body. A policy is an object whose leaves are arrays of conditions; every key must
 * match (AND), any condition of a key may (OR). Conditions: exact strings and numbers,
 * `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (a value, a list, or a prefix),
 * `numeric` ranges, `exists`; and `$or` for alternatives.
 */
export type FilterScope = "MessageAttributes" | "MessageBody";

export interface MessageAttribute {
  Type: string;
  Value: string;
}

type Condition =
  | { kind: "equals"; value: string | number | null }
  | { kind: "prefix"; value: string }
  | { kind: "suffix"; value: string }
  | { kind: "ignoreCase"; value: string }
  | { kind: "anythingBut"; values: Array<string | number>; prefix?: string; suffix?: string }
  | { kind: "numeric"; ranges: Array<[string, number]> }
  | { kind: "exists"; value: boolean };

interface Node {
  keys: Map<string, Node | Condition[]>;
  or?: Node[];
}

export interface FilterPolicy {
  scope: FilterScope;
  root: Node;
}

const NUMERIC_OPS = new Set(["=", "<", "<=", ">", ">="]);

/** SNS's documented limits: 256 KB of JSON, and at most 150 combinations of values */
export const MAX_FILTER_POLICY_BYTES = 256 * 1024;
export const MAX_COMBINATIONS = 150;
/**
 * Levels of nesting read in a policy stored before these limits were checked (deliveries must
 * not stop for it); far below what would overflow the stack.
 */
const MAX_STORED_LEVELS = 1000;

function bad(reason: string): never {
  throw invalidParameter(`FilterPolicy: ${reason}`);
}

function parseCondition(v: unknown, key: string): Condition {
  if (v === null || typeof v === "string") return { kind: "equals", value: v };
  if (typeof v === "number") {
    if (!Number.isFinite(v)) bad(`Value of ${key} is not a finite number`);
    return { kind: "equals", value: v };
  }
  if (typeof v !== "object" || Array.isArray(v)) bad(`Match value must be String, number, true, false, or null`);
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length !== 1) bad(`Only one key allowed in match expression`);
  const [op, arg] = entries[0]!;
  switch (op) {
    case "prefix":
    case "suffix":
    case "equals-ignore-case":
      if (typeof arg !== "string") bad(`${op} match pattern must be a string`);
      return op === "prefix" ? { kind: "prefix", value: arg } : op === "suffix" ? { kind: "suffix", value: arg } : { kind: "ignoreCase", value: arg };
    case "exists":
      if (typeof arg !== "boolean") bad(`exists match pattern must be either true or false.`);
      return { kind: "exists", value: arg };
    case "anything-but": {
      if (typeof arg === "string" || typeof arg === "number") return { kind: "anythingBut", values: [arg] };
      if (Array.isArray(arg)) {
        if (!arg.every((x) => typeof x === "string" || typeof x === "number")) bad(`Inside anything but list, start|null|boolean is not supported.`);
        return { kind: "anythingBut", values: arg as Array<string | number> };
      }
      if (arg && typeof arg === "object") {
        const inner = Object.entries(arg as Record<string, unknown>);
        if (inner.length === 1 && (inner[0]![0] === "prefix" || inner[0]![0] === "suffix") && typeof inner[0]![1] === "string") {
          return { kind: "anythingBut", values: [], [inner[0]![0]]: inner[0]![1] };
        }
      }
      return bad(`Value of anything-but must be an array or single string/number value.`);
    }
    case "numeric": {
      if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) bad(`Value of numeric must be an array.`);
      const ranges: Array<[string, number]> = [];
      for (let i = 0; i < arg.length; i += 2) {
        const o = arg[i];
        const n = arg[i + 1];
        if (typeof o !== "string" || !NUMERIC_OPS.has(o)) bad(`Unrecognized numeric range operator: ${String(o)}`);
        if (typeof n !== "number" || !Number.isFinite(n)) bad(`Value of ${o} must be numeric`);
        ranges.push([o, n]);
      }
      return { kind: "numeric", ranges };
    }
    default:
      return bad(`Unrecognized match type ${op}`);
  }
}

/**
 * One object of a policy, and its combinations as SNS counts them: the product, over its
 * arrays, of each array's number of values times the array's nesting depth (the outermost
 * keys are at depth 1), with the alternatives of a `$or` added up. Every level of nesting (of
 * keys or of `$or`) adds to the count, so the limit of 150 also bounds how deep the reader
 * goes: a client's thousands of levels are refused before they could overflow the stack.
 */
function parseNode(o: Record<string, unknown>, depth: number, levels: number, scope: FilterScope, maxLevels: number): { node: Node; combinations: number } {
  if (levels > maxLevels) bad(`Filter policy is too complex`);
  const node: Node = { keys: new Map() };
  let combinations = 1;
  for (const [key, v] of Object.entries(o)) {
    if (key === "$or") {
      if (!Array.isArray(v) || v.length < 2) bad(`$or must be an array of at least two policies`);
      let sum = 0;
      node.or = v.map((alt) => {
        if (!alt || typeof alt !== "object" || Array.isArray(alt)) bad(`$or alternatives must be objects`);
        const parsed = parseNode(alt as Record<string, unknown>, depth, levels + 1, scope, maxLevels);
        sum += parsed.combinations;
        return parsed.node;
      });
      combinations *= sum;
      continue;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) bad(`Empty arrays are not allowed`);
      node.keys.set(key, v.map((c) => parseCondition(c, key)));
      combinations *= v.length * depth;
    } else if (v && typeof v === "object" && scope === "MessageBody") {
      const parsed = parseNode(v as Record<string, unknown>, depth + 1, levels + 1, scope, maxLevels);
      node.keys.set(key, parsed.node);
      combinations *= parsed.combinations;
    } else {
      bad(`"${key}" must be an object or an array`);
    }
  }
  return { node, combinations };
}

/**
 * Validates a FilterPolicy attribute value ("" or "{}" means no filter). `stored`: one read back
 * for matching, which was valid when it was set, so SNS's size and complexity limits (checked
 * since) do not apply to it.
 */
export function parseFilterPolicy(text: string, scope: FilterScope, opts: { stored?: boolean } = {}): FilterPolicy | undefined {
  if (text === "") return undefined;
  if (!opts.stored && Buffer.byteLength(text, "utf8") > MAX_FILTER_POLICY_BYTES) bad(`Filter policy can be at most 256 KB`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad(`failed to parse JSON.`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) bad(`Filter policy must be a JSON object`);
  const o = v as Record<string, unknown>;
  if (Object.keys(o).length === 0) return undefined;
  if (scope === "MessageAttributes" && Object.keys(o).filter((k) => k !== "$or").length > 5) bad(`Filter policy can not have more than 5 keys`);
  const { node, combinations } = parseNode(o, 1, 1, scope, opts.stored ? MAX_STORED_LEVELS : MAX_COMBINATIONS);
  if (combinations > MAX_COMBINATIONS && !opts.stored) bad(`Filter policy is too complex`);
  return { scope, root: node };
}

export function parseScope(v: unknown): FilterScope {
  if (v === undefined || v === "" || v === "MessageAttributes") return "MessageAttributes";
  if (v === "MessageBody") return "MessageBody";
  throw invalidParameter("FilterPolicyScope: Invalid value [" + String(v) + "]. Please use either MessageBody or MessageAttributes");
}

function numericOk(n: number, ranges: Array<[string, number]>): boolean {
  return ranges.every(([op, x]) => (op === "=" ? n === x : op === "<" ? n < x : op === "<=" ? n <= x : op === ">" ? n > x : n >= x));
}

/** Whether one present value satisfies a condition. */
function valueMatches(c: Condition, value: unknown): boolean {
  switch (c.kind) {
    case "equals":
      if (c.value === null) return value === null;
      if (typeof c.value === "number") return typeof value === "number" ? value === c.value : typeof value === "string" && value !== "" && Number(value) === c.value;
      return value === c.value;
    case "prefix":
      return typeof value === "string" && value.startsWith(c.value);
    case "suffix":
      return typeof value === "string" && value.endsWith(c.value);
    case "ignoreCase":
      return typeof value === "string" && value.toLowerCase() === c.value.toLowerCase();
    case "anythingBut":
      if (c.prefix !== undefined) return typeof value === "string" && !value.startsWith(c.prefix);
      if (c.suffix !== undefined) return typeof value === "string" && !value.endsWith(c.suffix);
      return !c.values.some((x) => (typeof x === "number" ? Number(value) === x && value !== "" : value === x));
    case "numeric": {
      const n = typeof value === "number" ? value : typeof value === "string" && value !== "" ? Number(value) : NaN;
      return Number.isFinite(n) && numericOk(n, c.ranges);
    }
    case "exists":
      return c.value;
  }
}

/** Conditions against the values found for a key (an empty list: the key is absent). */
function conditionsMatch(conds: Condition[], values: unknown[] | undefined): boolean {
  return conds.some((c) => {
    if (c.kind === "exists") return c.value === (values !== undefined);
    if (values === undefined) return false;
    return values.some((v) => valueMatches(c, v));
  });
}

function attributeValues(a: MessageAttribute | undefined): unknown[] | undefined {
  if (!a) return undefined;
  if (a.Type === "Binary" || a.Type.startsWith("Binary.")) return undefined; // binary attributes are never matched
  if (a.Type === "String.Array" || a.Type.startsWith("String.Array.")) {
    try {
      const arr = JSON.parse(a.Value) as unknown;
      return Array.isArray(arr) ? arr : [a.Value];
    } catch {
      return [a.Value];
    }
  }
  if (a.Type === "Number" || a.Type.startsWith("Number.")) return [Number(a.Value)];
  return [a.Value];
}

function matchAttributes(node: Node, attrs: Record<string, MessageAttribute>): boolean {
  for (const [key, spec] of node.keys) {
    if (!Array.isArray(spec)) return false;
    if (!conditionsMatch(spec, attributeValues(attrs[key]))) return false;
  }
  return !node.or || node.or.some((alt) => matchAttributes(alt, attrs));
}

function bodyValues(v: unknown): unknown[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [v];
}

function matchBody(node: Node, body: unknown): boolean {
  for (const [key, spec] of node.keys) {
    const items = bodyValues(body && typeof body === "object" ? (body as Record<string, unknown>)[key] : undefined);
    if (Array.isArray(spec)) {
      if (!conditionsMatch(spec, items)) return false;
    } else if (!(items ?? []).some((item) => item && typeof item === "object" && matchBody(spec, item))) {
      return false;
    }
  }
  return !node.or || node.or.some((alt) => matchBody(alt, body));
}

/** Whether a message passes a subscription's filter policy. */
export function filterMatches(policy: FilterPolicy | undefined, attrs: Record<string, MessageAttribute>, message: string): boolean {
  if (!policy) return true;
  if (policy.scope === "MessageAttributes") return matchAttributes(policy.root, attrs);
  let body: unknown;
  try {
    body = JSON.parse(message);
  } catch {
    return false;
  }
  return !!body && typeof body === "object" && matchBody(policy.root, body);
}
