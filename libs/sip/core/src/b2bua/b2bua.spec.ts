import type { Dialog } from '../dialog/dialog';
import type { IncomingInvite } from '../dialog/incoming-invite';
import { SDP_A, SDP_B, makeUa } from '../dialog/test-support';
import { parseMessage } from '../message/parser';
import type { SipRequest, SipResponse } from '../message/types';
import { FakeTimers } from '../transaction/fake-timers';
import { InMemoryNetwork, isRequest, run } from '../transaction/test-support';
import { bridge, type B2buaCall, type B2buaOptions } from './b2bua-call';
import type { BodyRewriteContext } from './body-rewrite';

/** alice (A) → sbc (the B2BUA) → bob (B). The hook anchors media at 10.0.0.5 like rtpengine would. */
function setup(extra: Partial<B2buaOptions> = {}) {
  const timers = new FakeTimers();
  const net = new InMemoryNetwork(timers, 5);
  const alice = makeUa(net, timers, 'alice', '10.0.0.1');
  const sbc = makeUa(net, timers, 'sbc', '10.0.0.5');
  const bob = makeUa(net, timers, 'bob', '10.0.0.2');
  const hooks: string[] = [];
  const rewriteBody = (ctx: BodyRewriteContext) => {
    hooks.push(`${ctx.from}>${ctx.to} ${ctx.method}${ctx.status ? `/${ctx.status}` : ''} ${ctx.sdpRole}`);
    return { body: ctx.body.toString().replace(/IN IP4 10\.0\.0\.\d+/g, 'IN IP4 10.0.0.5') };
  };
  const calls: B2buaCall[] = [];
  sbc.ua.onInvite((inv) => void calls.push(bridge(sbc.ua, inv, { target: { uri: bob.uri, dest: bob.dest, headers: [['X-AccountId', 'acc-9']] }, rewriteBody, ...extra })));
  const seen = (from: string, to: string) => net.trace((r) => r.from.startsWith(from) && r.to.startsWith(to) && (r.msg.kind === 'request' || r.msg.status > 100));
  return { timers, net, alice, sbc, bob, hooks, calls, seen };
}

type Setup = ReturnType<typeof setup>;

function answerAtBob(s: Setup, opts: { ring?: boolean; body?: string } = {}) {
  const state: { inv?: IncomingInvite; dialog?: Dialog } = {};
  s.bob.ua.onInvite((inv) => {
    state.inv = inv;
    if (opts.ring !== false) inv.progress(180);
    s.timers.setTimer(100, () => (state.dialog = inv.accept({ body: opts.body ?? SDP_B })));
  });
  return state;
}

async function connected(s: Setup, body: string | undefined = SDP_A) {
  const bob = answerAtBob(s);
  const call = s.alice.ua.invite({ uri: 'sip:bob@sbc.example', dest: s.sbc.dest, from: '"Alice" <sip:alice@a.example>', ...(body ? { body } : {}) });
  await run(s.timers, 500);
  const outcome = await call.result;
  if (!outcome.answered || !bob.dialog) throw new Error('not connected');
  return { aliceDialog: outcome.dialog, bobDialog: bob.dialog, call: s.calls[0] as B2buaCall };
}

