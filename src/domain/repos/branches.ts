import type { Kysely } from "kysely";
import { ServiceError } from "../../errors.js";
import { RefUpdateConflict, ZERO_OID } from "../../git/repository.js";
import type { Database } from "../../store/schema.js";
import type { ChangeBus } from "../change-bus.js";
import type { Caller } from "../context.js";
import { decodeToken, encodeToken } from "../paging.js";
import { validateBranchName, validateCommitId } from "./names.js";
import type { Repository, RepositoryService } from "./repositories.js";

export const BRANCH_PAGE = 1000;

export interface BranchInfo {
  branchName: string;
  commitId: string;
}

export function branchRef(name: string): string {
  return `refs/heads/${name}`;
}

export function branchDoesNotExist(name: string, repo: string): ServiceError {
  return new ServiceError("BranchDoesNotExistException", `Branch ${name} does not exist in repository ${repo}.`);
}

/** Branches are git refs under refs/heads; every change to one is recorded by the ref ledger. */
export class BranchService {
  constructor(
    private readonly repos: RepositoryService,
    private readonly db: Kysely<Database>,
    private readonly bus: ChangeBus,
  ) {}

  async create(caller: Caller, repoName: unknown, branchInput: unknown, commitInput: unknown): Promise<void> {
    const repo = await this.repos.require(repoName);
    const branchName = validateBranchName(branchInput);
    const commitId = validateCommitId(commitInput);
    const git = this.repos.git(repo);
    const commit = await git.info(commitId);
    if (!commit || commit.type !== "commit") {
      throw new ServiceError("CommitDoesNotExistException", `The commit ${commitId} does not exist in repository ${repo.name}.`);
    }
    const ref = branchRef(branchName);
    if (await git.refTarget(ref)) throw branchExists(branchName);
    try {
      await this.repos.ledger.change(this.repos.handle(repo), caller.principal.arn, [ref], () =>
        git.updateRefs([{ ref, newOid: commit.oid, oldOid: ZERO_OID }]),
      );
    } catch (e) {
      if (e instanceof RefUpdateConflict) throw branchExists(branchName);
      throw e;
    }
  }

  async get(repoName: unknown, branchInput: unknown): Promise<BranchInfo> {
    const repo = await this.repos.require(repoName);
    const branchName = validateBranchName(branchInput);
    const commitId = await this.repos.git(repo).refTarget(branchRef(branchName));
    if (!commitId) throw branchDoesNotExist(branchName, repo.name);
    return { branchName, commitId };
  }

  async list(repoName: unknown, nextToken: unknown): Promise<{ branches: string[]; nextToken?: string }> {
    const repo = await this.repos.require(repoName);
    const query = `branches:${repo.id}`;
    const after = nextToken === undefined || nextToken === null || nextToken === "" ? undefined : decodeToken<string>(String(nextToken), query);
    const names = [...(await this.repos.git(repo).refs("refs/heads/")).keys()].map((r) => r.slice("refs/heads/".length));
    // for-each-ref sorts by name in byte order already
    const start = after === undefined ? 0 : names.findIndex((n) => n > after);
    const rest = start < 0 ? [] : names.slice(start);
    const page = rest.slice(0, BRANCH_PAGE);
    return {
      branches: page,
      nextToken: rest.length > BRANCH_PAGE ? encodeToken(query, page[page.length - 1]) : undefined,
    };
  }

  /** Deletes a branch; returns what it pointed at, or undefined when there was no such branch. */
  async delete(caller: Caller, repoName: unknown, branchInput: unknown): Promise<BranchInfo | undefined> {
    const repo = await this.repos.require(repoName);
    const branchName = validateBranchName(branchInput);
    if (repo.defaultBranch === branchName) throw defaultCannotBeDeleted(branchName);
    const git = this.repos.git(repo);
    const ref = branchRef(branchName);
    const commitId = await git.refTarget(ref);
    if (!commitId) return undefined;
    try {
      await this.repos.ledger.change(this.repos.handle(repo), caller.principal.arn, [ref], async () => {
        // the default may have been set since we read the repository
        const current = await this.repos.find(repo.name);
        if (current?.defaultBranch === branchName) throw defaultCannotBeDeleted(branchName);
        await git.updateRefs([{ ref, newOid: ZERO_OID, oldOid: commitId }]);
      });
    } catch (e) {
      if (e instanceof RefUpdateConflict) {
        throw new ServiceError("ConcurrentReferenceUpdateException", `Branch ${branchName} changed while it was being deleted; try again.`);
      }
      throw e;
    }
    return { branchName, commitId };
  }

  async setDefault(repoName: unknown, branchInput: unknown): Promise<void> {
    const repo = await this.repos.require(repoName);
    const branchName = validateBranchName(branchInput);
    const git = this.repos.git(repo);
    await this.repos.ledger.lock(repo.id, async () => {
      if (!(await git.refTarget(branchRef(branchName)))) throw branchDoesNotExist(branchName, repo.name);
      await git.setHead(branchName);
      await this.db
        .updateTable("repositories")
        .set({ default_branch: branchName, updated_at: Date.now() })
        .where("id", "=", repo.id)
        .execute();
    });
    this.bus.publish("repositories");
  }
}

function branchExists(name: string): ServiceError {
  return new ServiceError("BranchNameExistsException", `Branch ${name} already exists.`);
}

function defaultCannotBeDeleted(name: string): ServiceError {
  return new ServiceError(
    "DefaultBranchCannotBeDeletedException",
    `Branch ${name} is the default branch and cannot be deleted. Choose another default branch first.`,
  );
}

export type { Repository };
