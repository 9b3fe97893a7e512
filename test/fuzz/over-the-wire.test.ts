import fs from "node:fs";
import zlib from "node:zlib";
import * as codecommitSdk from "@aws-sdk/client-codecommit";
import * as iamSdk from "@aws-sdk/client-iam";
import * as stsSdk from "@aws-sdk/client-sts";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import fc from "fast-check";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLUSH, pktLine } from "../../src/transport/pkt-line.js";
import { gitPassword } from "../../src/transport/git-auth.js";
import { call, callService } from "../helpers/api.js";
import { gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { fewerRuns, hostileText } from "../helpers/fuzz.js";
import { managed, userWith } from "../helpers/iam.js";
import { rawRequest, type RawResponse } from "../helpers/signed.js";
import { ADMIN, startServer, type ServerHandle } from "../helpers/server.js";
import { makeKey, uploadKey, type KeyPair } from "../helpers/ssh.js";

/**
 * The readers of untrusted input that only a whole server puts together, tried against a real
 * one with a few dozen cases each (a round trip is milliseconds, not microseconds): the API's
 * routing (X-Amz-Target, Content-Type, Action) with signed awsJson bodies and Query forms that
 * reach the operations themselves, members of the wrong type among them; Git's HTTP Basic
 * credentials (SigV4 passwords and HTTPS Git credentials) and push and fetch bodies; SSH user
 * names and exec commands. Whatever is sent, the answer is never a 5xx, always the protocol's
 * own shape, and the server logs no error; no push deletes the default branch however it names
 * the old commit; and the server starts again on what all of it left. FUZZ_RUNS / 8 cases each
 * when that is more (see fewerRuns).
 */

let server: ServerHandle;
let host: string;
let tip: string;
let sshKey: KeyPair;
let sshKeyId: string;
let gitCredential: { user: string; password: string };

beforeAll(async () => {
  server = await startServer();
  host = new URL(server.url).host;
  const env = gitHome();
  const work = await makeWorkRepo(env, { "README.md": "fuzz\n", "src/a.txt": "a\n" });
  // the API cases may do anything to theirs (delete it, rename it); the Git and SSH cases have their own
  for (const name of ["fuzz-api", "fuzz-git"]) {
    expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: name })).error).toBeUndefined();
    await gitOk(["push", "-q", `${server.url}/v1/repos/${name}`, "main"], { cwd: work, env });
  }
  tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
  await userWith(server.url, "fuzzer", { managed: [managed("AWSCodeCommitPowerUser")] });
  // a user whose name the IAM cases use most, for the operations to reach past "no such entity"
  await userWith(server.url, "fuzz-user");
  sshKey = makeKey("ed25519");
  sshKeyId = await uploadKey(server.url, "fuzzer", sshKey);
  const cred = await callService("iam", server.url, "sdk", "CreateServiceSpecificCredential", { UserName: "fuzzer", ServiceName: "codecommit.amazonaws.com" });
  expect(cred.error).toBeUndefined();
  gitCredential = { user: cred.out.ServiceSpecificCredential.ServiceUserName, password: cred.out.ServiceSpecificCredential.ServicePassword };
});

afterAll(async () => {
  await server?.stop();
});

/** Lines the server logged at error level or above (pino's 50): a request it did not model. */
function loggedErrors(): string[] {
  return server.logs.filter((l) => {
    try {
      return (JSON.parse(l) as { level?: number }).level! >= 50;
    } catch {
      return false;
    }
  });
}

const ops = (sdk: Record<string, unknown>) => Object.keys(sdk).filter((k) => k.endsWith("Command") && k !== "Command").map((k) => k.slice(0, -"Command".length));
const CODECOMMIT_OPS = ops(codecommitSdk);
const IAM_OPS = ops(iamSdk);
const STS_OPS = ops(stsSdk);
const SNS_OPS = ["CreateTopic", "DeleteTopic", "ListTopics", "GetTopicAttributes", "SetTopicAttributes", "Subscribe", "Unsubscribe", "ConfirmSubscription", "Publish", "ListSubscriptions", "ListSubscriptionsByTopic", "GetSubscriptionAttributes", "SetSubscriptionAttributes", "TagResource", "UntagResource", "ListTagsForResource", "AddPermission", "RemovePermission"];

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 });
/** values a handler must survive: plausible ones (that reach deep) and odd ones */
const value = (tipOid: () => string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom("fuzz-api", "main", "refs/heads/main", "src/a.txt", "README.md", "fuzz-user", "arn:aws:codecommit:us-east-1:000000000000:fuzz-api", "arn:aws:iam::000000000000:user/fuzz-user") },
    { weight: 1, arbitrary: fc.constant(null).map(() => tipOid()) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.constantFrom("", " ", "../", "/", "..", "\u0000", "a".repeat(3000), "😀".repeat(300), "-1", "1e309", "99999999999999999999", "{}", "[]", "${aws:username}", "*") },
    { weight: 1, arbitrary: fc.integer() },
    // objects whose own members shadow the ones String() and template literals call
    { weight: 1, arbitrary: fc.constantFrom({ toString: false }, { valueOf: 1, toString: {} }, { toString: "x" }, [{ valueOf: null }]) },
  );
