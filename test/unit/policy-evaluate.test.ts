import { describe, expect, it } from "vitest";
import { dependsOnContext, parsePolicy, type Decision } from "../../src/domain/iam/policy/index.js";
import { ACCOUNT, alice, decide, session, type Ask } from "../helpers/policy.js";

/**
 * AWS's documented evaluation examples and edge cases, as a table. Each row: the identity
 * policies, the request, and what AWS decides. The documents follow the IAM User Guide
 * (Policy evaluation logic, Action/NotAction/Resource/NotResource, Condition operators,
 * Multivalued context keys, Policy variables, Example identity-based policies) and the
 * CodeCommit User Guide (branch protection).
 */

interface Row {
  name: string;
  policies: unknown[];
  ask: Ask;
  expect: Decision;
}

const REPO = `arn:aws:codecommit:us-east-1:${ACCOUNT}:MyDemoRepo`;
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";

function table(title: string, rows: Row[]): void {
  describe(title, () => {
    for (const row of rows) {
      it(row.name, () => {
        expect(decide(row.policies, row.ask).decision).toBe(row.expect);
      });
    }
  });
}

// Policy evaluation logic: an identity policy with a Deny for log buckets (after the guide's
// "Carlos" example: own bucket allowed, anything with "log" in its name denied).
const carlos = [
  {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AllowS3ListRead", Effect: "Allow", Action: ["s3:ListAllMyBuckets", "s3:HeadBucket"], Resource: "*" },
      { Sid: "AllowS3Self", Effect: "Allow", Action: "s3:*", Resource: ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"] },
      { Sid: "DenyS3Logs", Effect: "Deny", Action: "s3:*", Resource: "arn:aws:s3:::*log*" },
    ],
  },
];

table("decision order: explicit deny > allow > implicit deny", [
  { name: "no policy at all: implicit deny", policies: [], ask: { action: "s3:GetObject" }, expect: "ImplicitDeny" },
  { name: "own bucket: allowed", policies: carlos, ask: { action: "s3:PutObject", resource: "arn:aws:s3:::carlossalazar/a.txt" }, expect: "Allow" },
  { name: "list all buckets on *: allowed", policies: carlos, ask: { action: "s3:ListAllMyBuckets" }, expect: "Allow" },
  { name: "a log bucket: the Deny wins", policies: carlos, ask: { action: "s3:GetObject", resource: "arn:aws:s3:::carlossalazar-logs" }, expect: "ExplicitDeny" },
  { name: "someone else's bucket: nothing allows it", policies: carlos, ask: { action: "s3:GetObject", resource: "arn:aws:s3:::other/x" }, expect: "ImplicitDeny" },
  {
    name: "a Deny in one policy beats AdministratorAccess in another",
    policies: [ADMIN, [{ Effect: "Deny", Action: "codecommit:DeleteRepository", Resource: "*" }]],
    ask: { action: "codecommit:DeleteRepository", resource: REPO },
    expect: "ExplicitDeny",
  },
  {
    name: "a Deny for another action leaves the Allow alone",
    policies: [ADMIN, [{ Effect: "Deny", Action: "codecommit:DeleteRepository", Resource: "*" }]],
    ask: { action: "codecommit:GetRepository", resource: REPO },
    expect: "Allow",
  },
]);

table("Action and NotAction", [
  { name: "actions are case-insensitive", policies: [[{ Effect: "Allow", Action: "IAM:listaccesskeys", Resource: "*" }]], ask: { action: "iam:ListAccessKeys" }, expect: "Allow" },
  { name: "* inside the action name", policies: [[{ Effect: "Allow", Action: "iam:*AccessKey*", Resource: "*" }]], ask: { action: "iam:UpdateAccessKey" }, expect: "Allow" },
  { name: "* inside does not reach another service", policies: [[{ Effect: "Allow", Action: "iam:*AccessKey*", Resource: "*" }]], ask: { action: "sts:GetAccessKeyInfo" }, expect: "ImplicitDeny" },
  { name: "? is one character", policies: [[{ Effect: "Allow", Action: "codecommit:Get?ranch", Resource: "*" }]], ask: { action: "codecommit:GetBranch" }, expect: "Allow" },
  { name: "? is exactly one character", policies: [[{ Effect: "Allow", Action: "codecommit:Get?ranch", Resource: "*" }]], ask: { action: "codecommit:GetBBranch" }, expect: "ImplicitDeny" },
  // "allow everything except IAM" (NotAction with Allow)
  { name: "Allow NotAction iam:*: s3 allowed", policies: [[{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }]], ask: { action: "s3:GetObject", resource: "arn:aws:s3:::b/k" }, expect: "Allow" },
  { name: "Allow NotAction iam:*: iam not allowed", policies: [[{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }]], ask: { action: "iam:CreateUser" }, expect: "ImplicitDeny" },
  {
    name: "Allow NotAction with a Resource is scoped to that resource",
    policies: [[{ Effect: "Allow", NotAction: "codecommit:DeleteRepository", Resource: REPO }]],
    ask: { action: "codecommit:GitPush", resource: `arn:aws:codecommit:us-east-1:${ACCOUNT}:Other` },
    expect: "ImplicitDeny",
  },
  // "DenyAllUsersNotUsingMFA": Deny NotAction iam:* unless MFA, next to AdministratorAccess
  ...(["", "false", "true"] as const).map((mfa): Row => ({
    name: `Deny NotAction iam:* with BoolIfExists MultiFactorAuthPresent=false, MFA ${mfa || "key absent"}: s3`,
    policies: [ADMIN, [{ Effect: "Deny", NotAction: "iam:*", Resource: "*", Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } } }]],
    ask: { action: "s3:ListBucket", resource: "arn:aws:s3:::b", context: mfa ? { "aws:MultiFactorAuthPresent": mfa } : {} },
    expect: mfa === "true" ? "Allow" : "ExplicitDeny",
  })),
  {
    name: "Deny NotAction iam:*: iam actions are not denied",
    policies: [ADMIN, [{ Effect: "Deny", NotAction: "iam:*", Resource: "*", Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } } }]],
    ask: { action: "iam:ChangePassword" },
    expect: "Allow",
  },
]);

