import type { ChildProcess, StdioOptions } from "node:child_process";
import type { Readable } from "node:stream";
import type { Caller } from "../domain/context.js";
import type { Denial } from "../errors.js";
import type { Repository, RepositoryService } from "../domain/repos/repositories.js";
import { isValidRepositoryName } from "../domain/repos/names.js";
import type { GitRunner } from "../git/exec.js";
import type { GitRepository } from "../git/repository.js";
import type { Logger } from "../log.js";
import { PktLineError, readCommandSection, type PushCommand } from "./pkt-line.js";
import { refusalReport } from "./push-refusal.js";
import { PushSession } from "./push-session.js";
import type { ReceiveHooks } from "./receive-hooks.js";

/** CodeCommit's quota: references created, updated or deleted by one push. */
export const MAX_REFS_PER_PUSH = 4000;

function tooManyRefs(commands: PushCommand[]): { ref: string; message: string } {
  return {
    ref: commands[MAX_REFS_PER_PUSH]!.ref,
    message: `This push changes ${commands.length} references; at most ${MAX_REFS_PER_PUSH} may change in one push. Push them in smaller groups.`,
  };
}

const ZERO_OID = "0".repeat(40);

/**
 * A command whose old and new object IDs are both zero: git's own clients never send one, and
 * receive-pack takes it as a deletion that checks nothing, not even receive.denyDeleteCurrent
 * (which it applies only when the old ID is given), so it would delete the default branch.
 */
function blindDeletion(commands: PushCommand[]): { ref: string; message: string } | null {
  const c = commands.find((c) => c.oldOid === ZERO_OID && c.newOid === ZERO_OID);
  return c ? { ref: c.ref, message: "A deletion must name the commit the reference points to (both object IDs are zero)." } : null;
}

/**
 * Pushed objects are checked as the API's own writes are (git/object-writer.ts): with
 * receive.fsckObjects, receive-pack runs unpack-objects or index-pack with `--strict`, which
 * fsck-checks every object with fsck's warnings as errors. So a push of a tree holding `.git`,
 * `..` or a `a/b` entry (fsck's hasDotgit, hasDotdot, fullPathname), which would attack whoever
 * checks it out, is refused with git's own message ("unpacker error") before any ref moves.
 * Given on the command line, not in each repository's config, so that repositories created
 * before this check have it too.
 */
const RECEIVE_CHECKS = ["-c", "receive.fsckObjects=true"];

/** A refusal git clients print: `status` for HTTP, the text for both transports. */
export class GitServeError extends Error {
  /** an authorization refusal: what was refused and why, for the server's log */
  denial?: Denial;

