import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type ClientKind } from "../helpers/api.js";
import { gitHome, gitOk, makeWorkRepo, type Creds } from "../helpers/clients.js";
import { managed, userWith } from "../helpers/iam.js";
import { ADMIN, startServer, type ServerHandle } from "../helpers/server.js";

/**
 * Approval rule templates with the AWS CLI v2, v1 and the JavaScript SDK against a real server:
 * their life (create, read, rename, edit guarded by the content's SHA-256, delete only when no
 * repository uses them), associations one by one and in batches with per-repository errors, the
 * rule a new pull request gets from them (only where the template's DestinationReferences match),
 * the quotas CodeCommit documents, and who may do what under the AWS managed policies.
 */
const ACCOUNT = "000000000000";
let server: ServerHandle;
let power: Creds;
let readOnly: Creds;
let work: string;

const env = () => gitHome(ADMIN);
const content = (needed: number, destinations?: string[]) =>
  JSON.stringify({
    Version: "2018-11-08",
    ...(destinations ? { DestinationReferences: destinations } : {}),
    Statements: [{ Type: "Approvers", NumberOfApprovalsNeeded: needed, ApprovalPoolMembers: [`arn:aws:iam::${ACCOUNT}:user/*`] }],
  });

function ok(r: { error?: string; message?: string; out?: any }): any {
  expect(r.error, r.message).toBeUndefined();
  return r.out;
}

async function repository(name: string): Promise<void> {
  ok(await call(server.url, "sdk", "CreateRepository", { repositoryName: name }));
  await gitOk(["push", "-q", `${server.url}/v1/repos/${name}`, "main", "main:refs/heads/develop", "feature"], { cwd: work, env: env() });
}

async function template(client: ClientKind, name: string, body = content(1)): Promise<any> {
  return ok(await call(server.url, client, "CreateApprovalRuleTemplate", { approvalRuleTemplateName: name, approvalRuleTemplateContent: body })).approvalRuleTemplate;
}

beforeAll(async () => {
  server = await startServer();
  work = await makeWorkRepo(env());
  await gitOk(["checkout", "-q", "-b", "feature"], { cwd: work, env: env() });
  await gitOk(["commit", "-q", "--allow-empty", "-m", "a feature"], { cwd: work, env: env() });
  await gitOk(["checkout", "-q", "main"], { cwd: work, env: env() });
  power = await userWith(server.url, "power", { managed: [managed("AWSCodeCommitPowerUser")] });
  readOnly = await userWith(server.url, "reader", { managed: [managed("AWSCodeCommitReadOnly")] });
  for (const r of ["alpha", "beta", "gamma"]) await repository(r);
});
afterAll(async () => {
  await server?.stop();
});

