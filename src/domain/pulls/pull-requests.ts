import crypto from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import { ServiceError } from "../../errors.js";
import { lockInTransaction, type Engine } from "../../store/db.js";
import type { Database } from "../../store/schema.js";
import { oncePerToken, validateClientToken } from "../client-tokens.js";
import type { Caller } from "../context.js";
import { identityExists } from "../iam/identity-exists.js";
import { decodeToken, encodeToken } from "../paging.js";
import type { Repository, RepositoryService } from "../repos/repositories.js";
import { eventView, recordEvent, validateEventType, type PullRequestEventView } from "./events.js";
import { pullRequestView, type PullRequestRow, type PullRequestView } from "./view.js";
import {
  MAX_OPEN_PULL_REQUESTS,
  validateDescription,
  validateIdentityArn,
  validateMaxResults,
  validatePullRequestId,
  validateReferenceName,
  validateStatus,
  validateTitle,
} from "./validate.js";

const LIST_PAGE = 100;
const LIST_MAX = 1000;
const EVENTS_PAGE = 100;

/** A fresh revision ID: approvals and overrides belong to one revision of a pull request. */
export function newRevisionId(): string {
  return crypto.randomBytes(32).toString("hex");
}

export function pullRequestDoesNotExist(id: number | string): ServiceError {
  return new ServiceError(
    "PullRequestDoesNotExistException",
    `Pull request ${id} does not exist. Check the ID (ListPullRequests lists a repository's pull requests).`,
  );
}

/** The pull request's row, read in `db` (a transaction, when the caller changes it next). */
export async function pullRequestRow(db: Kysely<Database>, id: number): Promise<PullRequestRow> {
  const row = await db.selectFrom("pull_requests").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw pullRequestDoesNotExist(id);
  return row;
}

export function alreadyClosed(id: number): ServiceError {
  return new ServiceError("PullRequestAlreadyClosedException", `Pull request ${id} is closed; a closed pull request cannot be changed.`);
}

/** What is made, and hooked into, when a pull request is created (approval rules from templates). */
export type OnPullRequestCreated = (trx: Transaction<Database>, pr: PullRequestRow, repo: Repository, caller: Caller) => Promise<void>;

interface Target {
  repo: Repository;
  sourceRef: string;
  destinationRef: string;
  sourceCommit: string;
  destinationCommit: string;
  mergeBase: string | null;
}

/**
 * Pull requests: one source branch proposed for one destination branch of a repository. The
 * rows hold the tips last seen; the pull-request consumer of the ref outbox moves them when
 * git does (a new revision on a source push, merged when the destination comes to contain the
 * source, closed when either branch is deleted).
 */
export class PullRequestService {
  private readonly created: OnPullRequestCreated[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly repos: RepositoryService,
    private readonly accountId: string,
  ) {}

  /** Runs `hook` inside every CreatePullRequest's transaction. */
  onCreated(hook: OnPullRequestCreated): void {
    this.created.push(hook);
  }

