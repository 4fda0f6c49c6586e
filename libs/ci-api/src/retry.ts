/** Retries with exponential back-off and full jitter, honouring Retry-After, within a deadline. */
export interface RetryPolicy {
  /** Requests at most, the first included (1 = no retry). */
  maxAttempts: number;
  /** The back-off's first ceiling; doubled after each failure. */
  baseDelayMs: number;
  /** The back-off's largest ceiling (a Retry-After may ask for longer: it is honoured up to the deadline). */
  maxDelayMs: number;
  /** No attempt starts, and no wait ends, later than this after the first attempt. */
  deadlineMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000, deadlineMs: 120_000 };

export interface Clock {
  now(): number;
  /** Resolves after ms, or rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, in milliseconds
 * from `nowMs` (a date in the past → 0). Anything else → undefined.
 */
export function parseRetryAfter(value: string | readonly string[] | null | undefined, nowMs: number): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value) as string | undefined;
  if (v === undefined || v === null) return undefined;
  const text = v.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // IMF-fixdate and the obsolete RFC 850 / asctime forms all carry a weekday name.
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): uniform in [0, min(max, base·2^(failures-1))). */
export function backoffDelayMs(failures: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const exp = Math.min(30, Math.max(0, failures - 1));
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exp);
  return Math.floor(random() * ceiling);
}

export interface RetryableFailure {
  retryable: boolean;
  retryAfterMs?: number | undefined;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: 'not retryable' | 'attempts' | 'deadline' };

/**
 * After `failures` failed attempts (the latest described by `failure`), started at
 * `startedAt`: wait how long, or stop. A Retry-After is waited in full (with the
 * back-off when that is longer); a wait that would pass the deadline stops now.
 */
export function decideRetry(failures: number, failure: RetryableFailure, policy: RetryPolicy, startedAt: number, now: number, random: () => number = Math.random): RetryDecision {
  if (!failure.retryable) return { retry: false, reason: 'not retryable' };
  if (failures >= policy.maxAttempts) return { retry: false, reason: 'attempts' };
  const backoff = backoffDelayMs(failures, policy, random);
  const delayMs = failure.retryAfterMs !== undefined ? Math.max(failure.retryAfterMs, backoff) : backoff;
  if (now + delayMs >= startedAt + policy.deadlineMs) return { retry: false, reason: 'deadline' };
  return { retry: true, delayMs };
}

export function validateRetryPolicy(p: RetryPolicy, where: string): RetryPolicy {
  const problems: string[] = [];
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1) problems.push(`${where}.maxAttempts: must be an integer >= 1`);
  for (const k of ['baseDelayMs', 'maxDelayMs', 'deadlineMs'] as const) if (!Number.isFinite(p[k]) || p[k] < 0) problems.push(`${where}.${k}: must be a number >= 0`);
  if (p.maxDelayMs < p.baseDelayMs) problems.push(`${where}.maxDelayMs: must be >= baseDelayMs`);
  if (problems.length > 0) throw new Error(`bad retry policy: ${problems.join('; ')}`);
  return p;
}
