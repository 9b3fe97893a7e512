import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutGroupPolicyCommand,
  PutUserPolicyCommand,
  SimulatePrincipalPolicyCommand,
  type ContextEntry,
  type EvaluationResult,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitPassword } from "../../src/transport/git-auth.js";
import { call, callService, type CallResult } from "../helpers/api.js";
import { git, gitHome, gitOk, makeWorkRepo, type Creds } from "../helpers/clients.js";
import { iamClient } from "../helpers/iam.js";
import { pick, randomPolicy, rng, type PolicyVocabulary } from "../helpers/random-policy.js";
import { startServer, type ServerHandle } from "../helpers/server.js";

/**
 * The property the issue asks for: for random policies (inline on the user and on its group,
 * customer and AWS managed on either, explicit denies, permissions boundaries) and a spread of
 * real requests (CodeCommit reads and branch-changing calls, IAM and STS calls, git fetch and
 * git push per ref), SimulatePrincipalPolicy decides what enforcement decides.
 *
 * Each seed is simulated twice. Without any context entries but the request's own service keys
 * (codecommit:References), the simulator knows nothing of the request's address, transport or
 * time: whenever it reports none of those as missing, its decision must already be
 * enforcement's. With the request's facts supplied as context entries, it must always be.
 */
let server: ServerHandle;
let work: string;
let gitEnv: Record<string, string>;
let alphaTip: string;
const ACCOUNT = "000000000000";
const SEEDS = 32;
const cc = (r: string) => `arn:aws:codecommit:us-east-1:${ACCOUNT}:${r}`;
const userArn = (u: string) => `arn:aws:iam::${ACCOUNT}:user/${u}`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/prop-role`;

beforeAll(async () => {
  server = await startServer();
  for (const r of ["alpha", "beta", "pushes"]) expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: r })).error).toBeUndefined();
  gitEnv = gitHome(undefined, { helper: false });
  work = await makeWorkRepo(gitHome());
  for (const r of ["alpha", "pushes"]) await gitOk(["push", "-q", `${server.url}/v1/repos/${r}`, "main"], { cwd: work, env: gitHome() });
  alphaTip = (await call(server.url, "sdk", "GetBranch", { repositoryName: "alpha", branchName: "main" })).out.branch.commitId;
  // a trust policy that names only the account: whether a user may assume the role is then up
  // to the user's own policies, which is what the simulator sees
  const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] };
  await iamClient(server.url).send(new CreateRoleCommand({ RoleName: "prop-role", AssumeRolePolicyDocument: JSON.stringify(trust) }));
});
afterAll(async () => {
  await server?.stop();
});

const VOCABULARY: PolicyVocabulary = {
  actions: [
    "codecommit:GetRepository", "codecommit:Get*", "codecommit:List*", "codecommit:*", "codecommit:getbranch", "codecommit:Get?epository",
    "codecommit:Git*", "codecommit:GitPush", "codecommit:GitPull", "codecommit:*Branch", "codecommit:Put*", "codecommit:Delete*",
    "codecommit:Create*", "iam:Get*", "iam:List*", "iam:*", "sts:AssumeRole", "*",
  ],
  resources: [
    cc("alpha"), cc("beta"), cc("pushes"), cc("a*"), cc("*"), "*", "arn:aws:codecommit:*:*:beta",
    `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`, `arn:aws:iam::${ACCOUNT}:user/*`, `arn:aws:iam::${ACCOUNT}:role/prop-*`,
  ],
  conditions: [
    undefined,
    undefined,
    undefined,
    { IpAddress: { "aws:SourceIp": "127.0.0.0/8" } },
    { NotIpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } },
    { Bool: { "aws:SecureTransport": "false" } },
    { Bool: { "aws:SecureTransport": "true" } },
    { StringLike: { "aws:username": "prop-*" } },
    { StringEquals: { "aws:username": "someone-else" } },
    { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } },
    { NumericLessThan: { "aws:EpochTime": "1000" } },
    { StringEqualsIfExists: { "codecommit:References": "refs/heads/main" } },
    { StringEqualsIfExists: { "codecommit:References": ["refs/heads/main"] }, Null: { "codecommit:References": "false" } },
    { StringLike: { "codecommit:References": "refs/heads/prop-*" } },
    { StringNotLike: { "codecommit:References": "refs/tags/*" } },
    { "ForAnyValue:StringLike": { "codecommit:References": ["refs/heads/main", "refs/tags/*"] } },
    { Null: { "aws:TagKeys": "true" } },
    { Null: { "aws:TokenIssueTime": "true" } },
    { StringLike: { "aws:userid": "AIDA*" } },
  ],
};
const AWS_MANAGED = ["AWSCodeCommitReadOnly", "AWSCodeCommitPowerUser", "AWSCodeCommitFullAccess", "IAMReadOnlyAccess"].map(
  (n) => `arn:aws:iam::aws:policy/${n}`,
);

/** What the server knows of every request here and a simulation is not told unless asked to. */
function requestFacts(): ContextEntry[] {
  return [
    { ContextKeyName: "aws:SourceIp", ContextKeyValues: ["127.0.0.1"], ContextKeyType: "ip" },
    { ContextKeyName: "aws:SecureTransport", ContextKeyValues: ["false"], ContextKeyType: "boolean" },
    { ContextKeyName: "aws:CurrentTime", ContextKeyValues: [new Date().toISOString()], ContextKeyType: "date" },
    { ContextKeyName: "aws:EpochTime", ContextKeyValues: [String(Math.floor(Date.now() / 1000))], ContextKeyType: "numeric" },
  ];
}
const FACT_KEYS = new Set(requestFacts().map((e) => e.ContextKeyName!.toLowerCase()));

