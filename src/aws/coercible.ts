/**
 * Objects decoded from a client's request (awsJson bodies, Query forms) may have members named
 * `toString` or `valueOf`, whose values (a string, false, an object) are no functions: String(),
 * a template literal or `+` on such an object throws a TypeError, which a handler checking or
 * echoing an input of the wrong type (a `nextToken` that is an object) turned into a 500. Such
 * an object gets a hidden Symbol.toPrimitive, which conversion asks first, so it converts as any
 * object does ("[object Object]"), and the handler refuses it as the value it is not.
 */

const objectTag = () => "[object Object]";

export function coercible<T extends object>(o: T): T {
  if (Object.hasOwn(o, "toString") || Object.hasOwn(o, "valueOf")) Object.defineProperty(o, Symbol.toPrimitive, { value: objectTag });
  return o;
}

/** Whether JSON text may hold a member named toString or valueOf (written plainly or with an escape). */
export function mayShadowConversion(text: string): boolean {
  return /toString|valueOf|\\u/.test(text);
}

/** JSON.parse's reviver that makes every object `coercible`. */
export function coercibleReviver(_key: string, value: unknown): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? coercible(value) : value;
}
