import { ServiceError } from "../../errors.js";
import type { Ident } from "../../git/objects.js";
import type { Principal } from "../context.js";

/** Limits on what the API writes into a commit. 256 KB is CodeCommit's documented message limit. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
export const MAX_NAME_LENGTH = 1024;
export const MAX_EMAIL_LENGTH = 1024;

/**
 * Who a commit made through the API is by. CodeCommit's documents: the name defaults to "your
 * IAM user name or a derivation of your console login" (user guide) / "the user's ARN" (the
 * DeleteFile reference), and "if no email address is specified, the email address is left
 * blank". So: the IAM user name for users, the role and session (`Role/session`) for
 * assumed roles, and an empty email. The same person is author and committer.
 */
export function defaultAuthorName(p: Principal): string {
  if (p.userName) return p.userName;
  const resource = p.arn.split(":").slice(5).join(":");
  const slash = resource.indexOf("/");
  return slash >= 0 ? resource.slice(slash + 1) : p.arn;
}

/** git keeps `<`, `>` and line breaks out of identities; so do we, rather than write a broken one. */
function sanitize(s: string): string {
  return s.replace(/[<>\n\r\0]/g, "").trim();
}

export function commitAuthor(principal: Principal, nameInput: unknown, emailInput: unknown, now = new Date()): Ident {
  let name = defaultAuthorName(principal);
  if (nameInput !== undefined && nameInput !== null && nameInput !== "") {
    if (typeof nameInput !== "string") throw new ServiceError("SerializationException", "The name must be a string.");
    if (nameInput.length > MAX_NAME_LENGTH) {
      throw new ServiceError("NameLengthExceededException", `The name is too long: names are at most ${MAX_NAME_LENGTH} characters.`);
    }
    name = sanitize(nameInput) || name;
  }
  let email = "";
  if (emailInput !== undefined && emailInput !== null && emailInput !== "") {
    if (typeof emailInput !== "string" || emailInput.length > MAX_EMAIL_LENGTH || /[<>\n\r\0]/.test(emailInput)) {
      throw new ServiceError(
        "InvalidEmailException",
        `The email address is not valid: it must be at most ${MAX_EMAIL_LENGTH} characters, without <, > or line breaks.`,
      );
    }
    email = emailInput.trim();
  }
  return { name, email, date: `${Math.floor(now.getTime() / 1000)} +0000` };
}

/** The commit message: what was given (up to 256 KB), else the operation's default. */
export function commitMessage(value: unknown, fallback: () => string): string {
  if (value === undefined || value === null || value === "") return fallback();
  if (typeof value !== "string") throw new ServiceError("SerializationException", "The commit message must be a string.");
  if (Buffer.byteLength(value, "utf8") > MAX_MESSAGE_BYTES) {
    throw new ServiceError(
      "CommitMessageLengthExceededException",
      `The commit message is too long: messages are at most ${MAX_MESSAGE_BYTES} bytes (256 KB).`,
    );
  }
  // git refuses NUL bytes in commit messages; they cannot be meant
  return value.replace(/\0/g, "");
}
