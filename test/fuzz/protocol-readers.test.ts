import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeJsonBody, encodeJsonOutput } from "../../src/aws/json-protocol.js";
import { decodeQuery, encodeQueryResponse } from "../../src/aws/query-protocol.js";
import { fuzzParams, hostileText, readOrRefuse } from "../helpers/fuzz.js";

/**
 * The protocol readers see every request before it is authenticated: awsJson bodies
 * (CodeCommit) and Query forms (IAM, STS, SNS). Whatever the bytes, a reader gives a plain
 * object or the modeled error (SerializationException, MissingAction); what it gives can be
 * written out again (handlers echo input into answers and logs) without throwing, every value
 * in it converts to a string (handlers check and echo inputs of the wrong type with String()
 * and template literals: a member named toString or valueOf must not make that throw), and no
 * parameter name reaches Object.prototype.
 */

/** String() and a template literal of every value in a decoded input, however deep. */
function convertEvery(value: unknown): void {
  expect(typeof String(value)).toBe("string");
  expect(typeof `${value as string}`).toBe("string");
  if (typeof value === "object" && value !== null) for (const v of Object.values(value)) convertEvery(v);
}

describe("the awsJson body reader, on any bytes", () => {
  /** members named as Object.prototype's, written plainly or with escapes */
  const shadowing = fc
    .tuple(fc.constantFrom('"toString"', '"valueOf"', '"to\\u0053tring"', '"\\u0076alueOf"', '"__proto__"'), fc.constantFrom("false", "1", '"x"', "{}", "null", "[]"), fc.constantFrom("a", "b"))
    .map(([key, v, outer]) => `{"${outer}":{${key}:${v}},"list":[{${key}:${v}}],${key}:${v}}`);
  const bodies = fc.oneof(
    { weight: 4, arbitrary: hostileText(fc.json({ maxDepth: 5 })).map((t) => Buffer.from(t, "utf8")) },
    { weight: 1, arbitrary: hostileText(shadowing).map((t) => Buffer.from(t, "utf8")) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  );

  it("a plain object, or SerializationException; what it gives can be written out", () => {
    fc.assert(
      fc.property(bodies, (body) => {
        const read = readOrRefuse(() => decodeJsonBody(body));
        if ("refused" in read) {
          expect(read.refused.code).toBe("SerializationException");
          return;
        }
        expect(typeof read.value === "object" && read.value !== null && !Array.isArray(read.value)).toBe(true);
        expect(typeof encodeJsonOutput(read.value)).toBe("string");
        convertEvery(read.value);
      }),
      fuzzParams,
    );
  });
});

describe("the Query form reader, on any parameters", () => {
  /** the parts Query names are made of, and the names a hostile client would try */
  const part = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("member", "entry", "1", "2", "10", "0", "key", "value", "Name", "Value", "Key", "Tags", "Attributes", "Marker") },
    { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty", "", "-1", "1e3", "99999999999999999999") },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  );
  const name = fc.oneof(
    { weight: 6, arbitrary: fc.array(part, { minLength: 1, maxLength: 10 }).map((parts) => parts.join(".")) },
    // far more parts than any member has
    { weight: 1, arbitrary: fc.tuple(fc.array(part, { minLength: 1, maxLength: 3 }), fc.integer({ min: 30, max: 20_000 })).map(([parts, n]) => Array.from({ length: n }, (_, i) => parts[i % parts.length]).join(".")) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  );
  const form = fc
    .record({
      action: fc.option(fc.constantFrom("ListUsers", "CreateTopic", "", "X"), { freq: 5 }),
      params: fc.array(fc.tuple(name, fc.oneof(fc.constantFrom("", "1", "x"), fc.string({ maxLength: 10 }))), { maxLength: 12 }),
    })
    .map(({ action, params }) => {
      const form = new URLSearchParams(params);
      if (action !== null) form.append("Action", action);
      return form;
    });

  it("a plain object, or MissingAction; no name reaches Object.prototype; what it gives can be written out", () => {
    fc.assert(
      fc.property(form, (params) => {
        const read = readOrRefuse(() => decodeQuery(params));
        expect(Object.keys(Object.prototype)).toEqual([]);
        if ("refused" in read) {
          expect(read.refused.code).toBe("MissingAction");
          return;
        }
        expect(Object.getPrototypeOf(read.value.input)).toBe(Object.prototype);
        expect(typeof JSON.stringify(read.value.input)).toBe("string");
        expect(typeof encodeQueryResponse(read.value.action, "https://example.com/doc/", read.value.input, "request-id")).toBe("string");
        convertEvery(read.value.input);
      }),
      fuzzParams,
    );
  });
});
