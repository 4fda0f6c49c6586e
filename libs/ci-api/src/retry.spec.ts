import { backoffDelayMs, decideRetry, parseRetryAfter, validateRetryPolicy, type RetryPolicy } from './retry';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, deadlineMs: 10_000 };

describe('Retry-After', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter(['7', '9'], now)).toBe(7000);
  });
  it('reads an HTTP date (IMF-fixdate, RFC 850, asctime) relative to now; a past date is 0', () => {
    expect(parseRetryAfter('Sun, 29 Nov 2026 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sunday, 29-Nov-26 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Sun Nov 29 12:00:02 2026', now)).toBe(2000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('ignores anything else', () => {
    for (const v of [undefined, null, '', '-1', '1.5', 'soon', '2026-11-29T12:00:05Z', 'Sun, 99 Foo 2026']) expect(parseRetryAfter(v as string, now)).toBeUndefined();
  });
});

describe('back-off with full jitter', () => {
  it('draws uniformly below min(max, base·2^(n-1))', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6, 40].map((n) => backoffDelayMs(n, policy, top))).toEqual([99, 199, 399, 799, 999, 999, 999]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(200);
  });
});

describe('decideRetry (fake clock)', () => {
  const half = () => 0.5;

  it('does not retry what is not retryable', () => {
    expect(decideRetry(1, { retryable: false }, policy, 0, 0, half)).toEqual({ retry: false, reason: 'not retryable' });
  });

  it('waits at least Retry-After, the back-off when that is longer', () => {
    expect(decideRetry(1, { retryable: true, retryAfterMs: 2000 }, policy, 0, 0, half)).toEqual({ retry: true, delayMs: 2000 });
    expect(decideRetry(4, { retryable: true, retryAfterMs: 0 }, policy, 0, 0, half)).toEqual({ retry: true, delayMs: 400 });
  });

  it('honours a Retry-After longer than maxDelayMs, but never past the deadline', () => {
    expect(decideRetry(1, { retryable: true, retryAfterMs: 5000 }, policy, 0, 0, half)).toEqual({ retry: true, delayMs: 5000 });
    expect(decideRetry(1, { retryable: true, retryAfterMs: 5000 }, policy, 0, 6000, half)).toEqual({ retry: false, reason: 'deadline' });
  });

  it('runs a whole failing operation: maxAttempts requests, waits that add up, within the deadline', () => {
    let now = 0;
    const waits: number[] = [];
    let failures = 0;
    for (;;) {
      failures++;
      const d = decideRetry(failures, { retryable: true }, policy, 0, now, () => 0.999);
      if (!d.retry) {
        expect(d.reason).toBe('attempts');
        break;
      }
      waits.push(d.delayMs);
      now += d.delayMs + 10; // each request takes 10 ms on the fake clock
    }
    expect(failures).toBe(policy.maxAttempts);
    expect(waits).toEqual([99, 199, 399, 799]);
    expect(now).toBe(99 + 199 + 399 + 799 + 40);
  });

  it('stops at the deadline when the waits would pass it', () => {
    const tight = { ...policy, maxAttempts: 100, deadlineMs: 2500 };
    let now = 0;
    let failures = 0;
    let decision;
    for (;;) {
      failures++;
      decision = decideRetry(failures, { retryable: true }, tight, 0, now, () => 0.999);
      if (!decision.retry) break;
      now += decision.delayMs;
    }
    expect(decision).toEqual({ retry: false, reason: 'deadline' });
    expect(now).toBeLessThan(2500);
  });

  it('refuses a nonsensical policy, naming each field', () => {
    expect(() => validateRetryPolicy({ maxAttempts: 0, baseDelayMs: -1, maxDelayMs: 10, deadlineMs: Number.NaN }, 'retry')).toThrow(
      'bad retry policy: retry.maxAttempts: must be an integer >= 1; retry.baseDelayMs: must be a number >= 0; retry.deadlineMs: must be a number >= 0',
    );
  });
});