/** One authorization the server makes: an action on a resource, with the request's service keys. */
interface Need {
  action: string;
  resource: string;
  ref?: string;
}

interface Outcome {
  decision: "allowed" | "denied";
  message: string;
}

/** A real request and the authorizations it passes through (all must allow it). */
interface Check {
  name: string;
  needs: Need[];
  run(): Promise<Outcome>;
}

const DENIED_API = new Set(["AccessDeniedException", "AccessDenied"]);
const api = (r: CallResult): Outcome => ({ decision: r.error && DENIED_API.has(r.error) ? "denied" : "allowed", message: r.message ?? "" });

function gitUrl(creds: Creds, repo: string): string {
  const host = new URL(server.url).host;
  const ts = new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
  const pw = gitPassword(creds.secretAccessKey, ts, "us-east-1", host, `/v1/repos/${repo}`);
  return `http://${creds.accessKeyId}:${pw}@${host}/v1/repos/${repo}`;
}

async function gitOutcome(args: string[]): Promise<Outcome> {
  const r = await git(args, { cwd: work, env: gitEnv });
  if (r.code === 0) return { decision: "allowed", message: "" };
  if (!r.stderr.includes("is not authorized to perform")) throw new Error(`git ${args[0]} failed for another reason:\n${r.stderr}`);
  return { decision: "denied", message: r.stderr };
}

