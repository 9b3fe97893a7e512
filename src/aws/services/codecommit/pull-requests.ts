import type * as CC from "@aws-sdk/client-codecommit";
import type { PullRequestService } from "../../../domain/pulls/pull-requests.js";
import type { OperationHandler } from "../../service.js";

type Op<I, O> = OperationHandler<I, O>;
// the domain returns CodeCommit's shapes with Date timestamps; the SDK's types say the same
type PullRequestOut = { pullRequest: CC.PullRequest };

export function pullRequestOperations(pulls: PullRequestService) {
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

  return {
    CreatePullRequest,
    GetPullRequest,
    ListPullRequests,
    DescribePullRequestEvents,
    UpdatePullRequestTitle,
    UpdatePullRequestDescription,
    UpdatePullRequestStatus,
  };
}
