import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mintCerts } from '@ci-connector/ci-emulator-testing';
import { freePort, runSipp, udpPortBound, waitFor, type SippResult } from '@ci-connector/platform-testing';
import { startApp, type AppProcess } from './testing/app-process';

// The TLS trunk listener against a real TLS peer. sipp 3.6.1 has no TLS, so
// Kamailio 5.6 stands in front as the carrier's edge proxy:
//   sipp UAC --UDP--> Kamailio --TLS, client certificate--> sip-signaling --UDP--> sipp UAS
// (kamailio/trunk-relay.cfg: stateful, record-routing). sip-signaling demands
// a client certificate of its CA (SIP_TLS_REQUIRE_CLIENT_CERT=true). Kamailio
// logs where each request and reply came from: a message on the connection
// Kamailio opened to us comes "from" our listener's port, one on a connection
// we would have opened to Kamailio from an ephemeral port.

const run = promisify(execFile);
const scenario = (name: string) => join(__dirname, 'sipp-scenarios', `${name}.xml`);
const CALLEE = '+442079460018';

let work: string;
let certs: string;
let app: AppProcess;
let trunkPort: number;
let uasPort: number;
let kamailio: Kamailio;
const sipps = new Set<Promise<SippResult>>();
const started: Kamailio[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sip-signaling-tls-'));
  certs = join(work, 'certs');
  // ca.pem + https.pem (CN=localhost, IP:127.0.0.1: sip-signaling's server certificate) + carrier.pem
  // (the carrier's client certificate); then a CA of nobody we trust and a client certificate it signed.
  mintCerts(certs);
  mintCerts(certs, 'ca', 'rogue-ca', 'Rogue CA');
  mintCerts(certs, 'signed-by', 'rogue-ca', 'rogue', 'sbc.rogue.example', 'Rogue Carrier');
  [trunkPort, uasPort] = [await freePort(), await freePort()];
  app = await startApp({
    work,
    tenants: { tenants: { 'tenant-a': { match: { calledNumbers: ['+4420*'] }, nextHop: `sip:127.0.0.1:${uasPort}`, dialerCallIdHeader: 'X-Dialer-Call-Id' } } },
    env: {
      SIP_TLS: 'true',
      SIP_TLS_PORT: String(trunkPort),
      SIP_TLS_CERT_FILE: join(certs, 'https.pem'),
      SIP_TLS_KEY_FILE: join(certs, 'https-key.pem'),
      SIP_TLS_CA_FILE: join(certs, 'ca.pem'),
      SIP_TLS_REQUIRE_CLIENT_CERT: 'true',
      SIP_UNKNOWN_TENANT: 'reject-404',
    },
  });
  kamailio = await startKamailio('carrier', { cert: 'carrier', method: 'TLSv1.2+' });
});

afterAll(async () => {
  await Promise.allSettled([...sipps]);
  for (const k of started) await k.stop();
  if (process.env['SS_DEBUG']) {
    process.stderr.write(app?.output() ?? '');
    for (const k of started) process.stderr.write(k.log());
  }
  await app?.stop();
  rmSync(work, { recursive: true, force: true });
});

function track(p: Promise<SippResult>): Promise<SippResult> {
  sipps.add(p);
  void p.finally(() => sipps.delete(p)).catch(() => undefined);
  return p;
}

const ok = (r: SippResult, n = 1) => (r.successful === n && r.failed === 0 ? 'ok' : JSON.stringify({ code: r.code, killed: r.killedAtDeadline, ok: r.successful, failed: r.failed, stderr: r.stderr.slice(-3000) }));

async function startUas(name: string, keys: Record<string, string> = {}): Promise<{ done: Promise<SippResult> }> {
  const done = track(runSipp({ scenario: scenario(name), localPort: uasPort, controlPort: await freePort(), calls: 1, deadlineMs: 30_000, keys }));
  let exited = false;
  void done.then(() => (exited = true));
  await waitFor(`sipp ${name} listening`, () => exited || udpPortBound(uasPort), 10_000, 20);
  // Wrapped: an async function returning the promise itself would wait for sipp to exit.
  return { done };
}

/** sipp as the carrier's caller, sending to Kamailio's UDP side. */
async function callThrough(k: Kamailio, name: string, keys: Record<string, string> = {}, extraArgs: string[] = []): Promise<SippResult> {
  return track(runSipp({ scenario: scenario(name), remote: `127.0.0.1:${k.udpPort}`, localPort: await freePort(), controlPort: await freePort(), calls: 1, deadlineMs: 30_000, keys, extraArgs }));
}

/** Kamailio's "ci-relay:" lines about SIP messages that came over TLS, as `<what> from <port>`. */
function tlsArrivals(k: Kamailio, sipCallId: string): string[] {
  return k
    .log()
    .split('\n')
    .flatMap((l) => {
      const m = /ci-relay: (request \S+|reply \d+ .*?) (\S+) from tls:127\.0\.0\.1:(\d+) at /.exec(l);
      // 100 Trying is hop by hop and sent only when the answer takes longer than 200 ms: left out.
      if (!m || m[2] !== sipCallId || m[1]?.startsWith('reply 100 ')) return [];
      return [`${m[1]} from ${m[3] === String(trunkPort) ? 'our listener port' : `port ${m[3]}`}`];
    });
}