const CODECOMMIT_MEMBERS = [
  "repositoryName", "repositoryNames", "repositoryDescription", "branchName", "commitId", "commitIds", "filePath", "filePaths", "fileContent", "fileMode", "folderPath",
  "parentCommitId", "pullRequestId", "title", "description", "targets", "approvalRuleTemplateName", "approvalRuleTemplateContent", "approvalRuleName",
  "approvalRuleContent", "tags", "tagKeys", "resourceArn", "nextToken", "maxResults", "sourceCommitSpecifier", "destinationCommitSpecifier", "mergeOption",
  "conflictDetailLevel", "conflictResolutionStrategy", "conflictResolution", "putFiles", "deleteFiles", "setFileModes", "triggers", "content", "commentId",
  "afterCommitId", "beforeCommitId", "location", "clientRequestToken", "reactionValue", "defaultBranchName", "blobId", "keepEmptyFolders", "authorName",
  "email", "commitMessage", "revisionId", "approvalState", "pullRequestStatus", "afterPath", "beforePath", "sourceCommit", "destinationCommit",
];
/** mostly naming the repository (and a branch, a commit, a file) that exists, so that handlers get past their first check */
const codecommitInput = fc
  .tuple(
    fc.record(
      { repositoryName: fc.oneof({ weight: 4, arbitrary: fc.constant("fuzz-api") }, value(() => tip)), branchName: fc.oneof(fc.constant("main"), value(() => tip)), commitId: value(() => tip), filePath: value(() => tip) },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...CODECOMMIT_MEMBERS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }), value(() => tip), { maxKeys: 5 }),
  )
  .map(([known, extra]) => ({ ...known, ...extra }));
const QUERY_MEMBERS = [
  "UserName", "RoleName", "GroupName", "PolicyName", "PolicyDocument", "PolicyArn", "AssumeRolePolicyDocument", "Path", "PathPrefix", "Marker", "MaxItems",
  "Tags.member.1.Key", "Tags.member.1.Value", "TagKeys.member.1", "RoleArn", "RoleSessionName", "DurationSeconds", "Policy", "PolicyArns.member.1.arn",
  "Name", "TopicArn", "Protocol", "Endpoint", "Attributes.entry.1.key", "Attributes.entry.1.value", "AttributeName", "AttributeValue", "Message", "Subject",
  "MessageAttributes.entry.1.Name", "MessageAttributes.entry.1.Value.DataType", "MessageAttributes.entry.1.Value.StringValue", "SSHPublicKeyBody",
  "SSHPublicKeyId", "Encoding", "Status", "ServiceName", "ServiceSpecificCredentialId", "NewUserName", "ActionNames.member.1", "ResourceArns.member.1",
  "PolicyInputList.member.1", "PolicySourceArn", "ContextEntries.member.1.ContextKeyName", "ContextEntries.member.1.ContextKeyValues.member.1",
  "ContextEntries.member.1.ContextKeyType", "SubscriptionArn", "Token", "Label", "AWSAccountId.member.1", "ActionName.member.1", "ExternalId", "VersionId",
  "SetAsDefault", "OnlyAttached", "Scope", "EntityFilter", "Filter.member.1",
];
const queryValue = value(() => tip).map((v) => (typeof v === "string" ? v : (JSON.stringify(v) ?? "")));
const queryInput = fc
  .tuple(
    fc.option(fc.oneof({ weight: 3, arbitrary: fc.constant("fuzz-user") }, queryValue)),
    fc.array(
      fc.tuple(
        fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom(...QUERY_MEMBERS) },
          { weight: 1, arbitrary: printable },
          // a member made an object whose own toString or valueOf is a string
          { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...QUERY_MEMBERS), fc.constantFrom(".toString", ".valueOf", ".member.1.toString")).map(([m, x]) => m + x) },
        ),
        queryValue,
      ),
      { maxLength: 6 },
    ),
  )
  .map(([userName, params]) => (userName === null ? params : [["UserName", userName] as [string, string], ...params]));

