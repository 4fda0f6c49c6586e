import type { PingOutcome, RecorderTarget } from '@ci-connector/siprec';
import { RecorderPool } from './recorder-pool';
import { createOptionsPinger } from './options-pinger';

class Clock {
  t = 1_000_000;
  now = () => this.t;
}

const logs = () => {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const rec = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { info: rec('info'), warn: rec('warn') } };
};

const flush = () => new Promise((r) => setImmediate(r));
const uris = (ts: RecorderTarget[]) => ts.map((t) => t.uri);
const UK = 'sip:SRS@uksouth.media.recording.dynamics.com:5061;transport=tls';
const GLOBAL = 'sip:SRS@media.recording.dynamics.com:5061;transport=tls';
const timeout = { ok: false as const, failure: { kind: 'timeout' as const } };

describe('RecorderPool.targetsFor', () => {
  const pool = (o: Partial<ConstructorParameters<typeof RecorderPool>[0]> = {}) => {
    const clock = new Clock();
    return { clock, pool: new RecorderPool({ logger: logs().logger, clock, health: { breaker: { failureThreshold: 3, openMs: 30_000 } }, ...o }) };
  };

  it("the region's recorder, then global, in the seed's URI form; overrides point regions at loopback", () => {
    expect(uris(pool().pool.targetsFor({ region: 'uksouth' }))).toEqual([UK, GLOBAL]);
    const { pool: local } = pool({ hostOverrides: { uksouth: '127.0.0.1:15061', global: '127.0.0.1:15062' } });
    expect(uris(local.targetsFor({ region: 'uksouth' }))).toEqual(['sip:SRS@127.0.0.1:15061;transport=tls', 'sip:SRS@127.0.0.1:15062;transport=tls']);
    expect(uris(local.targetsFor({ region: 'uksouth', recorders: ['sips:srs.example.com'] }))).toEqual(['sips:srs.example.com']);
    expect(() => local.targetsFor({ region: 'mars' as 'global' })).toThrow(/unknown recorder region "mars"/);
  });

  it('a recorder whose circuit is open goes last; it comes back first once the circuit closes', () => {
    const { pool: p, clock } = pool();
    const [uk, global] = p.targetsFor({ region: 'uksouth' });
    p.report(uk!, timeout);
    p.report(uk!, { ok: false, failure: { kind: 'transport', message: 'ECONNRESET' } });
    expect(uris(p.targetsFor({ region: 'uksouth' }))).toEqual([UK, GLOBAL]); // 2 failures: still closed
    p.report(uk!, { ok: false, failure: { kind: 'status', status: 503 } });
    expect(uris(p.targetsFor({ region: 'uksouth' }))).toEqual([GLOBAL, UK]);
    expect(p.snapshot().find((s) => s.uri === UK)).toMatchObject({ state: 'open', status: 'down', region: 'uksouth', consecutiveFailures: 3 });
    clock.t += 30_000; // half-open: one attempt may go, in its place
    expect(uris(p.targetsFor({ region: 'uksouth' }))).toEqual([UK, GLOBAL]);
    p.report(uk!, { ok: true });
    expect(p.snapshot().find((s) => s.uri === UK)).toMatchObject({ state: 'closed', status: 'up' });
    expect(global).toBeDefined();
  });

  it('refusals (4xx, 6xx) say nothing about the recorder: its circuit stays closed', () => {
    const { pool: p } = pool();
    const [uk] = p.targetsFor({ region: 'uksouth' });
    for (let i = 0; i < 5; i++) p.report(uk!, { ok: false, failure: { kind: 'status', status: 403 } });
    for (let i = 0; i < 5; i++) p.report(uk!, { ok: false, failure: { kind: 'status', status: 603 } });
    expect(uris(p.targetsFor({ region: 'uksouth' }))).toEqual([UK, GLOBAL]);
  });

  it("a 503's Retry-After opens the circuit at once", () => {
    const { pool: p } = pool();
    const [uk] = p.targetsFor({ region: 'uksouth' });
    p.report(uk!, { ok: false, failure: { kind: 'status', status: 503, retryAfter: 120 } });
    expect(uris(p.targetsFor({ region: 'uksouth' }))).toEqual([GLOBAL, UK]);
  });

  it("openCircuits 'skip' leaves open recorders out, unless every one is open; then all, in order", () => {
    const { pool: p } = pool({ openCircuits: 'skip' });
    const [uk, global] = p.targetsFor({ region: 'uksouth' });
    p.report(uk!, { ok: false, failure: { kind: 'status', status: 503, retryAfter: 60 } });
    expect(uris(p.targetsFor({ region: 'uksouth' }))).toEqual([GLOBAL]);
    p.report(global!, { ok: false, failure: { kind: 'status', status: 503, retryAfter: 60 } });
    expect(uris(p.targetsFor({ region: 'uksouth' }))).toEqual([UK, GLOBAL]);
  });
});

