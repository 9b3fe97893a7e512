import { ServiceError } from "../../errors.js";

/**
 * IAM's input constraints, from the service model, with IAM's own error shape:
 * `ValidationError` and AWS's "1 validation error detected: …" wording.
 */

function violation(member: string, value: unknown, constraint: string): ServiceError {
  return new ServiceError(
    "ValidationError",
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

export function required(value: unknown, member: string): string {
  if (value === undefined || value === null) {
    throw violation(member, "null", "Member must not be null");
  }
  if (typeof value !== "string") throw violation(member, value, "Member must be a string");
  return value;
}

function check(value: string, member: string, min: number, max: number, pattern?: RegExp, patternText?: string): string {
  if (value.length < min) throw violation(member, value, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw violation(member, value, `Member must have length less than or equal to ${max}`);
  if (pattern && !pattern.test(value)) throw violation(member, value, `Member must satisfy regular expression pattern: ${patternText}`);
  return value;
}

const NAME = /^[\w+=,.@-]+$/;

export const userName = (v: unknown, member = "userName") => check(required(v, member), member, 1, 64, NAME, "[\\w+=,.@-]+");
export const groupName = (v: unknown, member = "groupName") => check(required(v, member), member, 1, 128, NAME, "[\\w+=,.@-]+");
export const roleName = (v: unknown, member = "roleName") => check(required(v, member), member, 1, 64, NAME, "[\\w+=,.@-]+");
export const policyName = (v: unknown, member = "policyName") => check(required(v, member), member, 1, 128, NAME, "[\\w+=,.@-]+");
export const arn = (v: unknown, member = "policyArn") => check(required(v, member), member, 20, 2048);
export const accessKeyId = (v: unknown, member = "accessKeyId") => check(required(v, member), member, 16, 128, /^\w+$/, "[\\w]+");
export const sshKeyId = (v: unknown, member = "sSHPublicKeyId") => check(required(v, member), member, 20, 128, /^\w+$/, "[\\w]+");
export const credentialId = (v: unknown, member = "serviceSpecificCredentialId") => check(required(v, member), member, 20, 128, /^\w+$/, "[\\w]+");

export function optional<T>(v: unknown, fn: (v: unknown, member: string) => T, member: string): T | undefined {
  return v === undefined || v === null || v === "" ? undefined : fn(v, member);
}

const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
export function path(v: unknown, member = "path"): string {
  if (v === undefined || v === null || v === "") return "/";
  return check(required(v, member), member, 1, 512, PATH, "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)");
}

export function pathPrefix(v: unknown, member = "pathPrefix"): string {
  if (v === undefined || v === null || v === "") return "/";
  return check(required(v, member), member, 1, 512, /^\/[\u0021-\u007F]*$/, "\\u002F[\\u0021-\\u007F]*");
}

/** A member that must be one of the model's enum values. */
export function enumValue(v: unknown, member: string, allowed: readonly string[]): string {
  const s = required(v, member);
  if (!allowed.includes(s)) throw violation(member, s, `Member must satisfy enum value set: [${allowed.join(", ")}]`);
  return s;
}

export function status(v: unknown, member = "status", allowed = ["Active", "Inactive"]): string {
  return enumValue(v, member, allowed);
}

const POLICY_CHARS = /^[\u0009\u000A\u000D\u0020-\u00FF]+$/;
const POLICY_CHARS_TEXT = "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+";

export function policyDocument(v: unknown, member = "policyDocument"): string {
  return check(required(v, member), member, 1, 131072, POLICY_CHARS, POLICY_CHARS_TEXT);
}

/**
 * An STS session policy: "the plaintext … can't exceed 2,048 characters", white space included
 * (the model's sessionPolicyDocumentType, as the CLI v2 ships it).
 */
export function sessionPolicyDocument(v: unknown, member = "policy"): string {
  return check(required(v, member), member, 1, 2048, POLICY_CHARS, POLICY_CHARS_TEXT);
}

export function description(v: unknown, max: number, member = "description"): string | undefined {
  if (v === undefined || v === null) return undefined;
  return check(required(v, member), member, 0, max);
}

/** Size of a policy as IAM counts it for quotas: without white space. */
export function policySize(doc: string): number {
  return doc.replace(/\s+/g, "").length;
}

export function noSuchEntity(message: string): ServiceError {
  return new ServiceError("NoSuchEntity", message, { status: 404 });
}

export function alreadyExists(message: string): ServiceError {
  return new ServiceError("EntityAlreadyExists", message, { status: 409 });
}

export function deleteConflict(message: string): ServiceError {
  return new ServiceError("DeleteConflict", message, { status: 409 });
}

export function limitExceeded(message: string): ServiceError {
  return new ServiceError("LimitExceeded", message, { status: 409 });
}

export function invalidInput(message: string): ServiceError {
  return new ServiceError("InvalidInput", message);
}
