import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Kysely } from "kysely";
import { ServiceError } from "../../errors.js";
import type { CatFilePool } from "../../git/cat-file.js";
import type { GitRunner } from "../../git/exec.js";
import { sweepQuarantines } from "../../git/quarantine.js";
import { GitRepository } from "../../git/repository.js";
import { lockInTransaction, type Engine } from "../../store/db.js";
import type { Database, RepositoriesTable } from "../../store/schema.js";
import type { Logger } from "../../log.js";
import type { ChangeBus } from "../change-bus.js";
import type { RefLedger, RepoHandle } from "../events/ref-ledger.js";
import { decodeToken, encodeToken } from "../paging.js";
import { parseArn, repositoryArn } from "./arn.js";
import {
  isValidRepositoryName,
  validateKmsKeyId,
  validateRepositoryDescription,
  validateRepositoryName,
} from "./names.js";
import { MAX_TAGS, validateTagKeys, validateTags } from "./tags.js";

/** The key CodeCommit reports when a repository uses the AWS-managed default key. */
export const DEFAULT_KMS_KEY = "alias/aws/codecommit";
export const LIST_PAGE = 1000;
export const MAX_BATCH_REPOSITORIES = 100;

export interface Repository {
  id: string;
  accountId: string;
  name: string;
  arn: string;
  description?: string;
  defaultBranch?: string;
  kmsKeyId: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface RepositoriesConfig {
  dataDir: string;
  accountId: string;
  region: string;
  repositoryLimit: number;
}

export type SortBy = "repositoryName" | "lastModifiedDate";
export type Order = "ascending" | "descending";

/**
 * Repositories: their metadata in the store, their content in a bare git repository on disk
 * named by the repository ID (so a rename touches one row).
 */
interface ListingRow {
  id: string;
  name: string;
  updatedAt: number;
}

export class RepositoryService {
  /** The account's repositories for ListRepositories, sorted by name; dropped on every write. */
  private listing: ListingRow[] | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly runner: GitRunner,
    private readonly catFiles: CatFilePool,
    readonly ledger: RefLedger,
    private readonly cfg: RepositoriesConfig,
    private readonly log: Logger,
    private readonly bus: ChangeBus,
    private readonly engine: Engine = "sqlite",
  ) {
    bus.subscribe("repositories", () => (this.listing = null));
  }

  private changed(): void {
    this.bus.publish("repositories");
  }

  get reposDir(): string {
    return path.join(this.cfg.dataDir, "repos");
  }

  gitDirOf(id: string): string {
    return path.join(this.reposDir, `${id}.git`);
  }

  git(repo: { id: string }): GitRepository {
    return new GitRepository(this.gitDirOf(repo.id), this.runner, this.catFiles);
  }

  handle(repo: Repository): RepoHandle {
    return { id: repo.id, name: repo.name, git: this.git(repo) };
  }

  arnOf(name: string): string {
    return repositoryArn(this.cfg.region, this.cfg.accountId, name);
  }

  private toModel(row: RepositoriesTable): Repository {
    return {
      id: row.id,
      accountId: row.account_id,
      name: row.name,
      arn: this.arnOf(row.name),
      description: row.description ?? undefined,
      defaultBranch: row.default_branch ?? undefined,
      kmsKeyId: row.kms_key_id,
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
    };
  }

