/**
 * Tells caches that stored state changed. Every write that a cache depends on publishes its
 * topic; caches drop what they hold. In this process the notice is synchronous, so a write is
 * visible to the next request. With several processes on one PostgreSQL database a relay
 * (src/store/change-relay.ts) carries each notice to the others as well.
 */
export type ChangeTopic =
  | "repositories"
  | "identities"
  /** new rows in the ref_events outbox (the events workers fan them out) */
  | "ref-events";

export const CHANGE_TOPICS: readonly ChangeTopic[] = ["repositories", "identities", "ref-events"];

export class ChangeBus {
  private readonly listeners = new Map<ChangeTopic, Array<() => void>>();
  private relay: ((topic: ChangeTopic) => void) | undefined;

  subscribe(topic: ChangeTopic, fn: () => void): void {
    const list = this.listeners.get(topic) ?? [];
    list.push(fn);
    this.listeners.set(topic, list);
  }

  /** A change made here: this process's listeners, then the other processes. */
  publish(topic: ChangeTopic): void {
    this.deliver(topic);
    this.relay?.(topic);
  }

  /** A change made here or by another process: this process's listeners only. */
  deliver(topic: ChangeTopic): void {
    for (const fn of this.listeners.get(topic) ?? []) fn();
  }

  relayTo(send: ((topic: ChangeTopic) => void) | undefined): void {
    this.relay = send;
  }
}
