import { ServiceError } from "../../errors.js";

/** CodeCommit's quotas for approval rules and templates (the user guide's quotas page). */
export const MAX_RULES_PER_PULL_REQUEST = 30;
export const MAX_TEMPLATE_RULES_PER_PULL_REQUEST = 25;
export const MAX_APPROVALS_PER_PULL_REQUEST = 200;
export const MAX_TEMPLATES = 1000;
export const MAX_TEMPLATES_PER_REPOSITORY = 25;
export const MAX_TEMPLATE_DESCRIPTION = 1000;
export const MAX_BATCH_REPOSITORIES = 100;
export const MAX_NAME = 100;

// the characters CodeCommit's naming rules leave out, and control characters
const FORBIDDEN = /[!?@#$%^&*()+={}[\]|\\/><~`'";:\x00-\x1f\x7f]/;

function nameProblem(name: string): string | null {
  if (name.length > MAX_NAME) return `is ${name.length} characters long; the most is ${MAX_NAME}`;
  const bad = FORBIDDEN.exec(name);
  if (bad) return `contains ${JSON.stringify(bad[0])}, which names cannot contain (nor any of ! ? @ # $ % ^ & * ( ) + = { } [ ] | \\ / > < ~ \` ' " ; :)`;
  if (name.toLowerCase().endsWith(".git")) return "ends in .git, which names cannot";
  return null;
}

function validateName(value: unknown, requiredCode: string, invalidCode: string, what: string): string {
  if (value === undefined || value === null || value === "") throw new ServiceError(requiredCode, `${what} is required.`);
  if (typeof value !== "string") throw new ServiceError(invalidCode, `${what} must be a string.`);
  const problem = nameProblem(value);
  if (problem) {
    throw new ServiceError(
      invalidCode,
      `${what} '${value}' is not valid: it ${problem}. Names are 1 to ${MAX_NAME} letters, digits, periods, spaces, underscores and dashes.`,
    );
  }
  return value;
}

export function validateRuleName(value: unknown): string {
  return validateName(value, "ApprovalRuleNameRequiredException", "InvalidApprovalRuleNameException", "An approval rule name");
}

export function validateTemplateName(value: unknown): string {
  return validateName(value, "ApprovalRuleTemplateNameRequiredException", "InvalidApprovalRuleTemplateNameException", "An approval rule template name");
}

export function validateTemplateDescription(value: unknown, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw new ServiceError("InvalidApprovalRuleTemplateDescriptionException", "A description is required; send an empty string to clear it.");
    return undefined;
  }
  if (typeof value !== "string" || value.length > MAX_TEMPLATE_DESCRIPTION) {
    throw new ServiceError(
      "InvalidApprovalRuleTemplateDescriptionException",
      `The approval rule template description is not valid: descriptions are at most ${MAX_TEMPLATE_DESCRIPTION.toLocaleString("en-US")} characters.`,
    );
  }
  return value;
}

/** Revision IDs are what newRevisionId makes: 64 hex digits. */
export function validateRevisionId(value: unknown): string {
  if (value === undefined || value === null || value === "") {
    throw new ServiceError("RevisionIdRequiredException", "A revision ID is required: GetPullRequest gives the pull request's current revisionId.");
  }
  if (typeof value !== "string" || !/^[0-9a-f]{64}$/.test(value)) {
    throw new ServiceError("InvalidRevisionIdException", `The revision ID '${String(value)}' is not valid: use the revisionId GetPullRequest gives.`);
  }
  return value;
}

export function validateSha256(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new ServiceError("InvalidRuleContentSha256Exception", "existingRuleContentSha256 must be a string (the ruleContentSha256 the rule has now).");
  return value;
}

export type ApprovalState = "APPROVE" | "REVOKE";
export type OverrideStatus = "OVERRIDE" | "REVOKE";

export function validateApprovalState(value: unknown): ApprovalState {
  if (value === undefined || value === null || value === "") throw new ServiceError("ApprovalStateRequiredException", "An approval state (APPROVE or REVOKE) is required.");
  if (value !== "APPROVE" && value !== "REVOKE") throw new ServiceError("InvalidApprovalStateException", `The approval state '${String(value)}' is not valid: use APPROVE or REVOKE.`);
  return value;
}

export function validateOverrideStatus(value: unknown): OverrideStatus {
  if (value === undefined || value === null || value === "") throw new ServiceError("OverrideStatusRequiredException", "An override status (OVERRIDE or REVOKE) is required.");
  if (value !== "OVERRIDE" && value !== "REVOKE") throw new ServiceError("InvalidOverrideStatusException", `The override status '${String(value)}' is not valid: use OVERRIDE or REVOKE.`);
  return value;
}
