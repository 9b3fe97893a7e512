import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type ClientKind } from "../helpers/api.js";
import { aws, gitHome, gitOk, makeWorkRepo, type Creds } from "../helpers/clients.js";
import { managed, userWith } from "../helpers/iam.js";
import { ADMIN, startServer, type ServerHandle } from "../helpers/server.js";

let server: ServerHandle;
let env: Record<string, string>;
let work: string;
let repoUrl: string;
let reader: Creds;

async function commitOn(branch: string, file: string, content: string): Promise<string> {
  await gitOk(["checkout", "-q", "-B", branch], { cwd: work, env });
  fs.writeFileSync(path.join(work, file), content);
  await gitOk(["add", "-A"], { cwd: work, env });
  await gitOk(["commit", "-qm", `${branch}: ${file}`], { cwd: work, env });
  return (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
}

async function push(...refspecs: string[]): Promise<void> {
  await gitOk(["push", "-q", repoUrl, ...refspecs], { cwd: work, env });
}

/** Waits for the pull-request reader of the outbox to have seen a change (it runs after the push answers). */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let v = await read();
  for (let i = 0; i < 200 && !ok(v); i++) {
    await new Promise((r) => setTimeout(r, 50));
    v = await read();
  }
  return v;
}

const get = async (id: string) => (await call(server.url, "sdk", "GetPullRequest", { pullRequestId: id })).out.pullRequest;

beforeAll(async () => {
  server = await startServer();
  env = gitHome();
  expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: "pr" })).error).toBeUndefined();
  repoUrl = `${server.url}/v1/repos/pr`;
  work = await makeWorkRepo(env);
  await push("main");
  reader = await userWith(server.url, "reader", { managed: [managed("AWSCodeCommitReadOnly")] });
});
afterAll(async () => {
  await server?.stop();
});

const clients: ClientKind[] = ["cli", "cli1", "sdk"];

describe.each(clients)("pull requests with the %s", (client) => {
  const branch = `feature-${client}`;
  let id: string;
  let source: string;

  it("creates a pull request, gets it, lists it and shows its creation event", async () => {
    source = await commitOn(branch, `${client}.txt`, "one\n");
    await push(branch);
    const main = (await gitOk(["rev-parse", "main"], { cwd: work, env })).trim();
    const created = await call(server.url, client, "CreatePullRequest", {
      title: `Add ${client}.txt`,
      description: "first try",
      targets: [{ repositoryName: "pr", sourceReference: branch, destinationReference: "main" }],
      clientRequestToken: `token-${client}`,
    });
    expect(created.error).toBeUndefined();
    const pr = created.out.pullRequest;
    id = pr.pullRequestId;
    expect(pr).toMatchObject({
      title: `Add ${client}.txt`,
      description: "first try",
      pullRequestStatus: "OPEN",
      authorArn: "arn:aws:iam::000000000000:user/admin",
      clientRequestToken: `token-${client}`,
      pullRequestTargets: [
        {
          repositoryName: "pr",
          sourceReference: `refs/heads/${branch}`,
          destinationReference: "refs/heads/main",
          sourceCommit: source,
          destinationCommit: main,
          mergeBase: main,
          mergeMetadata: { isMerged: false },
        },
      ],
    });
    expect(pr.revisionId).toMatch(/^[0-9a-f]{64}$/);

    const again = await call(server.url, client, "CreatePullRequest", {
      title: `Add ${client}.txt`,
      description: "first try",
      targets: [{ repositoryName: "pr", sourceReference: branch, destinationReference: "main" }],
      clientRequestToken: `token-${client}`,
    });
    expect(again.out.pullRequest.pullRequestId).toBe(id);
    const mismatch = await call(server.url, client, "CreatePullRequest", {
      title: "another title",
      targets: [{ repositoryName: "pr", sourceReference: branch, destinationReference: "main" }],
      clientRequestToken: `token-${client}`,
    });
    expect(mismatch.error).toBe("IdempotencyParameterMismatchException");

    expect((await call(server.url, client, "GetPullRequest", { pullRequestId: id })).out.pullRequest.pullRequestId).toBe(id);
    const listed = await call(server.url, client, "ListPullRequests", { repositoryName: "pr", pullRequestStatus: "OPEN" });
    expect(listed.out.pullRequestIds).toContain(id);
    const events = await call(server.url, client, "DescribePullRequestEvents", { pullRequestId: id });
    expect(events.out.pullRequestEvents.map((e: { pullRequestEventType: string }) => e.pullRequestEventType)).toEqual(["PULL_REQUEST_CREATED"]);
  });

  it("updates title and description, and closes it for good", async () => {
    expect((await call(server.url, client, "UpdatePullRequestTitle", { pullRequestId: id, title: "Renamed" })).out.pullRequest.title).toBe("Renamed");
    expect((await call(server.url, client, "UpdatePullRequestDescription", { pullRequestId: id, description: "second try" })).out.pullRequest.description).toBe(
      "second try",
    );
    const closed = await call(server.url, client, "UpdatePullRequestStatus", { pullRequestId: id, pullRequestStatus: "CLOSED" });
    expect(closed.out.pullRequest.pullRequestStatus).toBe("CLOSED");
    expect((await call(server.url, client, "UpdatePullRequestStatus", { pullRequestId: id, pullRequestStatus: "OPEN" })).error).toBe(
      "InvalidPullRequestStatusUpdateException",
    );
    expect((await call(server.url, client, "UpdatePullRequestTitle", { pullRequestId: id, title: "x" })).error).toBe("PullRequestAlreadyClosedException");
    const events = await call(server.url, client, "DescribePullRequestEvents", { pullRequestId: id, pullRequestEventType: "PULL_REQUEST_STATUS_CHANGED" });
    expect(events.out.pullRequestEvents).toHaveLength(1);
    expect(events.out.pullRequestEvents[0].pullRequestStatusChangedEventMetadata).toEqual({ pullRequestStatus: "CLOSED" });
  });
});

