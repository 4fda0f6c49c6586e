import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runSipp, udpPortBound, waitFor, type SippResult } from '@ci-connector/platform-testing';
import { startApp, type AppProcess } from './testing/app-process';

// Bad input never crashes sip-signaling and gets the answer it calls for, with
// a reason phrase and/or a Warning (RFC 3261 §20.43) naming what is wrong.
// The BUILT app runs with the real rtpengine and Redis; sipp sends the
// malformed INVITEs (sipp-scenarios/uac-bad-invite.xml, one key per defect)
// over UDP and TCP, raw sockets what sipp cannot send (no Call-ID, garbage).
// After each case the process is alive and a normal call completes.

const scenario = (name: string) => join(__dirname, 'sipp-scenarios', `${name}.xml`);
const CALLEE = '+442079460018'; // tenant-a matches +4420…
const STRANGER = '+33123456789'; // no tenant matches

let work: string;
const sipps = new Set<Promise<SippResult>>();
const apps: AppProcess[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'sip-signaling-bad-input-'));
});

afterAll(async () => {
  await Promise.allSettled([...sipps]);
  for (const app of apps) {
    if (process.env['SS_DEBUG']) process.stderr.write(app.output());
    await app.stop();
  }
  rmSync(work, { recursive: true, force: true });
});

function track(p: Promise<SippResult>): Promise<SippResult> {
  sipps.add(p);
  void p.finally(() => sipps.delete(p)).catch(() => undefined);
  return p;
}

const ok = (r: SippResult, n = 1) => (r.successful === n && r.failed === 0 ? 'ok' : JSON.stringify({ code: r.code, killed: r.killedAtDeadline, ok: r.successful, failed: r.failed, stderr: r.stderr.slice(-3000) }));

/** The app with tenant-a (+4420…) whose next hop is a sipp UAS on `uasPort`. */
async function appWith(env: Record<string, string>): Promise<{ app: AppProcess; uasPort: number }> {
  const uasPort = await freePort();
  const app = await startApp({ work, tenants: { tenants: { 'tenant-a': { match: { calledNumbers: ['+4420*'] }, nextHop: `sip:127.0.0.1:${uasPort}` } } }, env });
  apps.push(app);
  return { app, uasPort };
}

async function startUas(port: number, name: string, keys: Record<string, string> = {}): Promise<{ done: Promise<SippResult> }> {
  const done = track(runSipp({ scenario: scenario(name), localPort: port, controlPort: await freePort(), calls: 1, deadlineMs: 30_000, keys }));
  let exited = false;
  void done.then(() => (exited = true));
  await waitFor(`sipp ${name} listening`, () => exited || udpPortBound(port), 10_000, 20);
  // Wrapped: an async function returning the promise itself would wait for sipp to exit.
  return { done };
}

/** The process is alive and a plain call to tenant-a completes (the callee hangs up). */
async function normalCallCompletes(app: AppProcess, uasPort: number): Promise<string> {
  if (!(await app.alive())) return `sip-signaling is not alive:\n${app.output().slice(-3000)}`;
  const { done: uas } = await startUas(uasPort, 'uas-answer-hangup');
  const uac = await track(runSipp({ scenario: scenario('uac-wait-bye'), remote: `127.0.0.1:${app.sipPort}`, localPort: await freePort(), controlPort: await freePort(), calls: 1, deadlineMs: 20_000, extraArgs: ['-s', CALLEE] }));
  const r = [ok(uac), ok(await uas)];
  return r.every((x) => x === 'ok') ? 'ok' : r.join('\n');
}

// --- sipp's message log (-trace_msg): the responses it received -------------------------------

interface Received {
  status: number;
  reason: string;
  header(name: string): string[];
}

