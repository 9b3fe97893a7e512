import crypto from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import { ServiceError } from "../../errors.js";
import type { Database } from "../../store/schema.js";
import { pullRequestRow } from "../pulls/pull-requests.js";
import { oncePerToken, validateClientToken } from "../client-tokens.js";
import type { ObjectCache } from "../content/object-reader.js";
import type { Caller } from "../context.js";
import { validatePullRequestId } from "../pulls/validate.js";
import type { Repository, RepositoryService } from "../repos/repositories.js";
import { place } from "./placement.js";
import { optionalCommitId, validateCommentId, validateCommitId, validateContent, validateLocation } from "./validate.js";
import { commentDeleted, commentRow, placementView, viewOne, type CommentRow, type CommentView, type PlacementView } from "./view.js";

export interface PostedComment extends PlacementView {
  repositoryName: string;
  pullRequestId?: string;
  comment: CommentView;
}

interface NewComment {
  repositoryId: string;
  pullRequestId: number | null;
  placement: PlacementView;
  inReplyTo: CommentRow | null;
  content: string;
  author: string;
  token: string | undefined;
}

async function insertComment(trx: Transaction<Database>, c: NewComment): Promise<string> {
  const id = crypto.randomUUID();
  // lists go oldest first (created_at, then the random id): a reply made within its parent's
  // millisecond is stamped a millisecond later, so that it never sorts before the comment it answers
  const now = Math.max(Date.now(), c.inReplyTo ? Number(c.inReplyTo.created_at) + 1 : 0);
  const p = c.placement;
  await trx
    .insertInto("comments")
    .values({
      id,
      repository_id: c.repositoryId,
      pull_request_id: c.pullRequestId,
      before_commit_id: p.beforeCommitId ?? null,
      after_commit_id: p.afterCommitId,
      before_blob_id: p.beforeBlobId ?? null,
      after_blob_id: p.afterBlobId ?? null,
      file_path: p.location?.filePath ?? null,
      file_position: p.location?.filePosition ?? null,
      relative_file_version: p.location?.relativeFileVersion ?? null,
      in_reply_to: c.inReplyTo?.id ?? null,
      // replies join their parent's thread, so a thread is one query
      thread_id: c.inReplyTo?.thread_id ?? id,
      content: c.content,
      deleted: 0,
      author_arn: c.author,
      client_request_token: c.token ?? null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  if (c.pullRequestId !== null) await trx.updateTable("pull_requests").set({ last_activity_at: now }).where("id", "=", c.pullRequestId).execute();
  return id;
}

/**
 * Comments on compared commits and on pull requests, and their replies: posted (idempotent per
 * clientRequestToken), read, edited by their author, emptied by anyone allowed to. A comment on
 * a file names the file's version (BEFORE or AFTER) and, optionally, a line of it.
 */
export class CommentService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly repos: RepositoryService,
    private readonly cache: ObjectCache,
  ) {}

  private place(repo: Repository, before: string | undefined, after: string, location: unknown): Promise<PlacementView> {
    return place(this.cache.reader(repo.id, this.repos.git(repo)), repo.name, before, after, validateLocation(location));
  }

  private async posted(repo: Repository, id: string, caller: Caller): Promise<PostedComment> {
    const row = await commentRow(this.db, id);
    return {
      repositoryName: repo.name,
      pullRequestId: row.pull_request_id === null ? undefined : String(row.pull_request_id),
      ...placementView(row),
      comment: await viewOne(this.db, row, caller.principal.arn),
    };
  }

  async postForComparedCommit(
    caller: Caller,
    input: { repositoryName?: unknown; beforeCommitId?: unknown; afterCommitId?: unknown; location?: unknown; content?: unknown; clientRequestToken?: unknown },
  ): Promise<PostedComment> {
    const repo = await this.repos.require(input.repositoryName);
    const after = validateCommitId(input.afterCommitId);
    const before = optionalCommitId(input.beforeCommitId);
    const content = validateContent(input.content);
    const token = validateClientToken(input.clientRequestToken);
    const placement = await this.place(repo, before, after, input.location);
    const author = caller.principal.arn;
    const { id } = await oncePerToken(this.db, "comment", token, { on: "compared", repo: repo.id, before, after, location: input.location, content, author }, (trx) =>
      insertComment(trx, { repositoryId: repo.id, pullRequestId: null, placement, inReplyTo: null, content, author, token }),
    );
    return this.posted(repo, id, caller);
  }

  async postForPullRequest(
    caller: Caller,
    input: { pullRequestId?: unknown; repositoryName?: unknown; beforeCommitId?: unknown; afterCommitId?: unknown; location?: unknown; content?: unknown; clientRequestToken?: unknown },
  ): Promise<PostedComment> {
    const prId = validatePullRequestId(input.pullRequestId);
    const repo = await this.repos.require(input.repositoryName);
    const before = validateCommitId(input.beforeCommitId);
    const after = validateCommitId(input.afterCommitId);
    const content = validateContent(input.content);
    const token = validateClientToken(input.clientRequestToken);
    const pr = await pullRequestRow(this.db, prId);
    if (pr.repository_id !== repo.id) throw notAssociated(repo.name, prId);
    const placement = await this.place(repo, before, after, input.location);
    const author = caller.principal.arn;
    const { id } = await oncePerToken(this.db, "comment", token, { on: "pull-request", pr: prId, before, after, location: input.location, content, author }, (trx) =>
      insertComment(trx, { repositoryId: repo.id, pullRequestId: prId, placement, inReplyTo: null, content, author, token }),
    );
    return this.posted(repo, id, caller);
  }

  /** A reply goes where its parent is: the same commits, file and line, pull request and thread. */
  async reply(caller: Caller, input: { inReplyTo?: unknown; content?: unknown; clientRequestToken?: unknown }): Promise<{ comment: CommentView }> {
    const parentId = validateCommentId(input.inReplyTo, "ID of the comment to reply to");
    const content = validateContent(input.content);
    const token = validateClientToken(input.clientRequestToken);
    const parent = await commentRow(this.db, parentId);
    const author = caller.principal.arn;
    const { id } = await oncePerToken(this.db, "comment", token, { on: "reply", parent: parentId, content, author }, (trx) =>
      insertComment(trx, {
        repositoryId: parent.repository_id,
        pullRequestId: parent.pull_request_id,
        placement: placementView(parent),
        inReplyTo: parent,
        content,
        author,
        token,
      }),
    );
    return { comment: await viewOne(this.db, await commentRow(this.db, id), author) };
  }

  async get(caller: Caller, idInput: unknown): Promise<{ comment: CommentView }> {
    const row = await commentRow(this.db, validateCommentId(idInput));
    if (row.deleted) throw commentDeleted(row.id);
    return { comment: await viewOne(this.db, row, caller.principal.arn) };
  }

  /** Only the author may change a comment's words (CommentNotCreatedByCallerException for anyone else). */
  async update(caller: Caller, input: { commentId?: unknown; content?: unknown }): Promise<{ comment: CommentView }> {
    const id = validateCommentId(input.commentId);
    const content = validateContent(input.content);
    const me = caller.principal.arn;
    const row = await commentRow(this.db, id);
    if (row.deleted) throw commentDeleted(id);
    if (row.author_arn !== me) {
      throw new ServiceError("CommentNotCreatedByCallerException", `Comment ${id} was written by ${row.author_arn}: only its author can change it.`);
    }
    // deleted = 0 in the WHERE: a delete that lands between the read and here wins
    const updated = await this.db.updateTable("comments").set({ content, updated_at: Date.now() }).where("id", "=", id).where("deleted", "=", 0).returningAll().executeTakeFirst();
    if (!updated) throw commentDeleted(id);
    return { comment: await viewOne(this.db, updated, me) };
  }

  /**
   * Empties a comment: it stays in its thread, marked deleted, without its words. Not limited
   * to the author, as in CodeCommit: who may is for IAM to say (codecommit:DeleteCommentContent).
   */
  async deleteContent(caller: Caller, idInput: unknown): Promise<{ comment: CommentView }> {
    const id = validateCommentId(idInput);
    const emptied = await this.db
      .updateTable("comments")
      .set({ deleted: 1, content: "", updated_at: Date.now() })
      .where("id", "=", id)
      .where("deleted", "=", 0)
      .returningAll()
      .executeTakeFirst();
    if (!emptied) {
      await commentRow(this.db, id); // CommentDoesNotExistException when there is no such comment
      throw commentDeleted(id);
    }
    return { comment: await viewOne(this.db, emptied, caller.principal.arn) };
  }

  /** The repository (name) a comment is in: authorization's lookup; undefined for no such comment. */
  async repositoryOf(idInput: unknown): Promise<string | undefined> {
    let id: string;
    try {
      id = validateCommentId(idInput);
    } catch {
      return undefined;
    }
    const row = await this.db
      .selectFrom("comments")
      .innerJoin("repositories", "repositories.id", "comments.repository_id")
      .select("repositories.name")
      .where("comments.id", "=", id)
      .executeTakeFirst();
    return row?.name;
  }
}

export function notAssociated(repoName: string, prId: number): ServiceError {
  return new ServiceError(
    "RepositoryNotAssociatedWithPullRequestException",
    `Pull request ${prId} is not in repository ${repoName}: GetPullRequest shows its repository.`,
  );
}
