/** Event name → listener arguments. */
export type EventMap = { [event: string]: unknown[] };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- listeners of different events share one store
type AnyListener = (...args: any[]) => void;

/**
 * A small typed event emitter for the transaction, dialog and B2BUA objects.
 * Listeners run synchronously in registration order; `on` returns an
 * unsubscribe function.
 */
export class Emitter<E extends EventMap> {
  private readonly listeners = new Map<keyof E, AnyListener[]>();

  on<K extends keyof E>(event: K, fn: (...args: E[K]) => void): () => void {
    const list = this.listeners.get(event) ?? [];
    list.push(fn);
    this.listeners.set(event, list);
    return () => this.off(event, fn);
  }

  once<K extends keyof E>(event: K, fn: (...args: E[K]) => void): () => void {
    const off = this.on(event, (...args: E[K]) => {
      off();
      fn(...args);
    });
    return off;
  }

  off<K extends keyof E>(event: K, fn: (...args: E[K]) => void): void {
    const list = this.listeners.get(event);
    if (!list) return;
    const at = list.indexOf(fn);
    if (at < 0) return;
    const rest = [...list.slice(0, at), ...list.slice(at + 1)];
    if (rest.length) this.listeners.set(event, rest);
    else this.listeners.delete(event);
  }

  listenerCount(event: keyof E): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.listeners.get(event);
    if (!list) return false;
    for (const fn of [...list]) fn(...args);
    return true;
  }

  /** Drops every listener: called when the object terminates so nothing keeps it alive. */
  protected removeAllListeners(): void {
    this.listeners.clear();
  }
}