/** The SIP Call-ID of the last call sip-signaling logged as come in. */
function lastCallIn(): { sipCallId: string; source: string; tlsPeer?: string } {
  const lines = app.output().split('\n').filter((l) => l.includes('"msg":"call in"'));
  return JSON.parse(lines[lines.length - 1] ?? '{}') as { sipCallId: string; source: string; tlsPeer?: string };
}

describe('the TLS trunk listener behind Kamailio (mutual TLS)', () => {
  it('takes a call over TLS from Kamailio\'s client certificate: INVITE/200/ACK/BYE, media anchored, every answer on Kamailio\'s own connection', async () => {
    const [aPortFile, bPortFile] = [join(work, 'a-port'), join(work, 'b-port')];
    const { done: uas } = await startUas('uas-answer', { port_file: bPortFile, rtp_port: String(await freePort()) });
    const uac = await callThrough(
      kamailio,
      'uac-call-routed',
      { port_file: aPortFile, rtp_port: String(await freePort()), callee: CALLEE, caller: '+15551234567', caller_name: 'Kenny Smith', callee_name: 'Alex Baker', dialer_id: 'TLS' },
      ['-d', '500'],
    );
    expect(ok(uac)).toBe('ok');
    expect(ok(await uas)).toBe('ok');

    // Both sipps saw SDP pointing at rtpengine (the scenarios check 30000-30999 and write the port).
    const ports = [aPortFile, bPortFile].map((f) => (existsSync(f) ? Number(readFileSync(f, 'utf8')) : NaN));
    for (const p of ports) expect(p).toBeGreaterThanOrEqual(30000);

    // sip-signaling took it over TLS and saw the carrier's certificate.
    const call = lastCallIn();
    expect(call.source).toMatch(/^tls:127\.0\.0\.1:\d+$/);
    expect(call.tlsPeer).toBe('CN=sbc.carrier.example,O=Example Carrier');
    // The log line arrives through sip-signaling's asynchronous stdout: wait for it, then assert it.
    await waitFor('sip-signaling to log the call ended', () => /"callId":"TLS-1".*"msg":"call ended"/.test(app.output()), 10_000, 50).catch(() => undefined);
    expect(app.output()).toMatch(/"callId":"TLS-1".*"msg":"call ended"/);
    // Kamailio got every response (to the INVITE, to the caller's BYE) over the connection it opened
    // (RFC 3261 §18.2.2): sip-signaling has no client certificate Kamailio would take for a connection of its own.
    expect(tlsArrivals(kamailio, call.sipCallId)).toEqual(['reply 180 Ringing from our listener port', 'reply 200 OK from our listener port', 'reply 200 OK from our listener port']);
    await waitFor('no call left', async () => (await app.calls()).length === 0, 5_000, 50);
  });

  it('relays the callee\'s BYE back to Kamailio over the TLS connection Kamailio opened', async () => {
    const { done: uas } = await startUas('uas-answer-hangup');
    const uac = await callThrough(kamailio, 'uac-wait-bye-routed', { callee: CALLEE });
    expect(ok(uac)).toBe('ok');
    expect(ok(await uas)).toBe('ok');
    const call = lastCallIn();
    expect(tlsArrivals(kamailio, call.sipCallId)).toEqual(['reply 180 Ringing from our listener port', 'reply 200 OK from our listener port', 'request BYE from our listener port']);
    await waitFor('no call left', async () => (await app.calls()).length === 0, 5_000, 50);
  });

  it.each([
    // TLS 1.2: the handshake itself ends without a client certificate. TLS 1.3: Kamailio's side of the
    // handshake completes first and sends the INVITE; sip-signaling closes before reading any of it.
    ['without a client certificate (TLS 1.2)', 'no-cert', undefined, 'TLSv1.2'],
    ['with a client certificate from another CA (TLS 1.3)', 'rogue', 'rogue', 'TLSv1.2+'],
  ] as const)('refuses Kamailio %s at TLS, and keeps serving', async (_name, id, cert, method) => {
    const rogue = await startKamailio(id, { ...(cert ? { cert } : {}), method });
    const callsIn = app.output().split('"msg":"call in"').length;
    const refused = await callThrough(rogue, 'uac-bad-invite', {
      callee: CALLEE,
      from_tag: ';tag=rogue',
      cseq_header: 'CSeq: 1 INVITE',
      max_forwards: '70',
      extra_header: `X-Case: ${id}`,
      content_type: 'application/sdp',
      cl_suffix: '',
      sdp_c: 'c=IN IP4 127.0.0.1',
      sdp_m: 'm=audio 4000 RTP/AVP 0',
    });
    // Kamailio could not get the INVITE through (no answer came back over TLS) and failed it towards the caller.
    expect(ok(refused)).toBe('ok');
    const sipCallId = /ci-relay: request INVITE (\S+) from udp:/.exec(rogue.log())?.[1] ?? 'none';
    expect(sipCallId).not.toBe('none');
    expect(tlsArrivals(rogue, sipCallId)).toEqual([]);
    // Nothing of it reached the SIP layer of sip-signaling.
    expect(app.output().split('"msg":"call in"').length).toBe(callsIn);
    expect(app.output()).not.toContain(sipCallId);
    expect(await app.calls()).toEqual([]);
    await rogue.stop();

    // The carrier's Kamailio still gets its calls through.
    const { done: uas } = await startUas('uas-answer-hangup');
    expect(ok(await callThrough(kamailio, 'uac-wait-bye-routed', { callee: CALLEE }))).toBe('ok');
    expect(ok(await uas)).toBe('ok');
    expect(await app.alive()).toBe(true);
  });

  it('closes a plain-TCP client sending garbage to the TLS port, and keeps serving', async () => {
    const closed = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: trunkPort, localAddress: '127.0.0.1' });
      let received = '';
      const timer = setTimeout(() => reject(new Error('the TLS listener kept the garbage connection open for 10 s')), 10_000);
      socket.on('connect', () => socket.write('INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9\r\n\r\n'));
      socket.on('data', (d) => (received += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(received.startsWith('SIP/') ? received : 'closed without a SIP answer');
      });
    });
    expect(closed).toBe('closed without a SIP answer');
    const { done: uas } = await startUas('uas-answer-hangup');
    expect(ok(await callThrough(kamailio, 'uac-wait-bye-routed', { callee: CALLEE }))).toBe('ok');
    expect(ok(await uas)).toBe('ok');
  });
});