/** A request signed with the admin's key by the SDK's signer, sent as is. */
async function signedSend(service: string, headers: Record<string, string>, body: string | Buffer): Promise<RawResponse> {
  const u = new URL(server.url);
  const request = new HttpRequest({ method: "POST", protocol: u.protocol, hostname: u.hostname, port: Number(u.port), path: "/", headers: { host: u.host, ...headers }, body });
  const signer = new SignatureV4({ credentials: ADMIN, region: "us-east-1", service, sha256: Hash.bind(null, "sha256") });
  const signed = await signer.sign(request);
  return rawRequest(server.url, { headers: signed.headers as Record<string, string>, body });
}

/** The protocol's shape: awsJson answers JSON (errors with __type), Query answers XML. */
function expectShape(r: RawResponse, what: string): void {
  expect(r.status, `${what}: ${r.status} ${r.body.slice(0, 300)}`).toBeLessThan(500);
  const type = String(r.headers["content-type"] ?? "");
  if (type.startsWith("application/x-amz-json")) {
    const body = r.body ? (JSON.parse(r.body) as Record<string, unknown>) : {};
    if (r.status >= 400) expect(typeof body.__type).toBe("string");
  } else {
    expect(type).toBe("text/xml");
    expect(r.body.startsWith("<")).toBe(true);
  }
}

describe("the API, over HTTP", () => {
  const jsonCase = fc.record({
    kind: fc.constant("json" as const),
    op: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...CODECOMMIT_OPS) }, { weight: 1, arbitrary: printable }),
    version: fc.constantFrom("1.1", "1.1", "1.0"),
    body: hostileText(codecommitInput.map((i) => JSON.stringify(i))),
  });
  const queryCase = fc.record({
    kind: fc.constant("query" as const),
    service: fc.constantFrom("iam", "sts", "sns"),
    op: fc.nat(),
    params: queryInput,
    inUrl: fc.boolean(),
  });
  const unsignedCase = fc.record({
    kind: fc.constant("unsigned" as const),
    headers: fc.dictionary(
      fc.constantFrom("x-amz-target", "content-type", "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "content-encoding"),
      fc.oneof(printable, fc.constantFrom("CodeCommit_20150413.ListRepositories", ".", "CodeCommit_20150413.", "application/x-www-form-urlencoded", "application/x-amz-json-1.1", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00", "gzip")),
      { maxKeys: 4 },
    ),
    path: fc.constantFrom("/", "/?Action=ListUsers", "/?Action=ListUsers&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/b/c/d/aws4_request", "/x/../", "/?Action=", "/?Action=ConfirmSubscription&TopicArn=x&Token=y", "/?%zz=%"),
    body: fc.oneof(printable, fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b))),
  });

  it("signed awsJson bodies, signed Query forms and unsigned requests of any shape: never a 5xx, the protocol's shape, no error logged", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(jsonCase, queryCase, unsignedCase), async (c) => {
        let r: RawResponse;
        if (c.kind === "json") {
          r = await signedSend("codecommit", { "content-type": `application/x-amz-json-${c.version}`, "x-amz-target": `CodeCommit_20150413.${c.op}` }, Buffer.from(c.body, "utf8"));
        } else if (c.kind === "query") {
          const list = c.service === "iam" ? IAM_OPS : c.service === "sts" ? STS_OPS : SNS_OPS;
          const form = new URLSearchParams([["Action", list[c.op % list.length]!], ...c.params]).toString();
          r = c.inUrl
            ? await signedGet(c.service, form)
            : await signedSend(c.service, { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, form);
        } else {
          r = await rawRequest(server.url, { path: c.path, headers: c.headers, body: c.body });
        }
        expectShape(r, JSON.stringify(c).slice(0, 300));
      }),
      fewerRuns(60),
    );
    expect(loggedErrors()).toEqual([]);
  });
});

