import type { Clock } from '../ports';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 3). */
  failureThreshold?: number;
  /** How long it stays open before letting one probe through (default 30 000 ms). */
  openMs?: number;
  /** Requests let through while half-open (default 1). */
  halfOpenProbes?: number;
}

/**
 * A per-recorder circuit breaker: closed (use it) → open after
 * `failureThreshold` consecutive failures (skip it for `openMs`, or for a 503's
 * Retry-After when longer) → half-open (let `halfOpenProbes` attempts or pings
 * through) → closed on a success, open again on a failure. Fed by INVITE
 * outcomes and OPTIONS pings alike. Time comes from the injected clock.
 */
export class CircuitBreaker {
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly probes: number;
  private failures = 0;
  private openedAt: number | undefined;
  private openFor = 0;
  private probesInFlight = 0;
  private halfOpen = false;

  constructor(
    private readonly clock: Clock,
    options: CircuitBreakerOptions = {},
  ) {
    this.threshold = options.failureThreshold ?? 3;
    this.openMs = options.openMs ?? 30_000;
    this.probes = options.halfOpenProbes ?? 1;
    if (!Number.isInteger(this.threshold) || this.threshold < 1) throw new RangeError(`CircuitBreaker failureThreshold must be an integer ≥ 1, got ${this.threshold}`);
    if (!Number.isFinite(this.openMs) || this.openMs < 0) throw new RangeError(`CircuitBreaker openMs must be ≥ 0, got ${this.openMs}`);
    if (!Number.isInteger(this.probes) || this.probes < 1) throw new RangeError(`CircuitBreaker halfOpenProbes must be an integer ≥ 1, got ${this.probes}`);
  }

  get state(): CircuitState {
    if (this.openedAt !== undefined && this.clock.now() - this.openedAt >= this.openFor) {
      this.openedAt = undefined;
      this.halfOpen = true;
      this.probesInFlight = 0;
    }
    if (this.openedAt !== undefined) return 'open';
    return this.halfOpen ? 'half-open' : 'closed';
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Whether an attempt may go now (no side effect). */
  canAttempt(): boolean {
    const s = this.state;
    return s === 'closed' || (s === 'half-open' && this.probesInFlight < this.probes);
  }

  /** Takes a slot for an attempt: false when the circuit refuses it. Call recordSuccess/recordFailure with its outcome. */
  tryAcquire(): boolean {
    if (!this.canAttempt()) return false;
    if (this.state === 'half-open') this.probesInFlight++;
    return true;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.halfOpen = false;
    this.probesInFlight = 0;
  }

  /** A failure; `retryAfterMs` (a 503's Retry-After) opens the circuit at once for at least that long. */
  recordFailure(retryAfterMs?: number): void {
    const wasHalfOpen = this.state === 'half-open';
    this.failures++;
    const retry = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? retryAfterMs : undefined;
    if (wasHalfOpen || this.failures >= this.threshold || retry !== undefined) {
      this.openedAt = this.clock.now();
      this.openFor = Math.max(this.openMs, retry ?? 0);
      this.halfOpen = false;
      this.probesInFlight = 0;
    }
  }
}
