import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type ClientKind } from "../helpers/api.js";
import { gitHome, gitOk, makeWorkRepo, type Creds } from "../helpers/clients.js";
import { managed, userWith } from "../helpers/iam.js";
import { startServer, type ServerHandle } from "../helpers/server.js";

let server: ServerHandle;
let env: Record<string, string>;
let work: string;
let base: string;
let tip: string;
let prId: string;
let other: Creds;

beforeAll(async () => {
  server = await startServer();
  env = gitHome();
  expect((await call(server.url, "sdk", "CreateRepository", { repositoryName: "talk" })).error).toBeUndefined();
  work = await makeWorkRepo(env, { "app.py": "one\ntwo\nthree\n" });
  await gitOk(["push", "-q", `${server.url}/v1/repos/talk`, "main"], { cwd: work, env });
  base = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
  await gitOk(["checkout", "-qb", "feature"], { cwd: work, env });
  await gitOk(["commit", "-q", "--allow-empty", "-m", "feature"], { cwd: work, env });
  tip = (await gitOk(["rev-parse", "HEAD"], { cwd: work, env })).trim();
  await gitOk(["push", "-q", `${server.url}/v1/repos/talk`, "feature"], { cwd: work, env });
  const pr = await call(server.url, "sdk", "CreatePullRequest", { title: "talk", targets: [{ repositoryName: "talk", sourceReference: "feature" }] });
  prId = pr.out.pullRequest.pullRequestId;
  other = await userWith(server.url, "reviewer", { managed: [managed("AWSCodeCommitPowerUser")] });
});
afterAll(async () => {
  await server?.stop();
});

