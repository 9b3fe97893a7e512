import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { filterMatches, parseFilterPolicy, type FilterScope, type MessageAttribute } from "../../src/domain/sns/filter-policy.js";
import { fuzzParams, hostileText, readOrRefuse } from "../helpers/fuzz.js";

/**
 * SNS filter policies come from clients (Subscribe, SetSubscriptionAttributes) and are matched
 * against every message published after. Whatever the text, the reader gives a policy or
 * InvalidParameter; a policy it gives matches any message and any attributes without throwing,
 * and so does one read back from storage (which skips the size and complexity limits).
 */

const SCOPES: FilterScope[] = ["MessageAttributes", "MessageBody"];

const key = fc.constantFrom("event", "repo", "size", "tags", "a", "b");
const text = fc.oneof(fc.constantFrom("push", "main", "refs/heads/main", "", "10.0.0.1"), fc.string({ maxLength: 8 }));
const number = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
/** the condition forms SNS knows, with values of the right kinds */
const validCondition = fc.oneof(
  text,
  number,
  fc.record({ prefix: text }),
  fc.record({ suffix: text }),
  fc.record({ "equals-ignore-case": text }),
  fc.record({ "anything-but": fc.oneof(text, number, fc.array(text, { minLength: 1, maxLength: 3 }), fc.record({ prefix: text })) }),
  fc.tuple(fc.constantFrom("=", "<", "<=", ">", ">="), number, fc.option(fc.tuple(fc.constantFrom("<", "<="), number))).map(([op, n, more]) => ({ numeric: more ? [op, n, ...more] : [op, n] })),
  fc.record({ exists: fc.boolean() }),
  fc.constant(null),
);
/** what a client's mistake or malice might put there instead */
const oddCondition = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.dictionary(fc.constantFrom("prefix", "suffix", "numeric", "anything-but", "exists", "cidr", "wildcard", "bogus"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
  fc.record({ numeric: fc.array(fc.oneof(fc.constantFrom("=", "<", "!", "=="), number, fc.constant("5")), { maxLength: 5 }) }),
  fc.record({ cidr: fc.constantFrom("10.0.0.0/8", "10.0.0.0/33", "x", "") }),
);
const condition = fc.oneof({ weight: 20, arbitrary: validCondition }, { weight: 1, arbitrary: oddCondition });

/** Policies of keys, nested keys (for MessageBody) and `$or`s, a few levels deep. */
const { policy } = fc.letrec<{ policy: Record<string, unknown>; member: unknown }>((tie) => ({
  policy: fc
    .record({ keys: fc.dictionary(key, tie("member"), { minKeys: 1, maxKeys: 4 }), or: fc.option(fc.array(tie("policy"), { minLength: 2, maxLength: 3 }), { freq: 4 }) })
    .map(({ keys, or }) => (or ? { ...keys, $or: or } : keys)),
  member: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 12, arbitrary: fc.array(condition, { minLength: 1, maxLength: 4 }) },
    { weight: 3, arbitrary: tie("policy") },
    { weight: 1, arbitrary: fc.oneof(condition, fc.constant([])) },
  ),
}));
const policyText = policy.map((p) => JSON.stringify(p));

const attribute: fc.Arbitrary<MessageAttribute> = fc.oneof(
  fc.record({ Type: fc.constant("String"), Value: fc.string({ maxLength: 10 }) }),
  fc.record({ Type: fc.constant("Number"), Value: fc.oneof(fc.integer().map(String), fc.constantFrom("1e999", "-0", "x")) }),
  fc.record({ Type: fc.constantFrom("String.Array", "String.Array.custom"), Value: fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ maxLength: 10 })) }),
  fc.record({ Type: fc.constant("Binary"), Value: fc.base64String({ maxLength: 12 }) }),
);
const attributes = fc.dictionary(key, attribute, { maxKeys: 4 });
/** Message bodies with the policies' keys and values (so that some match), and any text. */
const { body } = fc.letrec<{ body: Record<string, unknown>; field: unknown }>((tie) => ({
  body: fc.dictionary(key, tie("field"), { maxKeys: 5 }),
  field: fc.oneof({ depthSize: "small" }, text, number, fc.boolean(), fc.constant(null), fc.array(fc.oneof(text, number, tie("body")), { maxLength: 3 }), tie("body")),
}));
const message = hostileText(body.map((b) => JSON.stringify(b)));

describe("the SNS filter policy reader, on any text", () => {
  it.each(SCOPES)("scope %s: a policy, or InvalidParameter; a policy matches any message without throwing", (scope) => {
    fc.assert(
      fc.property(hostileText(policyText), fc.array(fc.tuple(attributes, message), { maxLength: 3 }), (text, messages) => {
        for (const stored of [false, true]) {
          const read = readOrRefuse(() => parseFilterPolicy(text, scope, { stored }));
          if ("refused" in read) {
            expect(read.refused.code).toBe("InvalidParameter");
            continue;
          }
          for (const [attrs, body] of messages) expect(typeof filterMatches(read.value, attrs, body)).toBe("boolean");
        }
      }),
      fuzzParams,
    );
  });
});
