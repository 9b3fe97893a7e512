import crypto from "node:crypto";
import type { Kysely } from "kysely";
import type { GitRepository } from "../../git/repository.js";
import { ZERO_OID } from "../../git/repository.js";
import { lockInTransaction, type Engine } from "../../store/db.js";
import type { Database } from "../../store/schema.js";
import { processLocalLocks, type SessionLocks } from "../../store/session-locks.js";
import type { Logger } from "../../log.js";
import type { ChangeBus } from "../change-bus.js";
import { RepositoryRefLocks } from "./ref-lock.js";

/** Serialises the outbox's writers from the insert to the commit (see recordLocked). */
const OUTBOX_WRITE_LOCK = "headwater.ref-events";

export interface RefChange {
  ref: string;
  /** ZERO_OID when the ref was created */
  oldCommit: string;
  /** ZERO_OID when the ref was deleted */
  newCommit: string;
}

export interface RepoHandle {
  id: string;
  name: string;
  git: GitRepository;
}

export type ChangeSource = "push" | "api" | "repair";

/**
 * A repository's ref lock, held while something outside the ledger moves refs (git
 * receive-pack, for a push): record what moved, then release.
 */
export interface HeldRefs {
  /** Records whatever changed in `refs` since they were last recorded; the lock stays held. */
  record(actorArn: string, source: ChangeSource, refs: string[] | undefined, intentId: string | undefined): Promise<RefChange[]>;
  /** Lets the next writer in (safe to call more than once). */
  release(): Promise<void>;
}

/**
 * The record of every ref change. Git holds the refs; ref_tips holds the tips as last recorded;
 * every difference between the two becomes a ref_events row (the outbox), written in the same
 * transaction that advances ref_tips. Changes are bracketed by a ref_intents row written before
 * git moves anything, so a crash in between is repaired at start with the right actor.
 *
 * Every change is made and recorded under the repository's ref lock (RepositoryRefLocks: in
 * this process and across processes), and the lock is released only once the change is
 * recorded. So the difference between git and ref_tips that a holder sees is its own change and
 * nobody else's: API changes go through `change`, pushes through `hold` (git moves the refs
 * while the push holds the lock).
 *
 * This is also where the default-branch rule lives: the first branch a repository gets becomes
 * its default, whichever path (push or API) created it.
 */
