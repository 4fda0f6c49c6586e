import { CircuitBreaker } from './circuit-breaker';

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('CircuitBreaker', () => {
  it('closed → open after the threshold of consecutive failures → half-open after openMs → closed on success', () => {
    const c = clock();
    const b = new CircuitBreaker(c, { failureThreshold: 2, openMs: 1000 });
    expect(b.state).toBe('closed');
    b.recordFailure();
    expect(b.state).toBe('closed');
    b.recordSuccess();
    b.recordFailure();
    expect(b.state).toBe('closed');
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(b.canAttempt()).toBe(false);
    expect(b.tryAcquire()).toBe(false);
    c.advance(999);
    expect(b.state).toBe('open');
    c.advance(1);
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.recordSuccess();
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(0);
  });

  it('half-open → open again on a failure', () => {
    const c = clock();
    const b = new CircuitBreaker(c, { failureThreshold: 1, openMs: 10 });
    b.recordFailure();
    c.advance(10);
    expect(b.state).toBe('half-open');
    b.recordFailure();
    expect(b.state).toBe('open');
  });

  it("a 503's Retry-After opens it at once, for that long when longer than openMs", () => {
    const c = clock();
    const b = new CircuitBreaker(c, { failureThreshold: 5, openMs: 1000 });
    b.recordFailure(30_000);
    expect(b.state).toBe('open');
    c.advance(29_999);
    expect(b.state).toBe('open');
    c.advance(1);
    expect(b.state).toBe('half-open');
  });

  it('refuses nonsense options', () => {
    expect(() => new CircuitBreaker(clock(), { failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => new CircuitBreaker(clock(), { openMs: -1 })).toThrow(/openMs/);
    expect(() => new CircuitBreaker(clock(), { halfOpenProbes: 0 })).toThrow(/halfOpenProbes/);
  });
});