/** The requests made for one seed's user. */
function checksFor(seed: number, user: string, creds: Creds, r: () => number): Check[] {
  const sdk = (op: string, input: Record<string, unknown>) => call(server.url, "sdk", op, input, creds).then(api);
  const iamCall = (op: string, input: Record<string, unknown>) => callService("iam", server.url, "sdk", op, input, creds).then(api);
  const branch = `prop-${seed}`;
  const bogusParent = "1".repeat(40); // branch-changing calls are authorized, then fail on it and change nothing
  const pushRefs = ["refs/heads/main", `refs/heads/${branch}`, `refs/tags/v-${seed}`].filter(() => r() < 0.55);
  if (!pushRefs.length) pushRefs.push(pick(r, ["refs/heads/main", `refs/heads/${branch}`]));
  return [
    { name: "GetRepository alpha", needs: [{ action: "codecommit:GetRepository", resource: cc("alpha") }], run: () => sdk("GetRepository", { repositoryName: "alpha" }) },
    { name: "GetRepository beta", needs: [{ action: "codecommit:GetRepository", resource: cc("beta") }], run: () => sdk("GetRepository", { repositoryName: "beta" }) },
    { name: "ListBranches", needs: [{ action: "codecommit:ListBranches", resource: cc("alpha") }], run: () => sdk("ListBranches", { repositoryName: "alpha" }) },
    { name: "GetBranch", needs: [{ action: "codecommit:GetBranch", resource: cc("alpha") }], run: () => sdk("GetBranch", { repositoryName: "alpha", branchName: "main" }) },
    { name: "ListRepositories", needs: [{ action: "codecommit:ListRepositories", resource: "*" }], run: () => sdk("ListRepositories", {}) },
    {
      name: "CreateBranch",
      needs: [{ action: "codecommit:CreateBranch", resource: cc("alpha"), ref: `refs/heads/${branch}` }],
      run: () => sdk("CreateBranch", { repositoryName: "alpha", branchName: branch, commitId: alphaTip }),
    },
    {
      // main is the default branch: an allowed DeleteBranch hears DefaultBranchCannotBeDeleted
      name: "DeleteBranch main",
      needs: [{ action: "codecommit:DeleteBranch", resource: cc("alpha"), ref: "refs/heads/main" }],
      run: () => sdk("DeleteBranch", { repositoryName: "alpha", branchName: "main" }),
    },
    {
      name: "PutFile main",
      needs: [{ action: "codecommit:PutFile", resource: cc("alpha"), ref: "refs/heads/main" }],
      run: () => sdk("PutFile", { repositoryName: "alpha", branchName: "main", filePath: "p.txt", fileContent: Buffer.from("x"), parentCommitId: bogusParent }),
    },
    {
      name: "CreateCommit main",
      needs: [{ action: "codecommit:CreateCommit", resource: cc("alpha"), ref: "refs/heads/main" }],
      run: () => sdk("CreateCommit", { repositoryName: "alpha", branchName: "main", parentCommitId: bogusParent, deleteFiles: [{ filePath: "README.md" }] }),
    },
    {
      name: "DeleteFile",
      needs: [{ action: "codecommit:DeleteFile", resource: cc("alpha"), ref: `refs/heads/${branch}` }],
      run: () => sdk("DeleteFile", { repositoryName: "alpha", branchName: branch, filePath: "README.md", parentCommitId: bogusParent }),
    },
    { name: "GetUser (self)", needs: [{ action: "iam:GetUser", resource: userArn(user) }], run: () => iamCall("GetUser", {}) },
    { name: "GetUser admin", needs: [{ action: "iam:GetUser", resource: userArn("admin") }], run: () => iamCall("GetUser", { UserName: "admin" }) },
    { name: "ListUsers", needs: [{ action: "iam:ListUsers", resource: "*" }], run: () => iamCall("ListUsers", {}) },
    { name: "ListAccessKeys", needs: [{ action: "iam:ListAccessKeys", resource: userArn(user) }], run: () => iamCall("ListAccessKeys", {}) },
    { name: "ListSSHPublicKeys", needs: [{ action: "iam:ListSSHPublicKeys", resource: userArn(user) }], run: () => iamCall("ListSSHPublicKeys", {}) },
    {
      name: "AssumeRole",
      needs: [{ action: "sts:AssumeRole", resource: ROLE }],
      run: () => callService("sts", server.url, "sdk", "AssumeRole", { RoleArn: ROLE, RoleSessionName: `s${seed}` }, creds).then(api),
    },
    { name: "git fetch", needs: [{ action: "codecommit:GitPull", resource: cc("alpha") }], run: () => gitOutcome(["fetch", "-q", gitUrl(creds, "alpha"), "main"]) },
    {
      // once when git connects, without codecommit:References, then once per ref pushed
      name: `git push ${pushRefs.join(" ")}`,
      needs: [{ action: "codecommit:GitPush", resource: cc("pushes") }, ...pushRefs.map((ref) => ({ action: "codecommit:GitPush", resource: cc("pushes"), ref }))],
      run: async () => {
        await gitOk(["commit", "-q", "--allow-empty", "-m", `seed ${seed}`], { cwd: work, env: gitEnv });
        return gitOutcome(["push", "-q", gitUrl(creds, "pushes"), ...pushRefs.map((ref) => `HEAD:${ref}`)]);
      },
    },
  ];
}

