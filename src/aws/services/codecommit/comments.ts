import type * as CC from "@aws-sdk/client-codecommit";
import type { CommentReactions } from "../../../domain/comments/comment-reactions.js";
import type { CommentService } from "../../../domain/comments/comments.js";
import type { CommentThreads } from "../../../domain/comments/threads.js";
import type { OperationHandler } from "../../service.js";

type Op<I, O> = OperationHandler<I, O>;
// the domain returns CodeCommit's shapes with Date timestamps; the SDK's types say the same
type CommentOut = { comment: CC.Comment };

export function commentOperations(comments: CommentService, threads: CommentThreads, reactions: CommentReactions) {
  const PostCommentForComparedCommit: Op<CC.PostCommentForComparedCommitInput, CC.PostCommentForComparedCommitOutput> = async (caller, input) =>
    comments.postForComparedCommit(caller, input);
  const PostCommentForPullRequest: Op<CC.PostCommentForPullRequestInput, CC.PostCommentForPullRequestOutput> = async (caller, input) =>
    comments.postForPullRequest(caller, input);
  const PostCommentReply: Op<CC.PostCommentReplyInput, CommentOut> = async (caller, input) => comments.reply(caller, input);
  const GetComment: Op<CC.GetCommentInput, CommentOut> = async (caller, input) => comments.get(caller, input.commentId);
  const UpdateComment: Op<CC.UpdateCommentInput, CommentOut> = async (caller, input) => comments.update(caller, input);
  const DeleteCommentContent: Op<CC.DeleteCommentContentInput, CommentOut> = async (caller, input) => comments.deleteContent(caller, input.commentId);
  const GetCommentsForComparedCommit: Op<CC.GetCommentsForComparedCommitInput, CC.GetCommentsForComparedCommitOutput> = async (caller, input) =>
    threads.forComparedCommit(caller, input);
  const GetCommentsForPullRequest: Op<CC.GetCommentsForPullRequestInput, CC.GetCommentsForPullRequestOutput> = async (caller, input) =>
    threads.forPullRequest(caller, input);
  const PutCommentReaction: Op<CC.PutCommentReactionInput, Record<string, never>> = async (caller, input) => {
    await reactions.put(caller, input);
    return {};
  };
  const GetCommentReactions: Op<CC.GetCommentReactionsInput, CC.GetCommentReactionsOutput> = async (_c, input) => reactions.list(input);

  return {
    PostCommentForComparedCommit,
    PostCommentForPullRequest,
    PostCommentReply,
    GetComment,
    UpdateComment,
    DeleteCommentContent,
    GetCommentsForComparedCommit,
    GetCommentsForPullRequest,
    PutCommentReaction,
    GetCommentReactions,
  };
}
