import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runSipp, waitFor, type SippResult, udpPortBound } from '@ci-connector/platform-testing';
import { startApp as startAppProcess, type AppProcess } from './testing/app-process';

// Runs the BUILT app (nx builds it before this target) between two real sipp
// instances — sipp UAC → sip-signaling → sipp UAS over UDP — with media
// anchored in the real rtpengine of deploy/local and the real Redis.

const scenario = (name: string) => join(__dirname, 'sipp-scenarios', `${name}.xml`);
const CALLEE = '+442079460018';

type App = AppProcess & { uasPort: number };

const apps: App[] = [];
const sipps = new Set<Promise<SippResult>>();
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'sip-signaling-int-'));
});

afterAll(async () => {
  if (process.env['SS_DEBUG']) for (const app of apps) process.stderr.write(app.output());
  await Promise.allSettled([...sipps]);
  for (const app of apps) if (app.running()) await app.stop();
  rmSync(work, { recursive: true, force: true });
});

async function startApp(env: Record<string, string> = {}): Promise<App> {
  const uasPort = await freePort();
  const app = Object.assign(
    await startAppProcess({
      work,
      tenants: { tenants: { 'tenant-a': { match: { calledNumbers: ['+4420*'] }, nextHop: `sip:127.0.0.1:${uasPort}`, dialerCallIdHeader: 'X-Dialer-Call-Id' } } },
      env: { SIP_UNKNOWN_TENANT: 'reject-404', ...env },
    }),
    { uasPort },
  );
  apps.push(app);
  return app;
}

function track(p: Promise<SippResult>): Promise<SippResult> {
  sipps.add(p);
  void p.finally(() => sipps.delete(p)).catch(() => undefined);
  return p;
}

/** sipp as the callee on the app's next hop; resolves once it listens. */
async function startUas(app: App, name: string, calls: number, keys: Record<string, string> = {}, extraArgs: string[] = []): Promise<{ done: Promise<SippResult> }> {
  const done = track(runSipp({ scenario: scenario(name), localPort: app.uasPort, controlPort: await freePort(), calls, deadlineMs: 30_000, keys, extraArgs }));
  let exited = false;
  void done.then(() => (exited = true));
  await waitFor(`sipp ${name} listening`, () => exited || udpPortBound(app.uasPort), 10_000, 20);
  // Wrapped: an async function returning the promise itself would wait for sipp to exit.
  return { done };
}

async function runUac(app: App, name: string, calls: number, keys: Record<string, string> = {}, extraArgs: string[] = [], rate = 10): Promise<SippResult> {
  return track(
    runSipp({ scenario: scenario(name), remote: `127.0.0.1:${app.sipPort}`, localPort: await freePort(), controlPort: await freePort(), calls, rate, deadlineMs: 45_000, keys, extraArgs: ['-s', CALLEE, ...extraArgs] }),
  );
}

const ok = (r: SippResult, n: number) => (r.successful === n && r.failed === 0 ? 'ok' : JSON.stringify({ code: r.code, killed: r.killedAtDeadline, ok: r.successful, failed: r.failed, stderr: r.stderr.slice(-2000) }));

async function udpSocket(): Promise<{ socket: Socket; port: number; received: Buffer[] }> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { socket, port: socket.address().port, received };
}

function rtp(seq: number, payload: number): Buffer {
  const b = Buffer.alloc(12 + 160, payload);
  b[0] = 0x80;
  b[1] = 0; // PCMU
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(0x1234abcd + payload, 8);
  return b;
}

