import type { SipRequest, SipResponse } from '../message/types';
import { FakeTimers } from '../transaction/fake-timers';
import { InMemoryNetwork, isRequest, run } from '../transaction/test-support';
import type { Dialog } from './dialog';
import { SDP_A, SDP_B, makeUa, world, type UaOptions } from './test-support';
import type { TerminationReason } from './types';

function customWorld(aliceOpts: UaOptions, bobOpts: UaOptions) {
  const timers = new FakeTimers();
  const net = new InMemoryNetwork(timers, 5);
  const alice = makeUa(net, timers, 'alice', '10.0.0.1', aliceOpts);
  const bob = makeUa(net, timers, 'bob', '10.0.0.2', bobOpts);
  return { timers, net, alice, bob };
}

type World = ReturnType<typeof world>;

async function call(w: World): Promise<{ a: Dialog; b: Dialog }> {
  let b: Dialog | undefined;
  w.bob.ua.onInvite((inv) => (b = inv.accept({ body: SDP_B })));
  const out = w.alice.ua.invite({ uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>', body: SDP_A });
  await run(w.timers, 50);
  const res = await out.result;
  if (!res.answered || !b) throw new Error(`call failed: ${res.response.status}`);
  return { a: res.dialog, b };
}

const requests = (w: World, method: string) => w.net.log.filter((r) => !r.dropped && isRequest(method)(r.msg));
const sdp = (v: number, who = 'alice') => SDP_A.replace('o=alice 1 1', `o=${who} 1 ${v}`);

describe('re-INVITE and UPDATE (RFC 3261 §14, RFC 3311)', () => {
  it('a re-INVITE changes the session: the peer answers, the ACK goes out, both sides hold the new bodies', async () => {
    const w = world();
    const { a, b } = await call(w);
    const acks: SipRequest[] = [];
    b.on('ack', (ack) => acks.push(ack));
    b.on('request', (r) => r.respond(200, { body: SDP_B.replace('5000', '5002') }));
    const pending = a.modify(sdp(2));
    await run(w.timers, 100);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(a.remoteBody?.body.toString()).toContain('5002');
    expect(b.remoteBody?.body.toString()).toContain('o=alice 1 2');
    expect(acks).toHaveLength(1);
    const reinvite = requests(w, 'INVITE')[1]?.msg as SipRequest;
    expect(reinvite.headers.get('CSeq')).toBe('2 INVITE');
    expect(reinvite.headers.get('Contact')).toBe('<sip:alice@10.0.0.1:5060>');
    expect(reinvite.headers.get('Session-Expires')).toBe('1800;refresher=uas');
  });

  it('an UPDATE carries an offer and its 2xx the answer; a rejected re-INVITE changes nothing', async () => {
    const w = world();
    const { a, b } = await call(w);
    b.on('request', (r) => (r.method === 'UPDATE' ? r.respond(200, { body: SDP_B.replace('5000', '5004') }) : r.respond(488)));
    const upd = a.modify(sdp(2), { method: 'UPDATE' });
    await run(w.timers, 100);
    expect((await upd).status).toBe(200);
    expect(a.remoteBody?.body.toString()).toContain('5004');
    const bad = a.modify(sdp(3));
    await run(w.timers, 100);
    expect((await bad).status).toBe(488);
    expect(b.remoteBody?.body.toString()).toContain('o=alice 1 2');
    expect(a.localBody?.body.toString()).toContain('o=alice 1 2');
    expect(a.state).toBe('confirmed');
  });

  it('refuses to start an INVITE while another is in progress (§14.1): a local 491', async () => {
    const w = world();
    const { a, b } = await call(w);
    b.on('request', (r) => w.timers.setTimer(500, () => r.respond(200, { body: SDP_B })));
    const first = a.modify(sdp(2));
    const second = a.modify(sdp(3), { glareRetries: 0 });
    expect((await second).status).toBe(491);
    await run(w.timers, 1000);
    expect((await first).status).toBe(200);
  });

  it('glare: both send a re-INVITE at once, both get 491, each retries after its back-off, both succeed', async () => {
    const w = world();
    const { a, b } = await call(w);
    a.on('request', (r) => r.respond(200, { body: SDP_A }));
    b.on('request', (r) => r.respond(200, { body: SDP_B }));
    const start = w.timers.now();
    const fromA = a.modify(sdp(2));
    const fromB = b.modify(SDP_B.replace('o=bob 1 1', 'o=bob 1 2'));
    await run(w.timers, 6_000);
    expect((await fromA).status).toBe(200);
    expect((await fromB).status).toBe(200);
    const sent = requests(w, 'INVITE').slice(1).map((r) => `${r.from.startsWith('10.0.0.1') ? 'alice' : 'bob'}@${r.at - start}`);
    const responses491 = w.net.log.filter((r) => r.msg.kind === 'response' && r.msg.status === 491).length;
    expect(responses491).toBe(2);
    // random() = 0.5: bob (not the Call-ID owner) waits 10*floor(0.5*201) = 1000 ms, alice 2100 + 10*floor(0.5*191) = 3050 ms,
    // counted from the 491 (received 10 ms after sending).
    expect(sent).toEqual(['alice@0', 'bob@0', 'bob@1010', 'alice@3060']);
  });

  it('an UPDATE with an offer while our own offer is open gets 491 (RFC 3311 §5.2)', async () => {
    const w = world();
    const { a, b } = await call(w);
    b.on('request', (r) => {
      if (r.method === 'INVITE') w.timers.setTimer(1000, () => r.respond(200, { body: SDP_B }));
    });
    a.on('request', (r) => r.respond(200, { body: SDP_A }));
    const reinvite = a.modify(sdp(2));
    await run(w.timers, 20);
    // Alice's offer is open at bob's side too; bob answering with an UPDATE offer of his own would be glare,
    // so bob's own UA refuses it locally, and an UPDATE without offer (a refresh) passes.
    expect((await b.request('UPDATE', { body: SDP_B })).status).toBe(491);
    const refresh = b.request('UPDATE');
    await run(w.timers, 2000);
    expect((await refresh).status).toBe(200);
    expect((await reinvite).status).toBe(200);
  });

  it('without a listener, a re-INVITE repeating the last offer is answered with our last answer; a new one gets 488', async () => {
    const w = world();
    const { a } = await call(w);
    const same = a.modify(SDP_A);
    await run(w.timers, 100);
    const res = await same;
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(SDP_B);
    const changed = a.modify(sdp(5));
    await run(w.timers, 100);
    expect((await changed).status).toBe(488);
  });

  it('a 481 to an in-dialog request ends the dialog (§12.2.1.2)', async () => {
    const w = world();
    const { a, b } = await call(w);
    b.terminate({ cause: 'bye-sent' }); // bob forgets the dialog without telling alice
    const ended = new Promise<TerminationReason>((resolve) => a.on('terminated', resolve));
    const info = a.request('INFO');
    await run(w.timers, 100);
    expect((await info).status).toBe(481);
    expect((await ended).cause).toBe('request-failed');
  });

  it('a request that times out ends the dialog with a BYE attempt', async () => {
    const w = world();
    const { a } = await call(w);
    w.net.drop((m) => m.kind === 'request');
    const ended = new Promise<TerminationReason>((resolve) => a.on('terminated', resolve));
    const info = a.request('INFO');
    await run(w.timers, 33_000);
    expect((await info).status).toBe(408);
    expect((await ended).cause).toBe('request-failed');
    expect(requests(w, 'BYE')).toHaveLength(0); // dropped
    expect(w.net.log.some((r) => r.dropped && isRequest('BYE')(r.msg))).toBe(true);
  });
});

describe('session timers (RFC 4028)', () => {
  it('negotiates the interval down and the UAS refreshes with UPDATE every half interval', async () => {
    const w = customWorld({}, { sessionTimer: { interval: 120 } });
    const { a, b } = await call(w);
    expect(a.sessionTimer).toEqual({ interval: 120, localRefresher: false });
    expect(b.sessionTimer).toEqual({ interval: 120, localRefresher: true });
    const refreshed = jest.fn();
    a.on('refreshed', refreshed);
    const t0 = w.timers.now();
    await run(w.timers, 250_000);
    const updates = requests(w, 'UPDATE').map((r) => `${r.from}@${Math.round((r.at - t0) / 1000)}`);
    expect(updates).toEqual(['10.0.0.2:5060@60', '10.0.0.2:5060@120', '10.0.0.2:5060@180', '10.0.0.2:5060@240']);
    expect(refreshed).toHaveBeenCalledTimes(4);
    const update = requests(w, 'UPDATE')[0]?.msg as SipRequest;
    expect(update.headers.get('Session-Expires')).toBe('120;refresher=uac');
    expect(update.body.length).toBe(0);
    const ok = w.net.log.find((r) => r.msg.kind === 'response' && r.msg.headers.get('CSeq') === '1 UPDATE')?.msg as SipResponse;
    expect(ok.headers.get('Session-Expires')).toBe('120;refresher=uac');
    expect(a.state).toBe('confirmed');
  });

  it('refreshes with a re-INVITE carrying the last SDP when configured so', async () => {
    const w = customWorld({ sessionTimer: { interval: 100, preferRefresher: 'remote' } }, { sessionTimer: { interval: 100, refreshMethod: 'INVITE' } });
    // alice asks refresher=? none: bob (UAS) chooses; bob's preference is local → bob refreshes.
    const { a, b } = await call(w);
    expect(b.sessionTimer?.localRefresher).toBe(true);
    await run(w.timers, 51_000);
    const reinvite = requests(w, 'INVITE')[1];
    expect(reinvite?.from).toBe('10.0.0.2:5060');
    expect((reinvite?.msg as SipRequest).body.toString()).toBe(SDP_B);
    expect(a.state).toBe('confirmed');
    expect(requests(w, 'ACK')).toHaveLength(2);
  });

  it('the non-refresher sends BYE with a Reason when no refresh arrives (interval − min(32, interval/3))', async () => {
    const w = customWorld({}, { sessionTimer: { interval: 120 } });
    const { a, b } = await call(w);
    w.net.drop((m, from) => from.startsWith('10.0.0.2') && isRequest('UPDATE')(m));
    const aEnded = new Promise<TerminationReason>((resolve) => a.on('terminated', resolve));
    const bEnded = new Promise<TerminationReason>((resolve) => b.on('terminated', resolve));
    const t0 = w.timers.now();
    await run(w.timers, 100_000);
    expect((await aEnded).cause).toBe('session-expired');
    expect((await bEnded).cause).toBe('bye-received');
    const bye = requests(w, 'BYE')[0];
    expect(bye?.from).toBe('10.0.0.1:5060');
    expect(Math.round(((bye?.at ?? 0) - t0) / 1000)).toBe(88);
    expect((bye?.msg as SipRequest).headers.get('Reason')).toBe('SIP;cause=408;text="Session expired"');
  });

  it('a too small Session-Expires gets 422 with Min-SE, and the UAC retries with that value', async () => {
    const w = customWorld({ sessionTimer: { interval: 100 } }, { sessionTimer: { minSE: 300 } });
    const { a } = await call(w);
    expect(a.sessionTimer?.interval).toBe(300);
    expect(w.net.trace((r) => r.msg.kind === 'request' || r.msg.status > 100)).toEqual([
      '10.0.0.1:5060>10.0.0.2:5060 INVITE',
      '10.0.0.2:5060>10.0.0.1:5060 422/INVITE',
      '10.0.0.1:5060>10.0.0.2:5060 ACK',
      '10.0.0.1:5060>10.0.0.2:5060 INVITE',
      '10.0.0.2:5060>10.0.0.1:5060 200/INVITE',
      '10.0.0.1:5060>10.0.0.2:5060 ACK',
    ]);
    const tooSmall = w.net.log[1]?.msg as SipResponse;
    expect(tooSmall.headers.get('Min-SE')).toBe('300');
    const retry = requests(w, 'INVITE')[1]?.msg as SipRequest;
    expect(retry.headers.get('CSeq')).toBe('2 INVITE');
    expect(retry.headers.get('Session-Expires')).toBe('300');
    expect(retry.headers.get('Min-SE')).toBe('300');
    expect(retry.headers.get('Call-ID')).toBe((w.net.log[0]?.msg as SipRequest).headers.get('Call-ID'));
  });

  it('no timer when the UAC does not support it and sent no Session-Expires', async () => {
    const w = customWorld({ sessionTimer: false }, {});
    const { a, b } = await call(w);
    expect(a.sessionTimer).toBeUndefined();
    expect(b.sessionTimer).toBeUndefined();
    const ok = w.net.log.find((r) => r.msg.kind === 'response' && r.msg.status === 200)?.msg as SipResponse;
    expect(ok.headers.has('Session-Expires')).toBe(false);
    await run(w.timers, 4_000_000);
    expect(a.state).toBe('confirmed');
  });
});
