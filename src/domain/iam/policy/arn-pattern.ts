/**
 * ARN globs, as used by Resource, NotResource and the Arn* condition operators. Each of the six
 * colon-separated parts of an ARN (arn, partition, service, region, account, resource) is
 * matched on its own, so a `*` in the region cannot swallow the account; in the resource part a
 * `*` spans anything, `/` and `:` included. A pattern with fewer parts (`arn:aws:codecommit:*`)
 * lets its last part cover the rest of the ARN. `"*"` alone matches everything, `*` requests
 * included. Case-sensitive.
 */

import { compilePattern, globMatch, type Part, type Pattern } from "./pattern.js";
import type { ContextLookup } from "./types.js";

export interface ArnPattern {
  readonly source: string;
  /** `"*"`: matches any resource */
  readonly anything: boolean;
  /** one pattern per colon-separated part, at most six */
  readonly segments: readonly Pattern[];
}

export function compileArnPattern(source: string, variables: boolean): ArnPattern {
  if (source === "*") return { source, anything: true, segments: [] };
  const whole = compilePattern(source, { variables, wildcards: true });
  const segments: Pattern[] = [];
  let current: Part[] = [];
  const finish = (): void => {
    segments.push(patternOf(current));
    current = [];
  };
  for (const part of whole.parts) {
    if (typeof part !== "string" || segments.length >= 5) {
      current.push(part);
      continue;
    }
    // split literal text at colons, but never past the fifth: the resource part keeps its own
    let rest = part;
    let colon = rest.indexOf(":");
    while (colon >= 0 && segments.length < 5) {
      if (colon > 0) current.push(rest.slice(0, colon));
      finish();
      rest = rest.slice(colon + 1);
      colon = rest.indexOf(":");
    }
    if (rest) current.push(rest);
  }
  finish();
  return { source, anything: false, segments };
}

function patternOf(parts: Part[]): Pattern {
  const hasVariables = parts.some((p) => typeof p === "object");
  const literal = parts.length === 0 ? "" : parts.length === 1 && typeof parts[0] === "string" ? parts[0] : undefined;
  return { source: "", parts, hasVariables, literal };
}

/** the colon offsets of the ARN being matched; reused, as matching never nests */
const colons = new Int32Array(5);

export function matchArn(p: ArnPattern, arn: string, ctx: ContextLookup): boolean {
  if (p.anything) return true;
  const n = p.segments.length;
  let found = 0;
  let at = -1;
  while (found < n - 1) {
    at = arn.indexOf(":", at + 1);
    if (at < 0) return false;
    colons[found++] = at;
  }
  let start = 0;
  for (let i = 0; i < n; i++) {
    const seg = p.segments[i]!;
    const end = i < n - 1 ? colons[i]! : arn.length;
    if (seg.literal !== undefined) {
      if (end - start !== seg.literal.length || !arn.startsWith(seg.literal, start)) return false;
    } else if (!globMatch(seg.parts, arn, start, end, ctx)) {
      return false;
    }
    start = end + 1;
  }
  return true;
}
