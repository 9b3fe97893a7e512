import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluate, parsePolicy, type PolicyKind } from "../../src/domain/iam/policy/index.js";
import { checkTopicPolicy } from "../../src/domain/sns/topic-policy.js";
import { fuzzParams, hostileText, readOrRefuse } from "../helpers/fuzz.js";

/**
 * The IAM policy reader takes text from clients (PutUserPolicy, CreatePolicy, CreateRole,
 * AssumeRole's Policy, SimulateCustomPolicy, SNS topic policies). Whatever the text, it gives a
 * policy or MalformedPolicyDocument, never another exception; and a policy it gives can be
 * evaluated against any request without throwing.
 */

const KINDS: PolicyKind[] = ["identity", "managed", "trust", "resource"];

const someJson = fc.jsonValue({ maxDepth: 3 });
const oneOrList = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, fc.array(a, { minLength: 1, maxLength: 3 }));

const action = fc.constantFrom("*", "codecommit:*", "codecommit:GitPush", "CodeCommit:Get*", "sns:Publish", "SNS:*", "sts:AssumeRole", "sts:TagSession", "iam:PassRole");
const trustAction = fc.constantFrom("sts:AssumeRole", "sts:TagSession", "sts:*");
const resource = fc.constantFrom(
  "*",
  "arn:aws:codecommit:us-east-1:000000000000:repo",
  "arn:aws:codecommit:*:*:repo-*",
  "arn:aws:sns:us-east-1:000000000000:t",
  "arn:aws:iam::000000000000:role/r",
  "arn:aws:codecommit:us-east-1:000000000000:${aws:username}",
);
const principal = fc.oneof(
  fc.constant("*"),
  fc.record({ AWS: oneOrList(fc.constantFrom("*", "000000000000", "arn:aws:iam::000000000000:root", "arn:aws:iam::000000000000:user/u")) }),
  fc.record({ Service: oneOrList(fc.constantFrom("codecommit.amazonaws.com", "sns.amazonaws.com")) }),
);
/** an operator with values of the kind it compares */
const conditionBlock = fc.oneof(
  fc.tuple(fc.constantFrom("StringEquals", "StringLike", "StringNotEqualsIgnoreCase", "ForAnyValue:StringLike", "StringEqualsIfExists"), fc.constantFrom("aws:username", "aws:PrincipalTag/team", "codecommit:References", "aws:TagKeys"), oneOrList(fc.constantFrom("alice", "refs/heads/*", "${aws:username}", "a*"))),
  fc.tuple(fc.constantFrom("ArnLike", "ArnNotEquals"), fc.constant("aws:SourceArn"), oneOrList(fc.constantFrom("arn:aws:sns:*:*:t", "arn:aws:codecommit:us-east-1:000000000000:repo"))),
  fc.tuple(fc.constantFrom("NumericLessThan", "NumericGreaterThanEquals"), fc.constant("s3:max-keys"), oneOrList(fc.constantFrom("5", "10", "-1.5"))),
  fc.tuple(fc.constantFrom("DateGreaterThan", "DateLessThan"), fc.constant("aws:CurrentTime"), fc.constantFrom("2026-01-01T00:00:00Z", "1700000000")),
  fc.tuple(fc.constant("Bool"), fc.constant("aws:SecureTransport"), fc.constantFrom("true", "false")),
  fc.tuple(fc.constantFrom("IpAddress", "NotIpAddress"), fc.constant("aws:SourceIp"), oneOrList(fc.constantFrom("10.0.0.0/8", "127.0.0.1/32", "::1/128"))),
  fc.tuple(fc.constant("Null"), fc.constantFrom("aws:username", "aws:TagKeys"), fc.constantFrom("true", "false")),
);
const condition = fc.array(conditionBlock, { minLength: 1, maxLength: 3 }).map((blocks) => {
  const c: Record<string, Record<string, unknown>> = {};
  for (const [op, key, values] of blocks) (c[op] ??= {})[key] = values;
  return c;
});

/** A statement with or without Principal and Resource: identity policies have no Principal, trust policies no Resource. */
const statement = (withPrincipal: boolean, withResource: boolean, actions: fc.Arbitrary<string>) =>
  fc
    .record({
      effect: fc.constantFrom("Allow", "Deny"),
      not: fc.boolean(),
      action: oneOrList(actions),
      resource: oneOrList(resource),
      principal: principal,
      condition: fc.option(condition),
      sid: fc.option(fc.constantFrom("s1", "AllowPush", "")),
    })
    .map((s) => {
      const st: Record<string, unknown> = { Effect: s.effect, [s.not ? "NotAction" : "Action"]: s.action };
      if (s.sid !== null) st.Sid = s.sid;
      if (withResource) st[s.not ? "NotResource" : "Resource"] = s.resource;
      if (withPrincipal) st.Principal = s.principal;
      if (s.condition !== null) st.Condition = s.condition;
      return st;
    });

