import type { TimerHandle, Timers } from './ports';

/** The named timers of one transaction (A, B, D, …): starting one again replaces it. */
export class TimerSet {
  private readonly handles = new Map<string, TimerHandle>();

  constructor(private readonly timers: Timers) {}

  start(name: string, ms: number, fn: () => void): void {
    this.stop(name);
    const handle = this.timers.setTimer(ms, () => {
      this.handles.delete(name);
      fn();
    });
    this.handles.set(name, handle);
  }

  stop(name: string): void {
    const handle = this.handles.get(name);
    if (handle === undefined) return;
    this.timers.clearTimer(handle);
    this.handles.delete(name);
  }

  has(name: string): boolean {
    return this.handles.has(name);
  }

  clear(): void {
    for (const handle of this.handles.values()) this.timers.clearTimer(handle);
    this.handles.clear();
  }

  /** Runs `fn` after `ms`, or at once when `ms` is 0 (Timers D, I, J, K on reliable transports, RFC 3261 §17). */
  startOrRun(name: string, ms: number, fn: () => void): void {
    if (ms <= 0) fn();
    else this.start(name, ms, fn);
  }
}