describe("approval rule templates", () => {
  it.each<ClientKind>(["cli", "cli1", "sdk"])("create, get, rename, describe, edit guarded by the SHA-256, delete (%s)", async (client) => {
    const name = `life-${client}`;
    const created = await template(client, name, content(2, ["refs/heads/main"]));
    expect(created).toMatchObject({ approvalRuleTemplateName: name, approvalRuleTemplateDescription: "", lastModifiedUser: `arn:aws:iam::${ACCOUNT}:user/admin` });
    expect(created.ruleContentSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ok(await call(server.url, client, "GetApprovalRuleTemplate", { approvalRuleTemplateName: name })).approvalRuleTemplate).toMatchObject({
      approvalRuleTemplateId: created.approvalRuleTemplateId,
      approvalRuleTemplateContent: content(2, ["refs/heads/main"]),
    });

    const renamed = ok(await call(server.url, client, "UpdateApprovalRuleTemplateName", { oldApprovalRuleTemplateName: name, newApprovalRuleTemplateName: `${name}-2` })).approvalRuleTemplate;
    expect(renamed).toMatchObject({ approvalRuleTemplateId: created.approvalRuleTemplateId, approvalRuleTemplateName: `${name}-2` });
    expect((await call(server.url, client, "GetApprovalRuleTemplate", { approvalRuleTemplateName: name })).error).toBe("ApprovalRuleTemplateDoesNotExistException");

    const described = ok(await call(server.url, client, "UpdateApprovalRuleTemplateDescription", { approvalRuleTemplateName: `${name}-2`, approvalRuleTemplateDescription: "two reviewers for main" }));
    expect(described.approvalRuleTemplate.approvalRuleTemplateDescription).toBe("two reviewers for main");

    // an edit that names a stale SHA-256 is refused and changes nothing; the current one is accepted
    const stale = await call(server.url, client, "UpdateApprovalRuleTemplateContent", {
      approvalRuleTemplateName: `${name}-2`,
      newRuleContent: content(3),
      existingRuleContentSha256: "0".repeat(64),
    });
    expect(stale.error).toBe("InvalidRuleContentSha256Exception");
    const edited = ok(
      await call(server.url, client, "UpdateApprovalRuleTemplateContent", {
        approvalRuleTemplateName: `${name}-2`,
        newRuleContent: content(3),
        existingRuleContentSha256: created.ruleContentSha256,
      }),
    ).approvalRuleTemplate;
    expect(edited.approvalRuleTemplateContent).toBe(content(3));
    expect(edited.ruleContentSha256).not.toBe(created.ruleContentSha256);

    const names = ok(await call(server.url, client, "ListApprovalRuleTemplates", {})).approvalRuleTemplateNames;
    expect(names).toContain(`${name}-2`);
    expect(ok(await call(server.url, client, "DeleteApprovalRuleTemplate", { approvalRuleTemplateName: `${name}-2` })).approvalRuleTemplateId).toBe(created.approvalRuleTemplateId);
    // deleting it again is 200 without content, as CodeCommit documents
    const again = await call(server.url, client, "DeleteApprovalRuleTemplate", { approvalRuleTemplateName: `${name}-2` });
    expect(again.error, again.message).toBeUndefined();
    expect(again.out?.approvalRuleTemplateId).toBeUndefined();
  });

  it("refuses a taken name, malformed content and a description that is too long, saying why, and changes nothing", async () => {
    await template("cli", "taken");
    expect((await call(server.url, "cli", "CreateApprovalRuleTemplate", { approvalRuleTemplateName: "taken", approvalRuleTemplateContent: content(1) })).error).toBe(
      "ApprovalRuleTemplateNameAlreadyExistsException",
    );
    const bad = await call(server.url, "cli", "CreateApprovalRuleTemplate", { approvalRuleTemplateName: "bad", approvalRuleTemplateContent: '{"Version":"2018-11-08"}' });
    expect(bad.error).toBe("InvalidApprovalRuleTemplateContentException");
    expect(bad.message).toMatch(/Statements/);
    const long = await call(server.url, "sdk", "CreateApprovalRuleTemplate", {
      approvalRuleTemplateName: "long",
      approvalRuleTemplateContent: content(1),
      approvalRuleTemplateDescription: "d".repeat(1001),
    });
    expect(long.error).toBe("InvalidApprovalRuleTemplateDescriptionException");
    const names = ok(await call(server.url, "sdk", "ListApprovalRuleTemplates", {})).approvalRuleTemplateNames;
    expect(names).not.toContain("bad");
    expect(names).not.toContain("long");
    await template("sdk", "other");
    expect((await call(server.url, "sdk", "UpdateApprovalRuleTemplateName", { oldApprovalRuleTemplateName: "other", newApprovalRuleTemplateName: "taken" })).error).toBe(
      "ApprovalRuleTemplateNameAlreadyExistsException",
    );
  });
});