describe.each(["cli", "cli1", "sdk"] as ClientKind[])("comments with the %s", (client) => {
  it("posts on a line of a pull request, replies, edits (author only), reacts, lists grouped and paged, deletes", async () => {
    const posted = await call(server.url, client, "PostCommentForPullRequest", {
      pullRequestId: prId, repositoryName: "talk", beforeCommitId: base, afterCommitId: tip,
      location: { filePath: "app.py", filePosition: 2, relativeFileVersion: "AFTER" }, content: `line two (${client})`, clientRequestToken: `t-${client}`,
    });
    expect(posted.error).toBeUndefined();
    expect(posted.out).toMatchObject({ repositoryName: "talk", pullRequestId: prId, beforeCommitId: base, afterCommitId: tip, location: { filePath: "app.py", filePosition: 2, relativeFileVersion: "AFTER" } });
    expect(posted.out.afterBlobId).toMatch(/^[0-9a-f]{40}$/);
    const id = posted.out.comment.commentId;
    expect(posted.out.comment).toMatchObject({ content: `line two (${client})`, authorArn: "arn:aws:iam::000000000000:user/admin", deleted: false });
    // the same token and input: the same comment; other input: refused
    const again = await call(server.url, client, "PostCommentForPullRequest", {
      pullRequestId: prId, repositoryName: "talk", beforeCommitId: base, afterCommitId: tip,
      location: { filePath: "app.py", filePosition: 2, relativeFileVersion: "AFTER" }, content: `line two (${client})`, clientRequestToken: `t-${client}`,
    });
    expect(again.out.comment.commentId).toBe(id);
    const mismatch = await call(server.url, client, "PostCommentForPullRequest", { pullRequestId: prId, repositoryName: "talk", beforeCommitId: base, afterCommitId: tip, content: "other", clientRequestToken: `t-${client}` });
    expect(mismatch.error).toBe("IdempotencyParameterMismatchException");
    // bad places, each with its own error
    const bad = async (extra: Record<string, unknown>) =>
      (await call(server.url, client, "PostCommentForPullRequest", { pullRequestId: prId, repositoryName: "talk", beforeCommitId: base, afterCommitId: tip, content: "x", ...extra })).error;
    expect(await bad({ location: { filePath: "app.py", filePosition: 9, relativeFileVersion: "AFTER" } })).toBe("InvalidFilePositionException");
    expect(await bad({ location: { filePath: "nope.py", relativeFileVersion: "AFTER" } })).toBe("PathDoesNotExistException");
    expect(await bad({ location: { filePath: "app.py", relativeFileVersion: "SIDEWAYS" } })).toBe("InvalidRelativeFileVersionEnumException");
    expect(await bad({ afterCommitId: base })).toBe("BeforeCommitIdAndAfterCommitIdAreSameException");
    expect(await bad({ content: "x".repeat(10241) })).toBe("CommentContentSizeLimitExceededException");
    expect(await bad({ content: "" })).toBe("CommentContentRequiredException");

    const reply = await call(server.url, client, "PostCommentReply", { inReplyTo: id, content: "agreed" }, other);
    expect(reply.error).toBeUndefined();
    expect(reply.out.comment).toMatchObject({ inReplyTo: id, authorArn: "arn:aws:iam::000000000000:user/reviewer" });
    expect((await call(server.url, client, "UpdateComment", { commentId: id, content: "hijack" }, other)).error).toBe("CommentNotCreatedByCallerException");
    expect((await call(server.url, client, "UpdateComment", { commentId: id, content: "line 2, edited" })).out.comment.content).toBe("line 2, edited");

    expect((await call(server.url, client, "PutCommentReaction", { commentId: id, reactionValue: ":thumbsup:" }, other)).error).toBeUndefined();
    expect((await call(server.url, client, "PutCommentReaction", { commentId: id, reactionValue: ":nope:" })).error).toBe("InvalidReactionValueException");
    const seen = await call(server.url, client, "GetComment", { commentId: id }, other);
    expect(seen.out.comment).toMatchObject({ reactionCounts: { THUMBSUP: 1 }, callerReactions: ["THUMBSUP"] });
    const reactions = await call(server.url, client, "GetCommentReactions", { commentId: id });
    expect(reactions.out.reactionsForComment).toEqual([
      { reaction: { emoji: "\u{1F44D}", shortCode: "thumbsup", unicode: "U+1F44D" }, reactionUsers: ["arn:aws:iam::000000000000:user/reviewer"], reactionsFromDeletedUsersCount: 0 },
    ]);

    const listed = await call(server.url, client, "GetCommentsForPullRequest", { pullRequestId: prId, repositoryName: "talk", beforeCommitId: base, afterCommitId: tip });
    const group = listed.out.commentsForPullRequestData.find((g: { comments: Array<{ commentId: string }> }) => g.comments.some((c) => c.commentId === id));
    expect(group).toMatchObject({ pullRequestId: prId, location: { filePath: "app.py", filePosition: 2 } });
    // every client comments on line 2: its comment and the reply to it, in order, among them
    const mine = group.comments.map((c: { commentId: string }) => c.commentId).filter((c: string) => c === id || c === reply.out.comment.commentId);
    expect(mine).toEqual([id, reply.out.comment.commentId]);
    // (the CLI v1 follows nextToken itself: paging is the v2's and the SDK's to show)
    if (client !== "cli1") {
    const first = await call(server.url, client, "GetCommentsForPullRequest", { pullRequestId: prId, maxResults: 1 });
    expect(first.out.nextToken).toBeTruthy();
    const second = await call(server.url, client, "GetCommentsForPullRequest", { pullRequestId: prId, maxResults: 1, nextToken: first.out.nextToken });
    expect(second.out.commentsForPullRequestData[0].comments[0].commentId).not.toBe(first.out.commentsForPullRequestData[0].comments[0].commentId);
    }

    // the power user may not (no codecommit:DeleteCommentContent); an administrator may, author or not
    expect((await call(server.url, client, "DeleteCommentContent", { commentId: reply.out.comment.commentId }, other)).error).toBe("AccessDeniedException");
    const deleted = await call(server.url, client, "DeleteCommentContent", { commentId: reply.out.comment.commentId });
    expect(deleted.out.comment).toMatchObject({ deleted: true });
    await call(server.url, client, "DeleteCommentContent", { commentId: id });
    expect(deleted.out.comment.content ?? "").toBe("");
    expect((await call(server.url, client, "GetComment", { commentId: id })).error).toBe("CommentDeletedException");
    expect((await call(server.url, client, "UpdateComment", { commentId: id, content: "back" })).error).toBe("CommentDeletedException");
    expect((await call(server.url, client, "GetComment", { commentId: "not-an-id" })).error).toBe("InvalidCommentIdException");
  });

  it("comments on compared commits, apart from the pull request's", async () => {
    const posted = await call(server.url, client, "PostCommentForComparedCommit", { repositoryName: "talk", beforeCommitId: base, afterCommitId: tip, content: `commit note ${client}` });
    expect(posted.error).toBeUndefined();
    const listed = await call(server.url, client, "GetCommentsForComparedCommit", { repositoryName: "talk", beforeCommitId: base, afterCommitId: tip });
    const ids = listed.out.commentsForComparedCommitData.flatMap((g: { comments: Array<{ commentId: string }> }) => g.comments.map((c) => c.commentId));
    expect(ids).toContain(posted.out.comment.commentId);
    expect(listed.out.commentsForComparedCommitData.every((g: { pullRequestId?: string }) => g.pullRequestId === undefined)).toBe(true);
    expect((await call(server.url, client, "GetCommentsForComparedCommit", { repositoryName: "talk", afterCommitId: "f".repeat(40) })).error).toBe("CommitDoesNotExistException");
  });
});
