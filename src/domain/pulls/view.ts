import type { Selectable } from "kysely";
import type { PullRequestApprovalRulesTable, PullRequestsTable } from "../../store/schema.js";
import type { PullRequestStatus } from "./validate.js";

export type PullRequestRow = Selectable<PullRequestsTable>;
export type ApprovalRuleRow = Selectable<PullRequestApprovalRulesTable>;

export type MergeOption = "FAST_FORWARD_MERGE" | "SQUASH_MERGE" | "THREE_WAY_MERGE";

export interface MergeMetadataView {
  isMerged: boolean;
  mergedBy?: string;
  mergeCommitId?: string;
  mergeOption?: MergeOption;
}

export interface ApprovalRuleView {
  approvalRuleId: string;
  approvalRuleName: string;
  approvalRuleContent: string;
  ruleContentSha256: string;
  lastModifiedDate: Date;
  creationDate: Date;
  lastModifiedUser: string;
  originApprovalRuleTemplate?: { approvalRuleTemplateId: string; approvalRuleTemplateName: string };
}

/** CodeCommit's PullRequest shape (one target: CodeCommit allows one repository per pull request). */
export interface PullRequestView {
  pullRequestId: string;
  title: string;
  description?: string;
  lastActivityDate: Date;
  creationDate: Date;
  pullRequestStatus: PullRequestStatus;
  authorArn: string;
  pullRequestTargets: Array<{
    repositoryName: string;
    sourceReference: string;
    destinationReference: string;
    destinationCommit: string;
    sourceCommit: string;
    mergeBase?: string;
    mergeMetadata: MergeMetadataView;
  }>;
  clientRequestToken?: string;
  revisionId: string;
  approvalRules: ApprovalRuleView[];
}

export function mergeMetadataView(row: Pick<PullRequestRow, "is_merged" | "merged_by" | "merge_commit_id" | "merge_option">): MergeMetadataView {
  return {
    isMerged: Boolean(row.is_merged),
    mergedBy: row.merged_by ?? undefined,
    mergeCommitId: row.merge_commit_id ?? undefined,
    mergeOption: (row.merge_option as MergeOption | null) ?? undefined,
  };
}

export function approvalRuleView(r: ApprovalRuleRow): ApprovalRuleView {
  return {
    approvalRuleId: r.id,
    approvalRuleName: r.name,
    approvalRuleContent: r.content,
    ruleContentSha256: r.content_sha256,
    lastModifiedDate: new Date(r.updated_at),
    creationDate: new Date(r.created_at),
    lastModifiedUser: r.last_modified_user,
    originApprovalRuleTemplate: r.origin_template_id
      ? { approvalRuleTemplateId: r.origin_template_id, approvalRuleTemplateName: r.origin_template_name ?? "" }
      : undefined,
  };
}

export function pullRequestView(row: PullRequestRow, repositoryName: string, rules: ApprovalRuleRow[]): PullRequestView {
  return {
    pullRequestId: String(row.id),
    title: row.title,
    description: row.description ?? undefined,
    lastActivityDate: new Date(row.last_activity_at),
    creationDate: new Date(row.created_at),
    pullRequestStatus: row.status as PullRequestStatus,
    authorArn: row.author_arn,
    pullRequestTargets: [
      {
        repositoryName,
        sourceReference: row.source_ref,
        destinationReference: row.destination_ref,
        destinationCommit: row.destination_commit,
        sourceCommit: row.source_commit,
        mergeBase: row.merge_base ?? undefined,
        mergeMetadata: mergeMetadataView(row),
      },
    ],
    clientRequestToken: row.client_request_token ?? undefined,
    revisionId: row.revision_id,
    approvalRules: rules.map(approvalRuleView),
  };
}