const payroll = ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"];
table("Resource and NotResource", [
  { name: "Allow NotResource: other objects allowed", policies: [[{ Effect: "Allow", Action: "s3:*", NotResource: payroll }]], ask: { action: "s3:GetObject", resource: "arn:aws:s3:::HRBucket/Other/x" }, expect: "Allow" },
  { name: "Allow NotResource: the excluded object is not", policies: [[{ Effect: "Allow", Action: "s3:*", NotResource: payroll }]], ask: { action: "s3:GetObject", resource: "arn:aws:s3:::HRBucket/Payroll/2024.csv" }, expect: "ImplicitDeny" },
  { name: "Deny NotResource + admin: everything else denied", policies: [ADMIN, [{ Effect: "Deny", Action: "s3:*", NotResource: payroll }]], ask: { action: "s3:GetObject", resource: "arn:aws:s3:::HRBucket/Other/x" }, expect: "ExplicitDeny" },
  { name: "Deny NotResource + admin: the excluded object allowed", policies: [ADMIN, [{ Effect: "Deny", Action: "s3:*", NotResource: payroll }]], ask: { action: "s3:GetObject", resource: "arn:aws:s3:::HRBucket/Payroll" }, expect: "Allow" },
  { name: "* in the resource part spans /", policies: [[{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }]], ask: { action: "s3:GetObject", resource: "arn:aws:s3:::b/a/b/c" }, expect: "Allow" },
  { name: "resources are case-sensitive", policies: [[{ Effect: "Allow", Action: "codecommit:*", Resource: REPO }]], ask: { action: "codecommit:GitPull", resource: REPO.toLowerCase() }, expect: "ImplicitDeny" },
  { name: "* in the region does not swallow the account", policies: [[{ Effect: "Allow", Action: "codecommit:*", Resource: `arn:aws:codecommit:*:${ACCOUNT}:repo` }]], ask: { action: "codecommit:GitPull", resource: `arn:aws:codecommit:us-east-1:999999999999:${ACCOUNT}:repo` }, expect: "ImplicitDeny" },
  { name: "a short ARN pattern covers the rest", policies: [[{ Effect: "Allow", Action: "codecommit:*", Resource: "arn:aws:codecommit:*" }]], ask: { action: "codecommit:GitPull", resource: REPO }, expect: "Allow" },
  { name: "an action without a resource needs Resource *", policies: [[{ Effect: "Allow", Action: "codecommit:ListRepositories", Resource: REPO }]], ask: { action: "codecommit:ListRepositories", resource: "*" }, expect: "ImplicitDeny" },
]);

const threadAllow = [
  { Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*", Condition: { "ForAllValues:StringLike": { "dynamodb:requestedAttributes": ["PostDateTime", "Message", "Tags"] } } },
];
const threadDeny = [
  { Effect: "Allow", Action: "dynamodb:PutItem", Resource: "*" },
  { Effect: "Deny", Action: "dynamodb:PutItem", Resource: "*", Condition: { "ForAnyValue:StringLike": { "dynamodb:requestedAttributes": ["ID", "PostDateTime"] } } },
];
const tagKeysAllow = [
  { Effect: "Allow", Action: "iam:TagUser", Resource: "*", Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["environment", "cost-center"] } } },
];
const tagKeysAllowGuarded = [
  {
    Effect: "Allow",
    Action: "iam:TagUser",
    Resource: "*",
    Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["environment", "cost-center"] }, Null: { "aws:TagKeys": "false" } },
  },
];
table("multivalued keys: ForAllValues and ForAnyValue", [
  { name: "ForAllValues: every requested attribute listed", policies: [threadAllow], ask: { action: "dynamodb:GetItem", context: { "dynamodb:requestedAttributes": ["PostDateTime", "Message"] } }, expect: "Allow" },
  { name: "ForAllValues: one attribute not listed", policies: [threadAllow], ask: { action: "dynamodb:GetItem", context: { "dynamodb:requestedAttributes": ["PostDateTime", "UserName"] } }, expect: "ImplicitDeny" },
  { name: "ForAllValues trap: key absent → true", policies: [threadAllow], ask: { action: "dynamodb:GetItem" }, expect: "Allow" },
  { name: "ForAllValues trap: empty list → true", policies: [threadAllow], ask: { action: "dynamodb:GetItem", context: { "dynamodb:requestedAttributes": [] } }, expect: "Allow" },
  { name: "ForAnyValue Deny: one forbidden attribute", policies: [threadDeny], ask: { action: "dynamodb:PutItem", context: { "dynamodb:requestedAttributes": ["UserName", "Message", "PostDateTime"] } }, expect: "ExplicitDeny" },
  { name: "ForAnyValue Deny: no forbidden attribute", policies: [threadDeny], ask: { action: "dynamodb:PutItem", context: { "dynamodb:requestedAttributes": ["UserName"] } }, expect: "Allow" },
  { name: "ForAnyValue Deny: key absent → false, not denied", policies: [threadDeny], ask: { action: "dynamodb:PutItem" }, expect: "Allow" },
  { name: "aws:TagKeys subset allowed", policies: [tagKeysAllow], ask: { action: "iam:TagUser", context: { "aws:TagKeys": ["environment"] } }, expect: "Allow" },
  { name: "aws:TagKeys with an extra key refused", policies: [tagKeysAllow], ask: { action: "iam:TagUser", context: { "aws:TagKeys": ["environment", "owner"] } }, expect: "ImplicitDeny" },
  { name: "aws:TagKeys absent: ForAllValues allows (the documented trap)", policies: [tagKeysAllow], ask: { action: "iam:TagUser" }, expect: "Allow" },
  { name: "aws:TagKeys absent with Null false: closed", policies: [tagKeysAllowGuarded], ask: { action: "iam:TagUser" }, expect: "ImplicitDeny" },
  { name: "aws:TagKeys empty with Null false: closed", policies: [tagKeysAllowGuarded], ask: { action: "iam:TagUser", context: { "aws:TagKeys": [] } }, expect: "ImplicitDeny" },
  {
    name: "ForAllValues:StringNotEquals: none of the request values is forbidden",
    policies: [[{ Effect: "Allow", Action: "iam:TagUser", Resource: "*", Condition: { "ForAllValues:StringNotEquals": { "aws:TagKeys": ["admin", "root"] } } }]],
    ask: { action: "iam:TagUser", context: { "aws:TagKeys": ["team", "env"] } },
    expect: "Allow",
  },
  {
    name: "ForAllValues:StringNotEquals: one forbidden value fails it",
    policies: [[{ Effect: "Allow", Action: "iam:TagUser", Resource: "*", Condition: { "ForAllValues:StringNotEquals": { "aws:TagKeys": ["admin", "root"] } } }]],
    ask: { action: "iam:TagUser", context: { "aws:TagKeys": ["team", "admin"] } },
    expect: "ImplicitDeny",
  },
  {
    name: "ForAnyValue:StringNotEquals with the key absent is false (not the negated-operator rule)",
    policies: [[{ Effect: "Allow", Action: "iam:TagUser", Resource: "*", Condition: { "ForAnyValue:StringNotEquals": { "aws:TagKeys": ["a"] } } }]],
    ask: { action: "iam:TagUser" },
    expect: "ImplicitDeny",
  },
  {
    name: "ForAnyValue:StringNotEquals: one value outside the list",
    policies: [[{ Effect: "Allow", Action: "iam:TagUser", Resource: "*", Condition: { "ForAnyValue:StringNotEquals": { "aws:TagKeys": ["a"] } } }]],
    ask: { action: "iam:TagUser", context: { "aws:TagKeys": ["a", "b"] } },
    expect: "Allow",
  },
]);