  async create(input: { name: unknown; description?: unknown; tags?: unknown; kmsKeyId?: unknown }): Promise<Repository> {
    const name = validateRepositoryName(input.name);
    const description = validateRepositoryDescription(input.description);
    const tags = validateTags(input.tags);
    const kmsKeyId = validateKmsKeyId(input.kmsKeyId, false) ?? DEFAULT_KMS_KEY;

    if (await this.find(name)) throw nameExists(name);
    await this.checkRepositoryLimit(this.db);

    const id = crypto.randomUUID();
    const now = Date.now();
    // The directory first: a crash before the row leaves an orphan directory, swept at start.
    await GitRepository.init(this.gitDirOf(id), this.runner, this.catFiles, "main");
    try {
      await this.db.transaction().execute(async (trx) => {
        // counted again where it counts: creates racing on PostgreSQL queue on the account's lock
        await lockInTransaction(trx, this.engine, `headwater.repositories:${this.cfg.accountId}`);
        await this.checkRepositoryLimit(trx);
        await trx
          .insertInto("repositories")
          .values({
            id,
            account_id: this.cfg.accountId,
            name,
            description: description ?? null,
            default_branch: null,
            kms_key_id: kmsKeyId,
            created_at: now,
            updated_at: now,
          })
          .execute();
        for (const [k, v] of Object.entries(tags)) {
          await trx.insertInto("repository_tags").values({ repository_id: id, tag_key: k, tag_value: v }).execute();
        }
      });
    } catch (e) {
      await fs.rm(this.gitDirOf(id), { recursive: true, force: true });
      if (isUniqueViolation(e)) throw nameExists(name);
      throw e;
    } finally {
      this.changed();
    }
    return (await this.find(name))!;
  }

  private async checkRepositoryLimit(db: Kysely<Database>): Promise<void> {
    const { count } = await db
      .selectFrom("repositories")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("account_id", "=", this.cfg.accountId)
      .executeTakeFirstOrThrow();
    if (Number(count) >= this.cfg.repositoryLimit) {
      throw new ServiceError(
        "RepositoryLimitExceededException",
        `A repository limit was exceeded: this account can have at most ${this.cfg.repositoryLimit} repositories.`,
      );
    }
  }

  async find(name: string): Promise<Repository | undefined> {
    const row = await this.db
      .selectFrom("repositories")
      .selectAll()
      .where("account_id", "=", this.cfg.accountId)
      .where("name", "=", name)
      .executeTakeFirst();
    return row ? this.toModel(row) : undefined;
  }

  /** The named repository; the name is validated and must exist. */
  async require(nameInput: unknown): Promise<Repository> {
    const name = validateRepositoryName(nameInput);
    const repo = await this.find(name);
    if (!repo) throw doesNotExist(name);
    return repo;
  }

  async all(): Promise<Repository[]> {
    const rows = await this.db.selectFrom("repositories").selectAll().execute();
    return rows.map((r) => this.toModel(r));
  }

