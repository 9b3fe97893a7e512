import crypto from "node:crypto";
import type { Kysely, Selectable, Transaction } from "kysely";
import { ServiceError } from "../../errors.js";
import { isUniqueViolation, lockInTransaction, type Engine } from "../../store/db.js";
import type { ApprovalRuleTemplatesTable, Database } from "../../store/schema.js";
import type { Caller } from "../context.js";
import { decodeToken, encodeToken } from "../paging.js";
import type { OnPullRequestCreated } from "../pulls/pull-requests.js";
import { validateMaxResults } from "../pulls/validate.js";
import type { Repository, RepositoryService } from "../repos/repositories.js";
import { appliesToDestination, parseRuleContent, ruleContentSha256 } from "./content.js";
import { insertRule } from "./rules.js";
import {
  MAX_BATCH_REPOSITORIES,
  MAX_TEMPLATE_RULES_PER_PULL_REQUEST,
  MAX_TEMPLATES,
  MAX_TEMPLATES_PER_REPOSITORY,
  validateSha256,
  validateTemplateDescription,
  validateTemplateName,
} from "./validate.js";

type TemplateRow = Selectable<ApprovalRuleTemplatesTable>;

/** CodeCommit's ApprovalRuleTemplate shape. */
export interface ApprovalRuleTemplateView {
  approvalRuleTemplateId: string;
  approvalRuleTemplateName: string;
  approvalRuleTemplateDescription: string;
  approvalRuleTemplateContent: string;
  ruleContentSha256: string;
  lastModifiedDate: Date;
  creationDate: Date;
  lastModifiedUser: string;
}

function templateView(r: TemplateRow): ApprovalRuleTemplateView {
  return {
    approvalRuleTemplateId: r.id,
    approvalRuleTemplateName: r.name,
    approvalRuleTemplateDescription: r.description,
    approvalRuleTemplateContent: r.content,
    ruleContentSha256: r.content_sha256,
    lastModifiedDate: new Date(r.updated_at),
    creationDate: new Date(r.created_at),
    lastModifiedUser: r.last_modified_user,
  };
}

function templateDoesNotExist(name: string): ServiceError {
  return new ServiceError("ApprovalRuleTemplateDoesNotExistException", `No approval rule template is named '${name}' (ListApprovalRuleTemplates lists them).`);
}

function nameTaken(name: string): ServiceError {
  return new ServiceError("ApprovalRuleTemplateNameAlreadyExistsException", `An approval rule template named '${name}' already exists: template names are unique in the account.`);
}

const PAGE = 100;
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
// templates, and which repositories they are associated with, change under one lock: a template
// in use cannot be deleted, and the quotas are counted where they are enforced
const LOCK = "headwater.approval-rule-templates";

interface BatchError {
  repositoryName: string;
  errorCode: string;
  errorMessage: string;
}

/**
 * Approval rule templates and their associations with repositories. A pull request created in an
 * associated repository, whose destination the template's DestinationReferences match, gets an
 * approval rule made from the template (originApprovalRuleTemplate), in CreatePullRequest's
 * transaction; later changes to the template leave existing rules as they are, as in CodeCommit.
 */
