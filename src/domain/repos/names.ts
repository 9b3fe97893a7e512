import { ServiceError } from "../../errors.js";

/**
 * CodeCommit's naming rules. The SDKs validate nothing, so these checks are the only ones a
 * request meets; messages say how to fix the name.
 */

export function requireString(value: unknown, requiredCode: string, what: string): string {
  if (value === undefined || value === null || value === "") {
    throw new ServiceError(requiredCode, `${what} is required.`);
  }
  if (typeof value !== "string") throw new ServiceError("SerializationException", `${what} must be a string.`);
  return value;
}

const REPO_NAME = /^[\w.-]{1,100}$/;

export function isValidRepositoryName(name: string): boolean {
  return REPO_NAME.test(name) && !name.toLowerCase().endsWith(".git") && name !== "." && name !== "..";
}

export function validateRepositoryName(value: unknown): string {
  const name = requireString(value, "RepositoryNameRequiredException", "A repository name");
  if (!isValidRepositoryName(name)) {
    throw new ServiceError(
      "InvalidRepositoryNameException",
      `The repository name '${name}' is not valid. Repository names are 1 to 100 letters, digits, periods, ` +
        "underscores and dashes, case-sensitive, and cannot end in .git.",
    );
  }
  return name;
}

/**
 * git's rules for a full reference name, as `git check-ref-format` applies them (refs.c
 * check_refname_format; see Documentation/git-check-ref-format.txt): the reason a name breaks
 * them, or null. Bytes above 0x7f are all allowed, so checking UTF-16 units is checking bytes.
 */
export function refNameProblem(ref: string): string | null {
  if (ref === "@") return "cannot be the single character @";
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return "cannot contain spaces, control characters or any of ~ ^ : ? * [ \\";
  if (ref.includes("..")) return "cannot contain ..";
  if (ref.includes("@{")) return "cannot contain @{";
  if (ref.startsWith("/") || ref.endsWith("/") || ref.includes("//")) return "cannot begin or end with / or contain //";
  if (ref.endsWith(".")) return "cannot end with .";
  for (const part of ref.split("/")) {
    if (part.startsWith(".")) return "cannot have a path component that begins with .";
    if (part.endsWith(".lock")) return "cannot have a path component that ends with .lock";
  }
  // not git's rule: a lone UTF-16 surrogate has no UTF-8 bytes, so no ref could carry it
  if (/\p{Cs}/u.test(ref)) return "must be valid Unicode text";
  return null;
}

/**
 * A branch name as `git check-ref-format --branch` accepts it (refs/heads/NAME is a valid ref;
 * the name does not begin with -, which git would read as an option; it is not HEAD), plus
 * CodeCommit's length limit and its rule against 40-hex names.
 */
export function branchNameProblem(name: string): string | null {
  if (name.length < 1 || name.length > 256) return "must be 1 to 256 characters long";
  if (/^[0-9a-fA-F]{40}$/.test(name)) return "cannot be 40 hexadecimal characters (it would look like a commit ID)";
  if (name.startsWith("-")) return "cannot begin with - (git would read it as an option)";
  if (name === "HEAD") return "cannot be HEAD";
  return refNameProblem(`refs/heads/${name}`);
}

export function validateBranchName(value: unknown): string {
  const name = requireString(value, "BranchNameRequiredException", "A branch name");
  const problem = branchNameProblem(name);
  if (problem) throw new ServiceError("InvalidBranchNameException", `The branch name '${name}' is not valid: it ${problem}.`);
  return name;
}

export function validateRepositoryDescription(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length > 1000) {
    throw new ServiceError(
      "InvalidRepositoryDescriptionException",
      "The repository description is not valid. Descriptions can be at most 1,000 characters.",
    );
  }
  return value;
}

const KMS_KEY = /^[a-zA-Z0-9:/_-]+$/;

export function validateKmsKeyId(value: unknown, required: boolean): string | undefined {
  if (value === undefined || value === null || value === "") {
    if (required) throw new ServiceError("EncryptionKeyRequiredException", "An encryption key ID is required.");
    return undefined;
  }
  if (typeof value !== "string" || !KMS_KEY.test(value) || value.length > 2048) {
    throw new ServiceError(
      "EncryptionKeyInvalidIdException",
      "The encryption key ID is not valid: use a key ID, key ARN, alias name (alias/…) or alias ARN.",
    );
  }
  return value;
}

const HEX = /^[0-9a-f]{4,40}$/i;

export function validateCommitId(value: unknown): string {
  const id = requireString(value, "CommitIdRequiredException", "A commit ID");
  if (!HEX.test(id)) throw new ServiceError("InvalidCommitIdException", `The commit ID '${id}' is not valid: use a full or abbreviated SHA-1.`);
  return id.toLowerCase();
}
