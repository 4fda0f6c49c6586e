import { waitFor } from '@ci-connector/platform-testing';
import { createSipStack, isSyntheticResponse, type InviteOutcome, type OutgoingInvite, type SipResponse, type SipStack, type SipStackOptions, type TerminationCause } from './index';
import { scenario, sdp, settleSipps, startSippUas, tapWire, type Protocol, type WireTap } from './testing/sipp-interop';

// Our stack as the UAC (ua.invite) against sipp as the UAS: the built-in `uas`
// and the custom scenarios in src/sipp-scenarios/.

const stacks: SipStack[] = [];
afterAll(async () => {
  await settleSipps();
  await Promise.all(stacks.map((s) => s.close()));
});

async function stackOn(protocol: Protocol, extra: Partial<SipStackOptions> = {}): Promise<{ stack: SipStack; tap: WireTap }> {
  const stack = await createSipStack({ listen: [{ protocol, host: '127.0.0.1', port: 0 }], sessionTimer: false, ...extra });
  stacks.push(stack);
  return { stack, tap: tapWire(stack) };
}

function call(stack: SipStack, protocol: Protocol, port: number, user = 'service'): OutgoingInvite {
  return stack.ua.invite({
    uri: `sip:${user}@127.0.0.1:${port}${protocol === 'tcp' ? ';transport=tcp' : ''}`,
    dest: { protocol, host: '127.0.0.1', port },
    from: '<sip:ci@127.0.0.1>',
    body: sdp(40_000),
    contentType: 'application/sdp',
  });
}

function failed(outcome: InviteOutcome): SipResponse {
  if (outcome.answered) throw new Error(`expected a failure, got ${outcome.response.status}`);
  return outcome.response;
}