export class ApprovalRuleTemplateService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly repos: RepositoryService,
  ) {}

  private async locked<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        await lockInTransaction(trx, this.engine, LOCK);
        return work(trx);
      });
    } catch (e) {
      // two writers raced on PostgreSQL's unique name before either saw the other
      if (isUniqueViolation(e)) throw new ServiceError("ApprovalRuleTemplateNameAlreadyExistsException", "An approval rule template with that name already exists.");
      throw e;
    }
  }

  private async row(db: Kysely<Database>, name: string): Promise<TemplateRow> {
    const row = await db.selectFrom("approval_rule_templates").selectAll().where("name", "=", name).executeTakeFirst();
    if (!row) throw templateDoesNotExist(name);
    return row;
  }

  async create(
    caller: Caller,
    input: { approvalRuleTemplateName?: unknown; approvalRuleTemplateContent?: unknown; approvalRuleTemplateDescription?: unknown },
  ): Promise<ApprovalRuleTemplateView> {
    const name = validateTemplateName(input.approvalRuleTemplateName);
    parseRuleContent(input.approvalRuleTemplateContent, "template");
    const content = input.approvalRuleTemplateContent as string;
    const description = validateTemplateDescription(input.approvalRuleTemplateDescription, false) ?? "";
    const row = await this.locked(async (trx) => {
      if (await trx.selectFrom("approval_rule_templates").select("id").where("name", "=", name).executeTakeFirst()) throw nameTaken(name);
      const { n } = await trx.selectFrom("approval_rule_templates").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
      if (Number(n) >= MAX_TEMPLATES) {
        throw new ServiceError(
          "NumberOfRuleTemplatesExceededException",
          `The account has ${MAX_TEMPLATES.toLocaleString("en-US")} approval rule templates, the most it can have. Delete one first.`,
        );
      }
      const now = Date.now();
      return trx
        .insertInto("approval_rule_templates")
        .values({
          id: crypto.randomUUID(),
          name,
          description,
          content,
          content_sha256: ruleContentSha256(content),
          last_modified_user: caller.principal.arn,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return templateView(row);
  }

  async get(nameInput: unknown): Promise<ApprovalRuleTemplateView> {
    return templateView(await this.row(this.db, validateTemplateName(nameInput)));
  }

  async list(input: { nextToken?: unknown; maxResults?: unknown }): Promise<{ approvalRuleTemplateNames: string[]; nextToken?: string }> {
    const names = (await this.db.selectFrom("approval_rule_templates").select("name").execute()).map((r) => r.name);
    const page = this.page(names, "templates", input);
    return { approvalRuleTemplateNames: page.items, nextToken: page.nextToken };
  }

  /** A page of names in byte order after the token's position. */
  private page(names: string[], query: string, input: { nextToken?: unknown; maxResults?: unknown }): { items: string[]; nextToken?: string } {
    const limit = validateMaxResults(input.maxResults, PAGE) ?? PAGE;
    const after =
      input.nextToken === undefined || input.nextToken === null || input.nextToken === "" ? undefined : decodeToken<string>(String(input.nextToken), query);
    const sorted = names.sort(byteOrder).filter((n) => after === undefined || n > after);
    const items = sorted.slice(0, limit);
    return { items, nextToken: sorted.length > limit ? encodeToken(query, items[items.length - 1]) : undefined };
  }

  private async update(caller: Caller, name: string, change: (row: TemplateRow) => Partial<TemplateRow>): Promise<ApprovalRuleTemplateView> {
    const row = await this.locked(async (trx) => {
      const current = await this.row(trx, name);
      return trx
        .updateTable("approval_rule_templates")
        .set({ ...change(current), last_modified_user: caller.principal.arn, updated_at: Date.now() })
        .where("id", "=", current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return templateView(row);
  }

  async updateName(caller: Caller, input: { oldApprovalRuleTemplateName?: unknown; newApprovalRuleTemplateName?: unknown }): Promise<ApprovalRuleTemplateView> {
    const oldName = validateTemplateName(input.oldApprovalRuleTemplateName);
    const newName = validateTemplateName(input.newApprovalRuleTemplateName);
    const row = await this.locked(async (trx) => {
      const current = await this.row(trx, oldName);
      if (newName !== oldName && (await trx.selectFrom("approval_rule_templates").select("id").where("name", "=", newName).executeTakeFirst())) {
        throw nameTaken(newName);
      }
      return trx
        .updateTable("approval_rule_templates")
        .set({ name: newName, last_modified_user: caller.principal.arn, updated_at: Date.now() })
        .where("id", "=", current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return templateView(row);
  }

  async updateDescription(caller: Caller, input: { approvalRuleTemplateName?: unknown; approvalRuleTemplateDescription?: unknown }): Promise<ApprovalRuleTemplateView> {
    const name = validateTemplateName(input.approvalRuleTemplateName);
    const description = validateTemplateDescription(input.approvalRuleTemplateDescription, true)!;
    return this.update(caller, name, () => ({ description }));
  }

  async updateContent(
    caller: Caller,
    input: { approvalRuleTemplateName?: unknown; newRuleContent?: unknown; existingRuleContentSha256?: unknown },
  ): Promise<ApprovalRuleTemplateView> {
    const name = validateTemplateName(input.approvalRuleTemplateName);
    parseRuleContent(input.newRuleContent, "template");
    const content = input.newRuleContent as string;
    const expected = validateSha256(input.existingRuleContentSha256);
    return this.update(caller, name, (current) => {
      if (expected !== undefined && expected !== current.content_sha256) {
        throw new ServiceError(
          "InvalidRuleContentSha256Exception",
          `The approval rule template '${name}' has changed: its ruleContentSha256 is now ${current.content_sha256}, not ${expected}. Get it again and retry.`,
        );
      }
      return { content, content_sha256: ruleContentSha256(content) };
    });
  }

  /** A template deleted before (or never made) answers 200 without content, as CodeCommit documents. */
  async delete(nameInput: unknown): Promise<{ approvalRuleTemplateId?: string }> {
    const name = validateTemplateName(nameInput);
    return this.locked(async (trx) => {
      const row = await trx.selectFrom("approval_rule_templates").selectAll().where("name", "=", name).executeTakeFirst();
      if (!row) return {};
      const used = await trx.selectFrom("approval_rule_template_repositories").select("repository_id").where("template_id", "=", row.id).limit(1).executeTakeFirst();
      if (used) {
        throw new ServiceError(
          "ApprovalRuleTemplateInUseException",
          `The approval rule template '${name}' is associated with repositories (ListRepositoriesForApprovalRuleTemplate lists them): disassociate it from all of them first.`,
        );
      }
      await trx.deleteFrom("approval_rule_templates").where("id", "=", row.id).execute();
      return { approvalRuleTemplateId: row.id };
    });
  }

  /** Associates the template with a repository (again: no change); refused past the repository's quota. */
  private async associateIn(trx: Kysely<Database>, template: TemplateRow, repo: Repository): Promise<void> {
    const associated = await trx.selectFrom("approval_rule_template_repositories").select("template_id").where("repository_id", "=", repo.id).execute();
    if (associated.some((a) => a.template_id === template.id)) return;
    if (associated.length >= MAX_TEMPLATES_PER_REPOSITORY) {
      throw new ServiceError(
        "MaximumRuleTemplatesAssociatedWithRepositoryException",
        `Repository ${repo.name} has ${MAX_TEMPLATES_PER_REPOSITORY} approval rule templates associated with it, the most it can have.`,
      );
    }
    await trx.insertInto("approval_rule_template_repositories").values({ template_id: template.id, repository_id: repo.id, created_at: Date.now() }).execute();
  }

  async associate(nameInput: unknown, repositoryNameInput: unknown): Promise<void> {
    const name = validateTemplateName(nameInput);
    const repo = await this.repos.require(repositoryNameInput);
    await this.locked(async (trx) => this.associateIn(trx, await this.row(trx, name), repo));
  }

  async disassociate(nameInput: unknown, repositoryNameInput: unknown): Promise<void> {
    const name = validateTemplateName(nameInput);
    const repo = await this.repos.require(repositoryNameInput);
    await this.locked(async (trx) => {
      const template = await this.row(trx, name);
      await trx.deleteFrom("approval_rule_template_repositories").where("template_id", "=", template.id).where("repository_id", "=", repo.id).execute();
    });
  }

  private batchNames(value: unknown): unknown[] {
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
      throw new ServiceError("RepositoryNamesRequiredException", "A list of repository names is required.");
    }
    if (!Array.isArray(value)) throw new ServiceError("SerializationException", "repositoryNames must be a list of repository names.");
    if (value.length > MAX_BATCH_REPOSITORIES) {
      throw new ServiceError("MaximumRepositoryNamesExceededException", `The number of repository names exceeds the maximum of ${MAX_BATCH_REPOSITORIES}.`);
    }
    return value;
  }

  /** Each repository on its own: the ones that could not be done come back as errors, the others are done. */
  private async batch(
    nameInput: unknown,
    namesInput: unknown,
    each: (trx: Kysely<Database>, template: TemplateRow, repo: Repository) => Promise<void>,
  ): Promise<{ done: string[]; errors: BatchError[] }> {
    const name = validateTemplateName(nameInput);
    const names = this.batchNames(namesInput);
    await this.row(this.db, name);
    const done: string[] = [];
    const errors: BatchError[] = [];
    for (const n of new Set(names)) {
      const repositoryName = String(n);
      try {
        const repo = await this.repos.require(n);
        await this.locked(async (trx) => each(trx, await this.row(trx, name), repo));
        done.push(repositoryName);
      } catch (e) {
        if (!(e instanceof ServiceError) || e.code === "ApprovalRuleTemplateDoesNotExistException") throw e;
        errors.push({ repositoryName, errorCode: e.code, errorMessage: e.message });
      }
    }
    return { done, errors };
  }

  async batchAssociate(input: { approvalRuleTemplateName?: unknown; repositoryNames?: unknown }): Promise<{ associatedRepositoryNames: string[]; errors: BatchError[] }> {
    const r = await this.batch(input.approvalRuleTemplateName, input.repositoryNames, (trx, t, repo) => this.associateIn(trx, t, repo));
    return { associatedRepositoryNames: r.done, errors: r.errors };
  }

  async batchDisassociate(input: { approvalRuleTemplateName?: unknown; repositoryNames?: unknown }): Promise<{ disassociatedRepositoryNames: string[]; errors: BatchError[] }> {
    const r = await this.batch(input.approvalRuleTemplateName, input.repositoryNames, async (trx, t, repo) => {
      await trx.deleteFrom("approval_rule_template_repositories").where("template_id", "=", t.id).where("repository_id", "=", repo.id).execute();
    });
    return { disassociatedRepositoryNames: r.done, errors: r.errors };
  }

  async listForRepository(input: { repositoryName?: unknown; nextToken?: unknown; maxResults?: unknown }): Promise<{ approvalRuleTemplateNames: string[]; nextToken?: string }> {
    const repo = await this.repos.require(input.repositoryName);
    const rows = await this.db
      .selectFrom("approval_rule_template_repositories")
      .innerJoin("approval_rule_templates", "approval_rule_templates.id", "approval_rule_template_repositories.template_id")
      .select("approval_rule_templates.name")
      .where("approval_rule_template_repositories.repository_id", "=", repo.id)
      .execute();
    const page = this.page(rows.map((r) => r.name), `templates-of:${repo.id}`, input);
    return { approvalRuleTemplateNames: page.items, nextToken: page.nextToken };
  }

  async listRepositories(input: { approvalRuleTemplateName?: unknown; nextToken?: unknown; maxResults?: unknown }): Promise<{ repositoryNames: string[]; nextToken?: string }> {
    const template = await this.row(this.db, validateTemplateName(input.approvalRuleTemplateName));
    const rows = await this.db
      .selectFrom("approval_rule_template_repositories")
      .innerJoin("repositories", "repositories.id", "approval_rule_template_repositories.repository_id")
      .select("repositories.name")
      .where("approval_rule_template_repositories.template_id", "=", template.id)
      .execute();
    const page = this.page(rows.map((r) => r.name), `repositories-of:${template.id}`, input);
    return { repositoryNames: page.items, nextToken: page.nextToken };
  }

  /** CreatePullRequest's hook: the rules of the repository's templates that apply to the destination. */
  readonly applyToNewPullRequest: OnPullRequestCreated = async (trx, pr, repo, caller) => {
    const templates = await trx
      .selectFrom("approval_rule_template_repositories")
      .innerJoin("approval_rule_templates", "approval_rule_templates.id", "approval_rule_template_repositories.template_id")
      .select(["approval_rule_templates.id", "approval_rule_templates.name", "approval_rule_templates.content"])
      .where("approval_rule_template_repositories.repository_id", "=", repo.id)
      .orderBy("approval_rule_template_repositories.created_at")
      .execute();
    const applying = templates.filter((t) => appliesToDestination(parseRuleContent(t.content, "template"), pr.destination_ref));
    for (const t of applying.slice(0, MAX_TEMPLATE_RULES_PER_PULL_REQUEST)) {
      await insertRule(trx, pr.id, { name: t.name, content: t.content, actorArn: caller.principal.arn, origin: { id: t.id, name: t.name } });
    }
  };
}