// --- Kamailio, started by its PID file and stopped by that PID --------------------------------

interface Kamailio {
  udpPort: number;
  tlsPort: number;
  log(): string;
  stop(): Promise<void>;
}

function render(template: string, vars: Record<string, string>): string {
  const out = template.replace(/\{\{([A-Z_]+)\}\}/g, (_m, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`no value for {{${name}}}`);
    return v;
  });
  return out;
}

/** Kamailio relaying UDP → sip-signaling's TLS listener, with the client certificate `cert` (none when undefined). */
async function startKamailio(name: string, opts: { cert?: string; method: 'TLSv1.2+' | 'TLSv1.2' }): Promise<Kamailio> {
  const dir = join(work, `kamailio-${name}`);
  const runDir = join(dir, 'run');
  mkdirSync(runDir, { recursive: true });
  const [udpPort, tlsPort] = [await freePort(), await freePort()];
  const cfgPath = join(dir, 'kamailio.cfg');
  const tlsCfgPath = join(dir, 'tls.cfg');
  const pidFile = join(runDir, 'kamailio.pid');
  const templates = join(__dirname, 'kamailio');
  writeFileSync(
    tlsCfgPath,
    render(readFileSync(join(templates, 'tls.cfg'), 'utf8'), {
      SERVER_CERT: join(certs, 'carrier.pem'),
      SERVER_KEY: join(certs, 'carrier-key.pem'),
      CA: join(certs, 'ca.pem'),
      CLIENT_METHOD: opts.method,
      CLIENT_CERT_LINES: opts.cert ? `certificate = ${join(certs, `${opts.cert}.pem`)}\nprivate_key = ${join(certs, `${opts.cert}-key.pem`)}` : '',
    }),
  );
  writeFileSync(cfgPath, render(readFileSync(join(templates, 'trunk-relay.cfg'), 'utf8'), { UDP_PORT: String(udpPort), TLS_PORT: String(tlsPort), TLS_CFG: tlsCfgPath, TRUNK_PORT: String(trunkPort) }));
  await run('kamailio', ['-f', cfgPath, '-c'], { timeout: 20_000 }).catch((err: { stderr?: string }) => {
    throw new Error(`kamailio -c refused ${cfgPath}:\n${err.stderr ?? String(err)}`);
  });

  let log = '';
  const child: ChildProcess = spawn('kamailio', ['-f', cfgPath, '-Y', runDir, '-P', pidFile, '-m', '64', '-M', '8', '-DD', '-E'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-500_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Every process still running with our config (the main one and the workers it forked).
  const processes = async () => (await run('pgrep', ['-f', cfgPath]).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean).map(Number);
  let stopped = false;
  const k: Kamailio = {
    udpPort,
    tlsPort,
    log: () => log,
    async stop() {
      if (stopped) return;
      stopped = true;
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : child.pid;
      if (pid && child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      // Workers the main process did not take down with it: by their PIDs.
      await waitFor(`Kamailio ${name} gone`, async () => (await processes()).length === 0, 5_000, 100).catch(async (err: unknown) => {
        for (const left of await processes()) process.kill(left, 'SIGKILL');
        throw err;
      });
    },
  };
  started.push(k);
  try {
    await waitFor(`Kamailio ${name}: its pid file`, () => existsSync(pidFile), 10_000, 50);
    await waitFor(`Kamailio ${name}: UDP ${udpPort} bound`, () => udpPortBound(udpPort), 10_000, 50);
  } catch (err) {
    throw new Error(`${String(err)}\nkamailio stderr:\n${log.slice(-5000)}`);
  }
  return k;
}
