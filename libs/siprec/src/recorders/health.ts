import type { Clock } from '../ports';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker';
import { describeFailure, isRecorderFault, type RecorderFailure } from './failover';
import type { RecorderTarget } from './targets';

export interface RecorderHealthOptions {
  breaker?: CircuitBreakerOptions;
  /** OPTIONS ping period per recorder (default 30 000 ms). */
  pingIntervalMs?: number;
}

/** An OPTIONS ping's outcome: a final response (any status), or none (timeout / transport error). */
export type PingOutcome = { kind: 'response'; status: number; retryAfter?: number } | { kind: 'timeout' } | { kind: 'transport'; message: string };

export interface RecorderHealthSnapshot {
  uri: string;
  state: CircuitState;
  consecutiveFailures: number;
  lastPingAt?: number;
  lastOkAt?: number;
  lastError?: string;
  pingInFlight: boolean;
}

interface Entry {
  target: RecorderTarget;
  breaker: CircuitBreaker;
  lastPingAt?: number;
  lastOkAt?: number;
  lastError?: string;
  pingInFlight: boolean;
}

/**
 * Health bookkeeping for every known recorder: a circuit breaker each, fed by
 * INVITE outcomes and OPTIONS pings, and when each is due for its next ping.
 * The adapter sends the pings (`duePings()` → `pingSent()` → `pingResult()`)
 * and orders its targets with `usable()`. No timers here: the adapter polls.
 *
 * A ping answered with any status below 500 (even 403/404/405) shows the
 * recorder is up; 5xx, a timeout or a transport error counts as a failure.
 */
export class RecorderHealth {
  private readonly entries = new Map<string, Entry>();
  private readonly pingIntervalMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly options: RecorderHealthOptions = {},
  ) {
    this.pingIntervalMs = options.pingIntervalMs ?? 30_000;
    if (!Number.isFinite(this.pingIntervalMs) || this.pingIntervalMs <= 0) throw new RangeError(`RecorderHealth pingIntervalMs must be positive, got ${this.pingIntervalMs}`);
  }

  /** Registers recorders (idempotent, keyed by URI). */
  track(targets: readonly RecorderTarget[]): void {
    for (const t of targets) {
      if (!this.entries.has(t.uri)) this.entries.set(t.uri, { target: t, breaker: new CircuitBreaker(this.clock, this.options.breaker), pingInFlight: false });
    }
  }

  breaker(uri: string): CircuitBreaker | undefined {
    return this.entries.get(uri)?.breaker;
  }

  /** The targets whose circuit lets an attempt through, in the given order; when none does, all of them (better a try than no recording). */
  usable(targets: readonly RecorderTarget[]): RecorderTarget[] {
    this.track(targets);
    const ok = targets.filter((t) => this.entries.get(t.uri)?.breaker.canAttempt() ?? true);
    return ok.length > 0 ? ok : [...targets];
  }

  /** An INVITE's outcome: success on an accepted answer, else the failure (only recorder faults count). */
  inviteResult(uri: string, outcome: { ok: true } | { ok: false; failure: RecorderFailure }): void {
    const e = this.entries.get(uri);
    if (!e) return;
    if (outcome.ok) {
      e.breaker.recordSuccess();
      e.lastOkAt = this.clock.now();
      return;
    }
    e.lastError = describeFailure(outcome.failure);
    if (isRecorderFault(outcome.failure)) e.breaker.recordFailure(outcome.failure.kind === 'status' && outcome.failure.retryAfter !== undefined ? outcome.failure.retryAfter * 1000 : undefined);
  }

  /** Recorders due for an OPTIONS ping now (never pinged, or the interval passed; none in flight). */
  duePings(): RecorderTarget[] {
    const now = this.clock.now();
    return [...this.entries.values()].filter((e) => !e.pingInFlight && (e.lastPingAt === undefined || now - e.lastPingAt >= this.pingIntervalMs)).map((e) => e.target);
  }

  pingSent(uri: string): void {
    const e = this.entries.get(uri);
    if (!e) return;
    e.pingInFlight = true;
    e.lastPingAt = this.clock.now();
  }

  pingResult(uri: string, outcome: PingOutcome): void {
    const e = this.entries.get(uri);
    if (!e) return;
    e.pingInFlight = false;
    if (outcome.kind === 'response' && outcome.status < 500) {
      e.breaker.recordSuccess();
      e.lastOkAt = this.clock.now();
      return;
    }
    e.lastError = outcome.kind === 'response' ? `OPTIONS answered ${outcome.status}` : outcome.kind === 'timeout' ? 'OPTIONS not answered' : `OPTIONS transport error: ${outcome.message}`;
    e.breaker.recordFailure(outcome.kind === 'response' && outcome.retryAfter !== undefined ? outcome.retryAfter * 1000 : undefined);
  }

  snapshot(): RecorderHealthSnapshot[] {
    return [...this.entries.values()].map((e) => ({
      uri: e.target.uri,
      state: e.breaker.state,
      consecutiveFailures: e.breaker.consecutiveFailures,
      ...(e.lastPingAt !== undefined ? { lastPingAt: e.lastPingAt } : {}),
      ...(e.lastOkAt !== undefined ? { lastOkAt: e.lastOkAt } : {}),
      ...(e.lastError !== undefined ? { lastError: e.lastError } : {}),
      pingInFlight: e.pingInFlight,
    }));
  }
}
