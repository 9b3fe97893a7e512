import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callService, type ClientKind } from "../helpers/api.js";
import { aws, awsEnv, cliErrorCode, python } from "../helpers/clients.js";
import { sns } from "../helpers/events.js";
import { iamClient, userWith } from "../helpers/iam.js";
import { startServer, tmpDir, type ServerHandle } from "../helpers/server.js";
import { signedJson, signedQuery } from "../helpers/signed.js";
import { CreateRoleCommand } from "@aws-sdk/client-iam";

/**
 * Hostile sizes and depths of client input (issue 11, defect 3 and 5): documents nested tens of
 * thousands deep, which overflowed the recursive readers (a 500), are refused with the error
 * AWS gives, size limits first; SNS topic policies are read as resource policies.
 */

const ACCOUNT = "000000000000";
/** ~100 KB of lists nested 50,000 deep: valid JSON, and a stack overflow for a recursive reader */
const DEEP = "[".repeat(50_000) + "]".repeat(50_000);
const deepStatement = JSON.stringify({ Version: "2012-10-17", Statement: "X" }).replace('"X"', DEEP);

let server: ServerHandle;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

const iam = (client: ClientKind, op: string, input: Record<string, unknown>) => callService("iam", server.url, client, op, input);

describe.each<ClientKind>(["cli", "sdk"])("policy documents nested 50,000 deep, with the %s", (client) => {
  it("PutUserPolicy: LimitExceeded (the user's 2,048-character quota, checked before the document is read); nothing stored", async () => {
    const user = `deep-${client}`;
    expect((await iam(client, "CreateUser", { UserName: user })).error).toBeUndefined();
    const r = await iam(client, "PutUserPolicy", { UserName: user, PolicyName: "deep", PolicyDocument: deepStatement });
    expect(r.error).toBe("LimitExceeded");
    expect(r.message).toContain(`Maximum policy size of 2048 bytes exceeded for user ${user}`);
    expect((await iam(client, "GetUserPolicy", { UserName: user, PolicyName: "deep" })).error).toBe("NoSuchEntity");
  });

  it("CreatePolicy: LimitExceeded (PolicySize 6,144); no policy made", async () => {
    const r = await iam(client, "CreatePolicy", { PolicyName: `deep-${client}`, PolicyDocument: deepStatement });
    expect(r.error).toBe("LimitExceeded");
    expect(r.message).toContain("Cannot exceed quota for PolicySize: 6144");
    expect((await iam(client, "GetPolicy", { PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/deep-${client}` })).error).toBe("NoSuchEntity");
  });

  it("CreatePolicy within the quota but nested 3,000 deep: MalformedPolicyDocument that says so", async () => {
    const n = 3000;
    const doc = JSON.stringify({ Version: "2012-10-17", Statement: "X" }).replace('"X"', "[".repeat(n) + "]".repeat(n));
    const r = await iam(client, "CreatePolicy", { PolicyName: `nested-${client}`, PolicyDocument: doc });
    expect(r.error).toBe("MalformedPolicyDocument");
    expect(r.message).toContain("nested more than 32 deep");
  });

  it("SimulateCustomPolicy (no quota but the model's 131,072): MalformedPolicyDocument, not a 500", async () => {
    const r = await iam(client, "SimulateCustomPolicy", { PolicyInputList: [deepStatement], ActionNames: ["codecommit:GetRepository"] });
    expect(r.error).toBe("MalformedPolicyDocument");
    expect(r.message).toContain("nested more than 32 deep");
  });

  it("CreateRole with such a trust policy: LimitExceeded (ACLSizePerRole 2,048); no role made", async () => {
    const r = await iam(client, "CreateRole", { RoleName: `deep-${client}`, AssumeRolePolicyDocument: deepStatement });
    expect(r.error).toBe("LimitExceeded");
    expect(r.message).toContain("Cannot exceed quota for ACLSizePerRole: 2048");
    expect((await iam(client, "GetRole", { RoleName: `deep-${client}` })).error).toBe("NoSuchEntity");
  });
});

describe("AssumeRole's session policy", () => {
  let roleArn: string;
  let user: { accessKeyId: string; secretAccessKey: string };
  beforeAll(async () => {
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] };
    roleArn = (await iamClient(server.url).send(new CreateRoleCommand({ RoleName: "session-limits", AssumeRolePolicyDocument: JSON.stringify(trust) }))).Role!.Arn!;
    user = await userWith(server.url, "session-limits-user", { inline: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] } });
  });

  it.each<ClientKind>(["cli", "sdk"])("nested 50,000 deep: ValidationError for its length (2,048 characters of plaintext), with the %s", async (client) => {
    const r = await callService("sts", server.url, client, "AssumeRole", { RoleArn: roleArn, RoleSessionName: "deep", Policy: deepStatement }, user);
    expect(r.error).toBe("ValidationError");
    expect(r.message).toContain("at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048");
  });

  it("2,048 characters with white space are taken; 2,049 are not, white space counted", async () => {
    const statement = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "codecommit:GetRepository", Resource: "*" }] });
    const padded = (n: number) => statement.slice(0, -1) + " ".repeat(n - statement.length) + "}";
    const ok = await callService("sts", server.url, "sdk", "AssumeRole", { RoleArn: roleArn, RoleSessionName: "full", Policy: padded(2048) }, user);
    expect(ok.error).toBeUndefined();
    const over = await callService("sts", server.url, "sdk", "AssumeRole", { RoleArn: roleArn, RoleSessionName: "over", Policy: padded(2049) }, user);
    expect(over.error).toBe("ValidationError");
  });
});

describe("SNS topic policies are resource policies, read by the IAM policy parser", () => {
  const topicArn = (name: string) => `arn:aws:sns:us-east-1:${ACCOUNT}:${name}`;
  const valid = (name: string) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "jira", Effect: "Allow", Principal: { Service: "codecommit.amazonaws.com" }, Action: "sns:Publish", Resource: topicArn(name) }],
    });
  const invalid: Array<[string, string, string]> = [
    ["a statement that is a list", '{"Version":"2012-10-17","Statement":[[[]]]}', "Invalid parameter: Policy Error: Syntax errors in policy. Statement 1 must be a JSON object."],
    ["no Principal", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sns:Publish", Resource: "*" }] }), "Invalid parameter: Policy Error: Missing required field Principal"],
    ["not JSON", "{not json", "Invalid parameter: Policy Error: This policy contains invalid Json"],
    ["another service's action", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }] }), "Invalid parameter: Policy statement action out of service scope!"],
    ["lists nested 50,000 deep", deepStatement, "Invalid parameter: Policy Error: a topic policy can be at most 30 KB"],
  ];

  it.each(invalid)("CreateTopic and SetTopicAttributes refuse %s with InvalidParameter (the CLI v2); nothing changes", async (_what, policy, message) => {
    const name = `policy-${invalid.findIndex((c) => c[1] === policy)}`;
    const created = await sns(server.url, ["create-topic", "--name", name, "--attributes", JSON.stringify({ Policy: policy })]);
    expect(cliErrorCode(created), created.stderr).toBe("InvalidParameter");
    expect(created.stderr).toContain(message);
    expect(cliErrorCode(await sns(server.url, ["get-topic-attributes", "--topic-arn", topicArn(name)]))).toBe("NotFound");

    expect((await sns(server.url, ["create-topic", "--name", name])).code).toBe(0);
    const set = await sns(server.url, ["set-topic-attributes", "--topic-arn", topicArn(name), "--attribute-name", "Policy", "--attribute-value", policy]);
    expect(cliErrorCode(set)).toBe("InvalidParameter");
    expect(set.stderr).toContain(message);
    const after = (await sns(server.url, ["get-topic-attributes", "--topic-arn", topicArn(name)])).json.Attributes;
    expect(JSON.parse(after.Policy).Id).toBe("__default_policy_ID");
  });

  it("boto3 sees the same, and a valid policy (and SNS's own default) is taken", async () => {
    const code = `
import boto3, botocore, json, os
c = boto3.client("sns", endpoint_url=os.environ["E"], region_name="us-east-1")
out = {}
arn = c.create_topic(Name="policy-boto3")["TopicArn"]
default = c.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"]
for name, policy in [("bad", '{"Version":"2012-10-17","Statement":[[[]]]}'), ("good", os.environ["GOOD"]), ("default", default)]:
    try:
        c.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy)
        out[name] = c.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"] == policy
    except botocore.exceptions.ClientError as e:
        out[name] = {"error": e.response["Error"]["Code"], "message": e.response["Error"]["Message"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
print(json.dumps(out))
`;
    const r = await python(code, { ...awsEnv(), E: server.url, GOOD: valid("policy-boto3") });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.bad).toEqual({ error: "InvalidParameter", message: "Invalid parameter: Policy Error: Syntax errors in policy. Statement 1 must be a JSON object.", status: 400 });
    expect(out.good).toBe(true);
    expect(out.default).toBe(true);
  });
});

describe("SNS filter policies nested deeper than SNS's complexity allows", () => {
  it("Subscribe and SetSubscriptionAttributes answer InvalidParameter 'Filter policy is too complex', not a 500 (CLI v2)", async () => {
    const arn = (await sns(server.url, ["create-topic", "--name", "filters"])).json.TopicArn;
    // {"a":{"a":…{"a":["x"]}…}} 20,000 deep: ~100 KB, under SNS's 256 KB
    const n = 20_000;
    const deep = '{"a":'.repeat(n) + '["x"]' + "}".repeat(n);
    const attrs = (policy: string) => JSON.stringify({ FilterPolicyScope: "MessageBody", FilterPolicy: policy });
    const file = path.join(tmpDir("filter"), "attrs.json");
    fs.writeFileSync(file, attrs(deep));
    const r = await sns(server.url, ["subscribe", "--topic-arn", arn, "--protocol", "http", "--notification-endpoint", "http://127.0.0.1:9/x", "--attributes", `file://${file}`]);
    expect(cliErrorCode(r), r.stderr).toBe("InvalidParameter");
    expect(r.stderr).toContain("Invalid parameter: FilterPolicy: Filter policy is too complex");
    // SNS's documented count: 3 values at depth 1 times 3 times 3 … (here 5 × 3 × 2 = 30 is fine, 151 values are not)
    const fine = JSON.stringify({ a: ["1", "2", "3", "4", "5"], b: { c: ["1", "2", "3"] } });
    const sub = await sns(server.url, ["subscribe", "--topic-arn", arn, "--protocol", "http", "--notification-endpoint", "http://127.0.0.1:9/y", "--attributes", attrs(fine), "--return-subscription-arn"]);
    expect(sub.code, sub.stderr).toBe(0);
    const many = JSON.stringify({ a: Array.from({ length: 151 }, (_, i) => String(i)) });
    const set = await sns(server.url, ["set-subscription-attributes", "--subscription-arn", sub.json.SubscriptionArn, "--attribute-name", "FilterPolicy", "--attribute-value", many]);
    expect(cliErrorCode(set)).toBe("InvalidParameter");
    expect(set.stderr).toContain("Filter policy is too complex");
  });
});

describe("request bodies and parameter names nested deeper than any operation's input", () => {
  it("awsJson: a body nested 50,000 deep is a SerializationException (400), wherever the lists are", async () => {
    for (const body of [
      JSON.stringify({ repositoryName: "r", tags: { a: "X" } }).replace('"X"', DEEP),
      JSON.stringify({ nextToken: "X" }).replace('"X"', DEEP),
    ]) {
      const target = body.includes("tags") ? "CreateRepository" : "ListRepositories";
      const r = await signedJson(server.url, `CodeCommit_20150413.${target}`, body);
      expect(r.status, r.body).toBe(400);
      expect(JSON.parse(r.body).__type).toBe("SerializationException");
    }
  });

  it("awsQuery: a parameter name of 50,000 parts is no member of anything, and ignored as AWS ignores unknown parameters", async () => {
    const body = new URLSearchParams({ Action: "ListUsers", Version: "2010-05-08", ["Marker" + ".member.1".repeat(50_000)]: "x" }).toString();
    const r = await signedQuery(server.url, body, { service: "iam" });
    expect(r.status, r.body).toBe(200);
    expect(r.body).toContain("<ListUsersResponse");
    // and the CLI still lists, after it
    expect((await aws(server.url, ["iam", "list-users"])).code).toBe(0);
  });
});