describe('B2BUA (A leg = incoming INVITE, B leg = our INVITE)', () => {
  it('relays 180 and 200 from B to A with A\'s own tag, rewriting every SDP; two independent dialogs', async () => {
    const s = setup();
    const answered = jest.fn();
    const { aliceDialog, bobDialog, call } = await connected(s);
    call.on('answered', answered);
    expect(call.state).toBe('answered');
    expect(s.seen('10.0.0.1', '10.0.0.5')).toEqual(['10.0.0.1:5060>10.0.0.5:5060 INVITE', '10.0.0.1:5060>10.0.0.5:5060 ACK']);
    expect(s.seen('10.0.0.5', '10.0.0.2')).toEqual(['10.0.0.5:5060>10.0.0.2:5060 INVITE', '10.0.0.5:5060>10.0.0.2:5060 ACK']);
    expect(s.seen('10.0.0.5', '10.0.0.1')).toEqual(['10.0.0.5:5060>10.0.0.1:5060 180/INVITE', '10.0.0.5:5060>10.0.0.1:5060 200/INVITE']);
    expect(s.hooks).toEqual(['a>b INVITE offer', 'b>a INVITE/200 answer']);
    const bInvite = s.net.log.find((r) => r.to.startsWith('10.0.0.2') && isRequest('INVITE')(r.msg))?.msg as SipRequest;
    expect(bInvite.body.toString()).toContain('c=IN IP4 10.0.0.5');
    expect(bInvite.headers.get('X-AccountId')).toBe('acc-9');
    expect(bInvite.headers.get('From')).toMatch(/^"Alice" <sip:alice@a\.example>;tag=/);
    expect(bInvite.uri).toBe(s.bob.uri);
    expect(aliceDialog.remoteBody?.body.toString()).toContain('c=IN IP4 10.0.0.5');
    expect(aliceDialog.callId).not.toBe(bobDialog.callId);
    expect(aliceDialog.id.remoteTag).not.toBe(bobDialog.id.localTag);
    const ringing = s.net.log.find((r) => r.to.startsWith('10.0.0.1') && r.msg.kind === 'response' && r.msg.status === 180)?.msg as SipResponse;
    const ok = s.net.log.find((r) => r.to.startsWith('10.0.0.1') && r.msg.kind === 'response' && r.msg.status === 200)?.msg as SipResponse;
    expect(ringing.headers.get('To')).toBe(ok.headers.get('To')); // one tag towards A
    expect(ok.headers.get('Contact')).toBe('<sip:sbc@10.0.0.5:5060>');
  });

  it('passes A\'s Max-Forwards on to B minus one (RFC 7332), 70 when A sent none (RFC 2543)', async () => {
    const bMaxForwards = async (aMaxForwards: number | undefined) => {
      const s = setup();
      answerAtBob(s);
      const req = parseMessage(
        Buffer.from(
          [
            'INVITE sip:bob@sbc.example SIP/2.0',
            'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-mf' + String(aMaxForwards),
            'From: <sip:alice@a.example>;tag=mf',
            'To: <sip:bob@sbc.example>',
            'Call-ID: mf-' + String(aMaxForwards),
            'CSeq: 1 INVITE',
            'Contact: <sip:alice@10.0.0.1:5060>',
            ...(aMaxForwards === undefined ? [] : [`Max-Forwards: ${aMaxForwards}`]),
            'Content-Type: application/sdp',
            `Content-Length: ${Buffer.byteLength(SDP_A)}`,
            '',
            SDP_A,
          ].join('\r\n'),
        ),
      ) as SipRequest;
      s.alice.transactions.request(req, s.sbc.dest);
      await run(s.timers, 500);
      const bInvite = s.net.log.find((r) => r.to.startsWith('10.0.0.2') && isRequest('INVITE')(r.msg))?.msg as SipRequest | undefined;
      return bInvite?.headers.get('Max-Forwards');
    };
    expect(await bMaxForwards(7)).toBe('6');
    expect(await bMaxForwards(1)).toBe('0');
    expect(await bMaxForwards(70)).toBe('69');
    expect(await bMaxForwards(undefined)).toBe('70');
  });

  it('maps a B failure onto A: 486 as it is, 503 → 500, with a Reason header', async () => {
    for (const [bStatus, aStatus] of [[486, 486], [503, 500], [603, 603]] as const) {
      const s = setup();
      const failed = jest.fn();
      s.bob.ua.onInvite((inv) => {
        inv.progress(183, { body: SDP_B });
        s.timers.setTimer(50, () => inv.reject(bStatus));
      });
      const call = s.alice.ua.invite({ uri: 'sip:bob@sbc.example', dest: s.sbc.dest, from: '<sip:alice@a.example>', body: SDP_A });
      await run(s.timers, 20);
      s.calls[0]?.on('failed', failed);
      await run(s.timers, 500);
      const outcome = await call.result;
      expect(outcome.response.status).toBe(aStatus);
      expect(outcome.response.headers.get('Reason')).toMatch(new RegExp(`^SIP;cause=${bStatus};text=`));
      expect(failed).toHaveBeenCalledWith(aStatus, expect.objectContaining({ status: bStatus }));
      expect(s.hooks).toEqual(['a>b INVITE offer', 'b>a INVITE/183 answer']);
      await run(s.timers, 40_000);
      expect(s.sbc.ua.size + s.alice.ua.size + s.bob.ua.size).toBe(0);
      expect(s.sbc.transactions.size).toBe(0);
    }
  });

  it('B does not answer at all: A gets 408 after Timer B; B unreachable: A gets 502', async () => {
    const s = setup();
    s.net.drop((m, _f, to) => to.startsWith('10.0.0.2') && isRequest('INVITE')(m));
    const call = s.alice.ua.invite({ uri: 'sip:bob@sbc.example', dest: s.sbc.dest, from: '<sip:alice@a.example>', body: SDP_A });
    await run(s.timers, 33_000);
    expect((await call.result).response.status).toBe(408);

    const u = setup({ target: { uri: 'sip:nobody@10.9.9.9', dest: { protocol: 'tcp', host: '10.9.9.9', port: 5060 } } });
    const call2 = u.alice.ua.invite({ uri: 'sip:bob@sbc.example', dest: u.sbc.dest, from: '<sip:alice@a.example>', body: SDP_A });
    await run(u.timers, 500);
    expect((await call2.result).response.status).toBe(502);
  });

  it('CANCEL from A: 200 and 487 to A, CANCEL to B (which answers 487), nothing left anywhere', async () => {
    const s = setup();
    const bob = answerAtBob(s);
    s.bob.ua.onInvite((inv) => {
      bob.inv = inv;
      inv.progress(180); // rings forever
    });
    const call = s.alice.ua.invite({ uri: 'sip:bob@sbc.example', dest: s.sbc.dest, from: '<sip:alice@a.example>', body: SDP_A });
    await run(s.timers, 200);
    call.cancel();
    await run(s.timers, 200);
    expect((await call.result).response.status).toBe(487);
    expect(bob.inv?.state).toBe('cancelled');
    expect(s.seen('10.0.0.5', '10.0.0.2')).toEqual(['10.0.0.5:5060>10.0.0.2:5060 INVITE', '10.0.0.5:5060>10.0.0.2:5060 CANCEL', '10.0.0.5:5060>10.0.0.2:5060 ACK']);
    expect(s.seen('10.0.0.2', '10.0.0.5')).toEqual(['10.0.0.2:5060>10.0.0.5:5060 180/INVITE', '10.0.0.2:5060>10.0.0.5:5060 200/CANCEL', '10.0.0.2:5060>10.0.0.5:5060 487/INVITE']);
    expect(s.calls[0]?.state).toBe('failed');
    await run(s.timers, 40_000);
    expect(s.sbc.ua.size + s.alice.ua.size + s.bob.ua.size).toBe(0);
    expect(s.sbc.transactions.size + s.alice.transactions.size + s.bob.transactions.size).toBe(0);
    expect(s.timers.pending).toBe(0);
  });

  it('BYE from A: BYE to B with the Reason of A, 200 back to A', async () => {
    const s = setup();
    const { aliceDialog, bobDialog, call } = await connected(s);
    const ended = jest.fn();
    call.on('ended', ended);
    const bobEnded = new Promise((resolve) => bobDialog.on('terminated', resolve));
    const res = aliceDialog.bye({ headers: [['Reason', 'Q.850;cause=16']] });
    await run(s.timers, 100);
    expect((await res)?.status).toBe(200);
    await bobEnded;
    expect(ended).toHaveBeenCalledWith('a', expect.objectContaining({ cause: 'bye-received' }));
    const byeToB = s.net.log.find((r) => r.to.startsWith('10.0.0.2') && isRequest('BYE')(r.msg))?.msg as SipRequest;
    expect(byeToB.headers.get('Reason')).toBe('Q.850;cause=16');
    expect(s.sbc.ua.size).toBe(0);
  });

  it('BYE from B: BYE to A', async () => {
    const s = setup();
    const { aliceDialog, bobDialog, call } = await connected(s);
    const ended = jest.fn();
    call.on('ended', ended);
    const aliceEnded = new Promise((resolve) => aliceDialog.on('terminated', resolve));
    const res = bobDialog.bye();
    await run(s.timers, 100);
    expect((await res)?.status).toBe(200);
    await aliceEnded;
    expect(ended).toHaveBeenCalledWith('b', expect.objectContaining({ cause: 'bye-received' }));
    expect(s.seen('10.0.0.5', '10.0.0.1').slice(-1)).toEqual(['10.0.0.5:5060>10.0.0.1:5060 BYE']);
  });

  it('relays a re-INVITE from A to B and the answer back, through the rewrite hook, each leg ACKing its own', async () => {
    const s = setup();
    const { aliceDialog, bobDialog } = await connected(s);
    const seenAtBob: string[] = [];
    bobDialog.on('request', (r) => {
      seenAtBob.push(r.request.body.toString());
      r.respond(200, { body: SDP_B.replace('5000', '5010') });
    });
    s.hooks.length = 0;
    const res = aliceDialog.modify(SDP_A.replace('4000', '4010').replace('o=alice 1 1', 'o=alice 1 2'));
    await run(s.timers, 200);
    expect((await res).status).toBe(200);
    expect(seenAtBob[0]).toContain('m=audio 4010');
    expect(seenAtBob[0]).toContain('c=IN IP4 10.0.0.5');
    expect(aliceDialog.remoteBody?.body.toString()).toContain('m=audio 5010');
    expect(aliceDialog.remoteBody?.body.toString()).toContain('c=IN IP4 10.0.0.5');
    expect(s.hooks).toEqual(['a>b INVITE offer', 'b>a INVITE/200 answer']);
    expect(s.seen('10.0.0.5', '10.0.0.2').slice(-2)).toEqual(['10.0.0.5:5060>10.0.0.2:5060 INVITE', '10.0.0.5:5060>10.0.0.2:5060 ACK']);
    expect(s.seen('10.0.0.1', '10.0.0.5').slice(-2)).toEqual(['10.0.0.1:5060>10.0.0.5:5060 INVITE', '10.0.0.1:5060>10.0.0.5:5060 ACK']);
  });

  it('relays a 491 from B to A, and INFO with its headers both ways', async () => {
    const s = setup();
    const { aliceDialog, bobDialog } = await connected(s);
    bobDialog.on('request', (r) => (r.method === 'INVITE' ? r.respond(491) : r.respond(200, { headers: [['Reason', 'SIP;cause=200']] })));
    const glare = aliceDialog.modify(SDP_A, { glareRetries: 0 });
    const info = aliceDialog.request('INFO', { body: 'Signal=1', contentType: 'application/dtmf-relay', headers: [['Info-Package', 'dtmf']] });
    await run(s.timers, 200);
    expect((await glare).status).toBe(491);
    const infoRes = await info;
    expect(infoRes.status).toBe(200);
    expect(infoRes.headers.get('Reason')).toBe('SIP;cause=200');
    const infoAtBob = s.net.log.find((r) => r.to.startsWith('10.0.0.2') && isRequest('INFO')(r.msg))?.msg as SipRequest;
    expect(infoAtBob.headers.get('Info-Package')).toBe('dtmf');
    expect(infoAtBob.body.toString()).toBe('Signal=1');
    expect(infoAtBob.headers.get('Content-Type')).toBe('application/dtmf-relay');
  });

  it('late offer: B\'s 2xx offer goes to A, A\'s answer in its ACK becomes B\'s ACK', async () => {
    const s = setup();
    const bob = answerAtBob(s, { ring: false });
    const aliceCall = s.alice.ua.invite({ uri: 'sip:bob@sbc.example', dest: s.sbc.dest, from: '<sip:alice@a.example>', manualAck: true });
    aliceCall.on('answered', (d, res) => {
      expect(res.body.toString()).toContain('c=IN IP4 10.0.0.5');
      d.ack({ body: SDP_A });
    });
    await run(s.timers, 500);
    expect(s.hooks).toEqual(['b>a INVITE/200 offer', 'a>b ACK answer']);
    const ackAtBob = s.net.log.find((r) => r.to.startsWith('10.0.0.2') && isRequest('ACK')(r.msg))?.msg as SipRequest;
    expect(ackAtBob.body.toString()).toContain('c=IN IP4 10.0.0.5');
    expect(bob.dialog?.remoteBody?.body.toString()).toContain('m=audio 4000');
  });

  it('a throwing rewrite hook fails the call with 500 and reports the error', async () => {
    const s = setup({ rewriteBody: () => Promise.reject(new Error('rtpengine down')) });
    const call = s.alice.ua.invite({ uri: 'sip:bob@sbc.example', dest: s.sbc.dest, from: '<sip:alice@a.example>', body: SDP_A });
    await run(s.timers, 300);
    expect((await call.result).response.status).toBe(500);
    expect(s.net.log.some((r) => r.to.startsWith('10.0.0.2'))).toBe(false);
  });
});

