import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { waitFor } from '@ci-connector/platform-testing';
import { createSipStack, type Dialog, type IncomingInvite, type SipResponse, type SipStack, type SipStackOptions, type TerminationCause } from './index';
import { runSippUac, scenario, sdp, sippSummary, tapWire, type Protocol, type WireTap } from './testing/sipp-interop';

// Our stack as the UAS (ua.onInvite) against sipp UAC scenarios from
// src/sipp-scenarios/ (sipp-uas.int-spec.ts covers the plain answered call).
// What the UAS does is picked by the Request-URI user, set with sipp's -s.

interface Seen {
  invites: IncomingInvite[];
  cancelled: string[];
  acks: string[];
  ended: { callId: string; cause: TerminationCause }[];
  modified: Promise<SipResponse>[];
  byes: Promise<SipResponse | undefined>[];
}

async function uasStack(protocol: Protocol, transactions?: SipStackOptions['transactions']): Promise<{ stack: SipStack; port: number; tap: WireTap; seen: Seen }> {
  const stack = await createSipStack({ listen: [{ protocol, host: '127.0.0.1', port: 0 }], sessionTimer: false, ...(transactions ? { transactions } : {}) });
  const port = stack.addresses()[0]!.port;
  const seen: Seen = { invites: [], cancelled: [], acks: [], ended: [], modified: [], byes: [] };
  const watch = (dialog: Dialog) => {
    const callId = dialog.callId;
    dialog.on('ack', () => seen.acks.push(callId));
    dialog.on('terminated', ({ cause }) => seen.ended.push({ callId, cause }));
  };
  stack.ua.onInvite((inv) => {
    seen.invites.push(inv);
    const user = /^sips?:([^@;]+)@/.exec(inv.request.uri)?.[1];
    switch (user) {
      case 'busy':
        inv.reject(486);
        return;
      case 'ring':
        // Rings and never answers: only the caller's CANCEL ends it.
        inv.progress(180);
        inv.on('cancel', () => seen.cancelled.push(inv.request.headers.get('Call-ID') ?? ''));
        return;
      case 'hangup': {
        // Answers, then hangs up itself once the ACK is in.
        const dialog = inv.accept({ body: sdp(41_000), contentType: 'application/sdp' });
        watch(dialog);
        dialog.once('ack', () => seen.byes.push(dialog.bye()));
        return;
      }
      case 'glare': {
        inv.progress(180);
        const dialog = inv.accept({ body: sdp(41_000), contentType: 'application/sdp' });
        watch(dialog);
        // Change the session as soon as the call is up; sipp crosses it with its own re-INVITE.
        dialog.once('ack', () => seen.modified.push(dialog.modify(sdp(41_000, 2))));
        return;
      }
      default: {
        inv.progress(180);
        watch(inv.accept({ body: sdp(41_000), contentType: 'application/sdp' }));
      }
    }
  });
  return { stack, port, tap: tapWire(stack), seen };
}

