import type { ApprovalStatement, RuleContent } from "./content.js";
import { memberMatches } from "./pool.js";

/** How many of the approvers count for the statement: those in its pool, or all without one. */
export function countingApprovals(statement: ApprovalStatement, approvers: readonly string[]): number {
  if (statement.pool === undefined) return approvers.length;
  const pool = statement.pool;
  return approvers.filter((arn) => pool.some((m) => memberMatches(m, arn))).length;
}

/** A rule is satisfied when every statement has its number of approvals from its pool. */
export function ruleSatisfied(content: RuleContent, approvers: readonly string[]): boolean {
  return content.statements.every((s) => countingApprovals(s, approvers) >= s.numberOfApprovalsNeeded);
}

export interface RuleEvaluation {
  approvalRulesSatisfied: string[];
  approvalRulesNotSatisfied: string[];
}

export function evaluateRules(rules: ReadonlyArray<{ name: string; content: RuleContent }>, approvers: readonly string[]): RuleEvaluation {
  const approvalRulesSatisfied: string[] = [];
  const approvalRulesNotSatisfied: string[] = [];
  for (const r of rules) (ruleSatisfied(r.content, approvers) ? approvalRulesSatisfied : approvalRulesNotSatisfied).push(r.name);
  return { approvalRulesSatisfied, approvalRulesNotSatisfied };
}
