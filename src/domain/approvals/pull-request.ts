import type { Kysely, Transaction } from "kysely";
import { ServiceError } from "../../errors.js";
import { lockInTransaction, type Engine } from "../../store/db.js";
import type { Database } from "../../store/schema.js";
import { pullRequestRow } from "../pulls/pull-requests.js";
import type { PullRequestRow } from "../pulls/view.js";

export function requireOpen(row: PullRequestRow): void {
  if (row.status !== "OPEN") {
    throw new ServiceError("PullRequestAlreadyClosedException", `Pull request ${row.id} is closed; the approval rules and approvals of a closed pull request cannot be changed.`);
  }
}

export function requireCurrentRevision(row: PullRequestRow, revisionId: string): void {
  if (row.revision_id !== revisionId) {
    throw new ServiceError(
      "RevisionNotCurrentException",
      `Revision ${revisionId} is not the current revision of pull request ${row.id} (its source branch has moved on): GetPullRequest gives the current revisionId.`,
    );
  }
}

/** Runs `change` in a transaction holding the pull request's lock (the one its other writers take). */
export async function changingPullRequest<T>(
  db: Kysely<Database>,
  engine: Engine,
  id: number,
  change: (trx: Transaction<Database>, row: PullRequestRow) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await lockInTransaction(trx, engine, `headwater.pull-request:${id}`);
    return change(trx, await pullRequestRow(trx, id));
  });
}
