import { codecommitService } from "../../src/aws/services/codecommit/index.js";

/**
 * One call of every CodeCommit operation the server serves, made so that it is authorized like
 * any real call of the operation on one repository and then changes nothing that matters: a
 * rename to an invalid name, a commit on a parent that does not exist, a branch that is not
 * there. Whatever the handler answers after authorization, AccessDeniedException means the
 * policy refused it and anything else means the policy let it through.
 */

/** The operations the CodeCommit service serves (its operation table, as the router sees it). */
export function servedCodeCommitOperations(): string[] {
  const none = {} as never;
  const lookups = { repositoryArn: () => "", region: "us-east-1", accountId: "0", partition: "aws" } as never;
  return Object.keys(
    codecommitService({
      repos: none, branches: none, content: none, commits: none, triggers: none, pulls: none, pullMerges: none, merges: none,
      approvalRules: none, approvals: none, templates: none, comments: none, commentThreads: none, reactions: none, cloneBases: none, lookups,
    }).operations,
  );
}

export interface ProbeContext {
  repo: string;
  repoArn: string;
  /** the commit main points at */
  tip: string;
  /** unique per caller, for names the probe creates */
  tag: string;
  /** an open pull request of the repository (operations on it are authorized on the repository) */
  pullRequestId: string;
}

const BOGUS = "1".repeat(40);
/** a well-formed comment ID no comment has, and the resource such a comment's operations are authorized on */
const NO_COMMENT = "00000000-0000-4000-8000-000000000000";
const ACCOUNT_WIDE = "arn:aws:codecommit:us-east-1:000000000000:*";
/** a well-formed revision ID no pull request has */
const NOT_CURRENT = "0".repeat(64);