/** A user with random policies in all the places a user's permissions can come from. */
async function randomUser(seed: number, r: () => number): Promise<{ user: string; creds: Creds; plan: object }> {
  const iam = iamClient(server.url);
  const user = `prop-${seed}`;
  const group = `prop-g-${seed}`;
  const where = () => (r() < 0.5 ? "user" : "group");
  const plan = {
    inlineUser: r() < 0.6 ? randomPolicy(r, VOCABULARY) : undefined,
    inlineGroup: r() < 0.4 ? randomPolicy(r, VOCABULARY) : undefined,
    customer: r() < 0.35 ? { on: where(), document: randomPolicy(r, VOCABULARY) } : undefined,
    aws: r() < 0.35 ? { on: where(), arn: pick(r, AWS_MANAGED) } : undefined,
    boundary: r() < 0.15 ? randomPolicy(r, VOCABULARY, 0.9) : undefined,
  };
  if (!plan.inlineUser && !plan.inlineGroup && !plan.customer && !plan.aws) plan.inlineUser = randomPolicy(r, VOCABULARY);
  let boundaryArn: string | undefined;
  if (plan.boundary) {
    boundaryArn = (await iam.send(new CreatePolicyCommand({ PolicyName: `prop-b-${seed}`, PolicyDocument: JSON.stringify(plan.boundary) }))).Policy!.Arn;
  }
  await iam.send(new CreateUserCommand({ UserName: user, PermissionsBoundary: boundaryArn }));
  const needsGroup = plan.inlineGroup || plan.customer?.on === "group" || plan.aws?.on === "group";
  if (needsGroup) {
    await iam.send(new CreateGroupCommand({ GroupName: group }));
    await iam.send(new AddUserToGroupCommand({ GroupName: group, UserName: user }));
  }
  if (plan.inlineUser) await iam.send(new PutUserPolicyCommand({ UserName: user, PolicyName: "inline", PolicyDocument: JSON.stringify(plan.inlineUser) }));
  if (plan.inlineGroup) await iam.send(new PutGroupPolicyCommand({ GroupName: group, PolicyName: "inline", PolicyDocument: JSON.stringify(plan.inlineGroup) }));
  const attach = async (on: string, arn: string) =>
    on === "user" ? iam.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: arn })) : iam.send(new AttachGroupPolicyCommand({ GroupName: group, PolicyArn: arn }));
  if (plan.customer) {
    const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: `prop-p-${seed}`, PolicyDocument: JSON.stringify(plan.customer.document) }))).Policy!.Arn!;
    await attach(plan.customer.on, arn);
  }
  if (plan.aws) await attach(plan.aws.on, plan.aws.arn);
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
  return { user, creds: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, plan };
}