describe("who may", () => {
  it("a read-only user reads templates and associations; a power user associates but cannot delete templates", async () => {
    await template("sdk", "guarded");
    expect((await call(server.url, "cli", "GetApprovalRuleTemplate", { approvalRuleTemplateName: "guarded" }, readOnly)).error).toBeUndefined();
    expect((await call(server.url, "cli", "CreateApprovalRuleTemplate", { approvalRuleTemplateName: "r", approvalRuleTemplateContent: content(1) }, readOnly)).error).toBe(
      "AccessDeniedException",
    );
    expect((await call(server.url, "cli", "AssociateApprovalRuleTemplateWithRepository", { approvalRuleTemplateName: "guarded", repositoryName: "beta" }, readOnly)).error).toBe(
      "AccessDeniedException",
    );
    // AWSCodeCommitPowerUser allows Create* and Update* but not DeleteApprovalRuleTemplate
    expect((await call(server.url, "cli", "UpdateApprovalRuleTemplateDescription", { approvalRuleTemplateName: "guarded", approvalRuleTemplateDescription: "x" }, power)).error).toBeUndefined();
    const del = await call(server.url, "cli", "DeleteApprovalRuleTemplate", { approvalRuleTemplateName: "guarded" }, power);
    expect(del.error).toBe("AccessDeniedException");
    expect(del.message).toContain("codecommit:DeleteApprovalRuleTemplate");
  });
});

