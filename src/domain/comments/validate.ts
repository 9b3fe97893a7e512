import { ServiceError } from "../../errors.js";
import { contentErrors } from "../content/errors.js";
import { validateFilePath, type RepoPath } from "../content/paths.js";
import { isFullCommitId } from "../content/specifiers.js";

/** CodeCommit's comment quota: 10,240 characters. */
export const MAX_COMMENT = 10240;

const COMMENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function validateCommentId(value: unknown, what = "comment ID"): string {
  if (value === undefined || value === null || value === "") {
    throw new ServiceError("CommentIdRequiredException", `A ${what} is required (GetCommentsForPullRequest and GetCommentsForComparedCommit list comments with their IDs).`);
  }
  if (typeof value !== "string" || !COMMENT_ID.test(value.toLowerCase())) {
    throw new ServiceError("InvalidCommentIdException", `The ${what} '${String(value).slice(0, 64)}' is not valid: give the full comment ID, such as 3e8a4bd2-7c71-4b5e-9d63-2f0c1a9e5b77.`);
  }
  return value.toLowerCase();
}

export function validateContent(value: unknown): string {
  if (value === undefined || value === null || value === "") {
    throw new ServiceError("CommentContentRequiredException", "The comment's content is required: it cannot be empty.");
  }
  if (typeof value !== "string") throw new ServiceError("SerializationException", "A comment's content must be a string.");
  // characters, as a person counts them: code points, not UTF-16 units
  let length = 0;
  for (const _ of value) if (++length > MAX_COMMENT) break;
  if (length > MAX_COMMENT) {
    throw new ServiceError("CommentContentSizeLimitExceededException", `The comment is too long: comments are at most ${MAX_COMMENT.toLocaleString("en-US")} characters.`);
  }
  return value;
}

/** A full commit ID as the comment operations take them (no branch names: a comment is on a commit). */
export function validateCommitId(value: unknown): string {
  if (value === undefined || value === null || value === "") throw contentErrors.commitIdRequired();
  if (typeof value !== "string" || !isFullCommitId(value)) throw contentErrors.invalidCommitId(String(value).slice(0, 64));
  return value.toLowerCase();
}

export function optionalCommitId(value: unknown): string | undefined {
  return value === undefined || value === null || value === "" ? undefined : validateCommitId(value);
}

export type FileVersion = "BEFORE" | "AFTER";

export interface CommentLocation {
  path: RepoPath;
  /** a line number, from 1; absent for a comment on the file as a whole */
  position?: number;
  version: FileVersion;
}

/** A comment's location as given, checked for shape; whether the file and line exist is asked of git later. */
export function validateLocation(value: unknown): CommentLocation | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ServiceError("InvalidFileLocationException", "The location must be an object: {filePath, filePosition, relativeFileVersion}.");
  }
  const l = value as Record<string, unknown>;
  const path = validateFilePath(l.filePath);
  let version: FileVersion = "AFTER";
  if (l.relativeFileVersion !== undefined && l.relativeFileVersion !== null && l.relativeFileVersion !== "") {
    if (l.relativeFileVersion !== "BEFORE" && l.relativeFileVersion !== "AFTER") {
      throw new ServiceError(
        "InvalidRelativeFileVersionEnumException",
        `The relative file version '${String(l.relativeFileVersion)}' is not valid: use BEFORE (the file in the before commit) or AFTER (in the after commit).`,
      );
    }
    version = l.relativeFileVersion;
  }
  let position: number | undefined;
  if (l.filePosition !== undefined && l.filePosition !== null) {
    if (typeof l.filePosition !== "number" || !Number.isSafeInteger(l.filePosition) || l.filePosition < 1) {
      throw new ServiceError("InvalidFilePositionException", `The file position '${String(l.filePosition)}' is not valid: give a line number of the file, from 1.`);
    }
    position = l.filePosition;
  }
  return { path, position, version };
}
