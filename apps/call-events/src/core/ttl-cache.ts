import { LRUCache } from 'lru-cache';

/**
 * Remembers a lookup's answer for `ttlMs` (0: never) and shares one lookup among
 * concurrent callers of the same key, so a burst of events for one partner costs
 * Redis one GET, not thousands. A failed lookup is not remembered.
 */
export class TtlCache<T> {
  private readonly cache: LRUCache<string, { value: T }> | undefined;
  private readonly inflight = new Map<string, Promise<T>>();

  constructor(opts: { ttlMs: number; max?: number }) {
    this.cache = opts.ttlMs > 0 ? new LRUCache({ max: opts.max ?? 10_000, ttl: opts.ttlMs }) : undefined;
  }

  async get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.cache?.get(key);
    if (hit) return hit.value;
    const running = this.inflight.get(key);
    if (running) return running;
    const p = load().then(
      (value) => {
        this.cache?.set(key, { value });
        this.inflight.delete(key);
        return value;
      },
      (err: unknown) => {
        this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, p);
    return p;
  }
}
