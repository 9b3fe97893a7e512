import { ServiceError } from "../../errors.js";
import { parsePolicy, type PolicyKind } from "./policy/index.js";
import { policySize } from "./validate.js";

/**
 * Checks a policy document before it is stored: JSON, grammar and semantics, by the same parser
 * that compiles it for evaluation, so a stored policy always evaluates. Refusals are
 * MalformedPolicyDocument with a reason a person can act on.
 */
export function checkPolicyDocument(doc: string, kind: PolicyKind): void {
  parsePolicy(doc, { kind });
}

export function checkSize(doc: string, max: number, what: string): void {
  if (policySize(doc) > max) throw new ServiceError("LimitExceeded", `Cannot exceed quota for ${what}: ${max}`, { status: 409 });
}