/** Simulates every need, one call per set of service keys; results by action, resource and ref. */
async function simulateAll(user: string, needs: Need[], facts: ContextEntry[]): Promise<Map<string, EvaluationResult>> {
  const iam = iamClient(server.url);
  const out = new Map<string, EvaluationResult>();
  for (const ref of new Set(needs.map((n) => n.ref))) {
    const group = needs.filter((n) => n.ref === ref);
    const entries = [...facts, ...(ref ? [{ ContextKeyName: "codecommit:References", ContextKeyValues: [ref], ContextKeyType: "string" as const }] : [])];
    const sim = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: userArn(user),
        ActionNames: [...new Set(group.map((n) => n.action))],
        ResourceArns: [...new Set(group.map((n) => n.resource))],
        ContextEntries: entries.length ? entries : undefined,
      }),
    );
    expect(sim.IsTruncated).toBeFalsy();
    for (const e of sim.EvaluationResults!) out.set(`${e.EvalActionName}\u0000${e.EvalResourceName}\u0000${ref ?? ""}`, e);
  }
  return out;
}

const lookup = (sims: Map<string, EvaluationResult>, n: Need) => sims.get(`${n.action}\u0000${n.resource}\u0000${n.ref ?? ""}`)!;
const overall = (results: EvaluationResult[]) => (results.every((e) => e.EvalDecision === "allowed") ? "allowed" : "denied");

describe("SimulatePrincipalPolicy and enforcement", () => {
  it("agree on random policies and requests, with and without the request's facts as context entries", async () => {
    const tally = { compared: 0, allowed: 0, withoutFactsCompared: 0, factsMattered: 0, explicitDenies: 0 };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = rng(seed);
      const { user, creds, plan } = await randomUser(seed, r);
      const checks = checksFor(seed, user, creds, r);
      const needs = checks.flatMap((c) => c.needs);
      const bare = await simulateAll(user, needs, []);
      const told = await simulateAll(user, needs, requestFacts());
      for (const check of checks) {
        const real = await check.run();
        const withFacts = check.needs.map((n) => lookup(told, n));
        const withoutFacts = check.needs.map((n) => lookup(bare, n));
        const context = { seed, plan, request: check.name };
        // told everything the request carries, the simulator decides as the server did …
        expect({ ...context, decision: real.decision }).toEqual({ ...context, decision: overall(withFacts) });
        for (const e of withFacts) expect((e.MissingContextValues ?? []).filter((k) => FACT_KEYS.has(k.toLowerCase()))).toEqual([]);
        // … and the denial is worded for the statement that decided it (explicit deny or none)
        const refused = withFacts.filter((e) => e.EvalDecision !== "allowed");
        if (real.decision === "denied" && refused.length === 1) {
          const explicit = refused[0]!.EvalDecision === "explicitDeny";
          expect({ ...context, message: real.message, explicit: real.message.includes("with an explicit deny") }).toMatchObject({ explicit });
          if (explicit) tally.explicitDenies++;
        }
        // not told them, it agrees whenever it reports none of them missing
        const gaps = withoutFacts.flatMap((e) => (e.MissingContextValues ?? []).filter((k) => FACT_KEYS.has(k.toLowerCase())));
        if (gaps.length === 0) {
          expect({ ...context, withoutFacts: real.decision }).toEqual({ ...context, withoutFacts: overall(withoutFacts) });
          tally.withoutFactsCompared++;
        } else if (overall(withoutFacts) !== real.decision) {
          tally.factsMattered++;
        }
        tally.compared++;
        if (real.decision === "allowed") tally.allowed++;
      }
    }
    // the generator must exercise both outcomes, explicit denies, and requests whose facts
    // change the answer (which a simulator that made facts up would get wrong), or the
    // property says little
    expect(tally.compared).toBe(SEEDS * 18);
    expect(tally.allowed).toBeGreaterThan(tally.compared / 6);
    expect(tally.compared - tally.allowed).toBeGreaterThan(tally.compared / 6);
    expect(tally.explicitDenies).toBeGreaterThan(5);
    expect(tally.withoutFactsCompared).toBeGreaterThan(tally.compared / 2);
    expect(tally.factsMattered).toBeGreaterThan(0);
  });
});
