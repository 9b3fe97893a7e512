import { ServiceError } from "../../errors.js";

/**
 * The content errors, named as the CodeCommit model names them, with messages that say what
 * to change. One place, so every operation words the same problem the same way.
 */
const err = (code: string, message: string) => new ServiceError(code, message);

export const contentErrors = {
  pathRequired: () => err("PathRequiredException", "A path is required."),
  invalidPath: (path: string, why: string) => err("InvalidPathException", `The path '${path}' is not valid: ${why}.`),
  fileDoesNotExist: (path: string, where: string) =>
    err("FileDoesNotExistException", `The file '${path}' does not exist in ${where}. Check the full path, name and extension.`),
  folderDoesNotExist: (path: string, where: string) =>
    err("FolderDoesNotExistException", `The folder '${path || "/"}' does not exist in ${where}.`),
  pathDoesNotExist: (path: string) =>
    err("PathDoesNotExistException", `The path '${path}' does not exist in either commit.`),
  fileTooLarge: (what: string, size: number, limit: number) =>
    err(
      "FileTooLargeException",
      `${what} is ${size} bytes; the API returns files of at most ${limit} bytes. Use git to read larger files.`,
    ),

  commitRequired: () => err("CommitRequiredException", "A commit specifier is required."),
  invalidCommit: (spec: string, why: string) => err("InvalidCommitException", `The commit specifier '${spec}' is not valid: ${why}.`),
  commitDoesNotExist: (spec: string, repo: string) =>
    err("CommitDoesNotExistException", `The commit '${spec}' does not exist in repository ${repo}.`),
  noDefaultBranch: (repo: string) =>
    err(
      "CommitDoesNotExistException",
      `No commit was specified and repository ${repo} has no default branch yet (it is empty). Name a commit, or push or commit to a branch first.`,
    ),
  commitIdRequired: () => err("CommitIdRequiredException", "A commit ID is required."),
  invalidCommitId: (id: string) =>
    err("InvalidCommitIdException", `The commit ID '${id}' is not valid: use the full 40-character SHA-1 of a commit.`),
  commitIdDoesNotExist: (id: string, repo: string) =>
    err("CommitIdDoesNotExistException", `The commit ID ${id} does not exist in repository ${repo}.`),

  blobIdRequired: () => err("BlobIdRequiredException", "A blob ID is required."),
  invalidBlobId: (id: string) => err("InvalidBlobIdException", `The blob ID '${id}' is not valid: use the full 40-character SHA-1 of a blob.`),
  blobIdDoesNotExist: (id: string, repo: string) =>
    err("BlobIdDoesNotExistException", `The blob ${id} does not exist in repository ${repo}.`),

  invalidMaxResults: (max: number) =>
    err("InvalidMaxResultsException", `The maximum number of results is not valid: use a whole number of at least 1 (pages hold at most ${max}).`),
  invalidContinuationToken: () => err("InvalidContinuationTokenException", "The specified continuation token is not valid."),
};
