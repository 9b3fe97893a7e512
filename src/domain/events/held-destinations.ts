/**
 * Destinations a worker must not send to or claim for, for now: a message to them is to be
 * retried (or rows behind it are being given back) and that is not written yet. Until it is,
 * the database still shows the message leased by this worker, which does not hold back this
 * worker's own claims (see claimDue); once it is written, the message's next_attempt_at holds
 * its destination's later rows back in the database, for every worker.
 *
 * A claim whose query ran before a destination was held may still bring rows of it: those must
 * be given back too, so holds made since the current claim started are remembered.
 */
export class HeldDestinations {
  /** destination → writes not yet done (retries and give-backs) */
  private readonly pending = new Map<string, number>();
  private readonly sinceClaimStarted = new Set<string>();

  hold(key: string): void {
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    this.sinceClaimStarted.add(key);
  }

  /** One write that held `key` is done. */
  written(key: string): void {
    const n = (this.pending.get(key) ?? 0) - 1;
    if (n > 0) this.pending.set(key, n);
    else this.pending.delete(key);
  }

  /** The destinations a claim starting now must skip. */
  claimStarting(): string[] {
    this.sinceClaimStarted.clear();
    return [...this.pending.keys()];
  }

  /** Whether rows of `key` that the current claim brought must be given back. */
  heldSinceClaimStarted(key: string): boolean {
    return this.sinceClaimStarted.has(key);
  }
}
