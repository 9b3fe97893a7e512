import type { Kysely, Transaction, Updateable } from "kysely";
import { ZERO_OID, type GitRepository } from "../../git/repository.js";
import type { Database, PullRequestsTable } from "../../store/schema.js";
import type { OutboxConsumer, RefEventRow } from "../events/outbox.js";
import type { RefChange } from "../events/ref-ledger.js";
import { partitionOf } from "../repos/arn.js";
import { recordEvent } from "./events.js";
import { newRevisionId } from "./pull-requests.js";
import type { PullRequestRow } from "./view.js";

/** What one ref change does to one open pull request, worked out from git before the write. */
type Step =
  | { kind: "source-updated"; id: number; before: string; after: string; mergeBase: string | null; revisionId: string }
  | { kind: "destination-moved"; id: number; destinationCommit: string; mergeBase: string | null }
  | { kind: "merged"; id: number; destinationRef: string; mergeCommitId: string }
  | { kind: "closed"; id: number };

interface Planned {
  row: RefEventRow;
  actorArn: string;
  steps: Step[];
}

/**
 * The pull requests' reader of the ref_events outbox: open pull requests follow git, whoever
 * moved the refs (a push, an API write, a merge). A new source tip is a new revision (so
 * approvals start over, as in CodeCommit); a destination that comes to contain the source tip
 * by any path merges the pull request; deleting either branch closes it.
 */
export class PullRequestsFollowGit implements OutboxConsumer {
  readonly name = "pull-requests";

  constructor(
    private readonly db: Kysely<Database>,
    private readonly gitOf: (repositoryId: string) => GitRepository,
    private readonly where: { region: string; accountId: string },
  ) {}

  async handle(rows: RefEventRow[]): Promise<(trx: Transaction<Database>) => Promise<void>> {
    // the open pull requests as this batch leaves them, so later rows see earlier rows' effects
    const open = new Map<string, Map<number, PullRequestRow>>();
    const planned: Planned[] = [];
    for (const row of rows) {
      const changes = JSON.parse(row.refs) as RefChange[];
      const prs = await this.openPullRequests(open, row.repository_id, changes.map((c) => c.ref));
      if (!prs.size) continue;
      const actorArn = row.actor_arn || `arn:${partitionOf(this.where.region)}:iam::${this.where.accountId}:root`;
      const steps: Step[] = [];
      const git = this.gitOf(row.repository_id);
      for (const change of changes) steps.push(...(await this.follow(git, prs, change)));
      if (steps.length) planned.push({ row, actorArn, steps });
    }
    return async (trx) => {
      for (const p of planned) for (const step of p.steps) await this.apply(trx, p, step);
    };
  }

  private async openPullRequests(open: Map<string, Map<number, PullRequestRow>>, repositoryId: string, refs: string[]): Promise<Map<number, PullRequestRow>> {
    let prs = open.get(repositoryId);
    if (!prs) {
      prs = new Map();
      open.set(repositoryId, prs);
    }
    const wanted = refs.filter((r) => r.startsWith("refs/heads/"));
    if (wanted.length) {
      const found = await this.db
        .selectFrom("pull_requests")
        .selectAll()
        .where("repository_id", "=", repositoryId)
        .where("status", "=", "OPEN")
        .where((eb) => eb.or([eb("source_ref", "in", wanted), eb("destination_ref", "in", wanted)]))
        .execute();
      // a pull request already followed in this batch keeps the state the batch gave it
      for (const pr of found) if (!prs.has(pr.id)) prs.set(pr.id, pr);
    }
    return prs;
  }

  private async follow(git: GitRepository, prs: Map<number, PullRequestRow>, change: RefChange): Promise<Step[]> {
    const steps: Step[] = [];
    for (const pr of prs.values()) {
      if (pr.status !== "OPEN") continue;
      const isSource = pr.source_ref === change.ref;
      const isDestination = pr.destination_ref === change.ref;
      if (!isSource && !isDestination) continue;
      if (change.newCommit === ZERO_OID) {
        pr.status = "CLOSED";
        steps.push({ kind: "closed", id: pr.id });
        continue;
      }
      if (isSource && change.newCommit !== pr.source_commit) {
        const mergeBase = await git.mergeBase(change.newCommit, pr.destination_commit);
        const step: Step = { kind: "source-updated", id: pr.id, before: pr.source_commit, after: change.newCommit, mergeBase, revisionId: newRevisionId() };
        pr.source_commit = change.newCommit;
        pr.merge_base = mergeBase;
        pr.revision_id = step.revisionId;
        steps.push(step);
      }
      if (isDestination && change.newCommit !== pr.destination_commit) {
        const mergeBase = await git.mergeBase(pr.source_commit, change.newCommit);
        pr.destination_commit = change.newCommit;
        pr.merge_base = mergeBase;
        steps.push({ kind: "destination-moved", id: pr.id, destinationCommit: change.newCommit, mergeBase });
      }
      // merged, by whatever path: the destination holds every commit of the source
      if (await git.isAncestor(pr.source_commit, pr.destination_commit)) {
        pr.status = "CLOSED";
        steps.push({ kind: "merged", id: pr.id, destinationRef: pr.destination_ref, mergeCommitId: pr.destination_commit });
      }
    }
    return steps;
  }

  private async apply(trx: Transaction<Database>, p: Planned, step: Step): Promise<void> {
    const at = p.row.created_at;
    const repositoryName = p.row.repository_name;
    switch (step.kind) {
      case "source-updated":
        if (!(await updateIfOpen(trx, step.id, { source_commit: step.after, merge_base: step.mergeBase, revision_id: step.revisionId }))) return;
        await recordEvent(trx, step.id, "PULL_REQUEST_SOURCE_REFERENCE_UPDATED", p.actorArn, {
          repositoryName,
          beforeCommitId: step.before,
          afterCommitId: step.after,
          mergeBase: step.mergeBase ?? undefined,
        }, at);
        return;
      case "destination-moved":
        await updateIfOpen(trx, step.id, { destination_commit: step.destinationCommit, merge_base: step.mergeBase });
        return;
      case "merged":
        if (!(await updateIfOpen(trx, step.id, { status: "CLOSED", is_merged: 1, merged_by: p.actorArn, merge_commit_id: step.mergeCommitId }))) return;
        await recordEvent(trx, step.id, "PULL_REQUEST_MERGE_STATE_CHANGED", p.actorArn, {
          repositoryName,
          destinationReference: step.destinationRef,
          mergeMetadata: { isMerged: true, mergedBy: p.actorArn, mergeCommitId: step.mergeCommitId },
        }, at);
        return;
      case "closed":
        if (!(await updateIfOpen(trx, step.id, { status: "CLOSED" }))) return;
        await recordEvent(trx, step.id, "PULL_REQUEST_STATUS_CHANGED", p.actorArn, { pullRequestStatus: "CLOSED" }, at);
        return;
    }
  }
}

/**
 * Changes a pull request only while it is open, in the same statement that checks it: one closed
 * meanwhile (UpdatePullRequestStatus, MergePullRequestBy…, another process) is left as it is, and
 * no event is recorded for it. True when the row was changed.
 */
async function updateIfOpen(trx: Transaction<Database>, id: number, set: Updateable<PullRequestsTable>): Promise<boolean> {
  const r = await trx.updateTable("pull_requests").set(set).where("id", "=", id).where("status", "=", "OPEN").executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