describe.each(['udp', 'tcp'] as const)('our UAS against sipp UAC scenarios over %s', (protocol) => {
  let stack: SipStack;
  let port: number;
  let tap: WireTap;
  let seen: Seen;
  beforeAll(async () => {
    ({ stack, port, tap, seen } = await uasStack(protocol));
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    tap.clear();
    seen.invites.length = 0;
    seen.cancelled.length = 0;
    seen.acks.length = 0;
    seen.ended.length = 0;
    seen.modified.length = 0;
    seen.byes.length = 0;
  });

  it('rejects with 486; sipp expects the 486 and ACKs it on the INVITE branch, which our transaction absorbs', async () => {
    const r = await runSippUac({ scenario: scenario('uac-expect-486'), port, transport: protocol, calls: 5, rate: 20, deadlineMs: 15_000, extraArgs: ['-s', 'busy'] });
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 5, failed: 0 });
    expect(seen.invites.map((i) => i.state)).toEqual(Array(5).fill('rejected'));
    // The ACK matched each server transaction (§17.2.1): Confirmed (Timer I, T4 over UDP) or already gone (TCP).
    expect(seen.invites.map((i) => i.transaction.state)).toEqual(Array(5).fill(protocol === 'udp' ? 'confirmed' : 'terminated'));
    expect(tap.sentMatching('SIP/2.0 486')).toHaveLength(5);
    expect(tap.receivedMatching('ACK')).toHaveLength(5);
    expect(stack.ua.size).toBe(0);
  });

  it('sees the CANCEL of a ringing call: 200 for the CANCEL, 487 for the INVITE, ACK absorbed', async () => {
    const r = await runSippUac({ scenario: scenario('uac-cancel'), port, transport: protocol, calls: 5, rate: 20, deadlineMs: 15_000, extraArgs: ['-s', 'ring'] });
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 5, failed: 0 });
    expect(seen.invites.map((i) => i.state)).toEqual(Array(5).fill('cancelled'));
    expect(seen.cancelled.sort()).toEqual(seen.invites.map((i) => i.request.headers.get('Call-ID')).sort());
    expect(tap.sentMatching('SIP/2.0 487').map((m) => m.cseq)).toEqual(Array(5).fill('1 INVITE'));
    expect(tap.sentMatching('SIP/2.0 200').map((m) => m.cseq)).toEqual(Array(5).fill('1 CANCEL'));
    expect(seen.invites.map((i) => i.transaction.state)).toEqual(Array(5).fill(protocol === 'udp' ? 'confirmed' : 'terminated'));
    expect(stack.ua.size).toBe(0);
  });

  it('hangs up: its BYE reaches sipp (over the connection the call came in on, for TCP) and gets 200', async () => {
    const r = await runSippUac({ scenario: scenario('uac-wait-bye'), port, transport: protocol, calls: 3, rate: 20, deadlineMs: 15_000, extraArgs: ['-s', 'hangup'] });
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 3, failed: 0 });
    expect((await Promise.all(seen.byes)).map((res) => res?.status)).toEqual([200, 200, 200]);
    expect(seen.ended.map((e) => e.cause)).toEqual(Array(3).fill('bye-sent'));
    if (protocol === 'tcp') expect(stack.transport.connections().filter((c) => c.direction === 'outbound')).toHaveLength(0);
    expect(stack.ua.size).toBe(0);
  });

  it('refuses an INVITE that requires 100rel (not implemented) with 420 and Unsupported: 100rel', async () => {
    const r = await runSippUac({ scenario: scenario('uac-require-100rel'), port, transport: protocol, calls: 2, rate: 20, deadlineMs: 15_000 });
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 2, failed: 0 });
    expect(tap.sentMatching('SIP/2.0 420')).toHaveLength(2);
    expect(seen.invites).toHaveLength(0);
  });

  it('retransmits its 200 until the ACK (RFC 3261 §13.3.1.4): sipp holds the ACK until it saw the 200 twice', async () => {
    const r = await runSippUac({ scenario: scenario('uac-late-ack'), port, transport: protocol, calls: 3, rate: 20, deadlineMs: 15_000, extraArgs: ['-nr'] });
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 3, failed: 0 });
    for (const inv of seen.invites) {
      const callId = inv.request.headers.get('Call-ID');
      const oks = tap.sentMatching('SIP/2.0 200', callId).filter((m) => m.cseq === '1 INVITE');
      expect(oks.length).toBeGreaterThanOrEqual(2);
      // The first retransmission comes T1 (500 ms) after the 200.
      expect(oks[1]!.at - oks[0]!.at).toBeGreaterThanOrEqual(500 - 5);
    }
    expect(seen.acks).toHaveLength(3);
    expect(seen.ended.map((e) => e.cause)).toEqual(Array(3).fill('bye-received'));
    expect(stack.ua.size).toBe(0);
  });

  it('gives up on a 200 that is never ACKed after 64*T1 and ends the dialog with BYE (ack-timeout)', async () => {
    const t1 = 50;
    const fast = await uasStack(protocol, { t1 });
    try {
      const started = performance.now();
      const r = await runSippUac({ scenario: scenario('uac-never-ack'), port: fast.port, transport: protocol, calls: 1, rate: 10, deadlineMs: 15_000 });
      expect(r.successful === 1 && r.failed === 0 && r.code === 0 ? 'ok' : sippSummary(r)).toBe('ok');
      expect(fast.seen.ended.map((e) => e.cause)).toEqual(['ack-timeout']);
      const oks = fast.tap.sentMatching('SIP/2.0 200').filter((m) => m.cseq === '1 INVITE');
      const bye = fast.tap.sentMatching('BYE');
      expect(bye).toHaveLength(1);
      // 200 at once, then retransmitted at T1, 2T1, 4T1 … until 64*T1 (T2 = 4 s is never reached here).
      expect(oks.length).toBeGreaterThanOrEqual(6);
      expect(bye[0]!.at - oks[0]!.at).toBeGreaterThanOrEqual(64 * t1 - 5);
      expect(performance.now() - started).toBeLessThan(64 * t1 + 3000);
      expect(fast.seen.acks).toHaveLength(0);
    } finally {
      await fast.stack.close();
    }
  });

  it('answers 481 to a BYE for a dialog it does not know, a BYE without To tag, and a CANCEL matching nothing', async () => {
    const r = await runSippUac({ scenario: scenario('uac-unknown-dialog'), port, transport: protocol, calls: 3, rate: 20, deadlineMs: 15_000 });
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 3, failed: 0 });
    expect(tap.sentMatching('SIP/2.0 481').map((m) => m.cseq.split(' ')[1])).toEqual(expect.arrayContaining(['BYE', 'CANCEL']));
    expect(tap.sentMatching('SIP/2.0 481')).toHaveLength(9);
    expect(seen.invites).toHaveLength(0);
  });

  it('answers 491 to a re-INVITE from sipp that crosses its own pending re-INVITE (glare), whose 200 then completes', async () => {
    const r = await runSippUac({ scenario: scenario('uac-glare'), port, transport: protocol, calls: 1, rate: 10, deadlineMs: 15_000, extraArgs: ['-s', 'glare'] });
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 1, failed: 0 });
    expect(seen.modified).toHaveLength(1);
    const res = await seen.modified[0]!;
    expect(res.status).toBe(200);
    const callId = seen.invites[0]!.request.headers.get('Call-ID');
    expect(tap.sentMatching('SIP/2.0 491', callId).map((m) => m.cseq)).toEqual(['2 INVITE']);
    // One re-INVITE of ours, answered at the first attempt (no 491 came back to us).
    expect(tap.sentMatching('INVITE', callId)).toHaveLength(1);
    expect(seen.ended).toEqual([{ callId, cause: 'bye-received' }]);
  });

  it('answers a malformed request (no Call-ID) with 400 naming the problem, and keeps taking calls', async () => {
    const broken = [
      'INVITE sip:service@127.0.0.1 SIP/2.0',
      `Via: SIP/2.0/${protocol.toUpperCase()} 127.0.0.1:9;branch=z9hG4bK-broken-1`,
      'From: <sip:sipp@127.0.0.1>;tag=broken',
      'To: <sip:service@127.0.0.1>',
      'CSeq: 1 INVITE',
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const answer = await sendRaw(protocol, port, Buffer.from(broken));
    const statusLine = answer.slice(0, answer.indexOf('\r\n'));
    expect(statusLine).toMatch(/^SIP\/2\.0 400 .*Call-ID/i);
    expect(answer).toMatch(/^CSeq: 1 INVITE\r$/im);
    expect(seen.invites).toHaveLength(0);

    // Garbage that is not even a request gets no answer (nothing to answer to) and changes nothing.
    await sendRaw(protocol, port, Buffer.from('this is not SIP\r\n\r\n'), 300).catch(() => undefined);

    const r = await runSippUac({ scenario: 'uac', port, transport: protocol, calls: 3, rate: 20, deadlineMs: 15_000, extraArgs: ['-d', '50'] });
    expect(r.successful === 3 && r.failed === 0 ? 'ok' : sippSummary(r)).toBe('ok');
    await waitFor('three calls ended', () => seen.ended.length === 3, 5_000);
    expect(seen.ended.map((e) => e.cause)).toEqual(Array(3).fill('bye-received'));
  });
});

/** Sends raw bytes to 127.0.0.1:port and resolves with the first answer (UDP datagram, or what the TCP connection returns). */
function sendRaw(protocol: Protocol, port: number, data: Buffer, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      cleanup();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    let cleanup: () => void;
    if (protocol === 'udp') {
      const socket = createSocket('udp4');
      cleanup = () => {
        clearTimeout(timer);
        socket.close();
      };
      socket.on('error', fail);
      socket.on('message', (msg) => {
        cleanup();
        resolve(msg.toString('latin1'));
      });
      socket.bind(0, '127.0.0.1', () => socket.send(data, port, '127.0.0.1'));
    } else {
      const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
      let received = '';
      cleanup = () => {
        clearTimeout(timer);
        socket.destroy();
      };
      socket.on('error', fail);
      socket.on('connect', () => socket.write(data));
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        if (received.includes('\r\n\r\n')) {
          cleanup();
          resolve(received);
        }
      });
    }
  });
}
