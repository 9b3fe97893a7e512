import { ServiceError } from "../../errors.js";
import { parseArn } from "../repos/arn.js";
import { branchNameProblem } from "../repos/names.js";

/** CodeCommit's limits for pull requests (the model's shapes and the quotas page). */
export const MAX_TITLE = 150;
export const MAX_DESCRIPTION = 10240;
export const MAX_OPEN_PULL_REQUESTS = 1000;

export type PullRequestStatus = "OPEN" | "CLOSED";

export function validatePullRequestId(value: unknown): number {
  if (value === undefined || value === null || value === "") {
    throw new ServiceError("PullRequestIdRequiredException", "A pull request ID is required (ListPullRequests lists them).");
  }
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !/^[1-9][0-9]{0,15}$/.test(text)) {
    throw new ServiceError(
      "InvalidPullRequestIdException",
      `The pull request ID '${String(value)}' is not valid: pull request IDs are positive whole numbers, such as 42.`,
    );
  }
  return Number(text);
}

export function validateTitle(value: unknown): string {
  if (value === undefined || value === null || value === "") {
    throw new ServiceError("TitleRequiredException", "A pull request title is required. It cannot be empty.");
  }
  if (typeof value !== "string" || value.length > MAX_TITLE) {
    throw new ServiceError("InvalidTitleException", `The pull request title is not valid: titles are 1 to ${MAX_TITLE} characters.`);
  }
  return value;
}

export function validateDescription(value: unknown, required = false): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw new ServiceError("InvalidDescriptionException", "A description is required; send an empty string to clear it.");
    return undefined;
  }
  if (typeof value !== "string" || value.length > MAX_DESCRIPTION) {
    throw new ServiceError(
      "InvalidDescriptionException",
      `The pull request description is not valid: descriptions are at most ${MAX_DESCRIPTION.toLocaleString("en-US")} characters.`,
    );
  }
  return value;
}

export function validateStatus(value: unknown, required: boolean): PullRequestStatus | undefined {
  if (value === undefined || value === null || value === "") {
    if (required) throw new ServiceError("PullRequestStatusRequiredException", "A pull request status (OPEN or CLOSED) is required.");
    return undefined;
  }
  if (value !== "OPEN" && value !== "CLOSED") {
    throw new ServiceError("InvalidPullRequestStatusException", `The pull request status '${String(value)}' is not valid: use OPEN or CLOSED.`);
  }
  return value;
}

/**
 * A pull request's source or destination: a branch, by short name or as refs/heads/…, returned
 * as the full ref. Other refs (tags, commit IDs) are refused with ReferenceTypeNotSupported
 * by the caller once it knows what the name is.
 */
export function validateReferenceName(value: unknown): string {
  if (value === undefined || value === null || value === "") {
    throw new ServiceError("ReferenceNameRequiredException", "A reference name is required: name the branch (for example main or refs/heads/main).");
  }
  if (typeof value !== "string") throw new ServiceError("InvalidReferenceNameException", "A reference name must be a string.");
  const full = value.startsWith("refs/") ? value : `refs/heads/${value}`;
  const problem = branchNameProblem(full.slice("refs/".length));
  if (problem) {
    throw new ServiceError(
      "InvalidReferenceNameException",
      `The reference name '${value}' is not valid: as a Git reference name it ${problem}.`,
    );
  }
  return full;
}

/** An IAM identity ARN given as a filter (authorArn, actorArn): shape only. */
export function validateIdentityArn(value: unknown, code: string, what: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const arn = typeof value === "string" ? parseArn(value) : null;
  if (!arn || (arn.service !== "iam" && arn.service !== "sts")) {
    throw new ServiceError(code, `The ARN '${String(value)}' is not valid: give the full ARN of the ${what}, such as arn:aws:iam::123456789012:user/Mary_Major.`);
  }
  return value as string;
}

export function validateMaxResults(value: unknown, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ServiceError("InvalidMaxResultsException", `maxResults must be a whole number from 1 to ${max}.`);
  }
  return value;
}