describe("CodeCommit's errors for pull requests", () => {
  it.each([
    ["no targets", { title: "t" }, "TargetsRequiredException"],
    ["an empty title", { title: "", targets: [{ repositoryName: "pr", sourceReference: "feature-sdk" }] }, "TitleRequiredException"],
    ["a title too long", { title: "x".repeat(151), targets: [{ repositoryName: "pr", sourceReference: "feature-sdk" }] }, "InvalidTitleException"],
    ["a missing repository", { title: "t", targets: [{ repositoryName: "ghost", sourceReference: "a" }] }, "RepositoryDoesNotExistException"],
    ["a missing branch", { title: "t", targets: [{ repositoryName: "pr", sourceReference: "nope" }] }, "ReferenceDoesNotExistException"],
    ["the same branch twice", { title: "t", targets: [{ repositoryName: "pr", sourceReference: "main", destinationReference: "main" }] }, "SourceAndDestinationAreSameException"],
    ["two targets", { title: "t", targets: [{ repositoryName: "pr", sourceReference: "a" }, { repositoryName: "other", sourceReference: "b" }] }, "MultipleRepositoriesInPullRequestException"],
  ])("CreatePullRequest with %s", async (_what, input, code) => {
    // the CLI checks required members itself: the SDK sends what it is given
    expect((await call(server.url, "targets" in input ? "cli" : "sdk", "CreatePullRequest", input)).error).toBe(code);
  });

  it("an unknown or malformed pull request ID", async () => {
    expect((await call(server.url, "cli", "GetPullRequest", { pullRequestId: "999999" })).error).toBe("PullRequestDoesNotExistException");
    expect((await call(server.url, "cli", "GetPullRequest", { pullRequestId: "abc" })).error).toBe("InvalidPullRequestIdException");
    expect((await call(server.url, "cli", "ListPullRequests", { repositoryName: "pr", pullRequestStatus: "MAYBE" })).error).toBe(
      "InvalidPullRequestStatusException",
    );
  });
});