function receivedResponses(log: string): Received[] {
  return log
    .split(/^-{20,} .*$/m)
    .filter((block) => /^\s*(UDP|TCP) message received/.test(block))
    .map((block) => {
      const text = block.slice(block.indexOf('SIP/2.0 '));
      const head = text.slice(0, text.indexOf('\r\n\r\n'));
      const [statusLine = '', ...lines] = head.split('\r\n');
      const m = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(statusLine);
      return {
        status: Number(m?.[1]),
        reason: m?.[2] ?? '',
        header: (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`)).map((l) => l.slice(name.length + 1).trim()),
      };
    });
}

// --- the malformed INVITEs ---------------------------------------------------------------------

type Keys = 'callee' | 'from_tag' | 'cseq_header' | 'max_forwards' | 'extra_header' | 'content_type' | 'cl_suffix' | 'sdp_c' | 'sdp_m';

/** A well-formed INVITE to tenant-a; each case changes one thing. */
const WELL_FORMED: Record<Keys, string> = {
  callee: CALLEE,
  from_tag: ';tag=bad-input',
  cseq_header: 'CSeq: 1 INVITE',
  max_forwards: '70',
  extra_header: 'X-Case: bad input',
  content_type: 'application/sdp',
  cl_suffix: '',
  sdp_c: 'c=IN IP4 127.0.0.1',
  sdp_m: 'm=audio 4000 RTP/AVP 0',
};

interface BadInvite {
  name: string;
  keys: Partial<Record<Keys, string>>;
  /** On a stream the body length is what Content-Length says: a longer one waits for the rest (RFC 3261 §18.3). */
  udpOnly?: boolean;
  status: number;
  reason: string;
  /** Headers of the answer, by name: the value, or a pattern it matches. */
  headers: Record<string, string | RegExp>;
}

const BAD_INVITES: BadInvite[] = [
  { name: 'a From without tag', keys: { from_tag: '' }, status: 400, reason: 'Missing From tag', headers: { Warning: /^399 - "the From header has no tag: \\"Bad Input\\" <sip:\+15551234567@127\.0\.0\.1:\d+>"$/ } },
  { name: 'a Content-Length larger than the body', keys: { cl_suffix: '0' }, udpOnly: true, status: 400, reason: 'Content-Length mismatch', headers: { Warning: /^399 - "Content-Length mismatch: the header says \d+, the body has \d+ bytes"$/ } },
  { name: 'a body that is not SDP (text/plain)', keys: { content_type: 'text/plain' }, status: 415, reason: 'Unsupported Media Type', headers: { Accept: 'application/sdp', Warning: '399 - "the INVITE body is text/plain; only application/sdp can be anchored"' } },
  { name: 'an application/sdp body that is not SDP', keys: { sdp_c: 'hello world' }, status: 488, reason: 'Not Acceptable Here', headers: { Warning: '399 - "bad SDP offer: line 4 is not <type>=<value>: \\"hello world\\""' } },
  { name: 'an SDP with a port out of range', keys: { sdp_m: 'm=audio 99999 RTP/AVP 0' }, status: 488, reason: 'Not Acceptable Here', headers: { Warning: '399 - "bad SDP offer: bad m= line \\"m=audio 99999 RTP/AVP 0\\""' } },
  { name: 'an SDP with a host name for address', keys: { sdp_c: 'c=IN IP4 media.example.com' }, status: 488, reason: 'Not Acceptable Here', headers: { Warning: /^301 - "bad SDP offer: the c= address/ } },
  { name: 'an unsupported Require', keys: { extra_header: 'Require: 100rel, x-ci-unknown' }, status: 420, reason: 'Bad Extension', headers: { Unsupported: '100rel, x-ci-unknown' } },
  { name: 'Max-Forwards 0', keys: { max_forwards: '0' }, status: 483, reason: 'Too Many Hops', headers: { Warning: '399 - "Max-Forwards is 0: the call cannot be forwarded"' } },
  { name: 'a 10 KB header', keys: { extra_header: `X-Huge: ${'a'.repeat(10_000)}` }, status: 513, reason: 'Message Too Large', headers: { Warning: '399 - "Message Too Large: the X-Huge header is longer than 8192 characters"' } },
  { name: 'an unknown tenant (SIP_UNKNOWN_TENANT=reject-404)', keys: { callee: STRANGER }, status: 404, reason: 'Not Found (unknown tenant)', headers: { Warning: /^399 - "unknown tenant: no tenant rule matches this call/ } },
];

/** Sends one bad INVITE with sipp over `transport`; the responses sipp got (it ACKs the final one). */
async function sendBadInvite(app: AppProcess, transport: 'udp' | 'tcp', keys: Partial<Record<Keys, string>>): Promise<{ result: SippResult; responses: Received[] }> {
  const messages = join(work, `messages-${await freePort()}.log`);
  const result = await track(
    runSipp({
      scenario: scenario('uac-bad-invite'),
      remote: `127.0.0.1:${app.sipPort}`,
      localPort: await freePort(),
      controlPort: await freePort(),
      transport,
      calls: 1,
      deadlineMs: 15_000,
      keys: { ...WELL_FORMED, ...keys },
      extraArgs: ['-trace_msg', '-message_file', messages],
    }),
  );
  return { result, responses: existsSync(messages) ? receivedResponses(readFileSync(messages, 'latin1')) : [] };
}

function expectAnswer(responses: Received[], c: Pick<BadInvite, 'status' | 'reason' | 'headers'>): void {
  const final = responses.filter((r) => r.status >= 200);
  expect(final.length).toBeGreaterThan(0);
  for (const r of final) {
    expect(`${r.status} ${r.reason}`).toBe(`${c.status} ${c.reason}`);
    for (const [name, want] of Object.entries(c.headers)) {
      const got = r.header(name);
      expect(got).toHaveLength(1);
      if (typeof want === 'string') expect(got[0]).toBe(want);
      else expect(got[0]).toMatch(want);
    }
  }
}

describe('malformed INVITEs get the answer they call for, and sip-signaling keeps serving', () => {
  let app: AppProcess;
  let uasPort: number;
  beforeAll(async () => {
    ({ app, uasPort } = await appWith({ SIP_UNKNOWN_TENANT: 'reject-404' }));
  });

  for (const transport of ['udp', 'tcp'] as const) {
    const cases = BAD_INVITES.filter((c) => transport === 'udp' || !c.udpOnly);
    it.each(cases.map((c) => [c.name, c] as const))(`over ${transport.toUpperCase()}: %s`, async (_name, c) => {
      const { result, responses } = await sendBadInvite(app, transport, c.keys);
      expect(ok(result)).toBe('ok');
      expectAnswer(responses, c);
      expect(await app.calls()).toEqual([]);
      expect(await normalCallCompletes(app, uasPort)).toBe('ok');
    });
  }

  // sipp matches an answer to its call by Call-ID and CSeq: these go from a raw socket.
  const RAW_INVITES: { name: string; edit: RawEdit; statusLine: string; warning: string }[] = [
    { name: 'no Call-ID', edit: { drop: 'Call-ID' }, statusLine: 'SIP/2.0 400 Missing Call-ID header', warning: '399 - "Missing Call-ID header"' },
    { name: 'no CSeq', edit: { drop: 'CSeq' }, statusLine: 'SIP/2.0 400 Missing CSeq header', warning: '399 - "Missing CSeq header"' },
    {
      name: 'a CSeq of another method',
      edit: { set: ['CSeq', '1 BYE'] },
      statusLine: 'SIP/2.0 400 CSeq method does not match the request',
      warning: '399 - "CSeq method does not match the request: \\"BYE\\" in CSeq, \\"INVITE\\" in the Request-Line"',
    },
    { name: 'a CSeq without number', edit: { set: ['CSeq', 'one INVITE'] }, statusLine: 'SIP/2.0 400 Bad CSeq header', warning: '399 - "Bad CSeq header: bad CSeq \\"one INVITE\\""' },
  ];
  for (const transport of ['udp', 'tcp'] as const) {
    it.each(RAW_INVITES.map((c) => [c.name, c] as const))(`over ${transport.toUpperCase()}, from a raw socket: %s`, async (_name, c) => {
      const answer = await exchange(transport, app.sipPort, [rawInvite(transport, c.edit)]);
      expect(answer.responses).toHaveLength(1);
      const [statusLine, ...headers] = (answer.responses[0] ?? '').split('\r\n\r\n')[0]?.split('\r\n') ?? [];
      expect(statusLine).toBe(c.statusLine);
      expect(headers.filter((h) => h.startsWith('Warning:'))).toEqual([`Warning: ${c.warning}`]);
      expect(await app.calls()).toEqual([]);
      expect(await normalCallCompletes(app, uasPort)).toBe('ok');
    });
  }

  it('garbage datagrams get no answer at all (only the OPTIONS sent after them is answered)', async () => {
    const garbage = [
      Buffer.from([0x00, 0xff, 0x13, 0x37, 0x80, 0x01]),
      Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      Buffer.from('INVITE sip:+442079460018@127.0.0.1 SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\n\r\n'), // no Via: nowhere to answer
      Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-none\r\n\r\n'), // a stray, broken response
      Buffer.alloc(1400, 0x41),
      Buffer.from('\r\n\r\n'),
    ];
    const answer = await exchange('udp', app.sipPort, [...garbage, options('after-garbage')]);
    expect(answer.responses).toHaveLength(1);
    expect(answer.responses[0]).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(answer.responses[0]).toMatch(/^Call-ID: after-garbage\r$/m);
    expect(await normalCallCompletes(app, uasPort)).toBe('ok');
  });

  it.each([
    ['binary garbage with no end of headers', Buffer.alloc(20_000, '\x00\xffGARBAGE\x7f', 'latin1')],
    ['a header section without Content-Length', Buffer.from('INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-x\r\n\r\n')],
    ['an INVITE announcing a 10 MB body', rawInvite('tcp', { contentLength: 10_000_000 })],
  ])('a TCP stream of %s: no answer, the connection is closed', async (_name, data) => {
    const answer = await exchange('tcp', app.sipPort, [data]);
    expect(answer).toEqual({ responses: [], closedByPeer: true });
    expect(await normalCallCompletes(app, uasPort)).toBe('ok');
  });

  it('a TCP INVITE whose body never comes (the caller closes): no answer, nothing held', async () => {
    const answer = await exchange('tcp', app.sipPort, [rawInvite('tcp', { contentLength: 500 })], { endAfterSend: true });
    expect(answer.responses).toEqual([]);
    expect(await app.calls()).toEqual([]);
    expect(await normalCallCompletes(app, uasPort)).toBe('ok');
  });
});

describe('unknown tenants', () => {
  it('SIP_UNKNOWN_TENANT=reject-403: 403 naming the unknown tenant; the known tenant\'s calls go on', async () => {
    const { app, uasPort } = await appWith({ SIP_UNKNOWN_TENANT: 'reject-403' });
    for (const transport of ['udp', 'tcp'] as const) {
      const { result, responses } = await sendBadInvite(app, transport, { callee: STRANGER });
      expect(ok(result)).toBe('ok');
      expectAnswer(responses, {
        status: 403,
        reason: 'Forbidden (unknown tenant)',
        headers: { Warning: /^399 - "unknown tenant: no tenant rule matches this call \(From \\"Bad Input\\" <sip:\+15551234567@127\.0\.0\.1:\d+>;tag=bad-input, To <sip:\+33123456789@127\.0\.0\.1:\d+>, source 127\.0\.0\.1\)"$/ },
      });
    }
    expect(await normalCallCompletes(app, uasPort)).toBe('ok');
    expect(app.output()).toMatch(/"status":403,.*"msg":"call refused: unknown tenant"/);
    // GET /metrics: both refusals by reason, the normal call answered.
    const metrics = await app.metrics();
    expect(metrics).toMatch(/^cic_sip_calls_refused_total\{reason="unknown_tenant"\} 2$/m);
    expect(metrics).toMatch(/^cic_sip_calls_total\{outcome="answered"\} 1$/m);
    expect(metrics).toMatch(/^cic_sip_active_calls 0$/m);
  });

  it('SIP_UNKNOWN_TENANT=relay: the call is relayed (to SIP_OUTBOUND_PROXY), media anchored, and not recorded', async () => {
    const proxyPort = await freePort();
    const { app } = await appWith({ SIP_UNKNOWN_TENANT: 'relay', SIP_OUTBOUND_PROXY: `sip:127.0.0.1:${proxyPort}`, SIP_DIALER_CALL_ID_HEADER: 'X-Dialer-Call-Id' });
    const [aPortFile, bPortFile] = [join(work, 'relay-a'), join(work, 'relay-b')];
    const { done: uas } = await startUas(proxyPort, 'uas-answer', { port_file: bPortFile, rtp_port: String(await freePort()) });
    const uac = track(
      runSipp({
        scenario: scenario('uac-call'),
        remote: `127.0.0.1:${app.sipPort}`,
        localPort: await freePort(),
        controlPort: await freePort(),
        calls: 1,
        deadlineMs: 30_000,
        keys: { port_file: aPortFile, rtp_port: String(await freePort()), callee: STRANGER, caller: '+15551234567', caller_name: 'Stranger', callee_name: 'Somebody', dialer_id: 'RELAY' },
        extraArgs: ['-d', '2000'],
      }),
    );
    // Up, without tenant; both sides' SDP point at rtpengine (the scenarios check 30000-30999 and write the port).
    const up = await waitFor('the relayed call up', async () => (await app.calls()).find((c) => c.state === 'answered'), 10_000, 50);
    expect(up).toEqual(expect.objectContaining({ callId: 'RELAY-1', anchored: true }));
    expect(up.tenantId).toBeUndefined();
    expect(ok(await uac)).toBe('ok');
    expect(ok(await uas)).toBe('ok');
    expect(existsSync(aPortFile) && existsSync(bPortFile)).toBe(true);
    await waitFor('the recording decision', () => /"callId":"RELAY-1".*"reason":"unknown-tenant".*"msg":"recording decision: do not record"/.test(app.output()), 5_000, 50);
    expect(app.output()).not.toMatch(/call refused: unknown tenant/);
  });
});

// --- raw sockets ---------------------------------------------------------------------------------

/** How a raw INVITE differs from a well-formed one: a header left out, a header's value replaced, the Content-Length. */
interface RawEdit {
  drop?: string;
  set?: [string, string];
  contentLength?: number;
}

function rawInvite(transport: 'udp' | 'tcp', opts: RawEdit): Buffer {
  const sdp = 'v=0\r\no=raw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
  const lines = [
    `INVITE sip:${CALLEE}@127.0.0.1 SIP/2.0`,
    // rport (RFC 3581): the answer comes back to the socket's port, not to the sent-by port 9.
    `Via: SIP/2.0/${transport.toUpperCase()} 127.0.0.1:9;rport;branch=z9hG4bK-raw-${Math.random().toString(36).slice(2)}`,
    'From: <sip:+15551234567@127.0.0.1>;tag=raw',
    `To: <sip:${CALLEE}@127.0.0.1>`,
    `Call-ID: raw-${Math.random().toString(36).slice(2)}`,
    'CSeq: 1 INVITE',
    'Contact: <sip:raw@127.0.0.1:9>',
    'Max-Forwards: 70',
    'Content-Type: application/sdp',
    `Content-Length: ${opts.contentLength ?? Buffer.byteLength(sdp)}`,
  ]
    .filter((l) => !opts.drop || !l.startsWith(`${opts.drop}:`))
    .map((l) => (opts.set && l.startsWith(`${opts.set[0]}:`) ? `${opts.set[0]}: ${opts.set[1]}` : l));
  return Buffer.from([...lines, '', sdp].join('\r\n'));
}

function options(callId: string): Buffer {
  return Buffer.from(
    [`OPTIONS sip:127.0.0.1 SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK-opt-${callId}`, 'From: <sip:probe@127.0.0.1>;tag=probe', 'To: <sip:127.0.0.1>', `Call-ID: ${callId}`, 'CSeq: 1 OPTIONS', 'Max-Forwards: 70', 'Content-Length: 0', '', ''].join('\r\n'),
  );
}

/**
 * Sends `messages` in order from one socket and collects what comes back.
 * UDP: until the last message (a request that must be answered) got its answer;
 * the datagrams are handled in order, so anything the earlier ones caused would
 * have arrived first. TCP: until the peer closes the connection, or (with
 * answers expected) the first whole answer.
 */
function exchange(transport: 'udp' | 'tcp', port: number, messages: Buffer[], opts: { endAfterSend?: boolean } = {}): Promise<{ responses: string[]; closedByPeer?: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no end of the ${transport} exchange within 10 s`)), 10_000);
    if (transport === 'udp') {
      const socket = createSocket('udp4');
      const responses: string[] = [];
      socket.on('error', reject);
      socket.on('message', (m) => {
        responses.push(m.toString('latin1'));
        clearTimeout(timer);
        socket.close();
        resolve({ responses });
      });
      socket.bind(0, '127.0.0.1', () => {
        for (const m of messages) socket.send(m, port, '127.0.0.1');
      });
      return;
    }
    const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
    let received = '';
    const done = (closedByPeer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses: received === '' ? [] : [received], ...(closedByPeer ? { closedByPeer } : {}) });
    };
    socket.on('error', (err) => (received === '' ? done(true) : reject(err)));
    socket.on('connect', () => {
      for (const m of messages) socket.write(m);
      if (opts.endAfterSend) socket.end();
    });
    socket.on('data', (d) => {
      received += d.toString('latin1');
      if (received.includes('\r\n\r\n')) done(false);
    });
    socket.on('end', () => done(true));
  });
}