table("…IfExists and Null", [
  ...([undefined, "t2.micro", "m5.large"] as const).map((type): Row => ({
    name: `StringLikeIfExists ec2:InstanceType t1.*/t2.*/m3.*, request ${type ?? "without the key"}`,
    policies: [[{ Effect: "Allow", Action: "ec2:RunInstances", Resource: "*", Condition: { StringLikeIfExists: { "ec2:InstanceType": ["t1.*", "t2.*", "m3.*"] } } }]],
    ask: { action: "ec2:RunInstances", context: type ? { "ec2:InstanceType": type } : {} },
    expect: type === "m5.large" ? "ImplicitDeny" : "Allow",
  })),
  { name: "StringLike without IfExists: missing key fails", policies: [[{ Effect: "Allow", Action: "ec2:RunInstances", Resource: "*", Condition: { StringLike: { "ec2:InstanceType": "t2.*" } } }]], ask: { action: "ec2:RunInstances" }, expect: "ImplicitDeny" },
  { name: "Null aws:TokenIssueTime true: long-term keys pass", policies: [[{ Effect: "Allow", Action: "ec2:*", Resource: "*", Condition: { Null: { "aws:TokenIssueTime": "true" } } }]], ask: { action: "ec2:DescribeInstances" }, expect: "Allow" },
  {
    name: "Null aws:TokenIssueTime true: temporary credentials do not",
    policies: [[{ Effect: "Allow", Action: "ec2:*", Resource: "*", Condition: { Null: { "aws:TokenIssueTime": "true" } } }]],
    ask: { action: "ec2:DescribeInstances", who: { ...session, tokenIssueTime: new Date("2024-05-01T11:00:00Z") } },
    expect: "ImplicitDeny",
  },
  { name: "StringNotEquals with the key missing is true", policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { StringNotEquals: { "aws:RequestTag/DataClass": ["public", "internal"] } } }]], ask: { action: "s3:PutObject" }, expect: "Allow" },
  { name: "StringNotEquals with a listed value is false", policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { StringNotEquals: { "aws:RequestTag/DataClass": ["public", "internal"] } } }]], ask: { action: "s3:PutObject", context: { "aws:RequestTag/DataClass": "public" } }, expect: "ImplicitDeny" },
  { name: "Deny StringNotEqualsIfExists still denies when the tag is missing", policies: [ADMIN, [{ Effect: "Deny", Action: "s3:*", Resource: "*", Condition: { StringNotEqualsIfExists: { "aws:RequestTag/DataClass": "public" } } }]], ask: { action: "s3:PutObject" }, expect: "ExplicitDeny" },
  { name: "condition keys are case-insensitive", policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { StringEquals: { "AWS:USERNAME": "alice" } } }]], ask: { action: "s3:GetObject" }, expect: "Allow" },
  { name: "condition values are case-sensitive for StringEquals", policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { StringEquals: { "aws:username": "Alice" } } }]], ask: { action: "s3:GetObject" }, expect: "ImplicitDeny" },
  { name: "StringEqualsIgnoreCase ignores it", policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { StringEqualsIgnoreCase: { "aws:username": "ALICE" } } }]], ask: { action: "s3:GetObject" }, expect: "Allow" },
  {
    name: "two operators in one block are ANDed",
    policies: [[{ Effect: "Allow", Action: "sns:Subscribe", Resource: "*", Condition: { StringLike: { "sns:Endpoint": "https://example.com/*" }, StringEquals: { "sns:Protocol": "https" } } }]],
    ask: { action: "sns:Subscribe", context: { "sns:Endpoint": "https://example.com/x", "sns:Protocol": "http" } },
    expect: "ImplicitDeny",
  },
]);

