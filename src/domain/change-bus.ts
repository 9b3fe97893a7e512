/**
 * Tells in-process caches that stored state changed. Every write that a cache depends on
 * publishes its topic; caches drop what they hold. In this process the notice is synchronous,
 * so a write is visible to the next request. (Several processes sharing PostgreSQL need the
 * notice carried between them, e.g. by LISTEN/NOTIFY: that belongs to the scale-out mode.)
 */
export type ChangeTopic =
  | "repositories"
  | "identities"
  /** new rows in the ref_events outbox (the events workers fan them out) */
  | "ref-events";

export class ChangeBus {
  private readonly listeners = new Map<ChangeTopic, Array<() => void>>();

  subscribe(topic: ChangeTopic, fn: () => void): void {
    const list = this.listeners.get(topic) ?? [];
    list.push(fn);
    this.listeners.set(topic, list);
  }

  publish(topic: ChangeTopic): void {
    for (const fn of this.listeners.get(topic) ?? []) fn();
  }
}
