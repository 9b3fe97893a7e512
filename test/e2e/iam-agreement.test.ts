import { SimulatePrincipalPolicyCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/api.js";
import { gitHome, gitOk, makeWorkRepo } from "../helpers/clients.js";
import { iamClient, userWith } from "../helpers/iam.js";
import { startServer, type ServerHandle } from "../helpers/server.js";

/**
 * The property the issue asks for: for random policies and random requests,
 * SimulatePrincipalPolicy and real enforcement decide the same.
 */
let server: ServerHandle;
const ACCOUNT = "000000000000";
const arn = (r: string) => `arn:aws:codecommit:us-east-1:${ACCOUNT}:${r}`;

beforeAll(async () => {
  server = await startServer();
  for (const r of ["alpha", "beta"]) await call(server.url, "sdk", "CreateRepository", { repositoryName: r });
  const env = gitHome();
  const work = await makeWorkRepo(env);
  await gitOk(["push", "-q", `${server.url}/v1/repos/alpha`, "main"], { cwd: work, env });
});
afterAll(async () => {
  await server?.stop();
});

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACTIONS = ["codecommit:GetRepository", "codecommit:Get*", "codecommit:List*", "codecommit:*", "codecommit:getbranch", "codecommit:ListBranches", "*", "codecommit:Get?epository"];
const RESOURCES = [arn("alpha"), arn("beta"), arn("a*"), `arn:aws:codecommit:us-east-1:${ACCOUNT}:*`, "*", `arn:aws:codecommit:*:*:beta`];
const CONDITIONS: Array<Record<string, unknown> | undefined> = [
  undefined,
  undefined,
  { IpAddress: { "aws:SourceIp": "127.0.0.0/8" } },
  { NotIpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } },
  { Bool: { "aws:SecureTransport": "false" } },
  { Bool: { "aws:SecureTransport": "true" } },
  { StringLike: { "aws:username": "prop-*" } },
  { StringEquals: { "aws:username": "someone-else" } },
  { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } },
  { StringEqualsIfExists: { "codecommit:References": "refs/heads/main" } },
  { Null: { "aws:TagKeys": "true" } },
];

const REQUESTS: Array<{ action: string; op: string; input: Record<string, unknown>; resource: string }> = [
  { action: "codecommit:GetRepository", op: "GetRepository", input: { repositoryName: "alpha" }, resource: arn("alpha") },
  { action: "codecommit:GetRepository", op: "GetRepository", input: { repositoryName: "beta" }, resource: arn("beta") },
  { action: "codecommit:ListBranches", op: "ListBranches", input: { repositoryName: "alpha" }, resource: arn("alpha") },
  { action: "codecommit:GetBranch", op: "GetBranch", input: { repositoryName: "alpha", branchName: "main" }, resource: arn("alpha") },
  { action: "codecommit:ListRepositories", op: "ListRepositories", input: {}, resource: "*" },
];

function randomPolicy(r: () => number): object {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const statements = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
    const s: Record<string, unknown> = { Effect: r() < 0.7 ? "Allow" : "Deny" };
    const actions = Array.from({ length: 1 + Math.floor(r() * 2) }, () => pick(ACTIONS));
    s[r() < 0.15 ? "NotAction" : "Action"] = actions.length === 1 ? actions[0] : actions;
    const resources = Array.from({ length: 1 + Math.floor(r() * 2) }, () => pick(RESOURCES));
    s[r() < 0.15 ? "NotResource" : "Resource"] = resources.length === 1 ? resources[0] : resources;
    const c = pick(CONDITIONS);
    if (c) s.Condition = c;
    return s;
  });
  return { Version: "2012-10-17", Statement: statements };
}

describe("SimulatePrincipalPolicy and enforcement", () => {
  it("agree on random policies and requests", async () => {
    const iam = iamClient(server.url);
    let compared = 0;
    let allowed = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const policy = randomPolicy(r);
      const user = `prop-${seed}`;
      const creds = await userWith(server.url, user, { inline: policy });
      const sim = await iam.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/${user}`,
          ActionNames: [...new Set(REQUESTS.map((q) => q.action))],
          ResourceArns: [...new Set(REQUESTS.map((q) => q.resource))],
          ContextEntries: [
            { ContextKeyName: "aws:SourceIp", ContextKeyValues: ["127.0.0.1"], ContextKeyType: "ip" },
            { ContextKeyName: "aws:SecureTransport", ContextKeyValues: ["false"], ContextKeyType: "boolean" },
          ],
        }),
      );
      for (const q of REQUESTS) {
        const simulated = sim.EvaluationResults!.find((e) => e.EvalActionName === q.action && e.EvalResourceName === q.resource)!;
        const real = await call(server.url, "sdk", q.op, q.input, creds);
        const enforced = real.error === "AccessDeniedException" ? "denied" : "allowed";
        expect({ seed, policy, request: q.op, resource: q.resource, decision: enforced }).toEqual({
          seed,
          policy,
          request: q.op,
          resource: q.resource,
          decision: simulated.EvalDecision === "allowed" ? "allowed" : "denied",
        });
        compared++;
        if (enforced === "allowed") allowed++;
      }
    }
    // the generator must exercise both outcomes, or the property says nothing
    expect(compared).toBe(200);
    expect(allowed).toBeGreaterThan(20);
    expect(compared - allowed).toBeGreaterThan(20);
  });
});
