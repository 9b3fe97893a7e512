/**
 * A destination's throttlePolicy (maxReceivesPerSecond): sends to it start at least 1/rate
 * seconds apart. Kept per destination across this worker's queue runs, so a message arriving
 * just after the queue emptied waits its turn too.
 */
export class DestinationThrottle {
  private readonly lastSent = new Map<string, number>();

  /** Waits until the destination may be sent to again at `rate` a second. */
  async turn(key: string, rate: number | undefined): Promise<void> {
    if (!rate) return;
    const wait = (this.lastSent.get(key) ?? 0) + 1000 / rate - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.ceil(wait)));
  }

  /** A send to the destination starts now (remembered only when it is throttled). */
  sent(key: string, rate: number | undefined, at = Date.now()): void {
    if (!rate) return;
    this.lastSent.set(key, at);
    if (this.lastSent.size > 10_000) {
      // a rate is at least 1 a second: a send more than a second ago holds nothing back
      for (const [k, t] of this.lastSent) if (at - t > 1000) this.lastSent.delete(k);
    }
  }
}
