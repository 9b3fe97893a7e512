import type { ContextInput } from "../../../domain/iam/policy/index.js";
import { ServiceError } from "../../../errors.js";
import { requestTagContext, rule, str, type AuthzRule, type AuthzTable } from "../../authz.js";

/** What the table needs to know about the repository world. */
export interface CodeCommitAuthzLookups {
  repositoryArn(name: string): string;
  /** `arn:…:codecommit:REGION:ACCOUNT:*`-style ARN for operations without a repository */
  region: string;
  accountId: string;
  partition: string;
  /** the tags of the repository an ARN names (for aws:ResourceTag/…) */
  repositoryTags(arn: string): Promise<Record<string, string>>;
  /** the repository (name) and destination ref of a pull request, once pull requests exist */
  pullRequest(id: string): Promise<{ repositoryName: string; destinationRef: string } | undefined>;
  /** the repository (name) a comment belongs to, once comments exist */
  commentRepository(id: string): Promise<string | undefined>;
}

export function codecommitAccessDenied(message: string): ServiceError {
  return new ServiceError("AccessDeniedException", message);
}

const refOf = (branch: unknown) => (typeof branch === "string" && branch ? (branch.startsWith("refs/") ? branch : `refs/heads/${branch}`) : undefined);
const references = (branch: unknown): ContextInput => {
  const ref = refOf(branch);
  return ref ? { "codecommit:References": ref } : {};
};

function tagKeys(tags: unknown, keys?: unknown): ContextInput {
  const pairs = tags && typeof tags === "object" && !Array.isArray(tags) ? Object.entries(tags as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)]) : undefined;
  return requestTagContext(pairs, Array.isArray(keys) ? keys.map(String) : undefined);
}

/**
 * CodeCommit's authorization table: every operation of the service model (and
 * GetBlobDifferences), as the CodeCommit permissions reference gives them. Actions mirror
 * operation names; the resource is the repository, except for ListRepositories and the approval
 * rule template operations; branch-changing operations carry codecommit:References.
 */