  async create(caller: Caller, input: { title?: unknown; description?: unknown; targets?: unknown; clientRequestToken?: unknown }): Promise<PullRequestView> {
    const title = validateTitle(input.title);
    const description = validateDescription(input.description);
    const token = validateClientToken(input.clientRequestToken);
    const target = await this.resolveTarget(input.targets);
    const { id } = await oncePerToken(
      this.db,
      "pull-request",
      token,
      { title, description, targets: input.targets, author: caller.principal.arn },
      async (trx) => {
        await lockInTransaction(trx, this.engine, `headwater.pull-requests:${target.repo.id}`);
        const { open } = await trx
          .selectFrom("pull_requests")
          .select((eb) => eb.fn.countAll<number>().as("open"))
          .where("repository_id", "=", target.repo.id)
          .where("status", "=", "OPEN")
          .executeTakeFirstOrThrow();
        if (Number(open) >= MAX_OPEN_PULL_REQUESTS) {
          throw new ServiceError(
            "MaximumOpenPullRequestsExceededException",
            `Repository ${target.repo.name} has ${MAX_OPEN_PULL_REQUESTS.toLocaleString("en-US")} open pull requests, the most it can have. Close some first.`,
          );
        }
        const now = Date.now();
        const row = await trx
          .insertInto("pull_requests")
          .values({
            repository_id: target.repo.id,
            title,
            description: description ?? null,
            author_arn: caller.principal.arn,
            status: "OPEN",
            source_ref: target.sourceRef,
            destination_ref: target.destinationRef,
            source_commit: target.sourceCommit,
            destination_commit: target.destinationCommit,
            merge_base: target.mergeBase,
            revision_id: newRevisionId(),
            merged_by: null,
            merge_commit_id: null,
            merge_option: null,
            client_request_token: token ?? null,
            created_at: now,
            last_activity_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordEvent(trx, row.id, "PULL_REQUEST_CREATED", caller.principal.arn, {
          repositoryName: target.repo.name,
          sourceCommitId: target.sourceCommit,
          destinationCommitId: target.destinationCommit,
          mergeBase: target.mergeBase ?? undefined,
        }, now);
        for (const hook of this.created) await hook(trx, row, target.repo, caller);
        return String(row.id);
      },
    );
    return this.get(id);
  }

  /** CreatePullRequest's targets: exactly one, on an existing repository, between two different existing branches. */
  private async resolveTarget(value: unknown): Promise<Target> {
    if (value === undefined || value === null) throw new ServiceError("TargetsRequiredException", "Targets are required: one target with the repository name and the source (and destination) branch.");
    if (!Array.isArray(value)) throw new ServiceError("InvalidTargetsException", "targets must be a list of targets: [{repositoryName, sourceReference, destinationReference}].");
    if (value.length === 0) throw new ServiceError("TargetsRequiredException", "Targets are required: one target with the repository name and the source (and destination) branch.");
    const repoNames = new Set(value.map((t) => (t && typeof t === "object" ? (t as Record<string, unknown>).repositoryName : undefined)));
    if (value.length > 1) {
      if (repoNames.size > 1) {
        throw new ServiceError("MultipleRepositoriesInPullRequestException", "A pull request can have only one repository: give one target.");
      }
      throw new ServiceError("InvalidTargetsException", "A pull request has exactly one target: give one source and destination.");
    }
    const t = value[0];
    if (t === null || t === undefined) throw new ServiceError("TargetRequiredException", "A pull request target is required: {repositoryName, sourceReference, destinationReference}.");
    if (typeof t !== "object" || Array.isArray(t)) throw new ServiceError("InvalidTargetException", "A pull request target must be an object: {repositoryName, sourceReference, destinationReference}.");
    const target = t as Record<string, unknown>;
    const repo = await this.repos.require(target.repositoryName);
    const sourceRef = validateReferenceName(target.sourceReference);
    const destinationInput = target.destinationReference ?? repo.defaultBranch;
    if (destinationInput === undefined || destinationInput === null || destinationInput === "") {
      throw new ServiceError("ReferenceNameRequiredException", `Repository ${repo.name} has no default branch yet: name the destination branch.`);
    }
    const destinationRef = validateReferenceName(destinationInput);
    const git = this.repos.git(repo);
    const branchTip = async (ref: string, given: unknown) => {
      if (!ref.startsWith("refs/heads/")) {
        throw new ServiceError("ReferenceTypeNotSupportedException", `The reference ${String(given)} is not a branch: pull requests are between branches.`);
      }
      const tip = await git.refTarget(ref);
      if (tip) return tip;
      if (typeof given === "string" && !given.startsWith("refs/") && (await git.refTarget(`refs/tags/${given}`))) {
        throw new ServiceError("ReferenceTypeNotSupportedException", `${given} is a tag, not a branch: pull requests are between branches.`);
      }
      throw new ServiceError("ReferenceDoesNotExistException", `The branch ${ref.slice("refs/heads/".length)} does not exist in repository ${repo.name}.`);
    };
    const sourceCommit = await branchTip(sourceRef, target.sourceReference);
    const destinationCommit = await branchTip(destinationRef, destinationInput);
    if (sourceRef === destinationRef) {
      throw new ServiceError("SourceAndDestinationAreSameException", `The source and the destination are both ${sourceRef}: choose two different branches.`);
    }
    if (await git.isAncestor(sourceCommit, destinationCommit)) {
      throw new ServiceError(
        "SourceAndDestinationAreSameException",
        `${destinationRef} already contains every commit of ${sourceRef} (its tip ${sourceCommit}): there is nothing to merge.`,
      );
    }
    return { repo, sourceRef, destinationRef, sourceCommit, destinationCommit, mergeBase: await git.mergeBase(sourceCommit, destinationCommit) };
  }

  /** The pull request as GetPullRequest returns it. */
  async get(idInput: unknown): Promise<PullRequestView> {
    const id = validatePullRequestId(idInput);
    const row = await pullRequestRow(this.db, id);
    return this.view(row);
  }

  async view(row: PullRequestRow): Promise<PullRequestView> {
    const [repo, rules] = await Promise.all([
      this.db.selectFrom("repositories").select("name").where("id", "=", row.repository_id).executeTakeFirstOrThrow(),
      this.db.selectFrom("pull_request_approval_rules").selectAll().where("pull_request_id", "=", row.id).orderBy("created_at").orderBy("name").execute(),
    ]);
    return pullRequestView(row, repo.name, rules);
  }

  /** The repository and destination of a pull request (authorization's lookup), or undefined. */
  async lookup(idInput: unknown): Promise<{ repositoryName: string; destinationRef: string } | undefined> {
    let id: number;
    try {
      id = validatePullRequestId(idInput);
    } catch {
      return undefined;
    }
    const row = await this.db
      .selectFrom("pull_requests")
      .innerJoin("repositories", "repositories.id", "pull_requests.repository_id")
      .select(["repositories.name", "pull_requests.destination_ref"])
      .where("pull_requests.id", "=", id)
      .executeTakeFirst();
    return row ? { repositoryName: row.name, destinationRef: row.destination_ref } : undefined;
  }

  async list(input: { repositoryName?: unknown; authorArn?: unknown; pullRequestStatus?: unknown; nextToken?: unknown; maxResults?: unknown }): Promise<{ pullRequestIds: string[]; nextToken?: string }> {
    const repo = await this.repos.require(input.repositoryName);
    const author = validateIdentityArn(input.authorArn, "InvalidAuthorArnException", "author of the pull request");
    const status = validateStatus(input.pullRequestStatus, false);
    const limit = validateMaxResults(input.maxResults, LIST_MAX) ?? LIST_PAGE;
    if (author && !(await identityExists(this.db, this.accountId, author))) {
      throw new ServiceError("AuthorDoesNotExistException", `No user or role ${author} exists in this account.`);
    }
    const query = `pull-requests:${repo.id}:${author ?? ""}:${status ?? ""}`;
    const before = input.nextToken === undefined || input.nextToken === null || input.nextToken === "" ? undefined : decodeToken<number>(String(input.nextToken), query);
    let q = this.db.selectFrom("pull_requests").select("id").where("repository_id", "=", repo.id);
    if (author) q = q.where("author_arn", "=", author);
    if (status) q = q.where("status", "=", status);
    if (before !== undefined) q = q.where("id", "<", before);
    // newest first, as CodeCommit lists them
    const rows = await q.orderBy("id", "desc").limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    return {
      pullRequestIds: page.map((r) => String(r.id)),
      nextToken: rows.length > limit ? encodeToken(query, page[page.length - 1]!.id) : undefined,
    };
  }

  async describeEvents(input: { pullRequestId?: unknown; pullRequestEventType?: unknown; actorArn?: unknown; nextToken?: unknown; maxResults?: unknown }): Promise<{ pullRequestEvents: PullRequestEventView[]; nextToken?: string }> {
    const id = validatePullRequestId(input.pullRequestId);
    const type = validateEventType(input.pullRequestEventType);
    const actor = validateIdentityArn(input.actorArn, "InvalidActorArnException", "user who made the change");
    const limit = validateMaxResults(input.maxResults, EVENTS_PAGE) ?? EVENTS_PAGE;
    await pullRequestRow(this.db, id);
    if (actor && !(await identityExists(this.db, this.accountId, actor))) {
      throw new ServiceError("ActorDoesNotExistException", `No user or role ${actor} exists in this account.`);
    }
    const query = `pull-request-events:${id}:${type ?? ""}:${actor ?? ""}`;
    const after = input.nextToken === undefined || input.nextToken === null || input.nextToken === "" ? undefined : decodeToken<number>(String(input.nextToken), query);
    let q = this.db.selectFrom("pull_request_events").selectAll().where("pull_request_id", "=", id);
    if (type) q = q.where("event_type", "=", type);
    if (actor) q = q.where("actor_arn", "=", actor);
    if (after !== undefined) q = q.where("id", ">", after);
    const rows = await q.orderBy("id").limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    return {
      pullRequestEvents: page.map(eventView),
      nextToken: rows.length > limit ? encodeToken(query, page[page.length - 1]!.id) : undefined,
    };
  }

  /** Changes an open pull request in one transaction with the row locked against other writers. */
  private async changeOpen(idInput: unknown, change: (trx: Transaction<Database>, row: PullRequestRow) => Promise<void>): Promise<PullRequestView> {
    const id = validatePullRequestId(idInput);
    await this.db.transaction().execute(async (trx) => {
      await lockInTransaction(trx, this.engine, `headwater.pull-request:${id}`);
      const row = await pullRequestRow(trx, id);
      if (row.status !== "OPEN") throw alreadyClosed(id);
      await change(trx, row);
    });
    return this.get(id);
  }

  async updateTitle(idInput: unknown, titleInput: unknown): Promise<PullRequestView> {
    const title = validateTitle(titleInput);
    return this.changeOpen(idInput, async (trx, row) => {
      await trx.updateTable("pull_requests").set({ title, last_activity_at: Date.now() }).where("id", "=", row.id).execute();
    });
  }

  async updateDescription(idInput: unknown, descriptionInput: unknown): Promise<PullRequestView> {
    const description = validateDescription(descriptionInput, true) ?? "";
    return this.changeOpen(idInput, async (trx, row) => {
      await trx.updateTable("pull_requests").set({ description, last_activity_at: Date.now() }).where("id", "=", row.id).execute();
    });
  }

  /** OPEN→CLOSED closes; OPEN→OPEN and CLOSED→CLOSED change nothing; CLOSED→OPEN is refused, as in CodeCommit. */
  async updateStatus(caller: Caller, idInput: unknown, statusInput: unknown): Promise<PullRequestView> {
    const id = validatePullRequestId(idInput);
    const status = validateStatus(statusInput, true)!;
    await this.db.transaction().execute(async (trx) => {
      await lockInTransaction(trx, this.engine, `headwater.pull-request:${id}`);
      const row = await pullRequestRow(trx, id);
      if (row.status === status) return;
      if (row.status === "CLOSED") {
        throw new ServiceError("InvalidPullRequestStatusUpdateException", `Pull request ${id} is closed and cannot be reopened: the only valid change is from OPEN to CLOSED.`);
      }
      await trx.updateTable("pull_requests").set({ status }).where("id", "=", id).execute();
      await recordEvent(trx, id, "PULL_REQUEST_STATUS_CHANGED", caller.principal.arn, { pullRequestStatus: status });
    });
    return this.get(id);
  }
}