export class RefLedger {
  private readonly locks: RepositoryRefLocks;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly log: Logger,
    private readonly bus: ChangeBus,
    sharedLocks: SessionLocks = processLocalLocks,
  ) {
    this.locks = new RepositoryRefLocks(sharedLocks);
  }

  /** Runs `fn` holding the repository's ref lock (no ref of it moves or is recorded meanwhile). */
  lock<T>(repoId: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(repoId, fn);
  }

  /** Waits for the repository's ref lock and holds it until released: see HeldRefs. */
  async hold(repo: RepoHandle): Promise<HeldRefs> {
    const release = await this.locks.acquire(repo.id);
    let held = true;
    return {
      record: (actorArn, source, refs, intentId) => {
        if (!held) return Promise.reject(new Error("the repository's ref lock is no longer held"));
        return this.recordLocked(repo, actorArn, source, refs, intentId);
      },
      release: () => {
        held = false;
        return release();
      },
    };
  }

  async beginIntent(repo: RepoHandle, actorArn: string, source: "push" | "api", refs: string[]): Promise<string> {
    const id = crypto.randomUUID();
    await this.db
      .insertInto("ref_intents")
      .values({ id, repository_id: repo.id, actor_arn: actorArn, source, refs: JSON.stringify(refs), started_at: Date.now() })
      .execute();
    return id;
  }

  /**
   * Moves refs through `move` (which calls git) and records the result, with an intent row
   * around it and the repository's lock held throughout.
   */
  async change<T>(
    repo: RepoHandle,
    actorArn: string,
    refs: string[],
    move: () => Promise<T>,
  ): Promise<{ result: T; changes: RefChange[] }> {
    return this.lock(repo.id, async () => {
      const intent = await this.beginIntent(repo, actorArn, "api", refs);
      let result: T;
      try {
        result = await move();
      } catch (e) {
        // nothing moved (or what moved is recorded now): the intent is resolved either way
        await this.recordLocked(repo, actorArn, "api", refs, intent);
        throw e;
      }
      const changes = await this.recordLocked(repo, actorArn, "api", refs, intent);
      return { result, changes };
    });
  }

  /**
   * Records whatever changed in `refs` (all refs when omitted) since they were last recorded,
   * under the repository's lock: start-up repair, and a push whose hooks never took the lock.
   */
  record(repo: RepoHandle, actorArn: string, source: ChangeSource, refs?: string[], intentId?: string): Promise<RefChange[]> {
    return this.lock(repo.id, () => this.recordLocked(repo, actorArn, source, refs, intentId));
  }

  private async recordLocked(
    repo: RepoHandle,
    actorArn: string,
    source: ChangeSource,
    refs: string[] | undefined,
    intentId: string | undefined,
  ): Promise<RefChange[]> {
    const readActual = async () => {
      const actual = new Map<string, string>();
      if (refs) {
        for (const ref of refs) {
          // a push may name anything (`HEAD`, `main`); git moves no ref outside refs/ for it
          // (receive-pack answers "funny refname"), and refTarget reads only full names
          if (!ref.startsWith("refs/")) continue;
          const oid = await repo.git.refTarget(ref);
          if (oid) actual.set(ref, oid);
        }
      } else {
        for (const [ref, oid] of await repo.git.refs()) actual.set(ref, oid);
      }
      return actual;
    };
    // The lock is held: nothing moves these refs until this is recorded, so git is read first,
    // outside the transaction.
    const actual = await readActual();
    let defaultBranch: string | null = null;

    return this.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom("ref_tips").select(["ref_name", "commit_id"]).where("repository_id", "=", repo.id);
      if (refs) q = q.where("ref_name", "in", refs);
      const recorded = new Map(
        refs?.length === 0 ? [] : (await q.execute()).map((r) => [r.ref_name, r.commit_id] as const),
      );

      const changes: RefChange[] = [];
      const names = new Set([...(refs ?? []), ...actual.keys(), ...recorded.keys()]);
      for (const ref of [...names].sort()) {
        const before = recorded.get(ref) ?? ZERO_OID;
        const after = actual.get(ref) ?? ZERO_OID;
        if (before !== after) changes.push({ ref, oldCommit: before, newCommit: after });
      }

      for (const c of changes) {
        if (c.newCommit === ZERO_OID) {
          await trx.deleteFrom("ref_tips").where("repository_id", "=", repo.id).where("ref_name", "=", c.ref).execute();
        } else {
          await trx
            .insertInto("ref_tips")
            .values({ repository_id: repo.id, ref_name: c.ref, commit_id: c.newCommit })
            .onConflict((oc) => oc.columns(["repository_id", "ref_name"]).doUpdateSet({ commit_id: c.newCommit }))
            .execute();
        }
      }
      if (intentId) await trx.deleteFrom("ref_intents").where("id", "=", intentId).execute();
      if (changes.length === 0) return changes;

      const now = Date.now();
      // Rows commit in id order, so a reader whose cursor is past an id has seen every row
      // before it: on PostgreSQL the id is taken under a lock held until the commit.
      await lockInTransaction(trx, this.engine, OUTBOX_WRITE_LOCK);
      await trx
        .insertInto("ref_events")
        .values({
          repository_id: repo.id,
          repository_name: repo.name,
          actor_arn: actorArn,
          source,
          refs: JSON.stringify(changes),
          created_at: now,
        })
        .execute();

      const row = await trx.selectFrom("repositories").select(["default_branch"]).where("id", "=", repo.id).executeTakeFirst();
      const update: { updated_at: number; default_branch?: string } = { updated_at: now };
      if (row && !row.default_branch) {
        defaultBranch = firstBranch(changes);
        if (defaultBranch) update.default_branch = defaultBranch;
      }
      await trx.updateTable("repositories").set(update).where("id", "=", repo.id).execute();
      return changes;
    }).then(async (changes) => {
      // HEAD follows once the database says so (start-up repair reconciles a crash in between)
      if (defaultBranch) await repo.git.setHead(defaultBranch);
      if (changes.length) {
        this.bus.publish("repositories"); // lastModifiedDate moved
        this.bus.publish("ref-events"); // the events workers deliver it
      }
      return changes;
    });
  }

  /**
   * Start-up repair: resolves intents a crash left behind (attributing their changes to whoever
   * started them), then records any remaining drift between git and ref_tips.
   */
  async repair(repos: RepoHandle[]): Promise<number> {
    let repaired = 0;
    const byId = new Map(repos.map((r) => [r.id, r]));
    const intents = await this.db.selectFrom("ref_intents").selectAll().orderBy("started_at").execute();
    for (const intent of intents) {
      const repo = byId.get(intent.repository_id);
      if (!repo) {
        await this.db.deleteFrom("ref_intents").where("id", "=", intent.id).execute();
        continue;
      }
      const changes = await this.record(repo, intent.actor_arn, intent.source as ChangeSource, JSON.parse(intent.refs), intent.id);
      repaired += changes.length;
    }
    for (const repo of repos) {
      const changes = await this.record(repo, "", "repair");
      repaired += changes.length;
    }
    // the bare repository's HEAD names the default branch, as the database records it
    const defaults = await this.db.selectFrom("repositories").select(["id", "default_branch"]).where("default_branch", "is not", null).execute();
    for (const d of defaults) {
      const repo = byId.get(d.id);
      if (repo && d.default_branch && (await repo.git.headBranch()) !== d.default_branch) await repo.git.setHead(d.default_branch);
    }
    if (repaired) this.log.warn({ repaired }, "recorded ref changes that a crash left unrecorded");
    return repaired;
  }
}

/** Which created branch becomes the default: main or master when among them, else the first. */
function firstBranch(changes: RefChange[]): string | null {
  const created = changes
    .filter((c) => c.oldCommit === ZERO_OID && c.newCommit !== ZERO_OID && c.ref.startsWith("refs/heads/"))
    .map((c) => c.ref.slice("refs/heads/".length));
  return created.find((b) => b === "main") ?? created.find((b) => b === "master") ?? created[0] ?? null;
}
