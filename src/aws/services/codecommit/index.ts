import type { ApprovalService } from "../../../domain/approvals/approvals.js";
import type { ApprovalRuleService } from "../../../domain/approvals/rules.js";
import type { ApprovalRuleTemplateService } from "../../../domain/approvals/templates.js";
import type { CommentReactions } from "../../../domain/comments/comment-reactions.js";
import type { CommentService } from "../../../domain/comments/comments.js";
import type { CommentThreads } from "../../../domain/comments/threads.js";
import { tooLarge } from "../../../domain/content/change-set.js";
import type { CommitService } from "../../../domain/content/commit-service.js";
import type { ContentService } from "../../../domain/content/content-service.js";
import type { TriggerService } from "../../../domain/events/triggers.js";
import type { MergeService } from "../../../domain/merges/merge-service.js";
import type { PullRequestMerges } from "../../../domain/pulls/merge-pull-request.js";
import type { PullRequestService } from "../../../domain/pulls/pull-requests.js";
import type { BranchService } from "../../../domain/repos/branches.js";
import type { RepositoryService } from "../../../domain/repos/repositories.js";
import type { AwsService } from "../../service.js";
import { approvalOperations } from "./approvals.js";
import { codecommitAccessDenied, codecommitAuthz, type CodeCommitAuthzLookups } from "./authz.js";
import { branchOperations } from "./branches.js";
import { commentOperations } from "./comments.js";
import { commitOperations } from "./commits.js";
import { contentOperations } from "./content.js";
import { mergeOperations } from "./merges.js";
import type { CloneBases } from "./metadata.js";
import { pullRequestOperations } from "./pull-requests.js";
import { repositoryOperations } from "./repositories.js";
import { tagOperations } from "./tags.js";
import { templateOperations } from "./templates.js";
import { triggerOperations } from "./triggers.js";

/** the merge operations whose conflictResolution can carry file content */
const MERGES_WITH_CONTENT = ["CreateUnreferencedMergeCommit", "MergeBranchesBySquash", "MergeBranchesByThreeWay", "MergePullRequestBySquash", "MergePullRequestByThreeWay"];

/** CodeCommit (awsJson 1.1, X-Amz-Target CodeCommit_20150413.<Operation>, signing name codecommit). */
export function codecommitService(deps: {
  repos: RepositoryService;
  branches: BranchService;
  content: ContentService;
  commits: CommitService;
  triggers: TriggerService;
  pulls: PullRequestService;
  pullMerges: PullRequestMerges;
  merges: MergeService;
  approvalRules: ApprovalRuleService;
  approvals: ApprovalService;
  templates: ApprovalRuleTemplateService;
  comments: CommentService;
  commentThreads: CommentThreads;
  reactions: CommentReactions;
  cloneBases: CloneBases;
  lookups: CodeCommitAuthzLookups;
}): AwsService {
  return {
    signingName: "codecommit",
    protocol: { kind: "json", version: "1.1", targetPrefixes: ["CodeCommit_20150413"] },
    operations: {
      ...repositoryOperations(deps.repos, deps.cloneBases),
      ...branchOperations(deps.branches),
      ...tagOperations(deps.repos),
      ...contentOperations(deps.content),
      ...commitOperations(deps.content, deps.commits),
      ...triggerOperations(deps.triggers),
      ...pullRequestOperations(deps.pulls, deps.pullMerges),
      ...mergeOperations(deps.merges),
      ...approvalOperations(deps.approvalRules, deps.approvals),
      ...templateOperations(deps.templates),
      ...commentOperations(deps.comments, deps.commentThreads, deps.reactions),
    },
    authz: codecommitAuthz(deps.lookups),
    accessDenied: codecommitAccessDenied,
    // PutFile, CreateCommit and the merges' conflictResolution carry file content: a body too large to read is content over the
    // quota, and CodeCommit's answer for that is modeled
    bodyTooLarge: (operation) => (["PutFile", "CreateCommit", ...MERGES_WITH_CONTENT].includes(operation) ? tooLarge("The file content of this request") : undefined),
  };
}
