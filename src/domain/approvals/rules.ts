import crypto from "node:crypto";
import type { Kysely } from "kysely";
import { ServiceError } from "../../errors.js";
import type { Engine } from "../../store/db.js";
import type { Database } from "../../store/schema.js";
import type { Caller } from "../context.js";
import { recordEvent } from "../pulls/events.js";
import { validatePullRequestId } from "../pulls/validate.js";
import { approvalRuleView, type ApprovalRuleRow, type ApprovalRuleView } from "../pulls/view.js";
import { parseRuleContent, ruleContentSha256 } from "./content.js";
import { changingPullRequest, requireOpen } from "./pull-request.js";
import { MAX_RULES_PER_PULL_REQUEST, validateRuleName, validateSha256 } from "./validate.js";

export function ruleDoesNotExist(pullRequestId: number, name: string): ServiceError {
  return new ServiceError(
    "ApprovalRuleDoesNotExistException",
    `Pull request ${pullRequestId} has no approval rule named '${name}' (GetPullRequest lists its approvalRules).`,
  );
}

/** Adds an approval rule to a pull request (the caller holds its lock) and records the event. */
export async function insertRule(
  trx: Kysely<Database>,
  pullRequestId: number,
  rule: { name: string; content: string; actorArn: string; origin?: { id: string; name: string } },
): Promise<ApprovalRuleRow> {
  const now = Date.now();
  const row = await trx
    .insertInto("pull_request_approval_rules")
    .values({
      id: crypto.randomUUID(),
      pull_request_id: pullRequestId,
      name: rule.name,
      content: rule.content,
      content_sha256: ruleContentSha256(rule.content),
      origin_template_id: rule.origin?.id ?? null,
      origin_template_name: rule.origin?.name ?? null,
      last_modified_user: rule.actorArn,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordEvent(trx, pullRequestId, "PULL_REQUEST_APPROVAL_RULE_CREATED", rule.actorArn, ruleEventMetadata(row), now);
  return row;
}

function ruleEventMetadata(row: ApprovalRuleRow): Record<string, unknown> {
  return { approvalRuleName: row.name, approvalRuleId: row.id, approvalRuleContent: row.content };
}

/**
 * A pull request's own approval rules: CreatePullRequestApprovalRule,
 * UpdatePullRequestApprovalRuleContent, DeletePullRequestApprovalRule. Rules made from a
 * template when the pull request was created can be neither changed nor deleted.
 */
export class ApprovalRuleService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
  ) {}

  private async named(trx: Kysely<Database>, pullRequestId: number, name: string): Promise<ApprovalRuleRow> {
    const row = await trx
      .selectFrom("pull_request_approval_rules")
      .selectAll()
      .where("pull_request_id", "=", pullRequestId)
      .where("name", "=", name)
      .executeTakeFirst();
    if (!row) throw ruleDoesNotExist(pullRequestId, name);
    return row;
  }

  async create(caller: Caller, input: { pullRequestId?: unknown; approvalRuleName?: unknown; approvalRuleContent?: unknown }): Promise<ApprovalRuleView> {
    const id = validatePullRequestId(input.pullRequestId);
    const name = validateRuleName(input.approvalRuleName);
    parseRuleContent(input.approvalRuleContent, "rule");
    const content = input.approvalRuleContent as string;
    const row = await changingPullRequest(this.db, this.engine, id, async (trx, pr) => {
      requireOpen(pr);
      const rules = await trx.selectFrom("pull_request_approval_rules").select("name").where("pull_request_id", "=", id).execute();
      if (rules.some((r) => r.name === name)) {
        throw new ServiceError("ApprovalRuleNameAlreadyExistsException", `Pull request ${id} already has an approval rule named '${name}': choose another name.`);
      }
      if (rules.length >= MAX_RULES_PER_PULL_REQUEST) {
        throw new ServiceError(
          "NumberOfRulesExceededException",
          `Pull request ${id} has ${rules.length} approval rules, the most a pull request can have. Delete one first.`,
        );
      }
      return insertRule(trx, id, { name, content, actorArn: caller.principal.arn });
    });
    return approvalRuleView(row);
  }

  async updateContent(
    caller: Caller,
    input: { pullRequestId?: unknown; approvalRuleName?: unknown; existingRuleContentSha256?: unknown; newRuleContent?: unknown },
  ): Promise<ApprovalRuleView> {
    const id = validatePullRequestId(input.pullRequestId);
    const name = validateRuleName(input.approvalRuleName);
    const expected = validateSha256(input.existingRuleContentSha256);
    parseRuleContent(input.newRuleContent, "rule");
    const content = input.newRuleContent as string;
    const row = await changingPullRequest(this.db, this.engine, id, async (trx, pr) => {
      requireOpen(pr);
      const rule = await this.named(trx, id, name);
      if (rule.origin_template_id) {
        throw new ServiceError(
          "CannotModifyApprovalRuleFromTemplateException",
          `The approval rule '${name}' was made from the approval rule template ${rule.origin_template_name ?? rule.origin_template_id} and cannot be changed on the pull request.`,
        );
      }
      if (expected !== undefined && expected !== rule.content_sha256) {
        throw new ServiceError(
          "InvalidRuleContentSha256Exception",
          `The approval rule '${name}' has changed: its ruleContentSha256 is now ${rule.content_sha256}, not ${expected}. Get it again and retry.`,
        );
      }
      const now = Date.now();
      const updated = await trx
        .updateTable("pull_request_approval_rules")
        .set({ content, content_sha256: ruleContentSha256(content), last_modified_user: caller.principal.arn, updated_at: now })
        .where("id", "=", rule.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordEvent(trx, id, "PULL_REQUEST_APPROVAL_RULE_UPDATED", caller.principal.arn, ruleEventMetadata(updated), now);
      return updated;
    });
    return approvalRuleView(row);
  }

  /** A rule deleted before (or never made) answers 200 without content, as CodeCommit documents. */
  async delete(caller: Caller, input: { pullRequestId?: unknown; approvalRuleName?: unknown }): Promise<{ approvalRuleId?: string }> {
    const id = validatePullRequestId(input.pullRequestId);
    const name = validateRuleName(input.approvalRuleName);
    return changingPullRequest(this.db, this.engine, id, async (trx, pr) => {
      requireOpen(pr);
      const rule = await trx.selectFrom("pull_request_approval_rules").selectAll().where("pull_request_id", "=", id).where("name", "=", name).executeTakeFirst();
      if (!rule) return {};
      if (rule.origin_template_id) {
        throw new ServiceError(
          "CannotDeleteApprovalRuleFromTemplateException",
          `The approval rule '${name}' was made from the approval rule template ${rule.origin_template_name ?? rule.origin_template_id} and cannot be deleted from the pull request.`,
        );
      }
      await trx.deleteFrom("pull_request_approval_rules").where("id", "=", rule.id).execute();
      await recordEvent(trx, id, "PULL_REQUEST_APPROVAL_RULE_DELETED", caller.principal.arn, ruleEventMetadata(rule));
      return { approvalRuleId: rule.id };
    });
  }
}