/** The input of each served operation's probe, and the resource it is authorized on. */
export function probe(op: string, c: ProbeContext): { input: Record<string, unknown>; resource: string } {
  const r = c.repo;
  const on = (input: Record<string, unknown>) => ({ input: { repositoryName: r, ...input }, resource: c.repoArn });
  switch (op) {
    case "CreateRepository":
      return on({}); // exists already: RepositoryNameExistsException once authorized
    case "GetRepository":
    case "ListBranches":
    case "GetRepositoryTriggers":
      return on({});
    case "ListRepositories":
      return { input: {}, resource: "*" };
    case "BatchGetRepositories":
      return { input: { repositoryNames: [r] }, resource: c.repoArn };
    case "DeleteRepository":
      return on({});
    case "UpdateRepositoryName":
      return { input: { oldName: r, newName: "not a valid name!" }, resource: c.repoArn };
    case "UpdateRepositoryDescription":
      return on({ repositoryDescription: `probed by ${c.tag}` });
    case "UpdateRepositoryEncryptionKey":
      return on({ kmsKeyId: "alias/aws/codecommit" });
    case "CreateBranch":
      return on({ branchName: `probe-${c.tag}`, commitId: c.tip });
    case "GetBranch":
      return on({ branchName: "main" });
    case "DeleteBranch":
      return on({ branchName: `never-made-${c.tag}` });
    case "UpdateDefaultBranch":
      return on({ defaultBranchName: "main" });
    case "TagResource":
      return { input: { resourceArn: c.repoArn, tags: { probe: c.tag } }, resource: c.repoArn };
    case "UntagResource":
      return { input: { resourceArn: c.repoArn, tagKeys: ["probe"] }, resource: c.repoArn };
    case "ListTagsForResource":
      return { input: { resourceArn: c.repoArn }, resource: c.repoArn };
    case "GetBlob":
      return on({ blobId: BOGUS });
    case "GetFile":
      return on({ filePath: "README.md" });
    case "GetFolder":
      return on({ folderPath: "/" });
    case "GetDifferences":
      return on({ afterCommitSpecifier: c.tip });
    case "GetBlobDifferences":
      return on({ afterCommitSpecifier: c.tip, afterPath: "README.md" });
    case "GetCommit":
      return on({ commitId: c.tip });
    case "BatchGetCommits":
      return on({ commitIds: [c.tip] });
    case "ListFileCommitHistory":
      return on({ filePath: "README.md" });
    case "PutFile":
      return on({ branchName: "main", filePath: `probe-${c.tag}.txt`, fileContent: Buffer.from("probe\n"), parentCommitId: BOGUS });
    case "DeleteFile":
      return on({ branchName: "main", filePath: "README.md", parentCommitId: BOGUS });
    case "CreateCommit":
      return on({ branchName: "main", parentCommitId: BOGUS, deleteFiles: [{ filePath: "README.md" }] });
    case "PutRepositoryTriggers":
      return on({ triggers: [] });
    case "TestRepositoryTriggers":
      return on({ triggers: [] });
    case "CreatePullRequest":
      return { input: { title: "probe", targets: [{ repositoryName: r, sourceReference: `never-made-${c.tag}` }] }, resource: c.repoArn };
    case "ListPullRequests":
      return on({});
    case "GetPullRequest":
    case "DescribePullRequestEvents":
      return { input: { pullRequestId: c.pullRequestId }, resource: c.repoArn };
    case "UpdatePullRequestTitle":
      return { input: { pullRequestId: c.pullRequestId, title: "" }, resource: c.repoArn };
    case "UpdatePullRequestDescription":
      return { input: { pullRequestId: c.pullRequestId, description: "x".repeat(10241) }, resource: c.repoArn };
    case "UpdatePullRequestStatus":
      return { input: { pullRequestId: c.pullRequestId, pullRequestStatus: "MERGED" }, resource: c.repoArn };
    // a pull-request merge refused after authorization: the source is not at the commit given
    case "MergePullRequestByFastForward":
    case "MergePullRequestBySquash":
    case "MergePullRequestByThreeWay":
      return { input: { pullRequestId: c.pullRequestId, repositoryName: r, sourceCommitId: "0".repeat(40) }, resource: c.repoArn };
    // merges of feature into main: reads, or a merge refused after authorization
    case "GetMergeOptions":
    case "GetMergeCommit":
      return on({ sourceCommitSpecifier: "feature", destinationCommitSpecifier: "main" });
    case "GetMergeConflicts":
      return on({ sourceCommitSpecifier: "feature", destinationCommitSpecifier: "main", mergeOption: "THREE_WAY_MERGE" });
    case "DescribeMergeConflicts":
      return on({ sourceCommitSpecifier: "feature", destinationCommitSpecifier: "main", mergeOption: "THREE_WAY_MERGE", filePath: "README.md" });
    case "BatchDescribeMergeConflicts":
      return on({ sourceCommitSpecifier: "feature", destinationCommitSpecifier: "main", mergeOption: "THREE_WAY_MERGE" });
    case "CreateUnreferencedMergeCommit":
      return on({ sourceCommitSpecifier: "feature", destinationCommitSpecifier: "main", mergeOption: "FAST_FORWARD_MERGE" });
    case "MergeBranchesByFastForward":
    case "MergeBranchesBySquash":
    case "MergeBranchesByThreeWay":
      return on({ sourceCommitSpecifier: "feature", destinationCommitSpecifier: "main", targetBranch: `never-made-${c.tag}` });
    // approval rules, approvals and overrides: a revision that is not current, names never made, content that is not JSON
    case "CreatePullRequestApprovalRule":
      return { input: { pullRequestId: c.pullRequestId, approvalRuleName: `probe-${c.tag}`, approvalRuleContent: "not json" }, resource: c.repoArn };
    case "UpdatePullRequestApprovalRuleContent":
      return { input: { pullRequestId: c.pullRequestId, approvalRuleName: `never-made-${c.tag}`, newRuleContent: "not json" }, resource: c.repoArn };
    case "DeletePullRequestApprovalRule":
      return { input: { pullRequestId: c.pullRequestId, approvalRuleName: `never-made-${c.tag}` }, resource: c.repoArn };
    case "GetPullRequestApprovalStates":
    case "EvaluatePullRequestApprovalRules":
    case "GetPullRequestOverrideState":
      return { input: { pullRequestId: c.pullRequestId, revisionId: NOT_CURRENT }, resource: c.repoArn };
    case "UpdatePullRequestApprovalState":
      return { input: { pullRequestId: c.pullRequestId, revisionId: NOT_CURRENT, approvalState: "APPROVE" }, resource: c.repoArn };
    case "OverridePullRequestApprovalRules":
      return { input: { pullRequestId: c.pullRequestId, revisionId: NOT_CURRENT, overrideStatus: "OVERRIDE" }, resource: c.repoArn };
    // approval rule templates (resource *) and their associations (on the repository)
    case "CreateApprovalRuleTemplate":
      return { input: { approvalRuleTemplateName: `probe-${c.tag}`, approvalRuleTemplateContent: "not json" }, resource: "*" };
    case "GetApprovalRuleTemplate":
    case "DeleteApprovalRuleTemplate":
    case "ListRepositoriesForApprovalRuleTemplate":
      return { input: { approvalRuleTemplateName: `never-made-${c.tag}` }, resource: "*" };
    case "ListApprovalRuleTemplates":
      return { input: {}, resource: "*" };
    case "UpdateApprovalRuleTemplateName":
      return { input: { oldApprovalRuleTemplateName: `never-made-${c.tag}`, newApprovalRuleTemplateName: `probe-${c.tag}` }, resource: "*" };
    case "UpdateApprovalRuleTemplateDescription":
      return { input: { approvalRuleTemplateName: `never-made-${c.tag}`, approvalRuleTemplateDescription: "" }, resource: "*" };
    case "UpdateApprovalRuleTemplateContent":
      return { input: { approvalRuleTemplateName: `never-made-${c.tag}`, newRuleContent: "not json" }, resource: "*" };
    case "AssociateApprovalRuleTemplateWithRepository":
    case "DisassociateApprovalRuleTemplateFromRepository":
      return on({ approvalRuleTemplateName: `never-made-${c.tag}` });
    case "BatchAssociateApprovalRuleTemplateWithRepositories":
    case "BatchDisassociateApprovalRuleTemplateFromRepositories":
      return { input: { approvalRuleTemplateName: `never-made-${c.tag}`, repositoryNames: [r] }, resource: c.repoArn };
    case "ListAssociatedApprovalRuleTemplatesForRepository":
      return on({});
    // comments: content that is empty, or a comment no one made (authorized on the account's
    // codecommit:* ARN then, as for any comment ID that names nothing)
    case "PostCommentForComparedCommit":
      return on({ afterCommitId: c.tip, content: "" });
    case "PostCommentForPullRequest":
      return on({ pullRequestId: c.pullRequestId, beforeCommitId: c.tip, afterCommitId: c.tip, content: "" });
    case "GetCommentsForComparedCommit":
      return on({ afterCommitId: c.tip });
    case "GetCommentsForPullRequest":
      return { input: { pullRequestId: c.pullRequestId }, resource: c.repoArn };
    case "PostCommentReply":
      return { input: { inReplyTo: NO_COMMENT, content: "probe" }, resource: ACCOUNT_WIDE };
    case "GetComment":
    case "DeleteCommentContent":
    case "GetCommentReactions":
      return { input: { commentId: NO_COMMENT }, resource: ACCOUNT_WIDE };
    case "UpdateComment":
      return { input: { commentId: NO_COMMENT, content: "probe" }, resource: ACCOUNT_WIDE };
    case "PutCommentReaction":
      return { input: { commentId: NO_COMMENT, reactionValue: ":thumbsup:" }, resource: ACCOUNT_WIDE };
    default:
      throw new Error(`no probe for ${op}: add one when an operation is served`);
  }
}

/** `codecommit:Get*`-style pattern → does it match the action (case-insensitively)? */
function globMatches(pattern: string, value: string): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "i").test(value);
}

interface SimpleStatement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

/**
 * What a policy of plain Allow statements (Action and Resource lists with `*` wildcards, no
 * conditions: the seeds' and the AWS managed policies' CodeCommit statements) allows: the test's
 * own reading, independent of the server's engine.
 */
export function plainPolicyAllows(policy: { Statement: SimpleStatement[] }, action: string, resource: string): boolean {
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  return policy.Statement.some(
    (s) =>
      s.Effect === "Allow" &&
      s.Condition === undefined &&
      list(s.Action).some((a) => globMatches(a, action)) &&
      list(s.Resource).some((p) => (resource === "*" ? p === "*" : globMatches(p, resource))),
  );
}