describe.each(['udp', 'tcp'] as const)('our UAC against sipp as UAS over %s', (protocol) => {
  let stack: SipStack;
  let tap: WireTap;
  beforeAll(async () => {
    ({ stack, tap } = await stackOn(protocol));
  });
  beforeEach(() => tap.clear());

  it('calls sipp uas: 200 received, ACK sent, BYE answered 200, sipp counts every call successful', async () => {
    const calls = 5;
    const sipp = await startSippUas({ scenario: 'uas', transport: protocol, calls, deadlineMs: 20_000 });
    const outcomes = await Promise.all(Array.from({ length: calls }, () => call(stack, protocol, sipp.port).result));
    const causes: TerminationCause[] = [];
    const byes: (number | undefined)[] = [];
    for (const outcome of outcomes) {
      expect(outcome.answered).toBe(true);
      expect(outcome.response.status).toBe(200);
      if (!outcome.answered) continue;
      outcome.dialog.on('terminated', ({ cause }) => causes.push(cause));
      expect(outcome.dialog.remoteBody?.body.toString()).toContain('m=audio');
      byes.push((await outcome.dialog.bye())?.status);
    }
    const r = await sipp.done;
    expect(byes).toEqual(Array(calls).fill(200));
    expect(causes).toEqual(Array(calls).fill('bye-sent'));
    // One ACK per call, each for the call's 200 (CSeq 1), and one BYE.
    for (const outcome of outcomes) {
      const callId = outcome.response.headers.get('Call-ID');
      expect(tap.sentMatching('ACK', callId).map((m) => m.cseq)).toEqual(['1 ACK']);
      expect(tap.sentMatching('BYE', callId)).toHaveLength(1);
    }
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: calls, failed: 0 });
    expect(stack.ua.size).toBe(0);
  });

  it('is hung up by sipp: the BYE from the callee ends our dialog with 200 (bye-received)', async () => {
    const sipp = await startSippUas({ scenario: scenario('uas-answer-hangup'), transport: protocol, calls: 2, deadlineMs: 15_000 });
    const outcomes = await Promise.all([0, 1].map(() => call(stack, protocol, sipp.port).result));
    const ended = outcomes.map((outcome) => {
      if (!outcome.answered) throw new Error(`call failed: ${outcome.response.status}`);
      const dialog = outcome.dialog;
      return new Promise<TerminationCause>((resolve) => dialog.on('terminated', ({ cause }) => resolve(cause)));
    });
    expect(await Promise.all(ended)).toEqual(['bye-received', 'bye-received']);
    const r = await sipp.done;
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 2, failed: 0 });
    expect(tap.sentMatching('SIP/2.0 200').map((m) => m.cseq)).toEqual(['1 BYE', '1 BYE']);
    expect(stack.ua.size).toBe(0);
  });

  it('is rejected with 486 and ACKs it: sipp only succeeds once the ACK for the 486 arrived', async () => {
    const sipp = await startSippUas({ scenario: scenario('uas-reject-486'), transport: protocol, calls: 3, deadlineMs: 15_000 });
    const outcomes = await Promise.all([0, 1, 2].map(() => call(stack, protocol, sipp.port).result));
    for (const outcome of outcomes) {
      expect(outcome.answered).toBe(false);
      expect(failed(outcome).status).toBe(486);
      expect(isSyntheticResponse(outcome.response)).toBe(false);
    }
    const r = await sipp.done;
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 3, failed: 0 });
    expect(stack.ua.size).toBe(0);
  });

  it('cancels after the 180: sipp answers the CANCEL 200 and the INVITE 487, and gets the ACK', async () => {
    const sipp = await startSippUas({ scenario: scenario('uas-ring-cancel'), transport: protocol, calls: 2, deadlineMs: 15_000 });
    const attempts = [0, 1].map(() => {
      const c = call(stack, protocol, sipp.port);
      c.on('provisional', (res) => {
        if (res.status === 180) c.cancel();
      });
      return c;
    });
    const outcomes = await Promise.all(attempts.map((c) => c.result));
    const r = await sipp.done;
    for (const [i, outcome] of outcomes.entries()) {
      expect(failed(outcome).status).toBe(487);
      expect(isSyntheticResponse(outcome.response)).toBe(false);
      expect(attempts[i]!.state).toBe('cancelled');
      const callId = outcome.response.headers.get('Call-ID');
      expect(tap.sentMatching('CANCEL', callId)).toHaveLength(1);
      expect(tap.receivedMatching('SIP/2.0 200', callId).map((m) => m.cseq)).toEqual(['1 CANCEL']);
      expect(tap.sentMatching('ACK', callId).map((m) => m.cseq)).toEqual(['1 ACK']);
    }
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 2, failed: 0 });
    expect(stack.ua.size).toBe(0);
  });

  it('times out with a synthetic 408 after Timer B (64*T1) when sipp never answers', async () => {
    const t1 = 50;
    const { stack: fast, tap: fastTap } = await stackOn(protocol, { transactions: { t1 } });
    const sipp = await startSippUas({ scenario: scenario('uas-silent'), transport: protocol, calls: 1, deadlineMs: 15_000 });
    const started = performance.now();
    const outcome = await call(fast, protocol, sipp.port).result;
    const elapsed = performance.now() - started;
    const res = failed(outcome);
    expect(res.status).toBe(408);
    expect(isSyntheticResponse(res)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(64 * t1 - 5);
    expect(elapsed).toBeLessThan(64 * t1 + 1500);
    // Over UDP Timer A retransmitted the INVITE meanwhile (T1, 2T1, 4T1 … capped at T2); over TCP never.
    const invites = fastTap.sentMatching('INVITE');
    if (protocol === 'udp') expect(invites.length).toBeGreaterThanOrEqual(6);
    else expect(invites).toHaveLength(1);
    expect(fastTap.sentMatching('CANCEL')).toHaveLength(0);
    const r = await sipp.done;
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 1 });
    expect(fast.ua.size).toBe(0);
  });

  it('retries a re-INVITE refused with 491 after the §14.1 back-off (we own the Call-ID: 2.1–4 s) and succeeds', async () => {
    const sipp = await startSippUas({ scenario: scenario('uas-glare-491'), transport: protocol, calls: 1, deadlineMs: 20_000 });
    const outcome = await call(stack, protocol, sipp.port).result;
    if (!outcome.answered) throw new Error(`call failed: ${outcome.response.status}`);
    const dialog = outcome.dialog;
    const res = await dialog.modify(sdp(40_000, 2));
    expect(res.status).toBe(200);
    expect(dialog.remoteBody?.body.toString()).toContain('o=sipp 1 2 ');
    const reinvites = tap.sentMatching('INVITE', dialog.callId).slice(1);
    expect(reinvites).toHaveLength(2);
    expect(tap.receivedMatching('SIP/2.0 491', dialog.callId)).toHaveLength(1);
    const gap = reinvites[1]!.at - reinvites[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(2100 - 50);
    expect(gap).toBeLessThan(4000 + 1000);
    expect((await dialog.bye())?.status).toBe(200);
    const r = await sipp.done;
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 1, failed: 0 });
    // Every final response got its ACK: the 491 (transaction layer) and both 200s (dialog; sent once the next hop is resolved).
    expect(tap.sentMatching('ACK', dialog.callId).map((m) => m.cseq)).toEqual(['1 ACK', '2 ACK', '3 ACK']);
  });
});

