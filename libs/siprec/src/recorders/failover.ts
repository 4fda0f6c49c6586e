import type { SrsAnswerError } from '../sdp/siprec-sdp';

/** Why an attempt at one recorder failed. */
export type RecorderFailure =
  /** A final non-2xx response (`retryAfter` in seconds, from a 503's Retry-After). */
  | { kind: 'status'; status: number; reason?: string; retryAfter?: number }
  /** No final response within the attempt budget: the adapter abandoned (CANCELled) the INVITE. */
  | { kind: 'timeout' }
  /** TLS/TCP connect, handshake or send failed, or the connection dropped before a final response. */
  | { kind: 'transport'; message: string }
  /** The recorder answered 2xx with an SDP we refuse (checkSrsAnswer): we BYE it. */
  | { kind: 'bad-answer'; error: SrsAnswerError }
  /** Not tried: its circuit breaker is open. */
  | { kind: 'circuit-open' };

export function describeFailure(f: RecorderFailure): string {
  switch (f.kind) {
    case 'status':
      return `${f.status}${f.reason ? ` ${f.reason}` : ''}`;
    case 'timeout':
      return 'no answer in time';
    case 'transport':
      return `transport error: ${f.message}`;
    case 'bad-answer':
      return `unusable answer (${f.error.code}): ${f.error.message}`;
    case 'circuit-open':
      return 'circuit open (recently failing), skipped';
  }
}

/**
 * Does the failure say something about the recorder's health (feed its
 * circuit breaker)? Timeouts, transport errors, 5xx, 408 and unusable answers
 * do; 4xx/6xx refusals are about the request (or the tenant), not the recorder.
 */
export function isRecorderFault(f: RecorderFailure): boolean {
  if (f.kind === 'status') return f.status >= 500 && f.status < 600 ? true : f.status === 408;
  return f.kind !== 'circuit-open';
}

export interface FailoverPolicyOptions {
  /**
   * Final statuses after which no other recorder is tried: every recorder
   * would answer the same (a request or tenant problem). Default: 400, 403,
   * 404, 415, 420, 421, 488 and every 6xx (RFC 3261 §21.6: "global failure").
   */
  noFailoverStatuses?: readonly number[];
  /** 6xx skip failover (default true). */
  noFailoverOn6xx?: boolean;
  /** No new attempt starts later than this after the recording began (default 8000 ms). */
  totalBudgetMs?: number;
  /**
   * How long the adapter waits for a final answer before abandoning an INVITE
   * (and reporting `timeout`): keeps "next recorder within 2 s" (default 1500 ms).
   */
  attemptTimeoutMs?: number;
  /** At most this many INVITEs per recording start, across recorders (default: one per target). */
  maxAttempts?: number;
}

export const DEFAULT_NO_FAILOVER_STATUSES: readonly number[] = [400, 403, 404, 415, 420, 421, 488];

export type FailoverDecision = { action: 'try-next'; targetIndex: number } | { action: 'give-up'; reason: string };

export interface FailoverContext {
  /** Index of the target that just failed. */
  failedIndex: number;
  targetCount: number;
  /** Attempts made so far in this start, the failed one included. */
  attempts: number;
  /** When the recording start began, and now (same clock). */
  startedAt: number;
  now: number;
}

/** Decides, after each failed attempt, whether to try the next recorder. Pure; configured once. */
export class FailoverPolicy {
  readonly noFailoverStatuses: ReadonlySet<number>;
  readonly noFailoverOn6xx: boolean;
  readonly totalBudgetMs: number;
  readonly attemptTimeoutMs: number;
  readonly maxAttempts: number | undefined;

  constructor(options: FailoverPolicyOptions = {}) {
    this.noFailoverStatuses = new Set(options.noFailoverStatuses ?? DEFAULT_NO_FAILOVER_STATUSES);
    this.noFailoverOn6xx = options.noFailoverOn6xx ?? true;
    this.totalBudgetMs = options.totalBudgetMs ?? 8000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 1500;
    this.maxAttempts = options.maxAttempts;
    for (const [name, v] of [
      ['totalBudgetMs', this.totalBudgetMs],
      ['attemptTimeoutMs', this.attemptTimeoutMs],
    ] as const) {
      if (!Number.isFinite(v) || v <= 0) throw new RangeError(`FailoverPolicy ${name} must be a positive number of milliseconds, got ${v}`);
    }
    for (const s of this.noFailoverStatuses) if (!Number.isInteger(s) || s < 300 || s > 699) throw new RangeError(`FailoverPolicy noFailoverStatuses: ${s} is not a final non-2xx SIP status`);
  }

  decide(failure: RecorderFailure, ctx: FailoverContext): FailoverDecision {
    const what = describeFailure(failure);
    if (failure.kind === 'status' && (this.noFailoverStatuses.has(failure.status) || (this.noFailoverOn6xx && failure.status >= 600))) {
      return { action: 'give-up', reason: `${what}: every recorder would refuse it the same way (no failover on ${failure.status})` };
    }
    const next = ctx.failedIndex + 1;
    if (next >= ctx.targetCount) return { action: 'give-up', reason: `${what}: no other recorder to try` };
    if (this.maxAttempts !== undefined && ctx.attempts >= this.maxAttempts) return { action: 'give-up', reason: `${what}: ${ctx.attempts} attempt(s) made, the limit` };
    if (ctx.now - ctx.startedAt >= this.totalBudgetMs) return { action: 'give-up', reason: `${what}: ${this.totalBudgetMs} ms budget to start the recording spent` };
    return { action: 'try-next', targetIndex: next };
  }
}