describe('RecorderPool OPTIONS pinging', () => {
  it('pings every known recorder each interval: answered = up, unanswered = down, the circuit opens, changes are logged', async () => {
    const clock = new Clock();
    const answers = new Map<string, PingOutcome>();
    const pinged: string[] = [];
    const { logger, lines } = logs();
    const p = new RecorderPool({
      logger,
      clock,
      health: { pingIntervalMs: 10_000, breaker: { failureThreshold: 2, openMs: 60_000 } },
      pinger: async (t) => (pinged.push(t.uri), answers.get(t.uri) ?? { kind: 'timeout' }),
    });
    p.track(p.targetsFor({ region: 'uksouth' }));
    answers.set(UK, { kind: 'response', status: 200 });
    answers.set(GLOBAL, { kind: 'transport', message: 'TLS handshake failed' });
    p.tick();
    await flush();
    expect(pinged).toEqual([UK, GLOBAL]);
    p.tick(); // not due yet
    await flush();
    expect(pinged).toHaveLength(2);
    expect(p.snapshot()).toEqual([
      expect.objectContaining({ uri: UK, status: 'up', state: 'closed' }),
      expect.objectContaining({ uri: GLOBAL, status: 'down', state: 'closed', lastError: 'OPTIONS transport error: TLS handshake failed' }),
    ]);
    clock.t += 10_000;
    answers.set(UK, { kind: 'response', status: 404 }); // any answer below 500: the recorder is there
    p.tick();
    await flush();
    expect(p.snapshot()).toEqual([expect.objectContaining({ uri: UK, status: 'up' }), expect.objectContaining({ uri: GLOBAL, status: 'down', state: 'open' })]);
    expect(uris(p.targetsFor({ region: 'global' }))).toEqual([GLOBAL]);
    expect(p.readiness()).toMatchObject({ ok: true, degraded: true, down: [GLOBAL] });
    expect(lines.filter((l) => l.obj['uri'] === GLOBAL).map((l) => l.msg)).toEqual(['recorder down, circuit closed', 'recorder down, circuit open']);
    expect(lines.filter((l) => l.obj['uri'] === UK).map((l) => [l.level, l.msg])).toEqual([['info', 'recorder up, circuit closed']]);
  });

  it('a pinger that throws counts as a transport failure; stop waits for pings in flight', async () => {
    const clock = new Clock();
    let release: () => void = () => undefined;
    const p = new RecorderPool({
      logger: logs().logger,
      clock,
      initialTargets: [{ uri: UK, host: 'uksouth.media.recording.dynamics.com', port: 5061 }],
      pinger: () => new Promise((_, reject) => (release = () => reject(new Error('socket hang up')))),
    });
    p.tick();
    const stopped = p.stop();
    release();
    await stopped;
    expect(p.snapshot()[0]).toMatchObject({ status: 'down', lastError: 'OPTIONS transport error: socket hang up', pingInFlight: false });
  });
});

describe('createOptionsPinger', () => {
  const target: RecorderTarget = { uri: 'sip:SRS@127.0.0.1:15061;transport=tls', host: '127.0.0.1', port: 15061 };
  const dest = { protocol: 'tls' as const, host: '127.0.0.1', port: 15061 };
  const stack = (request: (o: { method: string; uri: string; dest: unknown }) => Promise<unknown>, resolved: unknown[] = [dest]) => ({ resolve: async () => resolved, ua: { request } }) as never;
  const response = (status: number, headers: [string, string][] = []) => ({ status, reason: 'x', headers: new Map(headers.map(([k, v]) => [k, v])) });

  it('sends OPTIONS to the recorder URI over TLS and reports the final status (with Retry-After)', async () => {
    const seen: { method: string; uri: string; dest: unknown }[] = [];
    const ping = createOptionsPinger({ stack: stack(async (o) => (seen.push(o), response(503, [['Retry-After', '30 (maintenance)']]))) });
    await expect(ping(target)).resolves.toEqual({ kind: 'response', status: 503, retryAfter: 30 });
    expect(seen[0]).toMatchObject({ method: 'OPTIONS', uri: target.uri, dest });
  });

  it('no answer within its timeout = timeout; no address or not TLS = transport error', async () => {
    await expect(createOptionsPinger({ stack: stack(() => new Promise(() => undefined)), timeoutMs: 10 })(target)).resolves.toEqual({ kind: 'timeout' });
    await expect(createOptionsPinger({ stack: stack(async () => response(200), []) })(target)).resolves.toEqual({ kind: 'transport', message: 'no address for 127.0.0.1' });
    await expect(createOptionsPinger({ stack: stack(async () => response(200), [{ ...dest, protocol: 'udp' }]) })(target)).resolves.toMatchObject({ kind: 'transport', message: expect.stringMatching(/not TLS/) });
    await expect(createOptionsPinger({ stack: stack(() => Promise.reject(new Error('EPIPE'))) })(target)).resolves.toEqual({ kind: 'transport', message: 'EPIPE' });
  });
});

describe('RecorderPool.report, short outcome form (src/recording/ports.ts)', () => {
  it("'ok', statuses with Retry-After, timeouts and transport errors feed the breaker like the full form", () => {
    const p = new RecorderPool({ logger: logs().logger, clock: new Clock() });
    const [uk, global] = p.targetsFor({ region: 'uksouth' });
    p.report(uk!, { status: 503, error: 'Service Unavailable', retryAfterMs: 30_000 });
    expect(p.snapshot()[0]).toMatchObject({ state: 'open', lastError: '503 Service Unavailable' });
    p.report(global!, { error: 'timeout' });
    p.report(global!, { error: 'ECONNREFUSED' });
    expect(p.snapshot()[1]).toMatchObject({ consecutiveFailures: 2, lastError: 'transport error: ECONNREFUSED' });
    p.report(global!, 'ok');
    expect(p.snapshot()[1]).toMatchObject({ consecutiveFailures: 0, status: 'up' });
  });
});