describe.each(['udp', 'tcp'] as const)('our UAC against a sipp UAS that repeats its 200 over %s', (protocol) => {
  it('ACKs every 2xx again: while the INVITE transaction is Accepted and after Timer M (a stray 2xx)', async () => {
    const t1 = 50;
    const { stack, tap } = await stackOn(protocol, { transactions: { t1 } });
    const sipp = await startSippUas({ scenario: scenario('uas-repeat-200'), transport: protocol, calls: 1, deadlineMs: 15_000, extraArgs: ['-nr'] });
    const outcome = await call(stack, protocol, sipp.port).result;
    if (!outcome.answered) throw new Error(`call failed: ${outcome.response.status}`);
    const callId = outcome.dialog.callId;
    await waitFor('three ACKs', () => tap.sentMatching('ACK', callId).length >= 3, 10_000);
    expect(tap.receivedMatching('SIP/2.0 200', callId)).toHaveLength(3);
    expect(tap.sentMatching('ACK', callId).map((m) => m.cseq)).toEqual(['1 ACK', '1 ACK', '1 ACK']);
    expect(stack.transactions.size).toBe(0); // the third 200 came after Timer M
    expect((await outcome.dialog.bye())?.status).toBe(200);
    const r = await sipp.done;
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 1, failed: 0 });
  });
});

describe('our UAC against sipp UASs that drop requests (UDP only)', () => {
  it('retransmits the INVITE on Timer A (T1, then 2*T1) until the UAS answers', async () => {
    const t1 = 100;
    const { stack, tap } = await stackOn('udp', { transactions: { t1 } });
    // -nr: sipp would otherwise swallow the retransmissions instead of matching them to the scenario.
    const sipp = await startSippUas({ scenario: scenario('uas-ignore-invite'), transport: 'udp', calls: 1, deadlineMs: 15_000, extraArgs: ['-nr'] });
    const outcome = await call(stack, 'udp', sipp.port).result;
    expect(failed(outcome).status).toBe(486);
    const invites = tap.sentMatching('INVITE');
    expect(invites).toHaveLength(3);
    const [a, b, c] = invites.map((m) => m.at) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(t1 - 5);
    expect(c - b).toBeGreaterThanOrEqual(2 * t1 - 5);
    expect(tap.sentMatching('ACK').map((m) => m.cseq)).toEqual(['1 ACK']);
    const r = await sipp.done;
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 1, failed: 0 });
  });

  it('retransmits the BYE on Timer E until the UAS answers it', async () => {
    const t1 = 100;
    const { stack, tap } = await stackOn('udp', { transactions: { t1 } });
    const sipp = await startSippUas({ scenario: scenario('uas-ignore-bye'), transport: 'udp', calls: 1, deadlineMs: 15_000, extraArgs: ['-nr'] });
    const outcome = await call(stack, 'udp', sipp.port).result;
    if (!outcome.answered) throw new Error(`call failed: ${outcome.response.status}`);
    expect((await outcome.dialog.bye())?.status).toBe(200);
    const byes = tap.sentMatching('BYE');
    expect(byes).toHaveLength(2);
    expect(byes[1]!.at - byes[0]!.at).toBeGreaterThanOrEqual(t1 - 5);
    const r = await sipp.done;
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 1, failed: 0 });
  });
});
