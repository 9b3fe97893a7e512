import type { Kysely } from "kysely";
import { ServiceError } from "../../errors.js";
import type { Database } from "../../store/schema.js";
import type { Caller } from "../context.js";
import { identityExists } from "../iam/identity-exists.js";
import { decodeToken, encodeToken } from "../paging.js";
import { validateIdentityArn, validateMaxResults } from "../pulls/validate.js";
import { parseReactionValue, reactionByKey } from "./reactions.js";
import { validateCommentId } from "./validate.js";
import { commentDeleted, commentRow } from "./view.js";

/** GetCommentReactions' page: 1,000 reactions, the most and the default (the model's documentation). */
const MAX_PAGE = 1000;

export interface ReactionForComment {
  reaction: { emoji: string; shortCode: string; unicode: string };
  reactionUsers: string[];
  reactionsFromDeletedUsersCount: number;
}

/** One reaction per user per comment: PutCommentReaction sets or replaces the caller's own, or removes it. */
export class CommentReactions {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly accountId: string,
  ) {}

  async put(caller: Caller, input: { commentId?: unknown; reactionValue?: unknown }): Promise<void> {
    const id = validateCommentId(input.commentId);
    const reaction = parseReactionValue(input.reactionValue);
    const row = await commentRow(this.db, id);
    if (row.deleted) throw commentDeleted(id);
    const me = caller.principal.arn;
    if (reaction === null) {
      await this.db.deleteFrom("comment_reactions").where("comment_id", "=", id).where("user_arn", "=", me).execute();
      return;
    }
    await this.db
      .insertInto("comment_reactions")
      .values({ comment_id: id, user_arn: me, reaction: reaction.key, created_at: Date.now() })
      .onConflict((oc) => oc.columns(["comment_id", "user_arn"]).doUpdateSet({ reaction: reaction.key, created_at: Date.now() }))
      .execute();
  }

  /**
   * Who reacted with what, one entry per reaction, paged by reacting user. Users and roles
   * deleted since they reacted are counted apart, not named (the model's
   * reactionsFromDeletedUsersCount).
   */
  async list(input: { commentId?: unknown; reactionUserArn?: unknown; nextToken?: unknown; maxResults?: unknown }): Promise<{ reactionsForComment: ReactionForComment[]; nextToken?: string }> {
    const id = validateCommentId(input.commentId);
    const user = validateIdentityArn(input.reactionUserArn, "InvalidReactionUserArnException", "user or role whose reaction you want");
    const limit = validateMaxResults(input.maxResults, MAX_PAGE) ?? MAX_PAGE;
    const row = await commentRow(this.db, id);
    if (row.deleted) throw commentDeleted(id);
    const query = `reactions:${id}:${user ?? ""}`;
    const offset = input.nextToken === undefined || input.nextToken === null || input.nextToken === "" ? 0 : decodeToken<number>(String(input.nextToken), query);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new ServiceError("InvalidContinuationTokenException", "The specified continuation token is not valid.");
    let q = this.db.selectFrom("comment_reactions").select(["reaction", "user_arn"]).where("comment_id", "=", id);
    if (user) q = q.where("user_arn", "=", user);
    const rows = await q.orderBy("reaction").orderBy("created_at").orderBy("user_arn").offset(offset).limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const exists = new Map<string, boolean>();
    await Promise.all([...new Set(page.map((r) => r.user_arn))].map(async (arn) => exists.set(arn, await identityExists(this.db, this.accountId, arn))));
    const out = new Map<string, ReactionForComment>();
    for (const r of page) {
      const known = reactionByKey(r.reaction);
      if (!known) continue;
      let entry = out.get(r.reaction);
      if (!entry) {
        entry = { reaction: { emoji: known.emoji, shortCode: known.shortCode, unicode: known.unicode }, reactionUsers: [], reactionsFromDeletedUsersCount: 0 };
        out.set(r.reaction, entry);
      }
      if (exists.get(r.user_arn)) entry.reactionUsers.push(r.user_arn);
      else entry.reactionsFromDeletedUsersCount++;
    }
    return { reactionsForComment: [...out.values()], nextToken: rows.length > limit ? encodeToken(query, offset + limit) : undefined };
  }
}
