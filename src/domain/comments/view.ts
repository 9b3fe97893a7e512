import type { Kysely, Selectable } from "kysely";
import { ServiceError } from "../../errors.js";
import type { CommentsTable, Database } from "../../store/schema.js";

export type CommentRow = Selectable<CommentsTable>;

/** CodeCommit's Comment shape. */
export interface CommentView {
  commentId: string;
  content?: string;
  inReplyTo?: string;
  creationDate: Date;
  lastModifiedDate: Date;
  authorArn: string;
  deleted: boolean;
  clientRequestToken?: string;
  callerReactions: string[];
  reactionCounts: Record<string, number>;
}

export interface LocationView {
  filePath: string;
  filePosition?: number;
  relativeFileVersion: "BEFORE" | "AFTER";
}

/** What a comment is on: the commits, the file's blobs in each, the place in the file. */
export interface PlacementView {
  beforeCommitId?: string;
  afterCommitId: string;
  beforeBlobId?: string;
  afterBlobId?: string;
  location?: LocationView;
}

export interface ReactionSummary {
  counts: Record<string, number>;
  mine: string[];
}

export function commentDoesNotExist(id: string): ServiceError {
  return new ServiceError("CommentDoesNotExistException", `No comment ${id} exists. Check the ID (GetCommentsForPullRequest and GetCommentsForComparedCommit list comments).`);
}

export function commentDeleted(id: string): ServiceError {
  return new ServiceError("CommentDeletedException", `Comment ${id} has been deleted: a deleted comment cannot be read, edited, deleted again or reacted to.`);
}

export async function commentRow(db: Kysely<Database>, id: string): Promise<CommentRow> {
  const row = await db.selectFrom("comments").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw commentDoesNotExist(id);
  return row;
}

export function placementView(row: CommentRow): PlacementView {
  return {
    beforeCommitId: row.before_commit_id ?? undefined,
    afterCommitId: row.after_commit_id,
    beforeBlobId: row.before_blob_id ?? undefined,
    afterBlobId: row.after_blob_id ?? undefined,
    location:
      row.file_path === null
        ? undefined
        : { filePath: row.file_path, filePosition: row.file_position === null ? undefined : Number(row.file_position), relativeFileVersion: row.relative_file_version as "BEFORE" | "AFTER" },
  };
}

/** How many users reacted with what to each comment, and what the caller did: two queries for any number of comments. */
export async function reactionSummaries(db: Kysely<Database>, ids: string[], callerArn: string): Promise<Map<string, ReactionSummary>> {
  const out = new Map<string, ReactionSummary>(ids.map((id) => [id, { counts: {}, mine: [] }]));
  if (ids.length === 0) return out;
  const [counts, mine] = await Promise.all([
    db
      .selectFrom("comment_reactions")
      .select(["comment_id", "reaction", (eb) => eb.fn.countAll<number>().as("n")])
      .where("comment_id", "in", ids)
      .groupBy(["comment_id", "reaction"])
      .execute(),
    db.selectFrom("comment_reactions").select(["comment_id", "reaction"]).where("comment_id", "in", ids).where("user_arn", "=", callerArn).execute(),
  ]);
  for (const c of counts) out.get(c.comment_id)!.counts[c.reaction] = Number(c.n);
  for (const m of mine) out.get(m.comment_id)!.mine.push(m.reaction);
  return out;
}

export function commentView(row: CommentRow, reactions: ReactionSummary = { counts: {}, mine: [] }): CommentView {
  const deleted = row.deleted === 1;
  return {
    commentId: row.id,
    // a deleted comment keeps its place in the thread, not its words
    content: deleted ? undefined : row.content,
    inReplyTo: row.in_reply_to ?? undefined,
    creationDate: new Date(Number(row.created_at)),
    lastModifiedDate: new Date(Number(row.updated_at)),
    authorArn: row.author_arn,
    deleted,
    clientRequestToken: row.client_request_token ?? undefined,
    callerReactions: reactions.mine,
    reactionCounts: reactions.counts,
  };
}

/** One comment as the single-comment operations return it, with its reactions as the caller sees them. */
export async function viewOne(db: Kysely<Database>, row: CommentRow, callerArn: string): Promise<CommentView> {
  return commentView(row, (await reactionSummaries(db, [row.id], callerArn)).get(row.id));
}