const selfKeys = [{ Effect: "Allow", Action: ["iam:*AccessKey*"], Resource: [`arn:aws:iam::${ACCOUNT}:user/\${aws:username}`] }];
table("policy variables", [
  { name: "${aws:username} in Resource: own user", policies: [selfKeys], ask: { action: "iam:CreateAccessKey", resource: alice.arn }, expect: "Allow" },
  { name: "${aws:username} in Resource: another user", policies: [selfKeys], ask: { action: "iam:CreateAccessKey", resource: `arn:aws:iam::${ACCOUNT}:user/bob` }, expect: "ImplicitDeny" },
  { name: "${aws:username} has no value for a role session: matches nothing", policies: [selfKeys], ask: { action: "iam:CreateAccessKey", resource: `arn:aws:iam::${ACCOUNT}:user/`, who: session }, expect: "ImplicitDeny" },
  {
    name: "Version 2008-10-17 (or none): ${aws:username} is literal text",
    policies: [{ Statement: selfKeys }],
    ask: { action: "iam:CreateAccessKey", resource: alice.arn },
    expect: "ImplicitDeny",
  },
  {
    name: "Version 2008-10-17: …and matches the literal",
    policies: [{ Version: "2008-10-17", Statement: selfKeys }],
    ask: { action: "iam:CreateAccessKey", resource: `arn:aws:iam::${ACCOUNT}:user/\${aws:username}` },
    expect: "Allow",
  },
  ...(["", "home/", "home/alice/", "home/bob/"] as const).map((prefix): Row => ({
    name: `StringLike s3:prefix with \${aws:username}: prefix "${prefix}"`,
    policies: [[{ Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::BUCKET", Condition: { StringLike: { "s3:prefix": ["", "home/", "home/${aws:username}/"] } } }]],
    ask: { action: "s3:ListBucket", resource: "arn:aws:s3:::BUCKET", context: { "s3:prefix": prefix } },
    expect: prefix === "home/bob/" ? "ImplicitDeny" : "Allow",
  })),
  {
    name: "${aws:PrincipalTag/team} in Resource",
    policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*" }]],
    ask: { action: "s3:GetObject", resource: "arn:aws:s3:::bucket/red/x", who: { ...alice, tags: { team: "red" } } },
    expect: "Allow",
  },
  {
    name: "default value when the tag is missing",
    policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'company-wide'}/*" }]],
    ask: { action: "s3:GetObject", resource: "arn:aws:s3:::bucket/company-wide/x" },
    expect: "Allow",
  },
  {
    name: "${*} is a literal asterisk, not a wildcard",
    policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::bucket/${*}" }]],
    ask: { action: "s3:GetObject", resource: "arn:aws:s3:::bucket/anything" },
    expect: "ImplicitDeny",
  },
  {
    name: "${*} matches a literal asterisk",
    policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::bucket/${*}${?}${$}" }]],
    ask: { action: "s3:GetObject", resource: "arn:aws:s3:::bucket/*?$" },
    expect: "Allow",
  },
  {
    name: "a variable's value is literal: a * in it is no wildcard",
    policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::bucket/${aws:PrincipalTag/team}" }]],
    ask: { action: "s3:GetObject", resource: "arn:aws:s3:::bucket/red", who: { ...alice, tags: { team: "*" } } },
    expect: "ImplicitDeny",
  },
  {
    name: "variable with no value in StringEquals: no match",
    policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { StringEquals: { "s3:prefix": "${aws:PrincipalTag/team}" } } }]],
    ask: { action: "s3:ListBucket", context: { "s3:prefix": "" } },
    expect: "ImplicitDeny",
  },
  {
    name: "variable with no value in StringNotEquals: the negated operator matches",
    policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { StringNotEquals: { "s3:prefix": "${aws:PrincipalTag/team}" } } }]],
    ask: { action: "s3:ListBucket", context: { "s3:prefix": "x" } },
    expect: "Allow",
  },
  {
    name: "ArnLike with ${aws:userid}",
    policies: [[{ Effect: "Allow", Action: "sqs:*", Resource: "*", Condition: { ArnLike: { "aws:SourceArn": "arn:aws:sns:*:*:${aws:userid}-*" } } }]],
    ask: { action: "sqs:SendMessage", context: { "aws:SourceArn": `arn:aws:sns:us-east-1:${ACCOUNT}:${alice.userId}-topic` } },
    expect: "Allow",
  },
  {
    name: "Bool takes variables too",
    policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "${aws:PrincipalTag/tls}" } } }]],
    ask: { action: "s3:GetObject", who: { ...alice, tags: { tls: "true" } } },
    expect: "Allow",
  },
]);

const ipDeny = [
  ADMIN,
  [{ Effect: "Deny", Action: "*", Resource: "*", Condition: { NotIpAddress: { "aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"] } } }],
];
table("IP address conditions", [
  { name: "IpAddress: inside 203.0.113.0/24", policies: [[{ Effect: "Allow", Action: "iam:*", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } }]], ask: { action: "iam:ListUsers", rawContext: { "aws:SourceIp": "203.0.113.77" } }, expect: "Allow" },
  { name: "IpAddress: outside", policies: [[{ Effect: "Allow", Action: "iam:*", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } }]], ask: { action: "iam:ListUsers", rawContext: { "aws:SourceIp": "203.0.114.1" } }, expect: "ImplicitDeny" },
  { name: "IpAddress: IPv6 /64", policies: [[{ Effect: "Allow", Action: "iam:*", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"] } } }]], ask: { action: "iam:ListUsers", rawContext: { "aws:SourceIp": "2001:db8:1234:5678:abcd::1" } }, expect: "Allow" },
  { name: "IpAddress: a bare address is /32", policies: [[{ Effect: "Allow", Action: "iam:*", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": "203.0.113.5" } } }]], ask: { action: "iam:ListUsers", rawContext: { "aws:SourceIp": "203.0.113.6" } }, expect: "ImplicitDeny" },
  { name: "Deny NotIpAddress: from an allowed range", policies: ipDeny, ask: { action: "s3:GetObject", rawContext: { "aws:SourceIp": "192.0.2.10" } }, expect: "Allow" },
  { name: "Deny NotIpAddress: from elsewhere", policies: ipDeny, ask: { action: "s3:GetObject", rawContext: { "aws:SourceIp": "198.51.100.1" } }, expect: "ExplicitDeny" },
  { name: "Deny NotIpAddress: an IPv4-mapped IPv6 address counts as IPv4", policies: ipDeny, ask: { action: "s3:GetObject", rawContext: { "aws:SourceIp": "::ffff:192.0.2.10" } }, expect: "Allow" },
  { name: "Deny NotIpAddress: no source IP (VPC endpoint) → negated operator true", policies: ipDeny, ask: { action: "s3:GetObject", rawContext: {} }, expect: "ExplicitDeny" },
]);

const window = [
  {
    Effect: "Allow",
    Action: "codecommit:*",
    Resource: "*",
    Condition: { DateGreaterThan: { "aws:CurrentTime": "2020-04-01T00:00:00Z" }, DateLessThan: { "aws:CurrentTime": "2020-06-30T23:59:59Z" } },
  },
];
table("date conditions", [
  { name: "inside the window", policies: [window], ask: { action: "codecommit:GitPull", rawContext: { "aws:CurrentTime": "2020-05-15T10:00:00Z" } }, expect: "Allow" },
  { name: "after the window", policies: [window], ask: { action: "codecommit:GitPull", rawContext: { "aws:CurrentTime": "2020-07-01T00:00:00Z" } }, expect: "ImplicitDeny" },
  { name: "epoch seconds in the policy against aws:EpochTime", policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { DateLessThan: { "aws:EpochTime": "1593561599" } } }]], ask: { action: "s3:GetObject", rawContext: { "aws:EpochTime": "1590000000" } }, expect: "Allow" },
  { name: "the context helper's time is used", policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { DateGreaterThanEquals: { "aws:CurrentTime": "2024-05-01T12:00:00Z" } } }]], ask: { action: "s3:GetObject" }, expect: "Allow" },
  { name: "time zones are honoured", policies: [[{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { DateLessThan: { "aws:CurrentTime": "2024-05-01T13:30:00+02:00" } } }]], ask: { action: "s3:GetObject" }, expect: "ImplicitDeny" },
]);

// CodeCommit branch protection (how-to-conditional-branch), next to AWSCodeCommitPowerUser.
const protect = [
  {
    Effect: "Deny",
    Action: [
      "codecommit:GitPush",
      "codecommit:DeleteBranch",
      "codecommit:PutFile",
      "codecommit:MergeBranchesByFastForward",
      "codecommit:MergeBranchesBySquash",
      "codecommit:MergeBranchesByThreeWay",
      "codecommit:MergePullRequestByFastForward",
      "codecommit:MergePullRequestBySquash",
      "codecommit:MergePullRequestByThreeWay",
    ],
    Resource: REPO,
    Condition: { StringEqualsIfExists: { "codecommit:References": ["refs/heads/main", "refs/heads/prod"] }, Null: { "codecommit:References": "false" } },
  },
];
const power = "arn:aws:iam::aws:policy/AWSCodeCommitPowerUser";
table("CodeCommit branch protection: Null + StringEqualsIfExists", [
  { name: "git-receive-pack's first check, no reference: allowed", policies: [power, protect], ask: { action: "codecommit:GitPush", resource: REPO }, expect: "Allow" },
  { name: "push to refs/heads/main: denied", policies: [power, protect], ask: { action: "codecommit:GitPush", resource: REPO, context: { "codecommit:References": "refs/heads/main" } }, expect: "ExplicitDeny" },
  { name: "push to refs/heads/prod: denied", policies: [power, protect], ask: { action: "codecommit:GitPush", resource: REPO, context: { "codecommit:References": "refs/heads/prod" } }, expect: "ExplicitDeny" },
  { name: "push to refs/heads/feature: allowed", policies: [power, protect], ask: { action: "codecommit:GitPush", resource: REPO, context: { "codecommit:References": "refs/heads/feature" } }, expect: "Allow" },
  { name: "push of a tag: allowed", policies: [power, protect], ask: { action: "codecommit:GitPush", resource: REPO, context: { "codecommit:References": "refs/tags/v1" } }, expect: "Allow" },
  { name: "DeleteBranch main: denied", policies: [power, protect], ask: { action: "codecommit:DeleteBranch", resource: REPO, context: { "codecommit:References": "refs/heads/main" } }, expect: "ExplicitDeny" },
  { name: "merge PR into main: denied", policies: [power, protect], ask: { action: "codecommit:MergePullRequestBySquash", resource: REPO, context: { "codecommit:References": "refs/heads/main" } }, expect: "ExplicitDeny" },
  { name: "another repository is not protected", policies: [power, protect], ask: { action: "codecommit:GitPush", resource: REPO.replace("MyDemoRepo", "Other"), context: { "codecommit:References": "refs/heads/main" } }, expect: "Allow" },
  {
    name: "without the Null check the first, reference-less check would be denied",
    policies: [power, [{ ...protect[0], Condition: { StringEqualsIfExists: { "codecommit:References": ["refs/heads/main"] } } }]],
    ask: { action: "codecommit:GitPush", resource: REPO },
    expect: "ExplicitDeny",
  },
  // the mirror-image Allow (customer-managed-policies Example 4): StringEqualsIfExists alone
  ...([undefined, "refs/heads/main", "refs/heads/feature"] as const).map((ref): Row => ({
    name: `Allow GitPush only to main (StringEqualsIfExists), reference ${ref ?? "absent"}`,
    policies: [[{ Effect: "Allow", Action: ["codecommit:GitPush", "codecommit:GitPull"], Resource: REPO, Condition: { StringEqualsIfExists: { "codecommit:References": ["refs/heads/main"] } } }]],
    ask: { action: "codecommit:GitPush", resource: REPO, context: ref ? { "codecommit:References": ref } : {} },
    expect: ref === "refs/heads/feature" ? "ImplicitDeny" : "Allow",
  })),
]);

const fill = (doc: string): unknown => JSON.parse(doc.replace("$aws_repo_region", "us-east-1").replace("$aws_account_number", ACCOUNT).replace("$aws_codecommit_repository_name", "MyDemoRepo"));
const gearsetBroad = fill(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codecommit:Merge*","codecommit:Post*","codecommit:Update*","codecommit:Get*","codecommit:Test*","codecommit:BatchGet*","codecommit:GitPull","codecommit:Create*","codecommit:Put*","codecommit:GitPush","codecommit:DeleteBranch"],"Resource":["arn:aws:codecommit:$aws_repo_region:$aws_account_number:$aws_codecommit_repository_name"]}]}`);
const gearsetMinimal = fill(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codecommit:GetRepository","codecommit:ListRepositories","codecommit:GetCommit","codecommit:GetBranch","codecommit:GitPull","codecommit:GitPush","codecommit:ListBranches"],"Resource":["arn:aws:codecommit:$aws_repo_region:$aws_account_number:$aws_codecommit_repository_name"]}]}`);
const OTHER = REPO.replace("MyDemoRepo", "Other");
table("Gearset's policies (seeds 000), placeholders filled", [
  ...["GitPull", "GitPush", "GetBranch", "CreateBranch", "CreatePullRequest", "MergePullRequestByThreeWay", "PutFile", "DeleteBranch", "UpdatePullRequestTitle", "BatchGetCommits", "PostCommentForPullRequest"].map(
    (a): Row => ({ name: `broad: ${a} on the repository`, policies: [gearsetBroad], ask: { action: `codecommit:${a}`, resource: REPO }, expect: "Allow" }),
  ),
  ...["DeleteRepository", "ListRepositories", "TagResource", "DeleteFile"].map(
    (a): Row => ({ name: `broad: ${a} is not granted`, policies: [gearsetBroad], ask: { action: `codecommit:${a}`, resource: a === "ListRepositories" ? "*" : REPO }, expect: "ImplicitDeny" }),
  ),
  { name: "broad: nothing on another repository", policies: [gearsetBroad], ask: { action: "codecommit:GitPull", resource: OTHER }, expect: "ImplicitDeny" },
  ...["GetRepository", "GetCommit", "GetBranch", "GitPull", "GitPush", "ListBranches"].map(
    (a): Row => ({ name: `minimal: ${a} on the repository`, policies: [gearsetMinimal], ask: { action: `codecommit:${a}`, resource: REPO }, expect: "Allow" }),
  ),
  ...["CreateBranch", "DeleteBranch", "PutFile", "DeleteRepository", "GetPullRequest"].map(
    (a): Row => ({ name: `minimal: ${a} is not granted`, policies: [gearsetMinimal], ask: { action: `codecommit:${a}`, resource: REPO }, expect: "ImplicitDeny" }),
  ),
  // ListRepositories names no resource, so AWS checks it against "*", which a repository ARN does not cover
  { name: "minimal: ListRepositories (resource *) is not covered by a repository ARN", policies: [gearsetMinimal], ask: { action: "codecommit:ListRepositories", resource: "*" }, expect: "ImplicitDeny" },
  { name: "minimal: nothing on another repository", policies: [gearsetMinimal], ask: { action: "codecommit:GitPush", resource: OTHER }, expect: "ImplicitDeny" },
]);

const ro = "arn:aws:iam::aws:policy/AWSCodeCommitReadOnly";
const full = "arn:aws:iam::aws:policy/AWSCodeCommitFullAccess";
const managed = (policy: string, label: string, allowed: string[], denied: string[]): Row[] => [
  ...allowed.map((a): Row => ({ name: `${label}: ${a} allowed`, policies: [policy], ask: askFor(a), expect: "Allow" })),
  ...denied.map((a): Row => ({ name: `${label}: ${a} denied`, policies: [policy], ask: askFor(a), expect: "ImplicitDeny" })),
];
function askFor(spec: string): Ask {
  const [action, resource] = spec.split(" ");
  const res =
    resource === "self" ? alice.arn : resource === "bob" ? `arn:aws:iam::${ACCOUNT}:user/bob` : resource ?? (action!.startsWith("codecommit:") && action !== "codecommit:ListRepositories" ? REPO : "*");
  return { action: action!, resource: res };
}
table("the CodeCommit managed policies against real action names", [
  ...managed(
    ro,
    "ReadOnly",
    ["codecommit:GitPull", "codecommit:GetRepository", "codecommit:ListRepositories", "codecommit:ListBranches", "codecommit:BatchGetRepositories", "codecommit:DescribePullRequestEvents", "codecommit:GetFile", "iam:ListSSHPublicKeys self", "iam:GetSSHPublicKey self", "iam:ListUsers"],
    ["codecommit:GitPush", "codecommit:CreateBranch", "codecommit:DeleteRepository", "codecommit:PutFile", "codecommit:CreateRepository", "codecommit:MergeBranchesByFastForward", "iam:ListSSHPublicKeys bob", "iam:UploadSSHPublicKey self", "sns:Subscribe arn:aws:sns:us-east-1:123456789012:codecommit-x"],
  ),
  ...managed(
    power,
    "PowerUser",
    ["codecommit:GitPush", "codecommit:GitPull", "codecommit:CreateBranch", "codecommit:CreateRepository", "codecommit:DeleteBranch", "codecommit:DeleteFile", "codecommit:PutFile", "codecommit:MergePullRequestByThreeWay", "codecommit:TagResource", "codecommit:UpdateRepositoryDescription", "iam:UploadSSHPublicKey self", "iam:CreateServiceSpecificCredential self", "sns:Subscribe arn:aws:sns:us-east-1:123456789012:codecommit-x"],
    ["codecommit:DeleteRepository", "codecommit:DeleteCommentContent", "codecommit:DeletePullRequestApprovalRule", "iam:UploadSSHPublicKey bob", "iam:CreateAccessKey self", "sns:CreateTopic arn:aws:sns:us-east-1:123456789012:codecommit-x", "sns:Subscribe arn:aws:sns:us-east-1:123456789012:other"],
  ),
  ...managed(
    full,
    "FullAccess",
    ["codecommit:DeleteRepository", "codecommit:GitPush", "codecommit:CreateApprovalRuleTemplate", "sns:CreateTopic arn:aws:sns:us-east-1:123456789012:codecommit-x", "codestar-connections:GetConnection arn:aws:codestar-connections:us-east-1:123456789012:connection/abc"],
    ["iam:CreateUser", "iam:CreateAccessKey self", "sns:DeleteTopic arn:aws:sns:us-east-1:123456789012:other"],
  ),
  ...managed(ADMIN, "AdministratorAccess", ["codecommit:DeleteRepository", "iam:CreateUser", "sts:AssumeRole"], []),
  ...managed("arn:aws:iam::aws:policy/IAMReadOnlyAccess", "IAMReadOnlyAccess", ["iam:GetUser", "iam:ListUsers", "iam:SimulatePrincipalPolicy", "iam:GenerateCredentialReport"], ["iam:CreateUser", "iam:DeleteAccessKey", "codecommit:GetRepository"]),
  ...managed("arn:aws:iam::aws:policy/IAMFullAccess", "IAMFullAccess", ["iam:CreateUser", "iam:AttachUserPolicy", "organizations:DescribeOrganization"], ["codecommit:GetRepository", "organizations:CreateAccount"]),
]);

describe("permissions boundaries", () => {
  const boundary = [[{ Effect: "Allow", Action: ["codecommit:*", "iam:Get*"], Resource: "*" }]];
  it("an allow within the boundary is allowed", () => {
    const r = decide([ADMIN], { action: "codecommit:GitPush", resource: REPO, boundary });
    expect(r.decision).toBe("Allow");
    expect(r.allowedByBoundary).toBe(true);
  });
  it("an identity allow outside the boundary becomes an implicit deny", () => {
    const r = decide([ADMIN], { action: "iam:CreateUser", boundary });
    expect(r).toMatchObject({ decision: "ImplicitDeny", denialReason: "no-boundary-allow", allowedByBoundary: false });
  });
  it("the boundary grants nothing by itself", () => {
    const r = decide([], { action: "codecommit:GitPush", resource: REPO, boundary });
    expect(r).toMatchObject({ decision: "ImplicitDeny", denialReason: "no-identity-allow", allowedByBoundary: true });
  });
  it("a Deny in the boundary is an explicit deny", () => {
    const r = decide([ADMIN], { action: "codecommit:DeleteRepository", resource: REPO, boundary: [...boundary, [{ Effect: "Deny", Action: "codecommit:Delete*", Resource: "*" }]] });
    expect(r).toMatchObject({ decision: "ExplicitDeny", denialReason: "explicit-deny-boundary" });
  });
  it("an empty boundary set allows nothing", () => {
    expect(decide([ADMIN], { action: "codecommit:GitPull", resource: REPO, boundary: [] }).decision).toBe("ImplicitDeny");
  });
});

describe("resource and trust policies", () => {
  const topic = `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`;
  const grantAlice = [{ Sid: "a", Effect: "Allow", Principal: { AWS: alice.arn }, Action: "sns:Publish", Resource: topic }];
  const grantAccount = [{ Sid: "a", Effect: "Allow", Principal: { AWS: ACCOUNT }, Action: "sns:Publish", Resource: topic }];
  it("a resource policy naming the user allows without any identity policy", () => {
    expect(decide([], { action: "sns:Publish", resource: topic, resourcePolicies: [grantAlice] }).decision).toBe("Allow");
  });
  it("…and is not limited by the user's boundary", () => {
    expect(decide([], { action: "sns:Publish", resource: topic, resourcePolicies: [grantAlice], boundary: [[{ Effect: "Allow", Action: "s3:*", Resource: "*" }]] }).decision).toBe("Allow");
  });
  it("naming only the account delegates to identity policies", () => {
    expect(decide([], { action: "sns:Publish", resource: topic, resourcePolicies: [grantAccount] }).decision).toBe("ImplicitDeny");
    expect(decide([[{ Effect: "Allow", Action: "sns:*", Resource: "*" }]], { action: "sns:Publish", resource: topic, resourcePolicies: [grantAccount] }).decision).toBe("Allow");
  });
  it("a Deny in the resource policy is an explicit deny", () => {
    const r = decide([ADMIN], { action: "sns:Publish", resource: topic, resourcePolicies: [[{ Effect: "Deny", Principal: "*", Action: "sns:*", Resource: topic }]] });
    expect(r).toMatchObject({ decision: "ExplicitDeny", denialReason: "explicit-deny-resource" });
  });
  it("NotPrincipal excludes the named principal", () => {
    const policy = [{ Effect: "Deny", NotPrincipal: { AWS: alice.arn }, Action: "sns:*", Resource: topic }];
    expect(decide([ADMIN], { action: "sns:Publish", resource: topic, resourcePolicies: [policy] }).decision).toBe("Allow");
    expect(decide([ADMIN], { action: "sns:Publish", resource: topic, resourcePolicies: [policy], who: session }).decision).toBe("ExplicitDeny");
  });

  const role = `arn:aws:iam::${ACCOUNT}:role/deployer`;
  const trustAccount = [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }];
  const trustAlice = [{ Effect: "Allow", Principal: { AWS: alice.arn }, Action: "sts:AssumeRole" }];
  const canAssume = [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: role }];
  it("AssumeRole: a trust policy naming the account needs an identity allow too", () => {
    expect(decide([], { action: "sts:AssumeRole", resource: role, resourcePolicies: [trustAccount], resourceMustAllow: true }).decision).toBe("ImplicitDeny");
    expect(decide([canAssume], { action: "sts:AssumeRole", resource: role, resourcePolicies: [trustAccount], resourceMustAllow: true }).decision).toBe("Allow");
  });
  it("AssumeRole: a trust policy naming the user suffices", () => {
    expect(decide([], { action: "sts:AssumeRole", resource: role, resourcePolicies: [trustAlice], resourceMustAllow: true }).decision).toBe("Allow");
  });
  it("AssumeRole: identity permission alone is not enough when the trust policy does not name the caller", () => {
    const other = [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "sts:AssumeRole" }];
    const r = decide([ADMIN], { action: "sts:AssumeRole", resource: role, resourcePolicies: [other], resourceMustAllow: true });
    expect(r).toMatchObject({ decision: "ImplicitDeny", denialReason: "no-resource-allow" });
  });
  it("AssumeRole: a service principal", () => {
    const trust = [{ Effect: "Allow", Principal: { Service: "codebuild.amazonaws.com" }, Action: "sts:AssumeRole" }];
    const r = decide([], {
      action: "sts:AssumeRole",
      resource: role,
      resourcePolicies: [trust],
      resourceMustAllow: true,
      principal: { arn: "codebuild.amazonaws.com", accountId: ACCOUNT, service: "codebuild.amazonaws.com" },
    });
    expect(r.decision).toBe("Allow");
  });
  it("a role ARN as principal covers its sessions", () => {
    const policy = [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/builder` }, Action: "sns:Publish", Resource: topic }];
    expect(decide([], { action: "sns:Publish", resource: topic, resourcePolicies: [policy], who: session }).decision).toBe("Allow");
  });
});

describe("matched statements", () => {
  it("reports the deciding statements with their policy, Sid and position", () => {
    const r = decide(["arn:aws:iam::aws:policy/AWSCodeCommitPowerUser", protect], {
      action: "codecommit:GitPush",
      resource: REPO,
      context: { "codecommit:References": "refs/heads/main" },
    });
    expect(r.matchedStatements).toHaveLength(1);
    expect(r.matchedStatements[0]).toMatchObject({ source: "identity", policyName: "p1", statementIndex: 0, effect: "Deny" });
    expect(r.matchedStatements[0]!.span?.start.line).toBe(1);
  });
  it("lists every matching Allow when allowed", () => {
    const r = decide([ADMIN, "arn:aws:iam::aws:policy/AWSCodeCommitReadOnly"], { action: "codecommit:GitPull", resource: REPO });
    expect(r.matchedStatements.map((m) => m.policyName)).toEqual(["AdministratorAccess", "AWSCodeCommitReadOnly"]);
    expect(r.matchedStatements[1]!.policyArn).toBe("arn:aws:iam::aws:policy/AWSCodeCommitReadOnly");
  });
  it("is empty for an implicit deny", () => {
    expect(decide([], { action: "s3:GetObject" }).matchedStatements).toEqual([]);
  });
});

describe("dependsOnContext: which decisions a caller may keep", () => {
  const set = (...docs: unknown[]) => ({
    identity: docs.map((d, i) => ({ name: `p${i}`, policy: parsePolicy(JSON.stringify(d), { kind: "identity" }) })),
  });
  const allow = (extra: Record<string, unknown> = {}) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "codecommit:Get*", Resource: REPO, ...extra }] });

  it("is false when no statement about the action has a condition or a variable", () => {
    expect(dependsOnContext(set(allow()), "codecommit:GetBranch")).toBe(false);
    // a conditional statement about another action does not count
    const other = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "codecommit:DeleteRepository", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } }] };
    expect(dependsOnContext(set(allow(), other), "codecommit:GetBranch")).toBe(false);
    expect(dependsOnContext(set(allow(), other), "codecommit:DeleteRepository")).toBe(true);
  });

  it("is true for a condition, a Resource variable, or either in a boundary", () => {
    expect(dependsOnContext(set(allow({ Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } })), "codecommit:GetBranch")).toBe(true);
    expect(dependsOnContext(set(allow({ Resource: "arn:aws:codecommit:us-east-1:*:${aws:username}" })), "codecommit:GetBranch")).toBe(true);
    const withBoundary = { ...set(allow()), boundary: set(allow({ Condition: { Bool: { "aws:SecureTransport": "true" } } })).identity };
    expect(dependsOnContext(withBoundary, "codecommit:GetBranch")).toBe(true);
    // a wildcard Action reaches the conditional statement too
    const star = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "*", Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-01-01T00:00:00Z" } } }] };
    expect(dependsOnContext(set(allow(), star), "codecommit:GetBranch")).toBe(true);
  });
});
