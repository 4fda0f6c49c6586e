/**
 * Injected recorder faults (`/emulator/recorder/faults`):
 * - `refuse`: the next `count` INVITEs get 503 with `Retry-After: retryAfter`;
 * - `no-answer`: the next `count` INVITEs get no response at all (not even 100 Trying);
 * - `drop-tls`: the TLS connection of each of the next `count` answered calls is closed `afterMs` after the 200 OK.
 */
export type FaultKind = 'refuse' | 'no-answer' | 'drop-tls';
export const FAULT_KINDS: readonly FaultKind[] = ['refuse', 'no-answer', 'drop-tls'];

export interface FaultSetting {
  kind: FaultKind;
  /** How many more INVITEs (calls, for drop-tls) it applies to. */
  remaining: number;
  /** refuse: seconds in Retry-After. */
  retryAfter?: number;
  /** drop-tls: milliseconds after the 200 OK. */
  afterMs?: number;
  setAt: string;
}

export interface FaultEvent {
  at: string;
  kind: FaultKind;
  callId?: string;
}

export class FaultInjector {
  private readonly settings = new Map<FaultKind, FaultSetting>();
  private readonly fired: FaultEvent[] = [];

  set(s: Omit<FaultSetting, 'setAt'>): FaultSetting {
    const setting = { ...s, setAt: new Date().toISOString() };
    this.settings.set(s.kind, setting);
    return setting;
  }

  /** Takes one use of the fault when armed; returns its setting (with what is left) or undefined. */
  take(kind: FaultKind, callId?: string): FaultSetting | undefined {
    const s = this.settings.get(kind);
    if (!s || s.remaining <= 0) return undefined;
    s.remaining--;
    if (s.remaining === 0) this.settings.delete(kind);
    this.fired.push({ at: new Date().toISOString(), kind, ...(callId ? { callId } : {}) });
    if (this.fired.length > 1000) this.fired.shift();
    return s;
  }

  list(): { armed: FaultSetting[]; fired: FaultEvent[] } {
    return { armed: [...this.settings.values()].map((s) => ({ ...s })), fired: [...this.fired] };
  }

  clear(kind?: FaultKind): void {
    if (kind) this.settings.delete(kind);
    else this.settings.clear();
  }
}
