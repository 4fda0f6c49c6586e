/** When a tenant is due next: after a success, after a failure. Pure functions. */

export interface SchedulePolicy {
  intervalMs: number;
  jitterMs: number;
  retryMinMs: number;
  retryMaxMs: number;
}

/** After a good sync: the interval plus or minus up to `jitterMs`, so tenants spread out. */
export function nextDueAfterSuccess(nowMs: number, p: SchedulePolicy, random: () => number = Math.random): number {
  const jitter = p.jitterMs === 0 ? 0 : Math.round((random() * 2 - 1) * p.jitterMs);
  return nowMs + p.intervalMs + jitter;
}

/** The longest wait a Retry-After may impose (a malformed header must not park a tenant for days). */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * The wait before retrying after the n-th consecutive failure (1-based):
 * exponential from `retryMinMs`, doubling, capped at `retryMaxMs`, with "equal
 * jitter" (between half and all of it, never below `retryMinMs`) so replicas and
 * tenants do not retry in step. A Retry-After from the API is honoured when it
 * asks for longer. An error that retrying will not fix (bad credentials, no
 * consent) waits the longest: the customer may fix it, so it is still retried.
 */
export function retryDelay(failures: number, p: SchedulePolicy, hints: { retryable: boolean; retryAfterMs?: number }, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(failures));
  const ceiling = hints.retryable ? Math.min(p.retryMaxMs, p.retryMinMs * 2 ** Math.min(n - 1, 30)) : p.retryMaxMs;
  const jittered = Math.max(p.retryMinMs, Math.round(ceiling / 2 + (random() * ceiling) / 2));
  const after = hints.retryAfterMs === undefined ? 0 : Math.min(hints.retryAfterMs, MAX_RETRY_AFTER_MS);
  return Math.max(jittered, after);
}
