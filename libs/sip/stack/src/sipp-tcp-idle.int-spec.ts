import { createSipStack, type SipStack, type TerminationCause } from './index';
import { runSippUac, sdp, settleSipps, startSippUas } from './testing/sipp-interop';

// KNOWN BUG (fails until fixed): createSipStack does not hold the TCP/TLS
// connection a dialog was set up over (API.md "Wiring", step 6), so the
// transport's idle timeout (idleTimeoutMs, default 60 s) closes it in the
// middle of any call that is quiet for longer than that (session timers off,
// or their refresh interval above the idle timeout: the default 1800 s refreshes
// every 900 s). Peers that keep one connection per call (sipp -t t1, NATed
// clients, a TLS SRS that cannot dial back) lose the call: the BYE never comes
// or ours fails with 503. Here the idle timeout is 500 ms and the call lasts
// 1.5 s, standing for a 60 s timeout and a longer call.

const idleTimeoutMs = 500;
const callLengthMs = 1500;
const stacks: SipStack[] = [];
afterAll(async () => {
  await settleSipps();
  await Promise.all(stacks.map((s) => s.close()));
});

async function tcpStack(): Promise<SipStack> {
  const stack = await createSipStack({ listen: [{ protocol: 'tcp', host: '127.0.0.1', port: 0 }], sessionTimer: false, transport: { idleTimeoutMs } });
  stacks.push(stack);
  return stack;
}

describe('a TCP call longer than the transport idle timeout', () => {
  it('as UAS: sipp uac keeps its connection and its BYE ends the dialog', async () => {
    const stack = await tcpStack();
    const ended: TerminationCause[] = [];
    stack.ua.onInvite((inv) => inv.accept({ body: sdp(42_000), contentType: 'application/sdp' }).on('terminated', ({ cause }) => ended.push(cause)));
    const r = await runSippUac({ scenario: 'uac', port: stack.addresses()[0]!.port, transport: 'tcp', calls: 1, rate: 10, deadlineMs: 10_000, extraArgs: ['-d', String(callLengthMs)] });
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 1, failed: 0 });
    expect(ended).toEqual(['bye-received']);
  });

  it('as UAC: our BYE after a quiet call reaches sipp uas over the call connection and gets 200', async () => {
    const stack = await tcpStack();
    const sipp = await startSippUas({ scenario: 'uas', transport: 'tcp', calls: 1, deadlineMs: 15_000 });
    const outcome = await stack.ua.invite({
      uri: `sip:service@127.0.0.1:${sipp.port};transport=tcp`,
      dest: { protocol: 'tcp', host: '127.0.0.1', port: sipp.port },
      from: '<sip:ci@127.0.0.1>',
      body: sdp(42_000),
      contentType: 'application/sdp',
    }).result;
    if (!outcome.answered) throw new Error(`call failed: ${outcome.response.status}`);
    await new Promise((resolve) => setTimeout(resolve, callLengthMs));
    expect(stack.transport.connections()).toHaveLength(1);
    expect((await outcome.dialog.bye())?.status).toBe(200);
    const r = await sipp.done;
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 1, failed: 0 });
  });
});