  async list(input: { sortBy?: unknown; order?: unknown; nextToken?: unknown }): Promise<{
    repositories: Array<{ id: string; name: string }>;
    nextToken?: string;
  }> {
    const sortBy = (input.sortBy ?? "repositoryName") as SortBy;
    if (sortBy !== "repositoryName" && sortBy !== "lastModifiedDate") {
      throw new ServiceError("InvalidSortByException", "The sort criterion is not valid: use repositoryName or lastModifiedDate.");
    }
    const order = (input.order ?? "ascending") as Order;
    if (order !== "ascending" && order !== "descending") {
      throw new ServiceError("InvalidOrderException", "The sort order is not valid: use ascending or descending.");
    }
    const query = `${sortBy}:${order}`;
    const after =
      input.nextToken === undefined || input.nextToken === null || input.nextToken === ""
        ? undefined
        : decodeToken<[string | number, string]>(String(input.nextToken), query);

    const rows = [...(await this.listingRows())];
    if (sortBy === "lastModifiedDate") rows.sort((a, b) => a.updatedAt - b.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (order === "descending") rows.reverse();
    let start = 0;
    if (after) {
      // the first row strictly after the token's position, in this order
      const [key, id] = after;
      const sign = order === "ascending" ? 1 : -1;
      start = rows.findIndex((r) => {
        const c = sortBy === "repositoryName" ? compareBytes(r.name, String(key)) : r.updatedAt - Number(key) || compareBytes(r.id, id);
        return c * sign > 0;
      });
      if (start < 0) start = rows.length;
    }
    const page = rows.slice(start, start + LIST_PAGE);
    const last = page[page.length - 1];
    const nextToken =
      rows.length > start + LIST_PAGE && last
        ? encodeToken(query, sortBy === "repositoryName" ? [last.name, last.id] : [last.updatedAt, last.id])
        : undefined;
    return { repositories: page.map((r) => ({ id: r.id, name: r.name })), nextToken };
  }

  /** All of the account's repositories, by name in byte order (cached until the next write). */
  private async listingRows(): Promise<ListingRow[]> {
    if (this.listing) return this.listing;
    const rows = await this.db
      .selectFrom("repositories")
      .select(["id", "name", "updated_at"])
      .where("account_id", "=", this.cfg.accountId)
      .execute();
    const listing = rows.map((r) => ({ id: r.id, name: r.name, updatedAt: r.updated_at })).sort((a, b) => compareBytes(a.name, b.name));
    this.listing = listing;
    return listing;
  }

  async batchGet(namesInput: unknown): Promise<{ found: Repository[]; notFound: string[] }> {
    if (namesInput === undefined || namesInput === null) {
      throw new ServiceError("RepositoryNamesRequiredException", "A list of repository names is required.");
    }
    if (!Array.isArray(namesInput)) throw new ServiceError("SerializationException", "repositoryNames must be a list.");
    if (namesInput.length > MAX_BATCH_REPOSITORIES) {
      throw new ServiceError(
        "MaximumRepositoryNamesExceededException",
        `The number of repository names exceeds the maximum of ${MAX_BATCH_REPOSITORIES}.`,
      );
    }
    const names = namesInput.map((n) => validateRepositoryName(n));
    const found: Repository[] = [];
    const notFound: string[] = [];
    if (names.length) {
      const rows = await this.db
        .selectFrom("repositories")
        .selectAll()
        .where("account_id", "=", this.cfg.accountId)
        .where("name", "in", names)
        .execute();
      const byName = new Map(rows.map((r) => [r.name, r]));
      // a name asked for twice is answered once, in the order first asked
      for (const n of new Set(names)) {
        const row = byName.get(n);
        if (row) found.push(this.toModel(row));
        else notFound.push(n);
      }
    }
    return { found, notFound };
  }

  /** Deletes a repository; returns its ID, or undefined when there was none (as CodeCommit answers). */
  async delete(nameInput: unknown): Promise<string | undefined> {
    const name = validateRepositoryName(nameInput);
    const repo = await this.find(name);
    if (!repo) return undefined;
    await this.ledger.lock(repo.id, async () => {
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom("ref_intents").where("repository_id", "=", repo.id).execute();
        await trx.deleteFrom("repositories").where("id", "=", repo.id).execute();
      });
    });
    this.changed();
    const gitDir = this.gitDirOf(repo.id);
    this.catFiles.forget(gitDir);
    await fs.rm(gitDir, { recursive: true, force: true });
    return repo.id;
  }

  async rename(oldInput: unknown, newInput: unknown): Promise<void> {
    const oldName = validateRepositoryName(oldInput);
    const newName = validateRepositoryName(newInput);
    const repo = await this.find(oldName);
    if (!repo) throw doesNotExist(oldName);
    if (oldName === newName) return;
    if (await this.find(newName)) throw nameExists(newName);
    try {
      await this.db
        .updateTable("repositories")
        .set({ name: newName, updated_at: Date.now() })
        .where("id", "=", repo.id)
        .execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw nameExists(newName);
      throw e;
    } finally {
      this.changed();
    }
  }

  async updateDescription(nameInput: unknown, descriptionInput: unknown): Promise<void> {
    const repo = await this.require(nameInput);
    const description = validateRepositoryDescription(descriptionInput);
    await this.db
      .updateTable("repositories")
      .set({ description: description ?? null, updated_at: Date.now() })
      .where("id", "=", repo.id)
      .execute();
    this.changed();
  }

  async updateKmsKey(nameInput: unknown, keyInput: unknown): Promise<{ id: string; kmsKeyId: string; original: string }> {
    const repo = await this.require(nameInput);
    const kmsKeyId = validateKmsKeyId(keyInput, true)!;
    await this.db
      .updateTable("repositories")
      .set({ kms_key_id: kmsKeyId, updated_at: Date.now() })
      .where("id", "=", repo.id)
      .execute();
    this.changed();
    return { id: repo.id, kmsKeyId, original: repo.kmsKeyId };
  }

  /** The repository a tagging ARN names. */
  async requireByArn(arnInput: unknown): Promise<Repository> {
    if (arnInput === undefined || arnInput === null || arnInput === "") {
      throw new ServiceError("ResourceArnRequiredException", "A resource ARN is required.");
    }
    const arn = typeof arnInput === "string" ? parseArn(arnInput) : null;
    if (!arn || arn.service !== "codecommit" || !arn.region || !arn.accountId) {
      throw new ServiceError(
        "InvalidResourceArnException",
        `The resource ARN '${String(arnInput)}' is not valid: use a repository ARN such as ${this.arnOf("MyDemoRepo")}.`,
      );
    }
    if (!isValidRepositoryName(arn.resource)) {
      throw new ServiceError("InvalidRepositoryNameException", `The repository name '${arn.resource}' in the ARN is not valid.`);
    }
    const repo = arn.region === this.cfg.region && arn.accountId === this.cfg.accountId ? await this.find(arn.resource) : undefined;
    if (!repo) throw doesNotExist(arn.resource);
    return repo;
  }

  async tags(repo: Repository): Promise<Record<string, string>> {
    const rows = await this.db
      .selectFrom("repository_tags")
      .select(["tag_key", "tag_value"])
      .where("repository_id", "=", repo.id)
      .orderBy("tag_key")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.tag_key, r.tag_value]));
  }

  async tag(repo: Repository, tagsInput: unknown): Promise<void> {
    const tags = validateTags(tagsInput, "TagsMapRequiredException");
    await this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom("repository_tags").select("tag_key").where("repository_id", "=", repo.id).execute();
      const keys = new Set([...existing.map((r) => r.tag_key), ...Object.keys(tags)]);
      if (keys.size > MAX_TAGS) throw new ServiceError("TooManyTagsException", `A resource can have at most ${MAX_TAGS} tags.`);
      for (const [k, v] of Object.entries(tags)) {
        await trx
          .insertInto("repository_tags")
          .values({ repository_id: repo.id, tag_key: k, tag_value: v })
          .onConflict((oc) => oc.columns(["repository_id", "tag_key"]).doUpdateSet({ tag_value: v }))
          .execute();
      }
    });
  }

  async untag(repo: Repository, keysInput: unknown): Promise<void> {
    const keys = validateTagKeys(keysInput);
    if (keys.length === 0) return;
    await this.db.deleteFrom("repository_tags").where("repository_id", "=", repo.id).where("tag_key", "in", keys).execute();
  }

  /**
   * Removes the quarantines of pushes that were interrupted (see git/quarantine.ts), once no
   * push could still be using them: older than `olderThanMs`.
   */
  async sweepQuarantines(olderThanMs: number): Promise<void> {
    const entries = await fs.readdir(this.reposDir).catch(() => [] as string[]);
    for (const entry of entries) {
      if (!entry.endsWith(".git")) continue;
      const removed = await sweepQuarantines(path.join(this.reposDir, entry), olderThanMs);
      if (removed.length) this.log.warn({ dir: entry, removed }, "removed objects an interrupted push left behind");
    }
  }

  /** Removes repository directories that have no row (left by a crash during create or delete). */
  async sweepOrphans(): Promise<void> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.reposDir);
    } catch {
      return;
    }
    const ids = new Set((await this.db.selectFrom("repositories").select("id").execute()).map((r) => r.id));
    for (const entry of entries) {
      const m = /^([0-9a-f-]{36})\.git$/.exec(entry);
      if (m && !ids.has(m[1]!)) {
        this.log.warn({ dir: entry }, "removing a repository directory that has no repository");
        await fs.rm(path.join(this.reposDir, entry), { recursive: true, force: true });
      }
    }
  }
}

export function doesNotExist(name: string): ServiceError {
  return new ServiceError("RepositoryDoesNotExistException", `${name} does not exist`);
}

function nameExists(name: string): ServiceError {
  return new ServiceError("RepositoryNameExistsException", `Repository named ${name} already exists`);
}

/** Byte-order comparison (what git and SQLite's BINARY collation use), not locale order. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err?.code === "23505" || /UNIQUE constraint failed/.test(err?.message ?? "");
}