describe("members of the wrong type, over HTTP", () => {
  /** what a client may put where a string or a number belongs, objects that shadow toString or valueOf among them */
  const wrong = fc.constantFrom<unknown>({ toString: false }, { valueOf: 1, toString: {} }, { toString: "x" }, [{ valueOf: null }], {}, [], [[]], { a: 1 }, true, 0, -1, 1.5, null, "");
  /** every member either wrong or a value that names what exists, so that a handler gets far enough to use the wrong one */
  const member = fc.oneof(wrong, fc.constantFrom<unknown>("fuzz-api", "main", "README.md", "1", "fuzz-user"), fc.constant(null).map(() => tip));
  const jsonCase = fc.record({
    op: fc.constantFrom(...CODECOMMIT_OPS),
    input: fc.dictionary(fc.constantFrom(...CODECOMMIT_MEMBERS), member, { minKeys: 1, maxKeys: 12 }),
    repository: fc.boolean(),
  });
  const queryCase = fc.record({
    service: fc.constantFrom("iam", "sts", "sns"),
    op: fc.nat(),
    params: fc.array(fc.tuple(fc.constantFrom(...QUERY_MEMBERS), fc.constantFrom("", ".toString", ".valueOf", ".member.1", ".member.1.toString", ".entry.1.key", ".x"), fc.constantFrom("fuzz-user", "1", "", "x")), { minLength: 1, maxLength: 8 }),
  });

  it("in any awsJson operation or Query action: a 4xx in the protocol's shape, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(jsonCase.map((c) => ({ kind: "json" as const, ...c })), queryCase.map((c) => ({ kind: "query" as const, ...c }))), async (c) => {
        let r: RawResponse;
        if (c.kind === "json") {
          const input = c.repository ? { repositoryName: "fuzz-api", ...c.input } : c.input;
          r = await signedSend("codecommit", { "content-type": "application/x-amz-json-1.1", "x-amz-target": `CodeCommit_20150413.${c.op}` }, JSON.stringify(input));
        } else {
          const list = c.service === "iam" ? IAM_OPS : c.service === "sts" ? STS_OPS : SNS_OPS;
          const form = new URLSearchParams([["Action", list[c.op % list.length]!], ...c.params.map(([m, x, v]): [string, string] => [m + x, v])]).toString();
          r = await signedSend(c.service, { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, form);
        }
        expectShape(r, JSON.stringify(c).slice(0, 400));
      }),
      fewerRuns(150),
    );
    expect(loggedErrors()).toEqual([]);
  });
});

/** A signed GET with the form in the query string, as some Query clients send it. */
async function signedGet(service: string, form: string): Promise<RawResponse> {
  const u = new URL(server.url);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(form)) query[k] = k in query ? [...[query[k]!].flat(), v] : v;
  const request = new HttpRequest({ method: "GET", protocol: u.protocol, hostname: u.hostname, port: Number(u.port), path: "/", query, headers: { host: u.host } });
  const signer = new SignatureV4({ credentials: ADMIN, region: "us-east-1", service, sha256: Hash.bind(null, "sha256") });
  const signed = await signer.sign(request);
  return rawRequest(server.url, { method: "GET", path: `/?${form}`, headers: signed.headers as Record<string, string> });
}