/** Something put where a policy has a value: what a client's mistake or malice might send. */
const oddValue = fc.oneof(
  someJson,
  fc.string({ maxLength: 20 }),
  fc.constantFrom("", "*", ":", "a:b:c", "arn:aws", "arn:::::", "${", "${aws:username", "codecommit:", "Allow ", "2012-10-18", "NaN", "1e999"),
);
const KEYS = ["Version", "Id", "Statement", "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition", "Other"];

/** A change to a document: one of its elements (top level or in a statement) replaced or removed. */
const tweak = fc.record({ statement: fc.option(fc.nat()), key: fc.constantFrom(...KEYS), value: fc.option(oddValue) });

function applyTweak(doc: Record<string, unknown>, t: { statement: number | null; key: string; value: unknown }): void {
  const statements = Array.isArray(doc.Statement) ? (doc.Statement as unknown[]).filter((st) => st !== null && typeof st === "object" && !Array.isArray(st)) : [];
  const target = t.statement === null || statements.length === 0 ? doc : (statements[t.statement % statements.length] as Record<string, unknown>);
  if (t.value === null) delete target[t.key];
  else target[t.key] = t.value;
}

/**
 * Documents shaped like policies of a kind: mostly valid ones, some with the Principal or
 * Resource rules of another kind, some an element or two away from valid.
 */
const policyDocument = (kind: PolicyKind) =>
  fc
    .record({ withPrincipal: fc.boolean(), withResource: fc.boolean(), asKind: fc.boolean() })
    .chain(({ withPrincipal, withResource, asKind }) => {
      const principals = asKind ? kind === "resource" || kind === "trust" : withPrincipal;
      const resources = asKind ? kind !== "trust" : withResource;
      return fc.record({
        version: fc.constantFrom("2012-10-17", "2012-10-17", "2008-10-17", undefined),
        statements: fc.array(statement(principals, resources, kind === "trust" ? trustAction : action), { minLength: 1, maxLength: 4 }),
        single: fc.boolean(),
        tweaks: fc.oneof(fc.constant([]), fc.array(tweak, { minLength: 1, maxLength: 2 })),
      });
    })
    .map(({ version, statements, single, tweaks }) => {
      // the generated values are fast-check's to shrink: change a copy
      const doc: Record<string, unknown> = { Statement: single ? structuredClone(statements[0]) : structuredClone(statements) };
      if (version !== undefined) doc.Version = version;
      for (const t of tweaks) applyTweak(doc, t);
      return JSON.stringify(doc);
    });

const conditionKey = fc.constantFrom("aws:username", "aws:SourceArn", "aws:SourceIp", "aws:CurrentTime", "aws:SecureTransport", "aws:TagKeys", "codecommit:References", "aws:PrincipalTag/team", "s3:max-keys");
const request = fc.record({
  action: fc.oneof(action, fc.string({ maxLength: 20 })),
  resource: fc.oneof(resource, fc.string({ maxLength: 30 })),
  context: fc.dictionary(conditionKey, fc.oneof(fc.string({ maxLength: 12 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })), { maxKeys: 4 }),
  principal: fc.record({ arn: fc.constantFrom("arn:aws:iam::000000000000:user/u", "arn:aws:sts::000000000000:assumed-role/r/s"), accountId: fc.constant("000000000000") }),
});

describe("the IAM policy reader, on any text", () => {
  it.each(KINDS)("a %s policy: parsed, or refused with MalformedPolicyDocument; a parsed one evaluates any request", (kind) => {
    fc.assert(
      fc.property(hostileText(policyDocument(kind)), fc.array(request, { maxLength: 3 }), (text, requests) => {
        const read = readOrRefuse(() => parsePolicy(text, { kind }));
        if ("refused" in read) {
          expect(read.refused.code).toBe("MalformedPolicyDocument");
          return;
        }
        for (const r of requests) {
          const policies = kind === "resource" || kind === "trust" ? { identity: [], resource: [{ name: "p", policy: read.value }] } : { identity: [{ name: "p", policy: read.value }] };
          expect(["Allow", "ExplicitDeny", "ImplicitDeny"]).toContain(evaluate(policies, r).decision);
        }
      }),
      fuzzParams,
    );
  });

  it("an SNS topic policy: taken, or refused with InvalidParameter", () => {
    fc.assert(
      fc.property(hostileText(policyDocument("resource")), (text) => {
        const read = readOrRefuse(() => checkTopicPolicy(text));
        if ("refused" in read) {
          expect(read.refused.code).toBe("InvalidParameter");
          expect(read.refused.message).toMatch(/^Invalid parameter: Policy/);
        }
      }),
      fuzzParams,
    );
  });
});
