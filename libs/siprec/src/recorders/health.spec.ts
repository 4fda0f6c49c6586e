import { RecorderHealth } from './health';
import { recorderTargets } from './targets';

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}
const [regional, global] = recorderTargets({ region: 'westeurope' }) as [ReturnType<typeof recorderTargets>[0], ReturnType<typeof recorderTargets>[0]];

describe('RecorderHealth', () => {
  it('pings each recorder when due, one at a time, every pingIntervalMs', () => {
    const c = clock(1000);
    const h = new RecorderHealth(c, { pingIntervalMs: 5000 });
    h.track([regional, global]);
    expect(h.duePings().map((t) => t.uri)).toEqual([regional.uri, global.uri]);
    h.pingSent(regional.uri);
    expect(h.duePings().map((t) => t.uri)).toEqual([global.uri]);
    h.pingResult(regional.uri, { kind: 'response', status: 200 });
    c.advance(4999);
    expect(h.duePings().map((t) => t.uri)).toEqual([global.uri]);
    c.advance(1);
    expect(h.duePings().map((t) => t.uri)).toEqual([regional.uri, global.uri]);
  });

  it('failing pings open the circuit: usable() skips that recorder, keeps the order, and falls back to all when none is usable', () => {
    const c = clock();
    const h = new RecorderHealth(c, { breaker: { failureThreshold: 2, openMs: 10_000 } });
    h.track([regional, global]);
    for (let i = 0; i < 2; i++) {
      h.pingSent(regional.uri);
      h.pingResult(regional.uri, { kind: 'timeout' });
    }
    expect(h.usable([regional, global])).toEqual([global]);
    h.inviteResult(global.uri, { ok: false, failure: { kind: 'status', status: 503, retryAfter: 60 } });
    expect(h.usable([regional, global])).toEqual([regional, global]);
    expect(h.snapshot()).toEqual([
      { uri: regional.uri, state: 'open', consecutiveFailures: 2, lastPingAt: 0, lastError: 'OPTIONS not answered', pingInFlight: false },
      { uri: global.uri, state: 'open', consecutiveFailures: 1, lastError: '503', pingInFlight: false },
    ]);
    c.advance(10_000);
    expect(h.breaker(regional.uri)?.state).toBe('half-open');
    h.pingSent(regional.uri);
    h.pingResult(regional.uri, { kind: 'response', status: 404 });
    expect(h.breaker(regional.uri)?.state).toBe('closed');
  });

  it("4xx INVITE refusals do not count against the recorder; successes reset it", () => {
    const h = new RecorderHealth(clock(), { breaker: { failureThreshold: 1 } });
    h.track([regional]);
    h.inviteResult(regional.uri, { ok: false, failure: { kind: 'status', status: 403 } });
    expect(h.breaker(regional.uri)?.state).toBe('closed');
    h.inviteResult(regional.uri, { ok: false, failure: { kind: 'transport', message: 'reset' } });
    expect(h.breaker(regional.uri)?.state).toBe('open');
    h.inviteResult(regional.uri, { ok: true });
    expect(h.breaker(regional.uri)?.state).toBe('closed');
    h.pingResult('sip:unknown', { kind: 'timeout' });
    expect(h.snapshot()).toHaveLength(1);
  });
});
