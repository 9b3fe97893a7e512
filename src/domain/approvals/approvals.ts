import type { Kysely } from "kysely";
import { ServiceError } from "../../errors.js";
import type { Engine } from "../../store/db.js";
import type { Database } from "../../store/schema.js";
import type { Caller } from "../context.js";
import { recordEvent } from "../pulls/events.js";
import { validatePullRequestId } from "../pulls/validate.js";
import { parseRuleContent } from "./content.js";
import { evaluateRules } from "./evaluator.js";
import { pullRequestRow } from "../pulls/pull-requests.js";
import { changingPullRequest, requireCurrentRevision, requireOpen } from "./pull-request.js";
import { MAX_APPROVALS_PER_PULL_REQUEST, validateApprovalState, validateOverrideStatus, validateRevisionId } from "./validate.js";

/** EvaluatePullRequestApprovalRules' Evaluation. */
export interface Evaluation {
  /** every rule satisfied, or the rules overridden */
  approved: boolean;
  overridden: boolean;
  approvalRulesSatisfied: string[];
  approvalRulesNotSatisfied: string[];
}

/**
 * How a revision of a pull request stands against its approval rules, read with `db` (a
 * transaction, for a merge that must decide and move the destination under one lock).
 */
export async function evaluateRevision(db: Kysely<Database>, pullRequestId: number, revisionId: string): Promise<Evaluation> {
  const [rules, approvals, override] = await Promise.all([
    db.selectFrom("pull_request_approval_rules").select(["name", "content"]).where("pull_request_id", "=", pullRequestId).orderBy("created_at").orderBy("name").execute(),
    approversOf(db, pullRequestId, revisionId),
    db.selectFrom("pull_request_overrides").select("overrider_arn").where("pull_request_id", "=", pullRequestId).where("revision_id", "=", revisionId).executeTakeFirst(),
  ]);
  const result = evaluateRules(
    rules.map((r) => ({ name: r.name, content: parseRuleContent(r.content, "rule") })),
    approvals,
  );
  const overridden = override !== undefined;
  return { approved: overridden || result.approvalRulesNotSatisfied.length === 0, overridden, ...result };
}

async function approversOf(db: Kysely<Database>, pullRequestId: number, revisionId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("pull_request_approvals")
    .select("user_arn")
    .where("pull_request_id", "=", pullRequestId)
    .where("revision_id", "=", revisionId)
    .orderBy("created_at")
    .execute();
  return rows.map((r) => r.user_arn);
}

/**
 * Approvals and overrides, per revision of a pull request: a push to the source branch makes a
 * new revision, which starts with neither. The author cannot approve their own pull request.
 */
export class ApprovalService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
  ) {}

  /**
   * EvaluatePullRequestApprovalRules: the current revision only (RevisionNotCurrentException
   * otherwise). MergePullRequestBy* call this, or evaluateRevision in their own transaction.
   */
  async evaluate(pullRequestIdInput: unknown, revisionIdInput: unknown): Promise<Evaluation> {
    const id = validatePullRequestId(pullRequestIdInput);
    const revisionId = validateRevisionId(revisionIdInput);
    const row = await pullRequestRow(this.db, id);
    requireCurrentRevision(row, revisionId);
    return evaluateRevision(this.db, id, revisionId);
  }

  async states(pullRequestIdInput: unknown, revisionIdInput: unknown): Promise<{ approvals: Array<{ userArn: string; approvalState: "APPROVE" }> }> {
    const id = validatePullRequestId(pullRequestIdInput);
    const revisionId = validateRevisionId(revisionIdInput);
    await pullRequestRow(this.db, id);
    return { approvals: (await approversOf(this.db, id, revisionId)).map((userArn) => ({ userArn, approvalState: "APPROVE" as const })) };
  }

  async updateState(caller: Caller, input: { pullRequestId?: unknown; revisionId?: unknown; approvalState?: unknown }): Promise<void> {
    const id = validatePullRequestId(input.pullRequestId);
    const revisionId = validateRevisionId(input.revisionId);
    const state = validateApprovalState(input.approvalState);
    const me = caller.principal.arn;
    await changingPullRequest(this.db, this.engine, id, async (trx, pr) => {
      requireOpen(pr);
      requireCurrentRevision(pr, revisionId);
      if (pr.author_arn === me) {
        throw new ServiceError(
          "PullRequestCannotBeApprovedByAuthorException",
          `${me} created pull request ${id} and cannot approve it: another user must.`,
        );
      }
      const approvers = await approversOf(trx, id, revisionId);
      const mine = approvers.includes(me);
      if (state === "APPROVE") {
        if (mine) return;
        if (approvers.length >= MAX_APPROVALS_PER_PULL_REQUEST) {
          throw new ServiceError(
            "MaximumNumberOfApprovalsExceededException",
            `Pull request ${id} has ${MAX_APPROVALS_PER_PULL_REQUEST} approvals for this revision, the most it can have.`,
          );
        }
        await trx.insertInto("pull_request_approvals").values({ pull_request_id: id, revision_id: revisionId, user_arn: me, created_at: Date.now() }).execute();
      } else {
        if (!mine) return;
        await trx.deleteFrom("pull_request_approvals").where("pull_request_id", "=", id).where("revision_id", "=", revisionId).where("user_arn", "=", me).execute();
      }
      await recordEvent(trx, id, "PULL_REQUEST_APPROVAL_STATE_CHANGED", me, { revisionId, approvalStatus: state });
    });
  }

  async override(caller: Caller, input: { pullRequestId?: unknown; revisionId?: unknown; overrideStatus?: unknown }): Promise<void> {
    const id = validatePullRequestId(input.pullRequestId);
    const revisionId = validateRevisionId(input.revisionId);
    const status = validateOverrideStatus(input.overrideStatus);
    const me = caller.principal.arn;
    await changingPullRequest(this.db, this.engine, id, async (trx, pr) => {
      requireOpen(pr);
      requireCurrentRevision(pr, revisionId);
      const current = await trx.selectFrom("pull_request_overrides").select("overrider_arn").where("pull_request_id", "=", id).where("revision_id", "=", revisionId).executeTakeFirst();
      if (status === "OVERRIDE") {
        if (current) {
          throw new ServiceError("OverrideAlreadySetException", `${current.overrider_arn} has already overridden the approval rules of pull request ${id} for this revision.`);
        }
        await trx.insertInto("pull_request_overrides").values({ pull_request_id: id, revision_id: revisionId, overrider_arn: me, created_at: Date.now() }).execute();
      } else {
        // REVOKE is not stored: it removes an override, and without one there is nothing to do
        if (!current) return;
        await trx.deleteFrom("pull_request_overrides").where("pull_request_id", "=", id).where("revision_id", "=", revisionId).execute();
      }
      await recordEvent(trx, id, "PULL_REQUEST_APPROVAL_RULE_OVERRIDDEN", me, { revisionId, overrideStatus: status });
    });
  }

  async overrideState(pullRequestIdInput: unknown, revisionIdInput: unknown): Promise<{ overridden: boolean; overrider?: string }> {
    const id = validatePullRequestId(pullRequestIdInput);
    const revisionId = validateRevisionId(revisionIdInput);
    await pullRequestRow(this.db, id);
    const row = await this.db.selectFrom("pull_request_overrides").select("overrider_arn").where("pull_request_id", "=", id).where("revision_id", "=", revisionId).executeTakeFirst();
    return row ? { overridden: true, overrider: row.overrider_arn } : { overridden: false };
  }
}