describe('sip-signaling B2BUA (sipp ↔ sip-signaling ↔ sipp, real rtpengine)', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp();
  });

  it('relays a call, anchors both SDPs in rtpengine and carries RTP both ways through it; the caller hangs up', async () => {
    const [a, b] = [await udpSocket(), await udpSocket()];
    const aPortFile = join(work, 'aport');
    const bPortFile = join(work, 'bport');
    try {
      const uas = await startUas(app, 'uas-answer', 1, { port_file: bPortFile, rtp_port: String(b.port) });
      const uac = runUac(app, 'uac-call', 1, { port_file: aPortFile, rtp_port: String(a.port), callee: CALLEE, caller: '+15551234567', caller_name: 'Kenny Smith', callee_name: 'Alex Baker', dialer_id: 'CA77' }, ['-d', '4000']);

      // Both sipps checked the SDP they got points at rtpengine (30000-30999) and wrote its port.
      const ports = await waitFor('both anchored ports', () => (existsSync(aPortFile) && existsSync(bPortFile) ? [Number(readFileSync(aPortFile, 'utf8')), Number(readFileSync(bPortFile, 'utf8'))] : undefined), 10_000, 20);
      const [aSide, bSide] = ports as [number, number];
      expect(aSide).toBeGreaterThanOrEqual(30000);
      expect(bSide).toBeGreaterThanOrEqual(30000);
      expect([aSide, bSide]).not.toContain(a.port);
      expect([aSide, bSide]).not.toContain(b.port);

      const calls = (await (await fetch(`${app.http}/calls`)).json()) as { calls: { callId: string; tenantId: string; anchored: boolean; callIdSource: string }[] };
      expect(calls.calls).toEqual([expect.objectContaining({ callId: 'CA77-1', callIdSource: 'dialer', tenantId: 'tenant-a', anchored: true })]);

      // Caller → rtpengine (A side) → callee's socket, and back.
      for (let i = 0; i < 20; i++) a.socket.send(rtp(i, 0x11), aSide, '127.0.0.1');
      await waitFor('RTP at the callee', () => b.received.length >= 15, 5_000, 20);
      for (let i = 0; i < 20; i++) b.socket.send(rtp(i, 0x22), bSide, '127.0.0.1');
      await waitFor('RTP at the caller', () => a.received.length >= 15, 5_000, 20);
      expect(b.received.every((p) => p.subarray(12).every((x) => x === 0x11))).toBe(true);
      expect(a.received.every((p) => p.subarray(12).every((x) => x === 0x22))).toBe(true);

      expect(ok(await uac, 1)).toBe('ok');
      expect(ok(await uas.done, 1)).toBe('ok');
      await waitFor('no call left', async () => ((await (await fetch(`${app.http}/drain`)).json()) as { activeCalls: number }).activeCalls === 0, 5_000);
      expect(app.output()).toMatch(/"callId":"CA77-1".*"msg":"call ended"/);
    } finally {
      a.socket.close();
      b.socket.close();
    }
  });

  it('relays the callee hanging up', async () => {
    const uas = await startUas(app, 'uas-answer-hangup', 1);
    const uac = await runUac(app, 'uac-wait-bye', 1);
    expect(ok(uac, 1)).toBe('ok');
    expect(ok(await uas.done, 1)).toBe('ok');
  });

  it('relays CANCEL of a ringing call (200 + 487 to the caller, CANCEL to the callee)', async () => {
    const uas = await startUas(app, 'uas-ring-cancel', 1);
    const uac = await runUac(app, 'uac-cancel', 1);
    expect(ok(uac, 1)).toBe('ok');
    expect(ok(await uas.done, 1)).toBe('ok');
  });

  it('relays 486 Busy Here', async () => {
    const uas = await startUas(app, 'uas-reject-486', 1);
    const uac = await runUac(app, 'uac-expect-486', 1);
    expect(ok(uac, 1)).toBe('ok');
    expect(ok(await uas.done, 1)).toBe('ok');
  });

  it('relays early media (183 with SDP), hold and resume re-INVITEs with rtpengine SDP, and INFO', async () => {
    const uas = await startUas(app, 'uas-features', 1);
    const uac = await runUac(app, 'uac-features', 1);
    expect(ok(uac, 1)).toBe('ok');
    expect(ok(await uas.done, 1)).toBe('ok');
  });

  it('answers a malformed INVITE with 400 and an unknown tenant with 404, and keeps serving', async () => {
    expect(ok(await runUac(app, 'uac-malformed', 1), 1)).toBe('ok');
    const stranger = await track(
      runSipp({ scenario: scenario('uac-expect-404'), remote: `127.0.0.1:${app.sipPort}`, localPort: await freePort(), controlPort: await freePort(), calls: 1, deadlineMs: 15_000, extraArgs: ['-s', '+33123456789'] }),
    );
    expect(ok(stranger, 1)).toBe('ok');
    const uas = await startUas(app, 'uas-answer-hangup', 1);
    expect(ok(await runUac(app, 'uac-wait-bye', 1), 1)).toBe('ok');
    expect(ok(await uas.done, 1)).toBe('ok');
    expect(app.running()).toBe(true);
  });
});

describe('sip-signaling drain on SIGTERM', () => {
  it('with 50 calls up: readiness 503, new INVITEs get 503 + Retry-After, all 50 finish normally, then the process exits 0', async () => {
    const CALLS = 50;
    const app = await startApp({ DRAIN_GRACE: '30s', SHUTDOWN_TIMEOUT: '45s', DRAIN_RETRY_AFTER: '7' });
    const [a, b] = [await udpSocket(), await udpSocket()];
    try {
      const uas = await startUas(app, 'uas-answer', CALLS, { port_file: join(work, 'drain-b'), rtp_port: String(b.port) });
      // 50 calls at 25/s, each held 10 s by the caller, then BYE.
      const uac = runUac(app, 'uac-call', CALLS, { port_file: join(work, 'drain-a'), rtp_port: String(a.port), callee: CALLEE, caller: '+15551234567', caller_name: 'A', callee_name: 'B', dialer_id: 'D' }, ['-d', '10000', '-l', String(CALLS)], 25);
      const answered = async () => ((await (await fetch(`${app.http}/calls`)).json()) as { calls: { state: string }[] }).calls.filter((c) => c.state === 'answered').length;
      await waitFor(`${CALLS} calls up`, async () => (await answered()) === CALLS, 15_000, 50);

      process.kill(app.pid, 'SIGTERM');
      await waitFor('draining', async () => ((await (await fetch(`${app.http}/drain`)).json()) as { draining: boolean }).draining, 5_000, 20);
      expect((await fetch(`${app.http}/health/ready`)).status).toBe(503);
      expect(((await (await fetch(`${app.http}/drain`)).json()) as { activeCalls: number }).activeCalls).toBe(CALLS);

      // A new call is refused with 503 and Retry-After (the scenario checks both).
      expect(ok(await runUac(app, 'uac-expect-503', 1), 1)).toBe('ok');

      // Every call up before SIGTERM ends the normal way: the caller's BYE, answered 200.
      expect(ok(await uac, CALLS)).toBe('ok');
      expect(ok(await uas.done, CALLS)).toBe('ok');
      expect(await app.exited).toBe(0);
      expect(app.output()).toMatch(/"msg":"drained"/);
      expect(app.output()).not.toMatch(/"level":"(error|fatal)"/);
    } finally {
      a.socket.close();
      b.socket.close();
    }
  }, 90_000);
});