describe('B2BUA hangup and housekeeping', () => {
  it('hangup() ends both legs with BYE once answered, and before the answer cancels B and rejects A', async () => {
    const s = setup();
    const { aliceDialog, bobDialog, call } = await connected(s);
    const ended = jest.fn();
    call.on('ended', ended);
    call.hangup();
    await run(s.timers, 100);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(ended).toHaveBeenCalledWith('local', undefined);
    expect(aliceDialog.state).toBe('terminated');
    expect(bobDialog.state).toBe('terminated');

    const t = setup();
    t.bob.ua.onInvite((inv) => inv.progress(180));
    const attempt = t.alice.ua.invite({ uri: 'sip:bob@sbc.example', dest: t.sbc.dest, from: '<sip:alice@a.example>', body: SDP_A });
    await run(t.timers, 100);
    t.calls[0]?.hangup(603);
    await run(t.timers, 100);
    expect((await attempt.result).response.status).toBe(603);
    expect(t.seen('10.0.0.5', '10.0.0.2')).toContain('10.0.0.5:5060>10.0.0.2:5060 CANCEL');
    await run(t.timers, 40_000);
    expect(t.sbc.ua.size + t.sbc.transactions.size).toBe(0);
  });

  it('a session expiry on one leg ends the other', async () => {
    const timers = new FakeTimers();
    const net = new InMemoryNetwork(timers, 5);
    const alice = makeUa(net, timers, 'alice', '10.0.0.1', { sessionTimer: { interval: 120, preferRefresher: 'remote' } });
    const sbc = makeUa(net, timers, 'sbc', '10.0.0.5', { sessionTimer: { interval: 120, preferRefresher: 'remote' } });
    const bob = makeUa(net, timers, 'bob', '10.0.0.2', { sessionTimer: false });
    let b2b: B2buaCall | undefined;
    sbc.ua.onInvite((inv) => (b2b = bridge(sbc.ua, inv, { target: { uri: bob.uri, dest: bob.dest } })));
    let bobDialog: Dialog | undefined;
    bob.ua.onInvite((inv) => (bobDialog = inv.accept({ body: SDP_B })));
    const call = alice.ua.invite({ uri: 'sip:bob@sbc.example', dest: sbc.dest, from: '<sip:alice@a.example>', body: SDP_A });
    await run(timers, 200);
    expect((await call.result).answered).toBe(true);
    // alice is the refresher of the A leg (the sbc preferred 'remote'); she goes silent.
    net.drop((m, from) => from.startsWith('10.0.0.1') && m.kind === 'request');
    const ended = jest.fn();
    b2b?.on('ended', ended);
    await run(timers, 120_000);
    expect(ended).toHaveBeenCalledWith('a', expect.objectContaining({ cause: 'session-expired' }));
    expect(bobDialog?.state).toBe('terminated');
  });
});