  constructor(
    readonly status: 403 | 404 | 400 | 500 | 503,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Decides git access, as the IAM issue defines it: GitPull for fetches, GitPush at connection
 * time, and GitPush per ref with codecommit:References before any ref moves.
 */
export interface GitAuthorizer {
  pull(caller: Caller, repo: Repository): Promise<void>;
  /** `refs` undefined: the connection-time check, before any ref is known */
  push(caller: Caller, repo: Repository, refs?: string[]): Promise<void>;
}

/** git-upload-archive (`git archive --remote`) is served over SSH only, as git serves it. */
export type GitService = "git-upload-pack" | "git-receive-pack" | "git-upload-archive";

/** What to do with a push once its commands are known (see GitServing.receiveCommands). */
export type PushPlan =
  | {
      refused: true;
      commands: PushCommand[];
      /** the reference refused, why (the client's words), and, for a denial, what was denied */
      ref: string;
      message: string;
      denial?: Denial;
      /** the receive-pack report that refuses every ref and says why; empty if the client asked for none */
      report: Buffer;
    }
  | {
      refused: false;
      commands: PushCommand[];
      /** every byte read off the client's stream so far: give these to receive-pack first */
      consumed: Buffer;
      /** the push's intent row (none for a push of no commands) */
      intentId: string | undefined;
    };

export interface GitSpawnOptions {
  statelessRpc: boolean;
  advertise?: boolean;
  protocol?: string;
}

/**
 * What both git transports (smart HTTP and SSH) share: finding the repository a path names,
 * authorizing, running git, and recording what a push changed.
 */
export class GitServing {
  /** repositories with a gc --auto running, so pushes in a row do not pile them up */
  private readonly collecting = new Set<string>();

  constructor(
    readonly repos: RepositoryService,
    private readonly runner: GitRunner,
    readonly authorizer: GitAuthorizer,
    private readonly log: Logger,
    private readonly timeoutMs: number,
    private readonly hooks: ReceiveHooks,
  ) {}

  /** The repository named by a `/v1/repos/NAME[.git]` path segment. */
  async open(nameWithSuffix: string): Promise<Repository> {
    const name = nameWithSuffix.endsWith(".git") ? nameWithSuffix.slice(0, -4) : nameWithSuffix;
    const repo = isValidRepositoryName(name) ? await this.repos.find(name) : undefined;
    if (!repo) throw new GitServeError(404, `Repository ${name} does not exist.`);
    return repo;
  }

  /** GitPull for fetches and archives; GitPush (without codecommit:References) for pushes. */
  async authorize(caller: Caller, repo: Repository, service: GitService): Promise<void> {
    if (service === "git-receive-pack") await this.authorizer.push(caller, repo);
    else await this.authorizer.pull(caller, repo);
  }

  /**
   * Spawns git for a service. `statelessRpc` for HTTP; `advertise` for the info/refs request.
   * A push's receive-pack (not its advertisement) is spawned through `receivePack` instead.
   */
  spawn(service: GitService, repo: Repository, opts: GitSpawnOptions): ChildProcess {
    return this.start(service, repo, opts, [], {}, ["pipe", "pipe", "pipe"]);
  }

  /**
   * Spawns receive-pack for a push, with Headwater's hooks and a socket to them on fd 3 (Node's
   * "pipe" is a socketpair, so one descriptor carries requests and answers both ways). Give the
   * session the push's commands with `accept` once they are authorized; await `done` before
   * answering the client: the push is recorded by then.
   */
  receivePack(caller: Caller, repo: Repository, opts: Omit<GitSpawnOptions, "advertise">): PushSession {
    const child = this.start("git-receive-pack", repo, opts, [...this.hooks.gitArgs, ...RECEIVE_CHECKS], this.hooks.env, ["pipe", "pipe", "pipe", "pipe"]);
    const handle = this.repos.handle(repo);
    return new PushSession(child, {
      ledger: this.repos.ledger,
      repo: handle,
      actorArn: caller.principal.arn,
      log: this.log,
      afterRecorded: () => this.collectGarbage(repo.id, handle.git),
    });
  }

  /** The process is killed if it outlives the transfer timeout. */
  private start(
    service: GitService,
    repo: Repository,
    opts: GitSpawnOptions,
    gitArgs: string[],
    extraEnv: Record<string, string>,
    stdio: StdioOptions,
  ): ChildProcess {
    const args = [...gitArgs, service.slice(4)];
    if (opts.statelessRpc) args.push("--stateless-rpc");
    if (opts.advertise) args.push("--advertise-refs");
    args.push(this.repos.gitDirOf(repo.id));
    const env: Record<string, string> = { ...extraEnv };
    if (opts.protocol && /^version=\d$/.test(opts.protocol.split(":")[0] ?? "")) env.GIT_PROTOCOL = opts.protocol;
    const child = this.runner.spawn(args, { extraEnv: env, stdio });
    const timer = setTimeout(() => {
      this.log.warn({ repo: repo.name, service }, "git transfer exceeded its time limit; stopping it");
      child.kill("SIGTERM");
    }, this.timeoutMs);
    timer.unref();
    child.once("close", () => clearTimeout(timer));
    return child;
  }

  /**
   * `git gc --auto` after a recorded push, as receive-pack would run it itself (it is told not
   * to: see ReceiveHooks.gitArgs), but only when git's own estimate says it may have work: a
   * git process per push would compete with the push's last steps for the CPU. Git decides, and
   * detaches when there is work.
   */
  private collectGarbage(repoId: string, git: GitRepository): void {
    if (this.collecting.has(repoId)) return;
    this.collecting.add(repoId);
    void git
      .mayNeedGc()
      .then((may) => (may ? git.gcAuto() : undefined))
      .catch(() => {})
      .finally(() => this.collecting.delete(repoId));
  }

  /**
   * Authorizes each ref a push wants to change, before git sees the commands. Returns the first
   * refused ref and why, or null when every ref may move.
   */
  async refusedRef(caller: Caller, repo: Repository, commands: PushCommand[]): Promise<{ ref: string; message: string; denial?: Denial } | null> {
    for (const c of commands) {
      try {
        await this.authorizer.push(caller, repo, [c.ref]);
      } catch (e) {
        if (e instanceof GitServeError || (e as { code?: string }).code === "AccessDeniedException") {
          return { ref: c.ref, message: (e as Error).message, denial: (e as { denial?: Denial }).denial };
        }
        throw e;
      }
    }
    return null;
  }

  /**
   * The push path both transports share, between receive-pack's ref advertisement and git seeing
   * the commands: reads the command section off the client's stream (leaving the pack unread and
   * the stream paused), authorizes every ref with codecommit:References, and either refuses the
   * whole push (nothing reaches git; the report makes git print why) or writes the push's intent
   * row. An accepted push's caller passes the commands to its PushSession (`accept`), feeds
   * `consumed` and then the rest of the stream to receive-pack, and awaits the session's `done`.
   */
  async receiveCommands(caller: Caller, repo: Repository, input: Readable, maxCommandBytes: number): Promise<PushPlan> {
    let section;
    try {
      section = await readCommandSection(input, maxCommandBytes);
    } catch (e) {
      if (e instanceof PktLineError) throw new GitServeError(400, e.message);
      throw e;
    }
    const { commands, capabilities, consumed } = section;
    const refused = commands.length > MAX_REFS_PER_PUSH ? tooManyRefs(commands) : (blindDeletion(commands) ?? (await this.refusedRef(caller, repo, commands)));
    if (refused) {
      return {
        refused: true,
        commands,
        ...refused,
        report: refusalReport(commands, capabilities, refused.ref, refused.message),
      };
    }
    const intentId = commands.length ? await this.beginPush(caller, repo, commands) : undefined;
    return { refused: false, commands, consumed, intentId };
  }

  /** Writes the intent row for a push: from here on, a crash cannot lose its ref changes. */
  beginPush(caller: Caller, repo: Repository, commands: PushCommand[]): Promise<string> {
    return this.repos.ledger.beginIntent(this.repos.handle(repo), caller.principal.arn, "push", commands.map((c) => c.ref));
  }
}
