/**
 * A least-recently-used cache bounded by an estimate of the memory its values take. Meant for
 * immutable things (git objects by ID), so nothing ever needs invalidating; concurrent misses
 * for one key share a single load.
 */
export class LruCache<V> {
  private readonly map = new Map<string, { value: V; cost: number }>();
  private readonly loading = new Map<string, Promise<V | null>>();
  private used = 0;

  constructor(private readonly maxCost: number) {}

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    this.map.delete(key); // Map order is recency order
    this.map.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V, cost: number): void {
    if (cost > this.maxCost / 4) return; // one giant value would flush everything else
    const old = this.map.get(key);
    if (old) {
      this.used -= old.cost;
      this.map.delete(key);
    }
    this.map.set(key, { value, cost });
    this.used += cost;
    for (const [k, v] of this.map) {
      if (this.used <= this.maxCost) break;
      this.map.delete(k);
      this.used -= v.cost;
    }
  }

  /** The cached value, or the result of `load` (cached when not null). */
  async getOrLoad(key: string, load: () => Promise<{ value: V; cost: number } | null>): Promise<V | null> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = load().then(
        (r) => {
          this.loading.delete(key);
          if (!r) return null;
          this.set(key, r.value, r.cost);
          return r.value;
        },
        (e: unknown) => {
          this.loading.delete(key);
          throw e;
        },
      );
      this.loading.set(key, pending);
    }
    return pending;
  }

  get size(): number {
    return this.map.size;
  }
}
