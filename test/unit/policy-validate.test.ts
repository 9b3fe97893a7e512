import { describe, expect, it } from "vitest";
import { ServiceError } from "../../src/errors.js";
import { AWS_MANAGED_POLICIES, parsePolicy, type PolicyKind } from "../../src/domain/iam/policy/index.js";
import { reasonFor } from "../helpers/policy.js";

const ok = { Effect: "Allow", Action: "s3:GetObject", Resource: "*" };
const doc = (...statements: unknown[]): unknown => ({ Version: "2012-10-17", Statement: statements });

interface Case {
  name: string;
  doc: unknown;
  kind?: PolicyKind;
  /** the whole reason, or a RegExp for the detailed ones */
  reason: string | RegExp;
}

const cases: Case[] = [
  { name: "not JSON", doc: '{"Version": "2012-10-17", "Statement": [', reason: /^This policy contains invalid Json: unexpected end of the document at line 1, column 41\.$/ },
  { name: "trailing comma", doc: '{"Statement": [{"Effect": "Allow",}]}', reason: /^This policy contains invalid Json: expected a quoted key/ },
  { name: "a key given twice", doc: '{"Statement": {"Effect": "Allow", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}}', reason: /^This policy contains invalid Json: duplicate key "Effect" at line 1, column 35\.$/ },
  { name: "not an object", doc: "[]", reason: "Syntax errors in policy. The policy document must be a JSON object." },
  { name: "unknown top-level element", doc: { Version: "2012-10-17", Statment: [ok] }, reason: /^Syntax errors in policy\. Unknown element Statment/ },
  { name: "no Statement", doc: { Version: "2012-10-17" }, reason: "Syntax errors in policy. Policy document is missing required element: Statement." },
  { name: "empty Statement list", doc: doc(), reason: "Syntax errors in policy. Statement must not be an empty list." },
  { name: "unsupported Version", doc: { Version: "2012-10-18", Statement: ok }, reason: /^Syntax errors in policy\. Unsupported version: "2012-10-18"/ },
  { name: "Version as a number", doc: { Version: 2012, Statement: ok }, reason: /Unsupported version: 2012\./ },
  { name: "managed policy without Version", doc: { Statement: ok }, kind: "managed", reason: "Policy document must be version 2012-10-17 or greater." },
  { name: "managed policy with 2008-10-17", doc: { Version: "2008-10-17", Statement: ok }, kind: "managed", reason: "Policy document must be version 2012-10-17 or greater." },
  { name: "statement not an object", doc: doc("s3:*"), reason: "Syntax errors in policy. Statement 1 must be a JSON object." },
  { name: "unknown statement element", doc: doc({ ...ok, Actions: "s3:*" }), reason: /^Syntax errors in policy\. Statement 1 has the unknown element Actions\./ },
  { name: "lower-case element names are unknown", doc: doc({ effect: "Allow", Action: "s3:*", Resource: "*" }), reason: /unknown element effect/ },
  { name: "missing Effect", doc: doc({ Action: "s3:*", Resource: "*" }), reason: "Syntax errors in policy. Statement 1 is missing required element: Effect." },
  { name: "Effect in the wrong case", doc: doc({ ...ok, Effect: "allow" }), reason: /^Syntax errors in policy\. Invalid Effect: "allow" in Statement 1\. Effect must be "Allow" or "Deny"/ },
  { name: "Action and NotAction", doc: doc({ ...ok, NotAction: "s3:PutObject" }), reason: "Syntax errors in policy. Statement 1 has both Action and NotAction; use one or the other." },
  { name: "Resource and NotResource", doc: doc({ ...ok, NotResource: "*" }), reason: /has both Resource and NotResource/ },
  { name: "Action not a string", doc: doc({ ...ok, Action: 42 }), reason: "Syntax errors in policy. Statement 1: Action must be a string or a list of strings." },
  { name: "Resource list with a number", doc: doc({ ...ok, Resource: ["*", 1] }), reason: /Resource must be a string or a list of strings/ },
  { name: "Condition not an object", doc: doc({ ...ok, Condition: [] }), reason: /Condition must be an object of operators/ },
  { name: "missing Action", doc: doc({ Effect: "Allow", Resource: "*" }), reason: "Policy statement must contain actions." },
  { name: "empty Action list", doc: doc({ ...ok, Action: [] }), reason: "Policy statement must contain actions." },
  { name: "missing Resource", doc: doc({ Effect: "Allow", Action: "s3:*" }), reason: "Policy statement must contain resources." },
  { name: "empty Resource list", doc: doc({ ...ok, Resource: [] }), reason: "Policy statement must contain resources." },
  { name: "Principal in an identity policy", doc: doc({ ...ok, Principal: "*" }), reason: "Policy document should not specify a principal." },
  { name: "NotPrincipal in a managed policy", doc: doc({ ...ok, NotPrincipal: { AWS: "123456789012" } }), kind: "managed", reason: "Policy document should not specify a principal." },
  { name: "action without a vendor", doc: doc({ ...ok, Action: "GetObject" }), reason: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc." },
  { name: "action with two colons", doc: doc({ ...ok, Action: "s3:Get:Object" }), reason: "Actions/Condition can contain only one colon." },
  { name: "wildcard in the vendor", doc: doc({ ...ok, Action: "s*:GetObject" }), reason: "Vendor s* is not valid" },
  { name: "resource not an ARN", doc: doc({ ...ok, Resource: "MyDemoRepo" }), reason: 'Resource MyDemoRepo must be in ARN format or "*".' },
  { name: "empty resource", doc: doc({ ...ok, Resource: "" }), reason: 'Resource  must be in ARN format or "*".' },
  { name: "unknown partition", doc: doc({ ...ok, Resource: "arn:aws-mars:s3:::b" }), reason: 'Partition "aws-mars" is not valid for resource "arn:aws-mars:s3:::b".' },
  { name: "wildcard service in a resource", doc: doc({ ...ok, Resource: "arn:aws:*:us-east-1:123456789012:x" }), reason: "Resource vendor must be fully qualified and cannot contain regexes." },
  { name: "IAM resource with a region", doc: doc({ ...ok, Resource: "arn:aws:iam:us-east-1:123456789012:user/a" }), reason: "IAM resource arn:aws:iam:us-east-1:123456789012:user/a cannot contain region information." },
  { name: "Sid with punctuation", doc: doc({ ...ok, Sid: "allow-read" }), reason: "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*" },
  { name: "Sid repeated", doc: doc({ ...ok, Sid: "A" }, { ...ok, Sid: "A" }), reason: "Statement IDs (SID) in a single policy must be unique." },
  { name: "unknown condition operator", doc: doc({ ...ok, Condition: { StringEqual: { "aws:username": "a" } } }), reason: /^Syntax errors in policy\. Unknown condition operator StringEqual\./ },
  { name: "operators are case-sensitive", doc: doc({ ...ok, Condition: { stringequals: { "aws:username": "a" } } }), reason: /Unknown condition operator stringequals/ },
  { name: "IfExists on Null", doc: doc({ ...ok, Condition: { NullIfExists: { "aws:username": "true" } } }), reason: /Unknown condition operator NullIfExists/ },
  { name: "unknown set qualifier", doc: doc({ ...ok, Condition: { "ForSomeValues:StringEquals": { "aws:TagKeys": "a" } } }), reason: /Unknown condition operator ForSomeValues:StringEquals/ },
  { name: "condition key without a vendor", doc: doc({ ...ok, Condition: { StringEquals: { username: "a" } } }), reason: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc." },
  { name: "condition operator not an object", doc: doc({ ...ok, Condition: { StringEquals: "a" } }), reason: /Condition StringEquals must be an object of context keys and values/ },
  { name: "condition value an object", doc: doc({ ...ok, Condition: { StringEquals: { "aws:username": { a: 1 } } } }), reason: /values must be strings, numbers or booleans/ },
  { name: "condition value null", doc: doc({ ...ok, Condition: { StringEquals: { "aws:username": null } } }), reason: /values must be strings, numbers or booleans/ },
  { name: "empty condition value list", doc: doc({ ...ok, Condition: { StringEquals: { "aws:username": [] } } }), reason: /has an empty list of values/ },
  { name: "Null with another value", doc: doc({ ...ok, Condition: { Null: { "aws:TokenIssueTime": "yes" } } }), reason: /The Null operator takes "true" or "false"/ },
  { name: "a number that is not one", doc: doc({ ...ok, Condition: { NumericLessThan: { "s3:max-keys": "ten" } } }), reason: /NumericLessThan compares numbers; "ten"/ },
  { name: "a date that is not one", doc: doc({ ...ok, Condition: { DateLessThan: { "aws:CurrentTime": "2020-13-01T00:00:00Z" } } }), reason: /DateLessThan compares dates/ },
  { name: "an IP range that is not one", doc: doc({ ...ok, Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/33" } } }), reason: /IpAddress takes IP addresses or CIDR blocks/ },
  { name: "trust policy without Principal", doc: doc({ Effect: "Allow", Action: "sts:AssumeRole" }), kind: "trust", reason: "Missing required field Principal" },
  { name: "trust policy with Resource", doc: doc({ Effect: "Allow", Principal: { AWS: "123456789012" }, Action: "sts:AssumeRole", Resource: "*" }), kind: "trust", reason: "Has prohibited field Resource" },
  { name: "trust policy with another action", doc: doc({ Effect: "Allow", Principal: { Service: "codebuild.amazonaws.com" }, Action: "s3:GetObject" }), kind: "trust", reason: "AssumeRole policy may only specify STS AssumeRole actions." },
  { name: "trust policy with a bad principal", doc: doc({ Effect: "Allow", Principal: { AWS: "alice" }, Action: "sts:AssumeRole" }), kind: "trust", reason: 'Invalid principal in policy: "AWS":"alice"' },
  { name: "trust policy with an unknown principal type", doc: doc({ Effect: "Allow", Principal: { User: "alice" }, Action: "sts:AssumeRole" }), kind: "trust", reason: 'Invalid principal in policy: "User"' },
  { name: "resource policy without Principal", doc: doc(ok), kind: "resource", reason: "Missing required field Principal" },
];

describe("MalformedPolicyDocument reasons", () => {
  for (const c of cases) {
    it(c.name, () => {
      const reason = reasonFor(c.doc, c.kind);
      if (typeof c.reason === "string") expect(reason).toBe(c.reason);
      else expect(reason).toMatch(c.reason);
    });
  }

  it("is a ServiceError with code MalformedPolicyDocument and status 400", () => {
    try {
      parsePolicy("{");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ServiceError);
      expect((e as ServiceError).code).toBe("MalformedPolicyDocument");
      expect((e as ServiceError).status).toBe(400);
    }
  });
});

describe("documents that are valid", () => {
  const valid: [string, unknown, PolicyKind?][] = [
    ["a single statement object", { Version: "2012-10-17", Statement: ok }],
    ["no Version (inline policies)", { Statement: [ok] }],
    ["Version 2008-10-17", { Version: "2008-10-17", Statement: [ok] }],
    ["an Id", { Version: "2012-10-17", Id: "my-policy", Statement: [ok] }],
    ["NotAction and NotResource", doc({ Effect: "Deny", NotAction: ["iam:*", "sts:*"], NotResource: "arn:aws:s3:::b/*" })],
    ["Action *", doc({ Effect: "Allow", Action: "*", Resource: "*" })],
    ["every operator family", doc({
      ...ok,
      Condition: {
        StringEquals: { "aws:username": "a" },
        StringNotEqualsIgnoreCase: { "aws:username": ["B", "C"] },
        "ForAnyValue:StringLike": { "aws:TagKeys": "team*" },
        "ForAllValues:StringNotLikeIfExists": { "aws:TagKeys": "aws:*" },
        NumericLessThanEquals: { "s3:max-keys": 10 },
        NumericGreaterThan: { "s3:max-keys": "1.5" },
        DateGreaterThanEquals: { "aws:CurrentTime": ["2024", "2024-05", "2024-05-01", "2024-05-01T12:00Z", "2024-05-01T12:00:00.123+02:00", "1714564800"] },
        Bool: { "aws:SecureTransport": true },
        BinaryEquals: { "s3:x": "QmluYXJ5VmFsdWVJbkJhc2U2NA==" },
        IpAddress: { "aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64", "::1"] },
        NotIpAddressIfExists: { "aws:SourceIp": "10.0.0.0/8" },
        ArnLike: { "aws:SourceArn": "arn:aws:sns:*:*:topic" },
        ArnNotEquals: { "aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:x" },
        Null: { "aws:TokenIssueTime": ["true", false] },
      },
    })],
    ["tag keys with colons in condition keys", doc({ ...ok, Condition: { StringEquals: { "aws:ResourceTag/aws:cloudformation:stack-name": "s" } } })],
    ["a short ARN with a wildcard", doc({ ...ok, Resource: "arn:aws:codecommit:*" })],
    ["a trust policy", doc({ Effect: "Allow", Principal: { AWS: ["123456789012", "arn:aws:iam::123456789012:user/alice"], Service: "codebuild.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }), "trust"],
    ["a resource policy with Principal *", doc({ Sid: "any-one", Effect: "Allow", Principal: "*", Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:123456789012:t" }), "resource"],
  ];
  for (const [name, d, kind] of valid) {
    it(name, () => expect(reasonFor(d, kind)).toBe(""));
  }

  it("every built-in AWS managed policy parses as a managed policy", () => {
    for (const p of AWS_MANAGED_POLICIES) expect(reasonFor(p.document, "managed")).toBe("");
  });
});

describe("the normalised form", () => {
  it("records Version, whether it was given, and Id", () => {
    expect(parsePolicy(JSON.stringify({ Statement: ok }))).toMatchObject({ version: "2008-10-17", versionGiven: false, kind: "identity" });
    expect(parsePolicy(JSON.stringify({ Version: "2012-10-17", Id: "x", Statement: ok }))).toMatchObject({ version: "2012-10-17", versionGiven: true, id: "x" });
  });

  it("records where each statement is, as SimulatePrincipalPolicy reports it", () => {
    const text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},\n    {\n      "Effect": "Deny",\n      "Action": "s3:DeleteBucket",\n      "Resource": "*"\n    }\n  ]\n}';
    const p = parsePolicy(text);
    expect(p.statements[0]!.span).toEqual({ start: { line: 4, column: 5 }, end: { line: 4, column: 59 } });
    expect(p.statements[1]!.span).toEqual({ start: { line: 5, column: 5 }, end: { line: 9, column: 6 } });
  });

  it("indexes statements by service, keeping wildcard and NotAction statements everywhere", () => {
    const p = parsePolicy(
      JSON.stringify(
        doc(
          { Effect: "Allow", Action: ["codecommit:Get*", "s3:GetObject"], Resource: "*" },
          { Effect: "Allow", Action: "iam:ListUsers", Resource: "*" },
          { Effect: "Deny", NotAction: "iam:*", Resource: "*" },
          { Effect: "Allow", Action: "*", Resource: "*" },
        ),
      ),
    );
    expect(p.byService.get("codecommit")!.map((s) => s.index)).toEqual([0, 2, 3]);
    expect(p.byService.get("iam")!.map((s) => s.index)).toEqual([1, 2, 3]);
    expect(p.otherServices.map((s) => s.index)).toEqual([2, 3]);
  });

  it("accepts a byte-order mark and any whitespace", () => {
    expect(parsePolicy('\ufeff \n\t{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}\r\n').statements).toHaveLength(1);
  });

  it("treats __proto__ as an ordinary key (and so as an unknown element)", () => {
    expect(reasonFor('{"__proto__": {"Statement": []}, "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}')).toMatch(/Unknown element __proto__/);
  });
});
