import type { ChildProcess } from "node:child_process";
import readline from "node:readline";
import type { Duplex } from "node:stream";
import type { HeldRefs, RefChange, RefLedger, RepoHandle } from "../domain/events/ref-ledger.js";
import type { Logger } from "../log.js";
import type { PushCommand } from "./pkt-line.js";

/** What a push session needs from the server. */
export interface PushSessionDeps {
  ledger: RefLedger;
  repo: RepoHandle;
  actorArn: string;
  log: Logger;
  /** called once the push has been recorded and the lock released, if it changed anything */
  afterRecorded(changes: RefChange[]): void;
}

/** Attempts at recording a push before the lock is let go (a passing database hiccup). */
const RECORD_ATTEMPTS = 3;

/**
 * One push: a receive-pack process, and the repository's ref lock its hooks ask for (see
 * receive-hooks.ts). The pack is received unlocked; the lock is taken at pre-receive (objects
 * in, no ref moved yet) and released only once the push is recorded: at post-receive, or when
 * receive-pack exits without one (no ref updated, the client gone, git killed). So no other
 * writer's change can come between git's ref update and its record, and the push's event is
 * exactly its own old→new, under its own actor.
 *
 * Hook requests are handled one at a time, in order, with the exit last.
 */
export class PushSession {
  /** Resolves once receive-pack has exited and the push is recorded and the lock released. */
  readonly done: Promise<void>;
  private queue: Promise<unknown> = Promise.resolve();
  private accepted?: { refs: string[]; intentId: string | undefined };
  private held?: HeldRefs;
  private recorded = false;

  constructor(
    readonly child: ChildProcess,
    private readonly deps: PushSessionDeps,
  ) {
    const channel = child.stdio[3] as Duplex;
    channel.on("error", () => {}); // a hook gone mid-line: git's exit settles the push
    readline.createInterface({ input: channel }).on("line", (line) => {
      void this.serially(() => this.onHookRequest(line.trim(), channel));
    });
    const exited = new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.once("error", () => resolve()); // never started
    });
    this.done = exited.then(() => {
      // A hook orphaned by a killed git would keep fd 3, and with it the child's "close", open.
      channel.destroy();
      return this.serially(() => this.afterExit());
    });
  }

  /** The push's commands passed authorization (see GitServing.receiveCommands): its hooks may now take the lock. */
  accept(plan: { commands: PushCommand[]; intentId: string | undefined }): void {
    this.accepted = { refs: plan.commands.map((c) => c.ref), intentId: plan.intentId };
  }

  private serially(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step).catch((e) => this.deps.log.error({ err: e, repo: this.deps.repo.name }, "push session step failed"));
    this.queue = next;
    return next;
  }

  private async onHookRequest(request: string, channel: Duplex): Promise<void> {
    let answer = "ok";
    if (request === "pre-receive") {
      if (!this.accepted) answer = "refused";
      else if (!this.held) {
        try {
          this.held = await this.deps.ledger.hold(this.deps.repo);
        } catch (e) {
          this.deps.log.error({ err: e, repo: this.deps.repo.name }, "could not lock a repository's refs for a push; the push is refused");
          answer = "error";
        }
      }
    } else if (request === "post-receive") {
      await this.recordAndRelease();
    } else {
      answer = "unknown";
    }
    if (!channel.destroyed) channel.write(`${answer}\n`);
  }

  private async afterExit(): Promise<void> {
    if (this.held) return this.recordAndRelease();
    if (!this.accepted?.intentId || this.recorded) return;
    // pre-receive never took the lock. Normally nothing moved then (git refused, or failed
    // before any ref update); recording under the lock resolves the intent and would catch a
    // push that moved refs with its hooks bypassed.
    const { ledger, repo, actorArn, log } = this.deps;
    try {
      const changes = await ledger.record(repo, actorArn, "push", this.accepted.refs, this.accepted.intentId);
      this.recorded = true;
      if (changes.length) {
        log.error({ repo: repo.name, changes }, "a push moved refs without Headwater's pre-receive hook locking them; recorded now");
        this.deps.afterRecorded(changes);
      }
    } catch (e) {
      log.error({ err: e, repo: repo.name }, "could not record a push; it will be recorded at the next start");
    }
  }

  private async recordAndRelease(): Promise<void> {
    const held = this.held;
    if (!held || !this.accepted) return;
    const { repo, actorArn, log } = this.deps;
    let changes: RefChange[] = [];
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          changes = await held.record(actorArn, "push", this.accepted.refs, this.accepted.intentId);
          break;
        } catch (e) {
          if (attempt >= RECORD_ATTEMPTS) throw e;
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    } catch (e) {
      // The intent row stays, but the next writer's record will show this push's change as
      // part of its own (or start-up repair, under this push's actor, if none comes first).
      log.error({ err: e, repo: repo.name }, "could not record a push; it will be recorded at the next start");
    } finally {
      this.held = undefined;
      this.recorded = true;
      await held.release();
    }
    if (changes.length) this.deps.afterRecorded(changes);
  }
}
