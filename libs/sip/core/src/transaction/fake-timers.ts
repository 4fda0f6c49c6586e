import type { TimerHandle, Timers } from './ports';

interface Entry {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * A fake clock for tests (and for replaying a scenario): `advance(ms)` moves time
 * forward and fires every timer that falls due, in due-time order (ties in the
 * order they were set), including timers set by those callbacks.
 */
export class FakeTimers implements Timers {
  private time: number;
  private seq = 0;
  private readonly heap: Entry[] = [];
  private readonly live = new Set<number>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const entry: Entry = { id: ++this.seq, due: this.time + Math.max(0, ms), fn };
    this.live.add(entry.id);
    this.push(entry);
    return entry.id;
  }

  clearTimer(handle: TimerHandle): void {
    if (typeof handle === 'number') this.live.delete(handle);
  }

  /** Timers set and neither fired nor cleared. */
  get pending(): number {
    return this.live.size;
  }

  /** When the next live timer is due, or undefined. */
  nextDue(): number | undefined {
    this.dropDead();
    return this.heap[0]?.due;
  }

  /** Moves the clock forward by `ms`, firing due timers on the way; returns how many fired. */
  advance(ms: number): number {
    return this.advanceTo(this.time + ms);
  }

  advanceTo(target: number): number {
    let fired = 0;
    for (;;) {
      this.dropDead();
      const top = this.heap[0];
      if (!top || top.due > target) break;
      this.pop();
      this.live.delete(top.id);
      this.time = Math.max(this.time, top.due);
      fired++;
      top.fn();
    }
    this.time = Math.max(this.time, target);
    return fired;
  }

  /** Fires timers until none is left (or `limit` fired, against timers that re-arm forever). */
  runAll(limit = 100_000): number {
    let fired = 0;
    for (let next = this.nextDue(); next !== undefined && fired < limit; next = this.nextDue()) {
      fired += this.advanceTo(next);
    }
    return fired;
  }

  private dropDead(): void {
    while (this.heap.length && !this.live.has(this.heap[0]?.id ?? -1)) this.pop();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.due < b.due || (a.due === b.due && a.id < b.id);
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent];
      if (!p || !this.less(entry, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let best = last;
      const hl = h[l];
      const hr = h[r];
      if (hl && this.less(hl, best)) {
        m = l;
        best = hl;
      }
      if (hr && this.less(hr, best)) {
        m = r;
        best = hr;
      }
      if (m === i) break;
      h[i] = best;
      i = m;
    }
    h[i] = last;
  }
}
