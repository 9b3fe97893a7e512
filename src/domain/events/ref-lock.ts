import type { SessionLocks } from "../../store/session-locks.js";
import { KeyedMutex } from "../keyed-mutex.js";

/** Releases a held repository lock; safe to call more than once. */
export type ReleaseRefLock = () => Promise<void>;

/**
 * The lock every ref change of one repository is made and recorded under, in this process and
 * across processes sharing the database. While it is held nobody else moves or records that
 * repository's refs, so comparing git's tips with the recorded ones shows exactly the holder's
 * own changes.
 *
 * The in-process mutex is taken first: waiters of this process queue here, and only the one at
 * the front waits on (and holds) a cross-process lock, so a process uses at most one lock
 * connection per repository.
 */
export class RepositoryRefLocks {
  private readonly local = new KeyedMutex();

  constructor(private readonly shared: SessionLocks) {}

  async acquire(repoId: string): Promise<ReleaseRefLock> {
    const releaseLocal = await this.local.acquire(repoId);
    let releaseShared: () => Promise<void>;
    try {
      releaseShared = await this.shared.acquire(`headwater.refs:${repoId}`);
    } catch (e) {
      releaseLocal();
      throw e;
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      try {
        await releaseShared();
      } finally {
        releaseLocal();
      }
    };
  }

  async run<T>(repoId: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(repoId);
    try {
      return await fn();
    } finally {
      await release();
    }
  }
}
