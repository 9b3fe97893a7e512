/**
 * Denials worded as AWS words them, e.g.
 * `User: arn:aws:iam::123456789012:user/alice is not authorized to perform:
 * codecommit:DeleteRepository on resource: arn:aws:codecommit:us-east-1:123456789012:repo
 * because no identity-based policy allows the codecommit:DeleteRepository action`.
 * Role sessions are "User:" too, with their `arn:aws:sts::…:assumed-role/ROLE/SESSION` ARN.
 */

import type { DenialReason, EvaluationResult } from "./evaluate.js";

export function denialMessage(principalArn: string, action: string, resource: string, reason: DenialReason): string {
  const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
  switch (reason) {
    case "explicit-deny-identity":
      return `${head} with an explicit deny in an identity-based policy`;
    case "explicit-deny-resource":
      return `${head} with an explicit deny in a resource-based policy`;
    case "explicit-deny-boundary":
      return `${head} with an explicit deny in a permissions boundary`;
    case "no-boundary-allow":
      return `${head} because no permissions boundary allows the ${action} action`;
    case "no-resource-allow":
      return `${head} because no resource-based policy allows the ${action} action`;
    case "no-identity-allow":
      return `${head} because no identity-based policy allows the ${action} action`;
  }
}

/** The denial for an evaluation, or `undefined` when it allowed the request. */
export function explainDenial(
  principalArn: string,
  request: { action: string; resource: string },
  result: EvaluationResult,
): string | undefined {
  if (result.decision === "Allow" || result.denialReason === undefined) return undefined;
  return denialMessage(principalArn, request.action, request.resource, result.denialReason);
}
