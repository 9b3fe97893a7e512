import { ServiceError } from "../errors.js";
import { coercible } from "./coercible.js";

/**
 * awsQuery (IAM, STS, SNS): form-encoded parameters in, XML out.
 *
 * Requests flatten structures with dots: lists as `Name.member.N`, maps as `Name.entry.N.key` /
 * `.value` (SNS renames them `Name`/`Value`), an empty list as `Name=`. Decoding here is generic
 * (no model): lists become arrays, maps become objects, every scalar stays a string; handlers
 * read numbers and booleans with the helpers below.
 */

export interface QueryRequest {
  action: string;
  version?: string;
  input: Record<string, unknown>;
}

type Node = Record<string, unknown>;

/**
 * Dot-separated parts in a parameter name, at most. The deepest member of the served models
 * takes eight (`PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue`); a
 * much longer name is no member of any, so it is ignored, as AWS ignores unknown parameters. The
 * bound keeps `finish`, which recurses once per part, from a client's thousands of parts.
 */
export const MAX_NAME_PARTS = 32;

export function decodeQuery(params: URLSearchParams): QueryRequest {
  const action = params.get("Action");
  if (!action) throw new ServiceError("MissingAction", "The request must contain the parameter Action.");
  const root = emptyNode();
  for (const [key, value] of params) {
    if (key === "Action" || key === "Version") continue;
    const path = key.split(".", MAX_NAME_PARTS + 1);
    if (path.length > MAX_NAME_PARTS) continue;
    // every operation's input is a structure: `member.1=…` at the top would turn it into a list
    if ((path[0] === "member" || path[0] === "entry") && path.length > 1 && /^\d+$/.test(path[1]!)) continue;
    setPath(root, path, value);
  }
  return { action, version: params.get("Version") ?? undefined, input: finish(root) as Record<string, unknown> };
}

/**
 * Parameter names come from the client, unauthenticated: the tree is built from objects without
 * a prototype, so a name like `__proto__.x` stays an ordinary key and can never reach
 * Object.prototype; `finish` drops such keys when it makes plain objects for the handlers.
 */
function emptyNode(): Node {
  return Object.create(null) as Node;
}

const LIST = Symbol("list");
const MAP = Symbol("map");

function setPath(node: Node, path: string[], value: string): void {
  let cur: Node = node;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if ((seg === "member" || seg === "entry") && i + 1 < path.length && /^\d+$/.test(path[i + 1]!)) {
      // cur is the container: mark it as a list or map of indexed children
      (cur as Record<symbol, boolean>)[seg === "member" ? LIST : MAP] = true;
      const idx = path[i + 1]!;
      i++;
      if (i === path.length - 1) {
        cur[idx] = value;
        return;
      }
      cur = (cur[idx] ??= emptyNode()) as Node;
      continue;
    }
    if (last) {
      if (cur[seg] === undefined || typeof cur[seg] === "string") cur[seg] = value;
      return;
    }
    const next = cur[seg];
    // `Name=` (an empty list) may precede `Name.member.1=…`; the members win
    cur = (typeof next === "object" && next !== null ? next : (cur[seg] = emptyNode())) as Node;
  }
}

function finish(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const node = value as Node & Record<symbol, boolean>;
  const indexed = () =>
    Object.keys(node)
      .filter((k) => /^\d+$/.test(k))
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => finish(node[k]));
  if (node[LIST]) return indexed();
  if (node[MAP]) {
    const out: Record<string, unknown> = {};
    for (const e of indexed() as Node[]) {
      const k = e.key ?? e.Name ?? e.Key;
      if (typeof k === "string" && k !== "__proto__") out[k] = e.value ?? e.Value;
    }
    return coercible(out);
  }
  const out: Node = {};
  for (const [k, v] of Object.entries(node)) if (k !== "__proto__") out[k] = finish(v);
  return coercible(out);
}

/** A list member: a decoded list, or the empty list sent as `Name=`. */
export function asList<T = unknown>(v: unknown): T[] | undefined {
  if (v === undefined) return undefined;
  if (v === "") return [];
  if (Array.isArray(v)) return v as T[];
  throw new ServiceError("ValidationError", "Expected a list.");
}

export function asInt(v: unknown, name: string): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ServiceError("ValidationError", `1 validation error detected: Value '${String(v)}' at '${name}' failed to satisfy constraint: Member must be an integer`);
  return n;
}

export function asBool(v: unknown): boolean | undefined {
  if (v === undefined || v === "") return undefined;
  return String(v).toLowerCase() === "true";
}

/** Marks an object to be written as an XML map (`<entry><key/><value/></entry>`), not a structure. */
export class XmlMap {
  constructor(readonly entries: Record<string, unknown>) {}
}

function esc(s: string): string {
  return s.replace(/[&<>"'\r]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#13;" })[c]!);
}

function xmlValue(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (v instanceof XmlMap) {
    return Object.entries(v.entries)
      .filter(([, x]) => x !== undefined && x !== null)
      .map(([k, x]) => `<entry><key>${esc(k)}</key><value>${xmlValue(x)}</value></entry>`)
      .join("");
  }
  if (Array.isArray(v)) return v.map((m) => `<member>${xmlValue(m)}</member>`).join("");
  if (typeof v === "object" && v !== null) return xmlFields(v as Record<string, unknown>);
  return esc(String(v));
}

function xmlFields(obj: Record<string, unknown>): string {
  let out = "";
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null) continue;
    const inner = xmlValue(v);
    out += inner === "" ? `<${k}/>` : `<${k}>${inner}</${k}>`;
  }
  return out;
}

/**
 * `<OpResponse><OpResult>…</OpResult><ResponseMetadata>…</ResponseMetadata></OpResponse>`.
 * The Result wrapper is always written for operations that have output (botocore needs it);
 * `result === undefined` means the operation has none.
 */
export function encodeQueryResponse(op: string, namespace: string, result: Record<string, unknown> | undefined, requestId: string): string {
  const body = result === undefined ? "" : `<${op}Result>${xmlFields(result)}</${op}Result>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${op}Response xmlns="${namespace}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${op}Response>`
  );
}

export function encodeQueryError(err: ServiceError, namespace: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error>` +
    `<Type>${err.fault === "server" ? "Receiver" : "Sender"}</Type><Code>${esc(err.code)}</Code>` +
    `<Message>${esc(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
