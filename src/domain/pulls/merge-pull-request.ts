import type { Kysely } from "kysely";
import { ServiceError } from "../../errors.js";
import type { Engine } from "../../store/db.js";
import type { Database } from "../../store/schema.js";
import type { ApprovalService } from "../approvals/approvals.js";
import { changingPullRequest } from "../approvals/pull-request.js";
import type { Caller } from "../context.js";
import type { MergeCommitInputs, MergeService } from "../merges/merge-service.js";
import { validateCommitId } from "../repos/names.js";
import type { RepositoryService } from "../repos/repositories.js";
import { recordEvent } from "./events.js";
import { alreadyClosed, pullRequestRow, type PullRequestService } from "./pull-requests.js";
import { validatePullRequestId } from "./validate.js";
import type { MergeOption, PullRequestView } from "./view.js";

export interface MergePullRequestInput extends MergeCommitInputs {
  pullRequestId?: unknown;
  repositoryName?: unknown;
  sourceCommitId?: unknown;
  conflictDetailLevel?: unknown;
  conflictResolutionStrategy?: unknown;
}

/**
 * MergePullRequestByFastForward/Squash/ThreeWay: the pull request's source merged into its
 * destination by the merges domain (compare-and-swap on the destination, recorded in the ref
 * ledger, so triggers fire), once its approval rules are satisfied or overridden; then the
 * pull request is CLOSED with its mergeMetadata.
 */
export class PullRequestMerges {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly repos: RepositoryService,
    private readonly pulls: PullRequestService,
    private readonly merges: MergeService,
    private readonly approvals: ApprovalService,
  ) {}

  async merge(caller: Caller, option: MergeOption, input: MergePullRequestInput): Promise<PullRequestView> {
    const id = validatePullRequestId(input.pullRequestId);
    const repo = await this.repos.require(input.repositoryName);
    const row = await pullRequestRow(this.db, id);
    if (row.repository_id !== repo.id) {
      throw new ServiceError("RepositoryNotAssociatedWithPullRequestException", `Pull request ${id} is not on repository ${repo.name}.`);
    }
    if (row.status !== "OPEN") throw alreadyClosed(id);

    const git = this.repos.git(repo);
    const tip = await git.refTarget(row.source_ref);
    if (!tip) throw new ServiceError("ReferenceDoesNotExistException", `The source branch ${row.source_ref} of pull request ${id} no longer exists.`);
    // the guard against merging something other than what was reviewed
    if (input.sourceCommitId !== undefined && input.sourceCommitId !== null && input.sourceCommitId !== "") {
      const given = validateCommitId(input.sourceCommitId);
      if (!tip.startsWith(given)) {
        throw new ServiceError(
          "TipOfSourceReferenceIsDifferentException",
          `The tip of ${row.source_ref} is ${tip}, not ${given}: the source branch moved since you looked. Review the new commits and merge again.`,
        );
      }
    }
    if (tip !== row.source_commit) {
      // a push the pull request has not caught up with yet: its approvals belong to the old revision
      throw new ServiceError(
        "TipOfSourceReferenceIsDifferentException",
        `${row.source_ref} moved to ${tip} and pull request ${id} is taking in that new revision: get the pull request again and merge its new revision.`,
      );
    }
    const evaluation = await this.approvals.evaluate(id, row.revision_id);
    if (!evaluation.approved) {
      throw new ServiceError(
        "PullRequestApprovalRulesNotSatisfiedException",
        `Pull request ${id} cannot be merged: its approval rules ${evaluation.approvalRulesNotSatisfied.join(", ")} are not satisfied and not overridden.`,
      );
    }

    const merged = await this.merges.mergeInto(caller, {
      repositoryName: repo.name,
      sourceCommitId: tip,
      destinationBranch: row.destination_ref.slice("refs/heads/".length),
      strategy: option,
      conflictDetailLevel: input.conflictDetailLevel,
      conflictResolutionStrategy: input.conflictResolutionStrategy,
      conflictResolution: input.conflictResolution,
      authorName: input.authorName,
      email: input.email,
      commitMessage: input.commitMessage,
      keepEmptyFolders: input.keepEmptyFolders,
    });

    const mergeMetadata = { isMerged: true, mergedBy: caller.principal.arn, mergeCommitId: merged.commitId, mergeOption: option };
    await changingPullRequest(this.db, this.engine, id, async (trx, now) => {
      // the outbox's pull-request reader may have seen the destination move first and marked
      // it merged without knowing how: the merge is this call's, so its option is told
      const alreadyMerged = Boolean(now.is_merged);
      await trx
        .updateTable("pull_requests")
        .set({ status: "CLOSED", is_merged: 1, merged_by: caller.principal.arn, merge_commit_id: merged.commitId, merge_option: option, source_commit: tip })
        .where("id", "=", id)
        .execute();
      const metadata = { repositoryName: repo.name, destinationReference: row.destination_ref, mergeMetadata };
      if (alreadyMerged) {
        await trx
          .updateTable("pull_request_events")
          .set({ metadata: JSON.stringify(metadata), actor_arn: caller.principal.arn })
          .where("pull_request_id", "=", id)
          .where("event_type", "=", "PULL_REQUEST_MERGE_STATE_CHANGED")
          .execute();
      } else {
        await recordEvent(trx, id, "PULL_REQUEST_MERGE_STATE_CHANGED", caller.principal.arn, metadata);
      }
    });
    return this.pulls.get(String(id));
  }
}
