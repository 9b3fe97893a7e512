import { ServiceError } from "../../errors.js";
import type { GitRepository } from "../../git/repository.js";
import { branchDoesNotExist, branchRef } from "../repos/branches.js";
import { validateBranchName } from "../repos/names.js";
import type { Commit, ObjectReader } from "./object-reader.js";
import { isFullCommitId } from "./specifiers.js";

/** The branch a PutFile, DeleteFile or CreateCommit writes to, and the commit it builds on. */
export interface BranchTarget {
  branchName: string;
  ref: string;
  /** the branch's tip when it was checked; null when the commit creates the branch */
  tip: string | null;
  /** the new commit's parent; null for the first commit of an empty repository */
  parent: Commit | null;
}

export function parentOutdated(branch: string, given: string, tip: string | null): ServiceError {
  return new ServiceError(
    "ParentCommitIdOutdatedException",
    `The parent commit ID ${given} is not the tip of branch ${branch}` +
      (tip ? ` (the tip is now ${tip})` : "") +
      ". Get the current tip with GetBranch, and base the change on it.",
  );
}

function optionalParentId(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || !isFullCommitId(value)) {
    throw new ServiceError(
      "InvalidParentCommitIdException",
      `The parent commit ID '${String(value)}' is not valid: use the full 40-character ID of the branch's tip commit.`,
    );
  }
  return value.toLowerCase();
}

/**
 * CodeCommit's parent rules: on a branch that exists, parentCommitId is required and must be
 * its tip; an empty repository (no branches yet) takes a first commit without one, which
 * creates the branch; in a repository that has branches, the branch must exist.
 */
export async function resolveBranchTarget(
  reader: ObjectReader,
  git: GitRepository,
  repoName: string,
  branchInput: unknown,
  parentInput: unknown,
  opts: { parentRequired?: boolean } = {},
): Promise<BranchTarget> {
  const branchName = validateBranchName(branchInput);
  const parentId = optionalParentId(parentInput);
  const ref = branchRef(branchName);
  if (opts.parentRequired && !parentId) throw parentRequired(branchName);

  const tip = await git.refTarget(ref);
  if (!tip) {
    if (!(await isEmpty(reader, git))) {
      if (await git.refTarget(`refs/tags/${branchName}`)) {
        throw new ServiceError(
          "BranchNameIsTagNameException",
          `${branchName} is a tag, not a branch, in repository ${repoName}. Name a branch (ListBranches lists them).`,
        );
      }
      throw branchDoesNotExist(branchName, repoName);
    }
  } else if (!parentId) {
    throw parentRequired(branchName);
  }
  let parent: Commit | null = null;
  if (parentId) {
    parent = await reader.commit(parentId);
    if (!parent) {
      throw new ServiceError(
        "ParentCommitDoesNotExistException",
        `The parent commit ${parentId} does not exist in repository ${repoName}.`,
      );
    }
    if (tip && parent.oid !== tip) throw parentOutdated(branchName, parentId, tip);
  }
  return { branchName, ref, tip, parent };
}

function parentRequired(branch: string): ServiceError {
  return new ServiceError(
    "ParentCommitIdRequiredException",
    `A parent commit ID is required: give the ID of the tip of branch ${branch} (GetBranch shows it).`,
  );
}

/** No branches at all. HEAD names the default branch, which exists whenever any branch does. */
async function isEmpty(reader: ObjectReader, git: GitRepository): Promise<boolean> {
  if (await reader.info("HEAD^{commit}")) return false;
  return (await git.refs("refs/heads/")).size === 0;
}
