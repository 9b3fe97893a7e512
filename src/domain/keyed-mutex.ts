/**
 * Serialises async work per key (one repository's ref changes, for instance) inside this
 * process. Work for different keys runs concurrently; waiters of one key go first come, first
 * served.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Waits for the key and holds it until the returned function is called (once; later calls do
   * nothing). For a hold that spans events rather than one function: a push holds its
   * repository from git's pre-receive hook to its post-receive hook.
   */
  async acquire(key: string): Promise<() => void> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