describe("associations", () => {
  it("a new pull request gets the rule of each associated template whose destinations match; existing ones keep theirs", async () => {
    const main = await template("cli", "main-only", content(1, ["refs/heads/main"]));
    await template("cli", "everywhere", content(2));
    ok(await call(server.url, "cli", "AssociateApprovalRuleTemplateWithRepository", { approvalRuleTemplateName: "main-only", repositoryName: "alpha" }, power));
    ok(await call(server.url, "cli1", "AssociateApprovalRuleTemplateWithRepository", { approvalRuleTemplateName: "everywhere", repositoryName: "alpha" }, power));
    // associating again changes nothing
    ok(await call(server.url, "sdk", "AssociateApprovalRuleTemplateWithRepository", { approvalRuleTemplateName: "main-only", repositoryName: "alpha" }, power));

    const toMain = ok(
      await call(server.url, "cli", "CreatePullRequest", { title: "to main", targets: [{ repositoryName: "alpha", sourceReference: "feature", destinationReference: "main" }] }, power),
    ).pullRequest;
    expect(toMain.approvalRules.map((r: any) => [r.approvalRuleName, r.originApprovalRuleTemplate?.approvalRuleTemplateName]).sort()).toEqual([
      ["everywhere", "everywhere"],
      ["main-only", "main-only"],
    ]);
    expect(toMain.approvalRules.find((r: any) => r.approvalRuleName === "main-only").originApprovalRuleTemplate.approvalRuleTemplateId).toBe(main.approvalRuleTemplateId);

    const toDevelop = ok(
      await call(server.url, "sdk", "CreatePullRequest", { title: "to develop", targets: [{ repositoryName: "alpha", sourceReference: "feature", destinationReference: "develop" }] }, power),
    ).pullRequest;
    expect(toDevelop.approvalRules.map((r: any) => r.approvalRuleName)).toEqual(["everywhere"]);
    const evaluation = ok(
      await call(server.url, "cli", "EvaluatePullRequestApprovalRules", { pullRequestId: toDevelop.pullRequestId, revisionId: toDevelop.revisionId }, readOnly),
    ).evaluation;
    expect(evaluation).toMatchObject({ approved: false, approvalRulesNotSatisfied: ["everywhere"] });

    // a repository without associations: no rules
    const beta = ok(
      await call(server.url, "cli", "CreatePullRequest", { title: "beta", targets: [{ repositoryName: "beta", sourceReference: "feature", destinationReference: "main" }] }, power),
    ).pullRequest;
    expect(beta.approvalRules ?? []).toEqual([]);

    // disassociating leaves the rules of existing pull requests as they are
    ok(await call(server.url, "cli", "DisassociateApprovalRuleTemplateFromRepository", { approvalRuleTemplateName: "main-only", repositoryName: "alpha" }, power));
    const after = ok(await call(server.url, "cli", "GetPullRequest", { pullRequestId: toMain.pullRequestId }, readOnly)).pullRequest;
    expect(after.approvalRules.map((r: any) => r.approvalRuleName).sort()).toEqual(["everywhere", "main-only"]);
    expect(ok(await call(server.url, "cli", "ListAssociatedApprovalRuleTemplatesForRepository", { repositoryName: "alpha" }, readOnly)).approvalRuleTemplateNames).toEqual([
      "everywhere",
    ]);

    // a template in use cannot be deleted
    const inUse = await call(server.url, "cli", "DeleteApprovalRuleTemplate", { approvalRuleTemplateName: "everywhere" });
    expect(inUse.error).toBe("ApprovalRuleTemplateInUseException");
    expect(ok(await call(server.url, "sdk", "GetApprovalRuleTemplate", { approvalRuleTemplateName: "everywhere" })).approvalRuleTemplate.approvalRuleTemplateName).toBe("everywhere");
    ok(await call(server.url, "cli", "DisassociateApprovalRuleTemplateFromRepository", { approvalRuleTemplateName: "everywhere", repositoryName: "alpha" }));
  });

  it("batches: each repository on its own, with CodeCommit's per-repository errors", async () => {
    await template("sdk", "batched");
    for (const client of ["cli", "cli1", "sdk"] as ClientKind[]) {
      const out = ok(
        await call(
          server.url,
          client,
          "BatchAssociateApprovalRuleTemplateWithRepositories",
          { approvalRuleTemplateName: "batched", repositoryNames: ["alpha", "nope", "beta", "bad name!"] },
          power,
        ),
      );
      expect(out.associatedRepositoryNames.sort()).toEqual(["alpha", "beta"]);
      expect(out.errors.map((e: any) => [e.repositoryName, e.errorCode]).sort()).toEqual([
        ["bad name!", "InvalidRepositoryNameException"],
        ["nope", "RepositoryDoesNotExistException"],
      ]);
      for (const e of out.errors) expect(e.errorMessage).toBeTruthy();
    }
    expect(ok(await call(server.url, "cli", "ListRepositoriesForApprovalRuleTemplate", { approvalRuleTemplateName: "batched" }, readOnly)).repositoryNames.sort()).toEqual([
      "alpha",
      "beta",
    ]);
    const gone = ok(
      await call(server.url, "cli", "BatchDisassociateApprovalRuleTemplateFromRepositories", { approvalRuleTemplateName: "batched", repositoryNames: ["alpha", "nope"] }, power),
    );
    expect(gone.disassociatedRepositoryNames).toEqual(["alpha"]);
    expect(gone.errors.map((e: any) => e.errorCode)).toEqual(["RepositoryDoesNotExistException"]);
    expect(ok(await call(server.url, "sdk", "ListRepositoriesForApprovalRuleTemplate", { approvalRuleTemplateName: "batched" })).repositoryNames).toEqual(["beta"]);

    // errors for the whole batch
    const none = await call(server.url, "sdk", "BatchAssociateApprovalRuleTemplateWithRepositories", { approvalRuleTemplateName: "batched", repositoryNames: [] });
    expect(none.error).toBe("RepositoryNamesRequiredException");
    const many = await call(server.url, "sdk", "BatchAssociateApprovalRuleTemplateWithRepositories", {
      approvalRuleTemplateName: "batched",
      repositoryNames: Array.from({ length: 101 }, (_, i) => `r${i}`),
    });
    expect(many.error).toBe("MaximumRepositoryNamesExceededException");
    const noTemplate = await call(server.url, "cli", "BatchAssociateApprovalRuleTemplateWithRepositories", { approvalRuleTemplateName: "missing", repositoryNames: ["alpha"] });
    expect(noTemplate.error).toBe("ApprovalRuleTemplateDoesNotExistException");
    ok(await call(server.url, "sdk", "BatchDisassociateApprovalRuleTemplateFromRepositories", { approvalRuleTemplateName: "batched", repositoryNames: ["beta"] }));
  });

  it("25 templates per repository, and the lists page through them", async () => {
    const names = Array.from({ length: 26 }, (_, i) => `quota-${String(i).padStart(2, "0")}`);
    for (const n of names) await template("sdk", n);
    const out = ok(await call(server.url, "sdk", "BatchAssociateApprovalRuleTemplateWithRepositories", { approvalRuleTemplateName: names[0], repositoryNames: ["gamma"] }));
    expect(out.associatedRepositoryNames).toEqual(["gamma"]);
    for (const n of names.slice(1, 25)) ok(await call(server.url, "sdk", "AssociateApprovalRuleTemplateWithRepository", { approvalRuleTemplateName: n, repositoryName: "gamma" }));
    const over = await call(server.url, "cli", "AssociateApprovalRuleTemplateWithRepository", { approvalRuleTemplateName: names[25], repositoryName: "gamma" });
    expect(over.error).toBe("MaximumRuleTemplatesAssociatedWithRepositoryException");
    const overInBatch = ok(await call(server.url, "sdk", "BatchAssociateApprovalRuleTemplateWithRepositories", { approvalRuleTemplateName: names[25], repositoryNames: ["gamma"] }));
    expect(overInBatch.errors.map((e: any) => e.errorCode)).toEqual(["MaximumRuleTemplatesAssociatedWithRepositoryException"]);

    for (const client of ["cli", "sdk"] as ClientKind[]) {
      const seen: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = ok(await call(server.url, client, "ListAssociatedApprovalRuleTemplatesForRepository", { repositoryName: "gamma", maxResults: 10, ...(nextToken ? { nextToken } : {}) }));
        expect(page.approvalRuleTemplateNames.length).toBeLessThanOrEqual(10);
        seen.push(...page.approvalRuleTemplateNames);
        nextToken = page.nextToken;
      } while (nextToken);
      expect(seen.sort()).toEqual(names.slice(0, 25));
    }
    const bad = await call(server.url, "sdk", "ListApprovalRuleTemplates", { nextToken: "not-a-token" });
    expect(bad.error).toBe("InvalidContinuationTokenException");
    const batched = await call(server.url, "sdk", "BatchDisassociateApprovalRuleTemplateFromRepositories", { approvalRuleTemplateName: names[0], repositoryNames: ["gamma"] });
    expect(batched.error).toBeUndefined();
    for (const n of names.slice(1, 25)) ok(await call(server.url, "sdk", "DisassociateApprovalRuleTemplateFromRepository", { approvalRuleTemplateName: n, repositoryName: "gamma" }));
  });

  it("1,000 templates in the account, the most it can have", async () => {
    const have = (await listAll()).length;
    const names = Array.from({ length: 1000 - have }, (_, i) => `bulk-${i}`);
    for (let i = 0; i < names.length; i += 25) await Promise.all(names.slice(i, i + 25).map((n) => template("sdk", n)));
    const over = await call(server.url, "cli", "CreateApprovalRuleTemplate", { approvalRuleTemplateName: "one-too-many", approvalRuleTemplateContent: content(1) });
    expect(over.error).toBe("NumberOfRuleTemplatesExceededException");
    expect(await listAll()).toHaveLength(1000);
    ok(await call(server.url, "sdk", "DeleteApprovalRuleTemplate", { approvalRuleTemplateName: names[0] }));
    await template("cli", "one-too-many");
  });
});

async function listAll(): Promise<string[]> {
  const seen: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = ok(await call(server.url, "sdk", "ListApprovalRuleTemplates", { maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
    seen.push(...page.approvalRuleTemplateNames);
    nextToken = page.nextToken;
  } while (nextToken);
  return seen;
}

