import type { Kysely, SelectQueryBuilder } from "kysely";
import { ServiceError } from "../../errors.js";
import type { Database } from "../../store/schema.js";
import { pullRequestRow } from "../pulls/pull-requests.js";
import type { ObjectCache } from "../content/object-reader.js";
import type { Caller } from "../context.js";
import { decodeToken, encodeToken } from "../paging.js";
import { validateMaxResults, validatePullRequestId } from "../pulls/validate.js";
import type { Repository, RepositoryService } from "../repos/repositories.js";
import { notAssociated } from "./comments.js";
import { commitsExist } from "./placement.js";
import { optionalCommitId, validateCommitId } from "./validate.js";
import { commentView, placementView, reactionSummaries, type CommentRow, type CommentView, type PlacementView } from "./view.js";

/** The comment operations' page: 100 comments unless asked, 500 at most (the model's documentation). */
const PAGE = 100;
const MAX_PAGE = 500;

export interface CommentGroup extends PlacementView {
  repositoryName: string;
  pullRequestId?: string;
  comments: CommentView[];
}

type CommentQuery = SelectQueryBuilder<Database, "comments", CommentRow>;

const given = (v: unknown) => v !== undefined && v !== null && v !== "";

/**
 * GetCommentsForComparedCommit and GetCommentsForPullRequest: comments oldest first, paged by
 * comment, and each page grouped as CodeCommit groups them, one group per commits-and-location
 * (a thread's replies share their first comment's place, so a thread stays together).
 */
export class CommentThreads {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly repos: RepositoryService,
    private readonly cache: ObjectCache,
  ) {}

  private async commitsExist(repo: Repository, before: string | undefined, after: string): Promise<void> {
    // listing is not posting: the same commit as before and after is no error here
    await commitsExist(this.cache.reader(repo.id, this.repos.git(repo)), repo.name, [before, after]);
  }

  async forComparedCommit(
    caller: Caller,
    input: { repositoryName?: unknown; beforeCommitId?: unknown; afterCommitId?: unknown; nextToken?: unknown; maxResults?: unknown },
  ): Promise<{ commentsForComparedCommitData: CommentGroup[]; nextToken?: string }> {
    const repo = await this.repos.require(input.repositoryName);
    const after = validateCommitId(input.afterCommitId);
    const before = optionalCommitId(input.beforeCommitId);
    const limit = validateMaxResults(input.maxResults, MAX_PAGE) ?? PAGE;
    await this.commitsExist(repo, before, after);
    // without a before commit: every comment on the after commit, whatever it was compared with
    let q = this.db.selectFrom("comments").selectAll().where("repository_id", "=", repo.id).where("pull_request_id", "is", null).where("after_commit_id", "=", after);
    if (before) q = q.where("before_commit_id", "=", before);
    const { groups, nextToken } = await this.page(q, `compared:${repo.id}:${before ?? ""}:${after}`, input.nextToken, limit, caller, repo.name);
    return { commentsForComparedCommitData: groups, nextToken };
  }

  async forPullRequest(
    caller: Caller,
    input: { pullRequestId?: unknown; repositoryName?: unknown; beforeCommitId?: unknown; afterCommitId?: unknown; nextToken?: unknown; maxResults?: unknown },
  ): Promise<{ commentsForPullRequestData: CommentGroup[]; nextToken?: string }> {
    const id = validatePullRequestId(input.pullRequestId);
    const limit = validateMaxResults(input.maxResults, MAX_PAGE) ?? PAGE;
    // the repository and both commits narrow the list together, or not at all (the model's conditional requirement)
    const narrowed = given(input.repositoryName) || given(input.beforeCommitId) || given(input.afterCommitId);
    if (narrowed && !given(input.repositoryName)) {
      throw new ServiceError("RepositoryNameRequiredException", "A repository name is required with beforeCommitId and afterCommitId: give all three, or none.");
    }
    const pr = await pullRequestRow(this.db, id);
    let q = this.db.selectFrom("comments").selectAll().where("pull_request_id", "=", id);
    let query = `pull-request:${id}`;
    let repoName: string;
    if (narrowed) {
      const repo = await this.repos.require(input.repositoryName);
      const before = validateCommitId(input.beforeCommitId);
      const after = validateCommitId(input.afterCommitId);
      if (repo.id !== pr.repository_id) throw notAssociated(repo.name, id);
      await this.commitsExist(repo, before, after);
      q = q.where("before_commit_id", "=", before).where("after_commit_id", "=", after);
      query += `:${before}:${after}`;
      repoName = repo.name;
    } else {
      repoName = (await this.db.selectFrom("repositories").select("name").where("id", "=", pr.repository_id).executeTakeFirstOrThrow()).name;
    }
    const { groups, nextToken } = await this.page(q, query, input.nextToken, limit, caller, repoName);
    return { commentsForPullRequestData: groups, nextToken };
  }

  private async page(q: CommentQuery, query: string, token: unknown, limit: number, caller: Caller, repositoryName: string): Promise<{ groups: CommentGroup[]; nextToken?: string }> {
    if (given(token)) {
      const [at, after] = decodeToken<[number, string]>(String(token), query);
      q = q.where((eb) => eb.or([eb("created_at", ">", at), eb.and([eb("created_at", "=", at), eb("id", ">", after)])]));
    }
    const rows = await q.orderBy("created_at").orderBy("id").limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const reactions = await reactionSummaries(this.db, page.map((r) => r.id), caller.principal.arn);
    const groups = new Map<string, CommentGroup>();
    for (const row of page) {
      const key = [row.before_commit_id, row.after_commit_id, row.file_path, row.file_position, row.relative_file_version].join("\0");
      let group = groups.get(key);
      if (!group) {
        group = { repositoryName, pullRequestId: row.pull_request_id === null ? undefined : String(row.pull_request_id), ...placementView(row), comments: [] };
        groups.set(key, group);
      }
      group.comments.push(commentView(row, reactions.get(row.id)));
    }
    const last = page[page.length - 1];
    return { groups: [...groups.values()], nextToken: rows.length > limit && last ? encodeToken(query, [Number(last.created_at), last.id]) : undefined };
  }
}