describe("pull requests follow git", () => {
  it("a push to the source is a new revision with its event; a read-only user sees it and cannot change it", async () => {
    const first = await commitOn("follow", "follow.txt", "1\n");
    await push("follow");
    const created = await call(server.url, "sdk", "CreatePullRequest", { title: "follow", targets: [{ repositoryName: "pr", sourceReference: "follow" }] });
    const id = created.out.pullRequest.pullRequestId;
    const revision = created.out.pullRequest.revisionId;
    const second = await commitOn("follow", "follow.txt", "2\n");
    await push("follow");
    const pr = await eventually(() => get(id), (p) => p.pullRequestTargets[0].sourceCommit === second);
    expect(pr.pullRequestTargets[0].sourceCommit).toBe(second);
    expect(pr.revisionId).not.toBe(revision);
    const events = await call(server.url, "cli", "DescribePullRequestEvents", { pullRequestId: id, pullRequestEventType: "PULL_REQUEST_SOURCE_REFERENCE_UPDATED" }, reader);
    expect(events.out.pullRequestEvents).toHaveLength(1);
    expect(events.out.pullRequestEvents[0]).toMatchObject({
      actorArn: "arn:aws:iam::000000000000:user/admin",
      pullRequestSourceReferenceUpdatedEventMetadata: { repositoryName: "pr", beforeCommitId: first, afterCommitId: second },
    });
    expect((await call(server.url, "cli", "ListPullRequests", { repositoryName: "pr" }, reader)).out.pullRequestIds).toContain(id);
    expect((await call(server.url, "cli", "UpdatePullRequestTitle", { pullRequestId: id, title: "mine" }, reader)).error).toBe("AccessDeniedException");
  });

  it("a git push that merges the source into the destination marks the pull request merged by the pusher", async () => {
    await commitOn("pushed-merge", "pushed.txt", "p\n");
    await push("pushed-merge");
    const id = (await call(server.url, "sdk", "CreatePullRequest", { title: "pushed", targets: [{ repositoryName: "pr", sourceReference: "pushed-merge" }] })).out.pullRequest
      .pullRequestId;
    await gitOk(["checkout", "-q", "main"], { cwd: work, env });
    await gitOk(["merge", "-q", "--no-ff", "-m", "merge pushed-merge", "pushed-merge"], { cwd: work, env });
    const merge = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
    await push("main");
    const pr = await eventually(() => get(id), (p) => p.pullRequestStatus === "CLOSED");
    expect(pr.pullRequestStatus).toBe("CLOSED");
    expect(pr.pullRequestTargets[0].destinationCommit).toBe(merge);
    expect(pr.pullRequestTargets[0].mergeMetadata).toEqual({ isMerged: true, mergedBy: "arn:aws:iam::000000000000:user/admin", mergeCommitId: merge });
    const events = await call(server.url, "sdk", "DescribePullRequestEvents", { pullRequestId: id, pullRequestEventType: "PULL_REQUEST_MERGE_STATE_CHANGED" });
    expect(events.out.pullRequestEvents[0].pullRequestMergedStateChangedEventMetadata).toMatchObject({
      repositoryName: "pr",
      destinationReference: "refs/heads/main",
      mergeMetadata: { isMerged: true, mergeCommitId: merge },
    });
  });

  it("the destination moving on keeps the pull request open with the new destination commit and merge base", async () => {
    const base = (await gitOk(["rev-parse", "main"], { cwd: work, env })).trim();
    await commitOn("behind", "behind.txt", "b\n");
    await push("behind");
    const id = (await call(server.url, "sdk", "CreatePullRequest", { title: "behind", targets: [{ repositoryName: "pr", sourceReference: "behind" }] })).out.pullRequest.pullRequestId;
    await gitOk(["checkout", "-q", "main"], { cwd: work, env });
    const ahead = await commitOn("main", "ahead.txt", "a\n");
    await push("main");
    const pr = await eventually(() => get(id), (p) => p.pullRequestTargets[0].destinationCommit === ahead);
    expect(pr.pullRequestStatus).toBe("OPEN");
    expect(pr.pullRequestTargets[0]).toMatchObject({ destinationCommit: ahead, mergeBase: base, mergeMetadata: { isMerged: false } });
  });

  it("deleting the source branch closes the pull request", async () => {
    await commitOn("doomed", "doomed.txt", "d\n");
    await push("doomed");
    const id = (await call(server.url, "sdk", "CreatePullRequest", { title: "doomed", targets: [{ repositoryName: "pr", sourceReference: "doomed" }] })).out.pullRequest.pullRequestId;
    const r = await aws(server.url, ["codecommit", "delete-branch", "--repository-name", "pr", "--branch-name", "doomed"], { creds: ADMIN });
    expect(r.code).toBe(0);
    const pr = await eventually(() => get(id), (p) => p.pullRequestStatus === "CLOSED");
    expect(pr.pullRequestStatus).toBe("CLOSED");
    expect(pr.pullRequestTargets[0].mergeMetadata.isMerged).toBe(false);
    const events = await call(server.url, "sdk", "DescribePullRequestEvents", { pullRequestId: id });
    expect(events.out.pullRequestEvents.map((e: { pullRequestEventType: string }) => e.pullRequestEventType)).toEqual(["PULL_REQUEST_CREATED", "PULL_REQUEST_STATUS_CHANGED"]);
  });
});

