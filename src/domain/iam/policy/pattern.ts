/**
 * Policy strings compiled once into parts: literal text, the `*` and `?` wildcards, and policy
 * variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`). Matching walks the parts
 * directly, so a request costs no RegExp compilation and, for strings without variables, no
 * allocation at all.
 *
 * Variables exist only in policies of Version 2012-10-17; in older ones `${…}` is plain text.
 * A variable's value is always literal text: a `*` inside a user's tag value is not a wildcard.
 * `${*}`, `${?}` and `${$}` are the literal characters.
 */

import type { ContextLookup } from "./types.js";

export const STAR = 1;
export const ONE = 2;

export interface VariablePart {
  /** context key, lower-cased (keys are case-insensitive) */
  readonly key: string;
  /** `${key, 'default'}` */
  readonly fallback: string | undefined;
}

/** a literal run of text, `*`, `?`, or a variable */
export type Part = string | typeof STAR | typeof ONE | VariablePart;

export interface Pattern {
  /** as written in the policy, for explanations */
  readonly source: string;
  readonly parts: readonly Part[];
  readonly hasVariables: boolean;
  /** the whole pattern when it is one literal run (the common case), for a plain comparison */
  readonly literal: string | undefined;
}

export interface PatternOptions {
  /** recognise `${…}` (Version 2012-10-17) */
  variables: boolean;
  /** treat `*` and `?` as wildcards (String/Arn like-operators, Action, Resource) */
  wildcards: boolean;
  /** lower-case the literal text (case-insensitive matching) */
  lowerCase?: boolean;
}

const VARIABLE = /^\s*([^\s,'}]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$/;

export function compilePattern(source: string, opts: PatternOptions): Pattern {
  const parts: Part[] = [];
  let text = "";
  let hasVariables = false;
  const flush = (): void => {
    if (text) parts.push(opts.lowerCase ? text.toLowerCase() : text);
    text = "";
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (opts.wildcards && (c === "*" || c === "?")) {
      flush();
      // consecutive stars mean the same as one
      if (c === "*" && parts[parts.length - 1] === STAR) continue;
      parts.push(c === "*" ? STAR : ONE);
      continue;
    }
    if (opts.variables && c === "$" && source[i + 1] === "{") {
      const close = findClose(source, i + 2);
      if (close > 0) {
        const inner = source.slice(i + 2, close);
        if (inner === "*" || inner === "?" || inner === "$") {
          text += inner;
          i = close;
          continue;
        }
        const m = VARIABLE.exec(inner);
        if (m) {
          flush();
          const fallback = m[2] === undefined ? undefined : m[2].replace(/''/g, "'");
          const fallbackText = fallback !== undefined && opts.lowerCase ? fallback.toLowerCase() : fallback;
          parts.push({ key: m[1]!.toLowerCase(), fallback: fallbackText });
          hasVariables = true;
          i = close;
          continue;
        }
      }
    }
    text += c;
  }
  flush();
  const literal = parts.length === 0 ? "" : parts.length === 1 && typeof parts[0] === "string" ? parts[0] : undefined;
  return { source, parts, hasVariables, literal };
}

/** the `}` closing a variable that opens at `from`, skipping quoted defaults; -1 if none */
function findClose(s: string, from: number): number {
  let quoted = false;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === "'") quoted = !quoted;
    else if (c === "}" && !quoted) return i;
  }
  return -1;
}

/**
 * The value of a variable: single-valued context keys only, then the default. `undefined` when
 * neither exists; the caller then treats the whole pattern as matching nothing.
 */
function variableValue(v: VariablePart, ctx: ContextLookup, lowerCase: boolean): string | undefined {
  const raw = ctx.lookup(v.key);
  let value: string | undefined;
  if (typeof raw === "string") value = raw;
  else if (raw !== undefined && raw.length === 1) value = raw[0];
  if (value === undefined) return v.fallback;
  return lowerCase ? value.toLowerCase() : value;
}

/** the exact text of a wildcard-free pattern, variables resolved; `undefined` when one has no value */
export function resolveText(p: Pattern, ctx: ContextLookup, lowerCase = false): string | undefined {
  if (p.literal !== undefined) return p.literal;
  let out = "";
  for (const part of p.parts) {
    if (typeof part === "string") out += part;
    else if (typeof part === "object") {
      const value = variableValue(part, ctx, lowerCase);
      if (value === undefined) return undefined;
      out += value;
    } else {
      out += part === STAR ? "*" : "?";
    }
  }
  return out;
}

/**
 * Glob match of `text[start, end)` against parts: `*` any run of characters, `?` exactly one,
 * a variable its value as literal text (no value: no match). The classic single-backtrack
 * algorithm, exact for globs because only the most recent `*` ever needs to give characters
 * back. Allocates nothing.
 */
export function globMatch(parts: readonly Part[], text: string, start = 0, end = text.length, ctx?: ContextLookup): boolean {
  let p = 0;
  let t = start;
  let starP = -1;
  let starT = -1;
  for (;;) {
    if (p < parts.length) {
      let part = parts[p]!;
      if (part === STAR) {
        starP = p++;
        starT = t;
        if (p === parts.length) return true; // a trailing star takes the rest
        continue;
      }
      if (typeof part === "object") {
        const value = ctx === undefined ? undefined : variableValue(part, ctx, false);
        if (value === undefined) return false;
        part = value;
      }
      if (part === ONE) {
        if (t < end) {
          p++;
          t++;
          continue;
        }
      } else if (t + (part as string).length <= end && text.startsWith(part as string, t)) {
        p++;
        t += (part as string).length;
        continue;
      }
    } else if (t === end) {
      return true;
    }
    if (starP < 0 || starT >= end) return false;
    p = starP + 1;
    t = ++starT;
  }
}
