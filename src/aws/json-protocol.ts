import { ServiceError } from "../errors.js";
import { coercibleReviver, mayShadowConversion } from "./coercible.js";

/**
 * awsJson 1.0 / 1.1: a JSON object in, a JSON object out. Timestamps leave as epoch seconds,
 * blobs as base64; errors carry `__type` (what botocore reads) and never a `code` member (which
 * the JS SDK would prefer over `__type`).
 */

/**
 * Objects and lists inside one another in a request body, at most. CodeCommit's model nests
 * four at the deepest (TestRepositoryTriggers). JSON.parse copes with any depth, but much of
 * what reads a value afterwards (String() of a list, JSON.stringify) recurses, and would
 * overflow the stack on a client's thousands.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether JSON text nests deeper than `max`, read without parsing (strings skipped). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // a backslash: the next character is escaped
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

export function decodeJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  const text = body.toString("utf8");
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new ServiceError("SerializationException", `The request body nests objects and lists more than ${MAX_JSON_DEPTH} deep.`);
  }
  let value: unknown;
  try {
    value = mayShadowConversion(text) ? JSON.parse(text, coercibleReviver) : JSON.parse(text);
  } catch {
    throw new ServiceError("SerializationException", "The request body is not valid JSON.");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ServiceError("SerializationException", "The request body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

function toWire(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (Array.isArray(value)) return value.map((v) => toWire(v) ?? null);
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const w = toWire(v);
      if (w !== undefined) out[k] = w;
    }
    return out;
  }
  return value;
}

export function encodeJsonOutput(output: unknown): string {
  return JSON.stringify(toWire(output ?? {}) ?? {});
}

export function encodeJsonError(err: ServiceError): string {
  return JSON.stringify({ __type: err.code, message: err.message });
}

export function jsonContentType(version: "1.0" | "1.1"): string {
  return `application/x-amz-json-${version}`;
}
