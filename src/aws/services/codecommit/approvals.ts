import type * as CC from "@aws-sdk/client-codecommit";
import type { ApprovalService } from "../../../domain/approvals/approvals.js";
import type { ApprovalRuleService } from "../../../domain/approvals/rules.js";
import type { OperationHandler } from "../../service.js";

type Op<I, O> = OperationHandler<I, O>;

/** A pull request's approval rules, approvals and overrides (the eight per-pull-request operations). */
export function approvalOperations(rules: ApprovalRuleService, approvals: ApprovalService) {
  const CreatePullRequestApprovalRule: Op<CC.CreatePullRequestApprovalRuleInput, CC.CreatePullRequestApprovalRuleOutput> = async (caller, input) => ({
    approvalRule: await rules.create(caller, input),
  });

  const UpdatePullRequestApprovalRuleContent: Op<CC.UpdatePullRequestApprovalRuleContentInput, CC.UpdatePullRequestApprovalRuleContentOutput> = async (
    caller,
    input,
  ) => ({ approvalRule: await rules.updateContent(caller, input) });

  // the model marks the ID required, yet documents a 200 without content for a rule deleted before
  const DeletePullRequestApprovalRule: Op<CC.DeletePullRequestApprovalRuleInput, Partial<CC.DeletePullRequestApprovalRuleOutput>> = async (caller, input) =>
    rules.delete(caller, input);

  const GetPullRequestApprovalStates: Op<CC.GetPullRequestApprovalStatesInput, CC.GetPullRequestApprovalStatesOutput> = async (_c, input) =>
    approvals.states(input.pullRequestId, input.revisionId);

  const UpdatePullRequestApprovalState: Op<CC.UpdatePullRequestApprovalStateInput, Record<string, never>> = async (caller, input) => {
    await approvals.updateState(caller, input);
    return {};
  };

  const EvaluatePullRequestApprovalRules: Op<CC.EvaluatePullRequestApprovalRulesInput, CC.EvaluatePullRequestApprovalRulesOutput> = async (_c, input) => ({
    evaluation: await approvals.evaluate(input.pullRequestId, input.revisionId),
  });

  const OverridePullRequestApprovalRules: Op<CC.OverridePullRequestApprovalRulesInput, Record<string, never>> = async (caller, input) => {
    await approvals.override(caller, input);
    return {};
  };

  const GetPullRequestOverrideState: Op<CC.GetPullRequestOverrideStateInput, CC.GetPullRequestOverrideStateOutput> = async (_c, input) =>
    approvals.overrideState(input.pullRequestId, input.revisionId);

  return {
    CreatePullRequestApprovalRule,
    UpdatePullRequestApprovalRuleContent,
    DeletePullRequestApprovalRule,
    GetPullRequestApprovalStates,
    UpdatePullRequestApprovalState,
    EvaluatePullRequestApprovalRules,
    OverridePullRequestApprovalRules,
    GetPullRequestOverrideState,
  };
}