describe("Git over HTTP", () => {
  const stamp = () => new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
  const user = fc.oneof(
    fc.constantFrom(ADMIN.accessKeyId, `${ADMIN.accessKeyId}%token`, "fuzzer-at-000000000000", "fuzzer+1-at-000000000000", "-at-", "%", ""),
    fc.constant(null).map(() => gitCredential.user),
    fc.string({ maxLength: 40 }).map((s) => s.replace(/:/g, "")),
  );
  const password = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.stringMatching(/^\d{8}T\d{6}Z[0-9a-f]{64}$/),
    fc.constant(null).map(() => `${stamp()}Z${"0".repeat(64)}`),
    fc.constant(null).map(() => gitCredential.password.slice(0, -1) + "x"),
  );
  const credentialCase = fc.record({
    authorization: fc.oneof(fc.tuple(user, password).map(([u, p]) => basic(u, p)), printable, fc.constantFrom("Basic", "Basic ", "Basic !!!", "Basic Og==")),
    path: fc.constantFrom("/v1/repos/fuzz-git/info/refs?service=git-upload-pack", "/v1/repos/fuzz-git/info/refs?service=git-receive-pack", "/v1/repos/nope/info/refs?service=git-upload-pack", "/v1/repos/fuzz-git.git/info/refs?service=git-upload-pack", "/v1/repos/%00/info/refs?service=git-upload-pack"),
  });

  it("any Basic credentials: refused with a 401 or 403, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(credentialCase, async (c) => {
        const r = await rawRequest(server.url, { method: "GET", path: c.path, headers: { authorization: c.authorization } });
        expect(r.status, `${JSON.stringify(c)}: ${r.body}`).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
      }),
      fewerRuns(40),
    );
    expect(loggedErrors()).toEqual([]);
  });

  const ZERO = "0".repeat(40);
  const oid = fc.oneof(fc.constant(ZERO), fc.constant(null).map(() => tip), fc.stringMatching(/^[0-9a-f]{40}$/));
  const ref = fc.oneof(fc.constantFrom("refs/heads/main", "refs/heads/new", "refs/tags/v1", "HEAD", "refs/heads/../x", "refs/heads/a..b", "refs/heads/"), printable.map((s) => `refs/heads/${s.replace(/\s/g, "")}x`));
  const commandSection = fc
    .record({
      commands: fc.array(fc.tuple(oid, oid, ref), { maxLength: 4 }),
      capabilities: fc.constantFrom("", "report-status side-band-64k", "report-status-v2 atomic", "push-options", "object-format=sha256"),
      tail: fc.oneof(fc.constant(Buffer.from("PACK\0\0\0\x02\0\0\0\0", "latin1")), fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)), fc.constant(Buffer.alloc(0))),
      flush: fc.boolean(),
    })
    .map(({ commands, capabilities, tail, flush }) =>
      Buffer.concat([...commands.map(([o, n, r], i) => pktLine(`${o} ${n} ${r}${i === 0 && capabilities ? `\0${capabilities}` : ""}\n`)), ...(flush ? [FLUSH] : []), tail]),
    );
  const bodyCase = fc.record({
    service: fc.constantFrom("git-receive-pack", "git-upload-pack"),
    body: fc.oneof(commandSection, fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), fc.constantFrom(Buffer.from("0000"), Buffer.from("0001"), Buffer.from("ffff"), Buffer.from("0032want " + "a".repeat(40) + "\n00000009done\n"))),
    gzip: fc.constantFrom("none", "none", "gzip", "not-gzip"),
    contentType: fc.boolean(),
  });

  it("any push or fetch body from an authenticated client: never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(bodyCase, async (c) => {
        const headers: Record<string, string> = {
          authorization: basic(ADMIN.accessKeyId, gitPassword(ADMIN.secretAccessKey, stamp(), "us-east-1", host, "/v1/repos/fuzz-git")),
        };
        if (c.contentType) headers["content-type"] = `application/x-${c.service}-request`;
        let body = c.body;
        if (c.gzip !== "none") headers["content-encoding"] = "gzip";
        if (c.gzip === "gzip") body = zlib.gzipSync(body);
        const r = await rawRequest(server.url, { path: `/v1/repos/fuzz-git/${c.service}`, headers, body });
        expect(r.status, `${c.service} ${c.gzip} ${c.body.toString("latin1").slice(0, 200)}: ${r.body.slice(0, 300)}`).toBeLessThan(500);
      }),
      fewerRuns(40),
    );
    expect(loggedErrors()).toEqual([]);
    // and the repository is as it was: nothing a broken push sent moved main
    const main = await call(server.url, "sdk", "GetBranch", { repositoryName: "fuzz-git", branchName: "main" });
    expect(main.error, main.message).toBeUndefined();
    expect(main.out.branch.commitId).toBe(tip);
  });
});

describe("deletions by push", () => {
  const ZERO = "0".repeat(40);
  const deletion = fc.array(fc.tuple(fc.oneof(fc.constant(ZERO), fc.constant(null).map(() => tip), fc.stringMatching(/^[0-9a-f]{40}$/)), fc.constantFrom("refs/heads/main", "refs/heads/main", "refs/heads/other", "refs/tags/v1")), { minLength: 1, maxLength: 3 });

  it("whatever old IDs they give, never delete the default branch", async () => {
    const stamp = () => new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
    await fc.assert(
      fc.asyncProperty(deletion, fc.constantFrom("report-status", "report-status-v2 atomic", "report-status side-band-64k"), async (commands, capabilities) => {
        const body = Buffer.concat([...commands.map(([old, ref], i) => pktLine(`${old} ${ZERO} ${ref}${i === 0 ? `\0${capabilities}` : ""}\n`)), FLUSH]);
        const password = gitPassword(ADMIN.secretAccessKey, stamp(), "us-east-1", host, "/v1/repos/fuzz-git");
        const headers = { authorization: `Basic ${Buffer.from(`${ADMIN.accessKeyId}:${password}`).toString("base64")}`, "content-type": "application/x-git-receive-pack-request" };
        const r = await rawRequest(server.url, { path: "/v1/repos/fuzz-git/git-receive-pack", headers, body });
        expect(r.status).toBeLessThan(500);
        const main = await call(server.url, "sdk", "GetBranch", { repositoryName: "fuzz-git", branchName: "main" });
        expect(main.error, `${JSON.stringify(commands)}: ${r.body}`).toBeUndefined();
        expect(main.out.branch.commitId).toBe(tip);
      }),
      fewerRuns(20),
    );
    expect(loggedErrors()).toEqual([]);
  });
});