export function codecommitAuthz(l: CodeCommitAuthzLookups): AuthzTable {
  const repo = (i: Record<string, unknown>) => l.repositoryArn(str(i.repositoryName));
  const any = () => "*";
  const tags = { resourceTags: (arn: string) => l.repositoryTags(arn) };
  const onRepo = (op: string, extra: Partial<AuthzRule> = {}) => rule(`codecommit:${op}`, repo, { ...tags, ...extra });
  const onPullRequest = (op: string, withRef = false): AuthzRule => ({
    action: `codecommit:${op}`,
    resources: async (i) => {
      const pr = await l.pullRequest(str(i.pullRequestId));
      return [pr ? l.repositoryArn(pr.repositoryName) : i.repositoryName ? repo(i) : `arn:${l.partition}:codecommit:${l.region}:${l.accountId}:*`];
    },
    keys: withRef ? async (i) => references((await l.pullRequest(str(i.pullRequestId)))?.destinationRef) : undefined,
    ...tags,
  });
  const onComment = (op: string, member = "commentId"): AuthzRule => ({
    action: `codecommit:${op}`,
    resources: async (i) => {
      const name = await l.commentRepository(str(i[member]));
      return [name ? l.repositoryArn(name) : `arn:${l.partition}:codecommit:${l.region}:${l.accountId}:*`];
    },
    ...tags,
  });
  const onTemplate = (op: string) => rule(`codecommit:${op}`, any);
  const onRepos = (op: string): AuthzRule => ({
    action: `codecommit:${op}`,
    resources: (i) => (Array.isArray(i.repositoryNames) ? i.repositoryNames.map((n) => l.repositoryArn(String(n))) : []),
    ...tags,
  });
  const onArn = (op: string, keys?: AuthzRule["keys"]): AuthzRule => rule(`codecommit:${op}`, (i) => str(i.resourceArn) || "*", { keys, ...tags });
  const merging = (op: string) => onRepo(op, { keys: (i) => references(i.targetBranch ?? i.destinationCommitSpecifier) });

  return {
    // repositories
    CreateRepository: onRepo("CreateRepository", { keys: (i) => tagKeys(i.tags) }),
    GetRepository: onRepo("GetRepository"),
    ListRepositories: rule("codecommit:ListRepositories", any),
    BatchGetRepositories: onRepos("BatchGetRepositories"),
    DeleteRepository: onRepo("DeleteRepository"),
    UpdateRepositoryName: rule("codecommit:UpdateRepositoryName", (i) => l.repositoryArn(str(i.oldName)), tags),
    UpdateRepositoryDescription: onRepo("UpdateRepositoryDescription"),
    UpdateRepositoryEncryptionKey: onRepo("UpdateRepositoryEncryptionKey"),
    // branches
    CreateBranch: onRepo("CreateBranch", { keys: (i) => references(i.branchName) }),
    GetBranch: onRepo("GetBranch"),
    ListBranches: onRepo("ListBranches"),
    DeleteBranch: onRepo("DeleteBranch", { keys: (i) => references(i.branchName) }),
    UpdateDefaultBranch: onRepo("UpdateDefaultBranch"),
    // tags
    TagResource: onArn("TagResource", (i) => tagKeys(i.tags)),
    UntagResource: onArn("UntagResource", (i) => tagKeys(undefined, i.tagKeys)),
    ListTagsForResource: onArn("ListTagsForResource"),
    // content
    GetCommit: onRepo("GetCommit"),
    BatchGetCommits: onRepo("BatchGetCommits"),
    GetBlob: onRepo("GetBlob"),
    GetFile: onRepo("GetFile"),
    GetFolder: onRepo("GetFolder"),
    GetDifferences: onRepo("GetDifferences"),
    GetBlobDifferences: onRepo("GetBlobDifferences"),
    ListFileCommitHistory: onRepo("ListFileCommitHistory"),
    PutFile: onRepo("PutFile", { keys: (i) => references(i.branchName) }),
    DeleteFile: onRepo("DeleteFile", { keys: (i) => references(i.branchName) }),
    CreateCommit: onRepo("CreateCommit", { keys: (i) => references(i.branchName) }),
    // triggers
    GetRepositoryTriggers: onRepo("GetRepositoryTriggers"),
    PutRepositoryTriggers: onRepo("PutRepositoryTriggers"),
    TestRepositoryTriggers: onRepo("TestRepositoryTriggers"),
    // merges
    MergeBranchesByFastForward: merging("MergeBranchesByFastForward"),
    MergeBranchesBySquash: merging("MergeBranchesBySquash"),
    MergeBranchesByThreeWay: merging("MergeBranchesByThreeWay"),
    CreateUnreferencedMergeCommit: merging("CreateUnreferencedMergeCommit"),
    GetMergeCommit: merging("GetMergeCommit"),
    GetMergeOptions: onRepo("GetMergeOptions"),
    GetMergeConflicts: onRepo("GetMergeConflicts"),
    DescribeMergeConflicts: onRepo("DescribeMergeConflicts"),
    BatchDescribeMergeConflicts: onRepo("BatchDescribeMergeConflicts"),
    // pull requests
    CreatePullRequest: {
      action: "codecommit:CreatePullRequest",
      resources: (i) => (Array.isArray(i.targets) ? i.targets.map((t) => l.repositoryArn(str((t as Record<string, unknown>).repositoryName))) : []),
      ...tags,
    },
    ListPullRequests: onRepo("ListPullRequests"),
    GetPullRequest: onPullRequest("GetPullRequest"),
    DescribePullRequestEvents: onPullRequest("DescribePullRequestEvents"),
    UpdatePullRequestStatus: onPullRequest("UpdatePullRequestStatus"),
    UpdatePullRequestTitle: onPullRequest("UpdatePullRequestTitle"),
    UpdatePullRequestDescription: onPullRequest("UpdatePullRequestDescription"),
    MergePullRequestByFastForward: onPullRequest("MergePullRequestByFastForward", true),
    MergePullRequestBySquash: onPullRequest("MergePullRequestBySquash", true),
    MergePullRequestByThreeWay: onPullRequest("MergePullRequestByThreeWay", true),
    GetPullRequestApprovalStates: onPullRequest("GetPullRequestApprovalStates"),
    UpdatePullRequestApprovalState: onPullRequest("UpdatePullRequestApprovalState"),
    EvaluatePullRequestApprovalRules: onPullRequest("EvaluatePullRequestApprovalRules"),
    OverridePullRequestApprovalRules: onPullRequest("OverridePullRequestApprovalRules"),
    GetPullRequestOverrideState: onPullRequest("GetPullRequestOverrideState"),
    CreatePullRequestApprovalRule: onPullRequest("CreatePullRequestApprovalRule"),
    DeletePullRequestApprovalRule: onPullRequest("DeletePullRequestApprovalRule"),
    UpdatePullRequestApprovalRuleContent: onPullRequest("UpdatePullRequestApprovalRuleContent"),
    // approval rule templates (resource *, except the associations, which are on repositories)
    CreateApprovalRuleTemplate: onTemplate("CreateApprovalRuleTemplate"),
    GetApprovalRuleTemplate: onTemplate("GetApprovalRuleTemplate"),
    ListApprovalRuleTemplates: onTemplate("ListApprovalRuleTemplates"),
    DeleteApprovalRuleTemplate: onTemplate("DeleteApprovalRuleTemplate"),
    UpdateApprovalRuleTemplateName: onTemplate("UpdateApprovalRuleTemplateName"),
    UpdateApprovalRuleTemplateDescription: onTemplate("UpdateApprovalRuleTemplateDescription"),
    UpdateApprovalRuleTemplateContent: onTemplate("UpdateApprovalRuleTemplateContent"),
    ListRepositoriesForApprovalRuleTemplate: onTemplate("ListRepositoriesForApprovalRuleTemplate"),
    AssociateApprovalRuleTemplateWithRepository: onRepo("AssociateApprovalRuleTemplateWithRepository"),
    DisassociateApprovalRuleTemplateFromRepository: onRepo("DisassociateApprovalRuleTemplateFromRepository"),
    BatchAssociateApprovalRuleTemplateWithRepositories: onRepos("BatchAssociateApprovalRuleTemplateWithRepositories"),
    BatchDisassociateApprovalRuleTemplateFromRepositories: onRepos("BatchDisassociateApprovalRuleTemplateFromRepositories"),
    ListAssociatedApprovalRuleTemplatesForRepository: onRepo("ListAssociatedApprovalRuleTemplatesForRepository"),
    // comments
    GetComment: onComment("GetComment"),
    GetCommentReactions: onComment("GetCommentReactions"),
    UpdateComment: onComment("UpdateComment"),
    DeleteCommentContent: onComment("DeleteCommentContent"),
    PutCommentReaction: onComment("PutCommentReaction"),
    PostCommentReply: onComment("PostCommentReply", "inReplyTo"),
    GetCommentsForComparedCommit: onRepo("GetCommentsForComparedCommit"),
    PostCommentForComparedCommit: onRepo("PostCommentForComparedCommit"),
    GetCommentsForPullRequest: onPullRequest("GetCommentsForPullRequest"),
    PostCommentForPullRequest: onPullRequest("PostCommentForPullRequest"),
  };
}
