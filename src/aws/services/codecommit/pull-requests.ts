import type * as CC from "@aws-sdk/client-codecommit";
import type { PullRequestMerges } from "../../../domain/pulls/merge-pull-request.js";
import type { PullRequestService } from "../../../domain/pulls/pull-requests.js";
import type { OperationHandler } from "../../service.js";
import { decoded } from "./merges.js";

type Op<I, O> = OperationHandler<I, O>;
// the domain returns CodeCommit's shapes with Date timestamps; the SDK's types say the same
type PullRequestOut = { pullRequest: CC.PullRequest };

export function pullRequestOperations(pulls: PullRequestService, merging: PullRequestMerges) {
  const CreatePullRequest: Op<CC.CreatePullRequestInput, PullRequestOut> = async (caller, input) => ({
    pullRequest: await pulls.create(caller, input),
  });

  const GetPullRequest: Op<CC.GetPullRequestInput, PullRequestOut> = async (_c, input) => ({
    pullRequest: await pulls.get(input.pullRequestId),
  });

  const ListPullRequests: Op<CC.ListPullRequestsInput, CC.ListPullRequestsOutput> = async (_c, input) => pulls.list(input);

  const DescribePullRequestEvents: Op<CC.DescribePullRequestEventsInput, CC.DescribePullRequestEventsOutput> = async (_c, input) =>
    pulls.describeEvents(input) as Promise<CC.DescribePullRequestEventsOutput>;

  const UpdatePullRequestTitle: Op<CC.UpdatePullRequestTitleInput, PullRequestOut> = async (_c, input) => ({
    pullRequest: await pulls.updateTitle(input.pullRequestId, input.title),
  });

  const UpdatePullRequestDescription: Op<CC.UpdatePullRequestDescriptionInput, PullRequestOut> = async (_c, input) => ({
    pullRequest: await pulls.updateDescription(input.pullRequestId, input.description),
  });

  const UpdatePullRequestStatus: Op<CC.UpdatePullRequestStatusInput, PullRequestOut> = async (caller, input) => ({
    pullRequest: await pulls.updateStatus(caller, input.pullRequestId, input.pullRequestStatus),
  });

  const MergePullRequestByFastForward: Op<CC.MergePullRequestByFastForwardInput, PullRequestOut> = async (caller, input) => ({
    pullRequest: await merging.merge(caller, "FAST_FORWARD_MERGE", input),
  });

  const MergePullRequestBySquash: Op<CC.MergePullRequestBySquashInput, PullRequestOut> = async (caller, input) => ({
    pullRequest: await merging.merge(caller, "SQUASH_MERGE", { ...input, conflictResolution: decoded(input.conflictResolution) }),
  });

  const MergePullRequestByThreeWay: Op<CC.MergePullRequestByThreeWayInput, PullRequestOut> = async (caller, input) => ({
    pullRequest: await merging.merge(caller, "THREE_WAY_MERGE", { ...input, conflictResolution: decoded(input.conflictResolution) }),
  });

  return {
    MergePullRequestByFastForward,
    MergePullRequestBySquash,
    MergePullRequestByThreeWay,
    CreatePullRequest,
    GetPullRequest,
    ListPullRequests,
    DescribePullRequestEvents,
    UpdatePullRequestTitle,
    UpdatePullRequestDescription,
    UpdatePullRequestStatus,
  };
}