describe("SSH", () => {
  /** Connects as `username` with the fuzzer's key; runs `command` once authenticated. */
  function connect(username: string, command?: string): Promise<{ authenticated: boolean; exit?: number | string | null; error?: string }> {
    return new Promise((resolve) => {
      const client = new ssh2.Client();
      let authenticated = false;
      let exit: number | string | null | undefined;
      let error: string | undefined;
      client.on("ready", () => {
        authenticated = true;
        if (command === undefined) return client.end();
        client.exec(command, (err, channel) => {
          if (err) {
            error = err.message;
            return client.end();
          }
          channel.on("exit", (code: number | null, signal?: string) => (exit = code ?? signal ?? null));
          channel.on("close", () => client.end());
          channel.resume();
          channel.stderr.resume();
          channel.end();
        });
      });
      client.on("error", (e) => (error = e.message));
      client.on("close", () => resolve({ authenticated, exit, error }));
      client.connect({ host: "127.0.0.1", port: server.sshPort, username, privateKey: fs.readFileSync(sshKey.file), hostVerifier: () => true, readyTimeout: 20_000 });
    });
  }

  const username = fc.oneof(
    fc.constantFrom("git", "GIT", "git ", " git", "git\0", "root", "", "APKA", "apka"),
    fc.constant(null).map(() => sshKeyId),
    fc.constant(null).map(() => sshKeyId.toLowerCase()),
    fc.constant(null).map(() => `${sshKeyId}x`),
    fc.constant(null).map(() => sshKeyId.slice(0, -1)),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.integer({ min: 200, max: 2000 }).map((n) => `APKA${"A".repeat(n)}`),
  );

  it("any user name: authenticated exactly as git or as the key's ID; the server keeps serving", async () => {
    await fc.assert(
      fc.asyncProperty(username, async (u) => {
        const r = await connect(u);
        expect(r.authenticated, `${JSON.stringify(u)}: ${r.error}`).toBe(u === "git" || u === sshKeyId);
      }),
      fewerRuns(25),
    );
    expect(loggedErrors()).toEqual([]);
  });

  const command = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.tuple(fc.constantFrom("git-upload-pack", "git-receive-pack", "git-upload-archive", "git upload-pack", "scp -t"), fc.constantFrom(" ", "  "), fc.constantFrom("'/v1/repos/fuzz-git'", "'/v1/repos/nope'", "'v1/repos/fuzz.git'", "/v1/repos/fuzz-git", "'/v1/repos/fuzz-git", "'/v1/repos/'\\''x'", "''", "'/v1/repos/fuzz-git' extra")).map(([a, b, c]) => a + b + c),
  );

  it("any exec command once authenticated: an exit status, never an internal error", async () => {
    await fc.assert(
      fc.asyncProperty(command, async (cmd) => {
        const r = await connect(sshKeyId, cmd);
        expect(r.authenticated).toBe(true);
        expect(r.error, cmd).toBeUndefined();
        expect(r.exit, cmd).not.toBeUndefined();
      }),
      fewerRuns(25),
    );
    expect(loggedErrors()).toEqual([]);
  });
});

describe("after all of it", () => {
  it("the server stops and starts again on its data directory (nothing a client sent is left to trip start-up repair) and serves the repository", async () => {
    expect(await server.stop()).toBe(0);
    server = await startServer({ dataDir: server.dataDir });
    const main = await call(server.url, "sdk", "GetBranch", { repositoryName: "fuzz-git", branchName: "main" });
    expect(main.error, main.message).toBeUndefined();
    expect(main.out.branch.commitId).toBe(tip);
    expect(loggedErrors()).toEqual([]);
  });
});