describe("Jira's journey: a power user proposes, another approves, each strategy merges", () => {
  let author: Creds;
  let reviewer: Creds;
  const ACCOUNT = "000000000000";

  beforeAll(async () => {
    author = await userWith(server.url, "jira-author", { managed: [managed("AWSCodeCommitPowerUser")] });
    reviewer = await userWith(server.url, "jira-reviewer", { managed: [managed("AWSCodeCommitPowerUser")] });
  });

  /** The power user makes a branch from main and a commit on it through the API, then a pull request with one required approval. */
  async function propose(name: string): Promise<{ id: string; revisionId: string; sourceCommit: string }> {
    const main = (await call(server.url, "cli", "GetBranch", { repositoryName: "pr", branchName: "main" }, author)).out.branch.commitId;
    expect((await call(server.url, "cli", "CreateBranch", { repositoryName: "pr", branchName: name, commitId: main }, author)).error).toBeUndefined();
    const put = await call(server.url, "sdk", "PutFile", { repositoryName: "pr", branchName: name, parentCommitId: main, filePath: `${name}.txt`, fileContent: Buffer.from(`${name}\n`) }, author);
    expect(put.error).toBeUndefined();
    const created = await call(server.url, "cli", "CreatePullRequest", { title: `JIRA-1 ${name}`, targets: [{ repositoryName: "pr", sourceReference: name, destinationReference: "main" }] }, author);
    expect(created.error).toBeUndefined();
    const pr = created.out.pullRequest;
    const rule = await call(server.url, "cli", "CreatePullRequestApprovalRule", {
      pullRequestId: pr.pullRequestId,
      approvalRuleName: "one reviewer",
      approvalRuleContent: JSON.stringify({ Version: "2018-11-08", Statements: [{ Type: "Approvers", NumberOfApprovalsNeeded: 1, ApprovalPoolMembers: [`arn:aws:iam::${ACCOUNT}:user/*`] }] }),
    }, author);
    expect(rule.error).toBeUndefined();
    return { id: pr.pullRequestId, revisionId: pr.revisionId, sourceCommit: put.out.commitId };
  }

  it.each([
    ["MergePullRequestByFastForward", "FAST_FORWARD_MERGE"],
    ["MergePullRequestBySquash", "SQUASH_MERGE"],
    ["MergePullRequestByThreeWay", "THREE_WAY_MERGE"],
  ])("%s after the reviewer's approval (the author's own is refused)", async (op, option) => {
    // fast-forward needs main not to have moved since the branch was made
    const { id, revisionId, sourceCommit } = await propose(`jira-${option.toLowerCase().replace(/_/g, "-")}`);
    const merge = (creds: Creds, extra: Record<string, unknown> = {}) => call(server.url, "cli", op, { pullRequestId: id, repositoryName: "pr", sourceCommitId: sourceCommit, ...extra }, creds);

    expect((await call(server.url, "cli", "UpdatePullRequestApprovalState", { pullRequestId: id, revisionId, approvalState: "APPROVE" }, author)).error).toBe(
      "PullRequestCannotBeApprovedByAuthorException",
    );
    expect((await merge(author)).error).toBe("PullRequestApprovalRulesNotSatisfiedException");
    expect((await call(server.url, "cli", "UpdatePullRequestApprovalState", { pullRequestId: id, revisionId, approvalState: "APPROVE" }, reviewer)).error).toBeUndefined();
    expect((await call(server.url, "cli", "EvaluatePullRequestApprovalRules", { pullRequestId: id, revisionId }, reader)).out.evaluation.approved).toBe(true);
    expect((await merge(author, { sourceCommitId: "0".repeat(40) })).error).toBe("TipOfSourceReferenceIsDifferentException");

    const merged = await merge(author);
    expect(merged.error).toBeUndefined();
    const pr = merged.out.pullRequest;
    expect(pr.pullRequestStatus).toBe("CLOSED");
    const meta = pr.pullRequestTargets[0].mergeMetadata;
    expect(meta).toMatchObject({ isMerged: true, mergedBy: `arn:aws:iam::${ACCOUNT}:user/jira-author`, mergeOption: option });
    const main = (await call(server.url, "sdk", "GetBranch", { repositoryName: "pr", branchName: "main" })).out.branch.commitId;
    expect(meta.mergeCommitId).toBe(main);
    if (option === "FAST_FORWARD_MERGE") expect(main).toBe(sourceCommit);
    const file = await call(server.url, "sdk", "GetFile", { repositoryName: "pr", filePath: `jira-${option.toLowerCase().replace(/_/g, "-")}.txt` });
    expect(file.error).toBeUndefined();
    expect((await merge(author)).error).toBe("PullRequestAlreadyClosedException");

    // the outbox's reader sees the destination move too, and leaves the merge as the API made it
    await new Promise((r) => setTimeout(r, 300));
    const events = await call(server.url, "sdk", "DescribePullRequestEvents", { pullRequestId: id, pullRequestEventType: "PULL_REQUEST_MERGE_STATE_CHANGED" });
    expect(events.out.pullRequestEvents).toHaveLength(1);
    expect(events.out.pullRequestEvents[0].pullRequestMergedStateChangedEventMetadata.mergeMetadata).toMatchObject({ mergeOption: option });
  });

  it("branch protection: the documented deny policy refuses pull-request merges into main", async () => {
    const protectedUser = await userWith(server.url, "jira-protected", {
      managed: [managed("AWSCodeCommitPowerUser")],
      inline: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Deny",
            Action: ["codecommit:GitPush", "codecommit:DeleteBranch", "codecommit:PutFile", "codecommit:Merge*"],
            Resource: "*",
            Condition: { StringEqualsIfExists: { "codecommit:References": ["refs/heads/main"] }, Null: { "codecommit:References": "false" } },
          },
        ],
      },
    });
    const { id, revisionId } = await propose("jira-protected");
    expect((await call(server.url, "cli", "UpdatePullRequestApprovalState", { pullRequestId: id, revisionId, approvalState: "APPROVE" }, reviewer)).error).toBeUndefined();
    for (const op of ["MergePullRequestByFastForward", "MergePullRequestBySquash", "MergePullRequestByThreeWay"]) {
      expect((await call(server.url, "cli", op, { pullRequestId: id, repositoryName: "pr" }, protectedUser)).error).toBe("AccessDeniedException");
    }
    expect((await get(id)).pullRequestStatus).toBe("OPEN");
    expect((await call(server.url, "cli", "MergePullRequestByThreeWay", { pullRequestId: id, repositoryName: "pr" }, author)).error).toBeUndefined();
  });
});
