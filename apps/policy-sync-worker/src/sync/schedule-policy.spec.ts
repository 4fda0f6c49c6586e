import { MAX_RETRY_AFTER_MS, nextDueAfterSuccess, retryDelay, type SchedulePolicy } from './schedule-policy';

const p: SchedulePolicy = { intervalMs: 300_000, jitterMs: 30_000, retryMinMs: 15_000, retryMaxMs: 300_000 };

describe('schedule policy', () => {
  it('after a success: the interval, plus or minus the jitter', () => {
    expect(nextDueAfterSuccess(1000, p, () => 0.5)).toBe(301_000);
    expect(nextDueAfterSuccess(1000, p, () => 0)).toBe(271_000);
    expect(nextDueAfterSuccess(1000, p, () => 1)).toBe(331_000);
    expect(nextDueAfterSuccess(1000, { ...p, jitterMs: 0 }, () => 0.9)).toBe(301_000);
  });

  it('after failures: doubles from the minimum up to the maximum (top of the jitter)', () => {
    const top = [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelay(n, p, { retryable: true }, () => 1));
    expect(top).toEqual([15_000, 30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
  });

  it('jitter takes between half and all of the step, never below the minimum', () => {
    expect(retryDelay(1, p, { retryable: true }, () => 0)).toBe(15_000);
    expect(retryDelay(3, p, { retryable: true }, () => 0)).toBe(30_000);
    expect(retryDelay(3, p, { retryable: true }, () => 0.5)).toBe(45_000);
    expect(retryDelay(100, p, { retryable: true }, () => 0)).toBe(150_000);
  });

  it('honours a longer Retry-After, bounded', () => {
    expect(retryDelay(1, p, { retryable: true, retryAfterMs: 120_000 }, () => 1)).toBe(120_000);
    expect(retryDelay(4, p, { retryable: true, retryAfterMs: 1_000 }, () => 1)).toBe(120_000);
    expect(retryDelay(1, p, { retryable: true, retryAfterMs: 10 * MAX_RETRY_AFTER_MS }, () => 1)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('an error retrying will not fix waits the longest from the first failure', () => {
    expect(retryDelay(1, p, { retryable: false }, () => 1)).toBe(300_000);
    expect(retryDelay(1, p, { retryable: false }, () => 0)).toBe(150_000);
  });
});
