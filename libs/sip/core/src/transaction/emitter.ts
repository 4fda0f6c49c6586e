/** Event name → listener arguments. */
export type EventMap = { [event: string]: unknown[] };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- listeners of different events share one store
type AnyListener = (...args: any[]) => void;
type Slot = AnyListener | readonly AnyListener[];

/**
 * A small typed event emitter for the transaction, dialog and B2BUA objects.
 * Listeners run synchronously in registration order; `on` returns an
 * unsubscribe function.
 *
 * Kept small because every call holds several of these for its whole life, and
 * each object a call holds is copied by the young-generation GC while the call is
 * young (docs/performance.md §6.2): one flat array `[event, listeners, …]` made on
 * the first `on` (an emitter has a handful of events, so a linear search is as
 * quick as a Map), an event with one listener holds the function itself, and a
 * list is never changed in place (a new one replaces it), so `emit` iterates it
 * without copying.
 */
export class Emitter<E extends EventMap> {
  private slots: (keyof E | Slot)[] | undefined;

  on<K extends keyof E>(event: K, fn: (...args: E[K]) => void): () => void {
    const slots = this.slots;
    const at = this.find(event);
    // New arrays of the exact length: a pushed-to array reserves room for 17.
    if (!slots) this.slots = [event, fn];
    else if (at < 0) this.slots = [...slots, event, fn];
    else {
      const now = slots[at + 1] as Slot;
      slots[at + 1] = typeof now === 'function' ? [now, fn] : [...now, fn];
    }
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
    const slots = this.slots;
    const at = this.find(event);
    if (!slots || at < 0) return;
    const now = slots[at + 1] as Slot;
    if (typeof now === 'function') {
      if (now === fn) slots.splice(at, 2);
      return;
    }
    const i = now.indexOf(fn);
    if (i < 0) return;
    const rest = [...now.slice(0, i), ...now.slice(i + 1)];
    slots[at + 1] = rest.length === 1 ? (rest[0] as AnyListener) : rest;
  }

  listenerCount(event: keyof E): number {
    const at = this.find(event);
    if (at < 0) return 0;
    const now = this.slots?.[at + 1] as Slot;
    return typeof now === 'function' ? 1 : now.length;
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const at = this.find(event);
    if (at < 0) return false;
    const now = this.slots?.[at + 1] as Slot;
    if (typeof now === 'function') now(...args);
    else for (const fn of now) fn(...args);
    return true;
  }

  /** Drops every listener: called when the object terminates so nothing keeps it alive. */
  protected removeAllListeners(): void {
    this.slots = undefined;
  }

  // Events sit at even indexes; a listener (odd index) is never an event name.
  private find(event: keyof E): number {
    const slots = this.slots;
    if (!slots) return -1;
    for (let i = 0; i < slots.length; i += 2) if (slots[i] === event) return i;
    return -1;
  }
}
