import type { SipRequest, SipResponse } from '../message/types';
import { createResponse } from '../message/build';
import { parseMessage } from '../message/parser';
import { FakeTimers } from '../transaction/fake-timers';
import { InMemoryNetwork, isRequest, isResponse, run } from '../transaction/test-support';
import type { Dialog } from './dialog';
import type { IncomingInvite } from './incoming-invite';
import { SDP_A, SDP_B, makeUa, rawPeer, world } from './test-support';
import type { TerminationReason } from './types';

/** alice calls bob; bob rings then answers; both dialogs returned once the ACK is in. */
async function establish(w: ReturnType<typeof world>, opts: { ring?: boolean } = {}) {
  let incoming: IncomingInvite | undefined;
  let bobDialog: Dialog | undefined;
  w.bob.ua.onInvite((inv) => {
    incoming = inv;
    if (opts.ring !== false) inv.progress(180);
    bobDialog = inv.accept({ body: SDP_B });
  });
  const call = w.alice.ua.invite({ uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>', body: SDP_A });
  await run(w.timers, 50);
  const outcome = await call.result;
  if (!outcome.answered || !bobDialog || !incoming) throw new Error('call not established');
  return { call, aliceDialog: outcome.dialog, bobDialog, incoming };
}

describe('call set-up and teardown (RFC 3261 §13, §15)', () => {
  it('INVITE / 180 / 200 / ACK: early dialog confirmed, matching ids, bodies exchanged, no retransmissions', async () => {
    const w = world();
    const provisional: number[] = [];
    let early: Dialog | undefined;
    w.bob.ua.onInvite((inv) => {
      inv.progress(180);
      w.timers.setTimer(1000, () => inv.accept({ body: SDP_B }));
    });
    const call = w.alice.ua.invite({ uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>', body: SDP_A, headers: [['X-AccountId', 'acc-1']] });
    call.on('provisional', (res, d) => {
      provisional.push(res.status);
      early = d;
    });
    await run(w.timers, 500);
    expect(early?.state).toBe('early');
    await run(w.timers, 1000);
    const outcome = await call.result;
    expect(outcome.answered).toBe(true);
    if (!outcome.answered) return;
    expect(outcome.dialog).toBe(early);
    expect(outcome.dialog.state).toBe('confirmed');
    expect(provisional).toEqual([180]);
    expect(outcome.dialog.remoteBody?.body.toString()).toBe(SDP_B);
    expect(outcome.dialog.remoteTarget).toBe('sip:bob@10.0.0.2:5060');
    const bobDialog = w.bob.ua.findDialog({ callId: outcome.dialog.callId, localTag: outcome.dialog.id.remoteTag, remoteTag: outcome.dialog.id.localTag });
    expect(bobDialog?.state).toBe('confirmed');
    expect(bobDialog?.remoteBody?.body.toString()).toBe(SDP_A);
    await run(w.timers, 40_000);
    expect(w.net.trace((r) => r.msg.kind === 'request' || r.msg.status >= 180)).toEqual([
      '10.0.0.1:5060>10.0.0.2:5060 INVITE',
      '10.0.0.2:5060>10.0.0.1:5060 180/INVITE',
      '10.0.0.2:5060>10.0.0.1:5060 200/INVITE',
      '10.0.0.1:5060>10.0.0.2:5060 ACK',
    ]);
    const invite = w.net.log[0]?.msg as SipRequest;
    expect(invite.headers.get('X-AccountId')).toBe('acc-1');
    expect(invite.headers.get('Supported')).toBe('timer');
    expect(invite.headers.get('Session-Expires')).toBe('1800');
    expect(invite.headers.get('Min-SE')).toBe('90');
    expect(invite.headers.get('Content-Type')).toBe('application/sdp');
    const ok = w.net.log.find((r) => r.msg.kind === 'response' && r.msg.status === 200)?.msg as SipResponse;
    expect(ok.headers.get('Contact')).toBe('<sip:bob@10.0.0.2:5060>');
    expect(ok.headers.get('Session-Expires')).toBe('1800;refresher=uas');
    expect(ok.headers.get('Require')).toBe('timer');
    const ack = w.net.log.find((r) => r.msg.kind === 'request' && r.msg.method === 'ACK')?.msg as SipRequest;
    expect(ack.uri).toBe('sip:bob@10.0.0.2:5060');
    expect(ack.headers.get('CSeq')).toBe('1 ACK');
    expect(ack.headers.getAll('Via')[0]).not.toBe(invite.headers.getAll('Via')[0]); // its own branch
  });

  it('BYE from the caller: 200, both dialogs terminated and forgotten', async () => {
    const w = world();
    const { aliceDialog, bobDialog } = await establish(w);
    const bobEnd = new Promise<TerminationReason>((resolve) => bobDialog.on('terminated', resolve));
    const res = aliceDialog.bye();
    expect(aliceDialog.state).toBe('terminated');
    await run(w.timers, 100);
    expect((await res)?.status).toBe(200);
    expect((await bobEnd).cause).toBe('bye-received');
    expect(w.alice.ua.size + w.bob.ua.size).toBe(0);
    const bye = w.net.log.find((r) => r.msg.kind === 'request' && r.msg.method === 'BYE')?.msg as SipRequest;
    expect(bye.headers.get('CSeq')).toBe('2 BYE');
    await run(w.timers, 60_000);
    expect(w.timers.pending).toBe(0);
    expect(w.alice.transactions.size + w.bob.transactions.size).toBe(0);
  });

  it('BYE from the callee uses its own CSeq space and the caller\'s Contact as Request-URI', async () => {
    const w = world();
    const { aliceDialog, bobDialog } = await establish(w);
    const ended = jest.fn();
    aliceDialog.on('terminated', ended);
    const byeResult = bobDialog.bye();
    await run(w.timers, 100);
    expect((await byeResult)?.status).toBe(200);
    expect(ended).toHaveBeenCalledWith(expect.objectContaining({ cause: 'bye-received' }));
    const bye = w.net.log.find((r) => r.msg.kind === 'request' && r.msg.method === 'BYE')?.msg as SipRequest;
    expect(bye.uri).toBe('sip:alice@10.0.0.1:5060');
    expect(bye.headers.get('CSeq')).toBe('1 BYE');
    expect(bye.headers.get('From')).toMatch(/^<sip:bob@10\.0\.0\.2:5060>;tag=/);
  });

  it('a BYE for an unknown dialog gets 481 (§15.1.2), as does a BYE without To tag', async () => {
    const w = world();
    const { aliceDialog } = await establish(w);
    void aliceDialog.bye();
    await run(w.timers, 100);
    // The same BYE's dialog is gone on bob's side: another BYE in it gets 481.
    const pending = w.alice.ua.request({ method: 'BYE', uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>', to: `<${w.bob.uri}>;tag=nosuch` });
    await run(w.timers, 100);
    expect((await pending).status).toBe(481);
    const res2 = await Promise.all([w.alice.ua.request({ method: 'BYE', uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>' }), run(w.timers, 100)]);
    expect(res2[0].status).toBe(481);
  });

  it('an in-dialog request with a CSeq lower than the last one gets 500 (§12.2.2)', async () => {
    const w = world();
    const { aliceDialog } = await establish(w);
    const first = aliceDialog.request('INFO', { body: 'x', contentType: 'text/plain' });
    await run(w.timers, 100);
    expect((await first).status).toBe(501); // nobody listens for INFO on bob's side
    aliceDialog.data.localSeq = 0; // pretend alice's counter went backwards
    const second = aliceDialog.request('INFO');
    await run(w.timers, 100);
    const res = await second;
    expect(res.status).toBe(500);
    expect(aliceDialog.state).toBe('confirmed'); // a 500 does not end the dialog
  });

  it('in-dialog OPTIONS and INFO reach the application, which answers them', async () => {
    const w = world();
    const { aliceDialog, bobDialog } = await establish(w);
    const seen: string[] = [];
    bobDialog.on('request', (r) => {
      seen.push(`${r.method}:${r.request.body.toString()}`);
      r.respond(200, { body: 'pong', contentType: 'text/plain' });
    });
    const p1 = aliceDialog.request('OPTIONS');
    const p2 = aliceDialog.request('INFO', { body: 'Signal=5', contentType: 'application/dtmf-relay' });
    await run(w.timers, 100);
    expect((await p1).status).toBe(200);
    expect((await p2).body.toString()).toBe('pong');
    expect(seen).toEqual(['OPTIONS:', 'INFO:Signal=5']);
  });

  it('a rejected call: the 486 ends the early dialog, the caller gets it', async () => {
    const w = world();
    w.bob.ua.onInvite((inv) => {
      inv.progress(183, { body: SDP_B });
      w.timers.setTimer(100, () => inv.reject(486));
    });
    const call = w.alice.ua.invite({ uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>', body: SDP_A });
    let early: Dialog | undefined;
    call.on('provisional', (_r, d) => (early = d));
    await run(w.timers, 500);
    const outcome = await call.result;
    expect(outcome.response.status).toBe(486);
    expect(early?.state).toBe('terminated');
    expect(w.alice.ua.size + w.bob.ua.size).toBe(0);
  });

  it('without an INVITE handler the call gets 480; Require with an unknown extension gets 420', async () => {
    const w = world();
    const call = w.alice.ua.invite({ uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>' });
    await run(w.timers, 100);
    expect((await call.result).response.status).toBe(480);
    w.bob.ua.onInvite((inv) => inv.accept());
    const call2 = w.alice.ua.invite({ uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>', headers: [['Require', '100rel']] });
    await run(w.timers, 100);
    const res = (await call2.result).response;
    expect(res.status).toBe(420);
    expect(res.headers.get('Unsupported')).toBe('100rel');
  });
});

describe('INVITEs that cannot create a dialog', () => {
  it('answers 400 naming what is missing (From tag, Contact) with a Warning, and creates nothing', async () => {
    const w = world();
    const invited = jest.fn();
    w.bob.ua.onInvite(invited);
    const raw = (from: string, contact: string[]) =>
      parseMessage(
        Buffer.from(
          [
            `INVITE ${w.bob.uri} SIP/2.0`,
            'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-' + Math.random().toString(36).slice(2),
            `From: ${from}`,
            `To: <${w.bob.uri}>`,
            `Call-ID: c-${Math.random().toString(36).slice(2)}`,
            'CSeq: 1 INVITE',
            ...contact.map((c) => `Contact: ${c}`),
            'Content-Length: 0',
            '',
            '',
          ].join('\r\n'),
        ),
      ) as SipRequest;
    const answer = async (req: SipRequest) => {
      const tx = w.alice.transactions.request(req, w.bob.dest);
      await run(w.timers, 100);
      return tx.result;
    };
    const noTag = await answer(raw('<sip:alice@a.example>', ['<sip:alice@10.0.0.1>']));
    expect(`${noTag.status} ${noTag.reason}`).toBe('400 Missing From tag');
    expect(noTag.headers.get('Warning')).toBe('399 - "the From header has no tag: <sip:alice@a.example>"');
    const noContact = await answer(raw('<sip:alice@a.example>;tag=a1', []));
    expect(`${noContact.status} ${noContact.reason}`).toBe('400 Missing Contact header');
    const two = await answer(raw('<sip:alice@a.example>;tag=a2', ['<sip:alice@10.0.0.1>, <sip:alice@10.0.0.9>']));
    expect(`${two.status} ${two.reason}`).toBe('400 Bad Contact header');
    expect(two.headers.get('Warning')).toMatch(/exactly one Contact URI/);
    expect(invited).not.toHaveBeenCalled();
    expect(w.bob.ua.size).toBe(0);
  });
});

describe('CANCEL (RFC 3261 §9)', () => {
  it('the caller cancels while it rings: 200 to CANCEL, 487 to INVITE, the callee hears of it, nothing left', async () => {
    const w = world();
    const cancelled = jest.fn();
    let incoming: IncomingInvite | undefined;
    w.bob.ua.onInvite((inv) => {
      incoming = inv;
      inv.progress(180);
      inv.on('cancel', cancelled);
    });
    const call = w.alice.ua.invite({ uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>', body: SDP_A });
    await run(w.timers, 100);
    call.cancel();
    await run(w.timers, 100);
    const outcome = await call.result;
    expect(outcome.response.status).toBe(487);
    expect(call.state).toBe('cancelled');
    expect(cancelled).toHaveBeenCalledTimes(1);
    expect(incoming?.state).toBe('cancelled');
    expect(w.net.trace((r) => r.msg.kind === 'request' || r.msg.status >= 180)).toEqual([
      '10.0.0.1:5060>10.0.0.2:5060 INVITE',
      '10.0.0.2:5060>10.0.0.1:5060 180/INVITE',
      '10.0.0.1:5060>10.0.0.2:5060 CANCEL',
      '10.0.0.2:5060>10.0.0.1:5060 200/CANCEL',
      '10.0.0.2:5060>10.0.0.1:5060 487/INVITE',
      '10.0.0.1:5060>10.0.0.2:5060 ACK',
    ]);
    await run(w.timers, 40_000);
    expect(w.alice.ua.size + w.bob.ua.size).toBe(0);
    expect(w.alice.transactions.size + w.bob.transactions.size).toBe(0);
    expect(w.timers.pending).toBe(0);
  });

  it('a 200 that crosses the CANCEL is ACKed and ended with BYE', async () => {
    const w = world();
    w.bob.ua.onInvite((inv) => {
      inv.progress(180);
      w.timers.setTimer(100, () => inv.accept({ body: SDP_B }));
    });
    const call = w.alice.ua.invite({ uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>', body: SDP_A });
    await run(w.timers, 102); // the 180 is in; bob answers at 105
    call.cancel();
    await run(w.timers, 200);
    const outcome = await call.result;
    expect(outcome.answered).toBe(false);
    expect(outcome.response.status).toBe(487);
    expect(w.net.trace((r) => r.msg.kind === 'request')).toEqual(['10.0.0.1:5060>10.0.0.2:5060 INVITE', '10.0.0.1:5060>10.0.0.2:5060 CANCEL', '10.0.0.1:5060>10.0.0.2:5060 ACK', '10.0.0.1:5060>10.0.0.2:5060 BYE']);
    expect(w.alice.ua.size + w.bob.ua.size).toBe(0);
  });
});

describe('2xx retransmission (RFC 3261 §13.3.1.4)', () => {
  it('retransmits the 2xx (T1 doubling to T2) while the ACK is lost, stops on the ACK', async () => {
    const w = world();
    w.net.dropNext(isRequest('ACK'), 2);
    const { bobDialog } = await establish(w, { ring: false });
    const acked = jest.fn();
    bobDialog.on('ack', acked);
    await run(w.timers, 20_000);
    // 200 at ~5 ms; retransmissions at +500, +1500; each brings an ACK (first two dropped).
    const times = w.net.log.filter((r) => isResponse(200, 'INVITE')(r.msg)).map((r) => r.at);
    expect(times.map((t) => t - (times[0] ?? 0))).toEqual([0, 500, 1500]);
    expect(acked).toHaveBeenCalledTimes(1);
    expect(w.net.trace((r) => r.msg.kind === 'request' && r.msg.method === 'ACK')).toEqual([
      '10.0.0.1:5060>10.0.0.2:5060 ACK (dropped)',
      '10.0.0.1:5060>10.0.0.2:5060 ACK (dropped)',
      '10.0.0.1:5060>10.0.0.2:5060 ACK',
    ]);
  });

  it('without any ACK retransmits at 500, 1000, 2000, 4000, 4000 … ms and sends BYE after 64*T1', async () => {
    const w = world('tcp');
    w.net.drop(isRequest('ACK'));
    const { bobDialog } = await establish(w, { ring: false });
    const ended = new Promise<TerminationReason>((resolve) => bobDialog.on('terminated', resolve));
    await run(w.timers, 33_000);
    const times = w.net.log.filter((r) => isResponse(200, 'INVITE')(r.msg)).map((r) => r.at - (w.net.log[1]?.at ?? 0));
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect((await ended).cause).toBe('ack-timeout');
    const bye = w.net.log.find((r) => r.msg.kind === 'request' && r.msg.method === 'BYE');
    expect(bye?.from).toBe('10.0.0.2:5060');
    expect((bye?.at ?? 0) - (w.net.log[1]?.at ?? 0)).toBe(32_000);
  });
});

describe('forking (RFC 3261 §13.2.2.4)', () => {
  it('every 2xx makes its own dialog and is ACKed; extra forks are ended with BYE by default, or kept', async () => {
    for (const extraForks of ['bye', 'keep'] as const) {
      const w = world();
      const proxy = rawPeer(w.net, '10.0.0.9');
      const call = w.alice.ua.invite({ uri: 'sip:bob@example.net', dest: proxy.dest(), from: '<sip:alice@a.example>', body: SDP_A, extraForks });
      const forked: Dialog[] = [];
      call.on('forked', (d) => forked.push(d));
      await run(w.timers, 10);
      const invite = proxy.inbox[0]?.msg as SipRequest;
      for (const [tag, host] of [['fork1', '10.0.0.21'], ['fork2', '10.0.0.22']]) {
        const ok = createResponse(invite, 200, undefined, { toTag: tag });
        ok.headers.append('Contact', `<sip:bob@${host}>`);
        void proxy.sink.send(ok, { protocol: 'udp', host: '10.0.0.1', port: 5060 });
      }
      w.net.node({ address: '10.0.0.22', port: 5060 }).listen(() => undefined);
      await run(w.timers, 100);
      const outcome = await call.result;
      expect(outcome.answered && outcome.dialog.id.remoteTag).toBe('fork1');
      expect(forked.map((d) => d.id.remoteTag)).toEqual(['fork2']);
      const acks = w.net.log.filter((r) => r.msg.kind === 'request' && r.msg.method === 'ACK').map((r) => r.to);
      expect(acks).toEqual(['10.0.0.21:5060', '10.0.0.22:5060']);
      const byes = w.net.log.filter((r) => r.msg.kind === 'request' && r.msg.method === 'BYE').map((r) => r.to);
      expect(byes).toEqual(extraForks === 'bye' ? ['10.0.0.22:5060'] : []);
      expect(forked[0]?.state).toBe(extraForks === 'bye' ? 'terminated' : 'confirmed');
    }
  });

  it('ACKs a retransmitted 2xx again, also after the transaction is gone (stray 2xx)', async () => {
    const w = world();
    const proxy = rawPeer(w.net, '10.0.0.9');
    w.net.node({ address: '10.0.0.21', port: 5060 }).listen(() => undefined);
    const call = w.alice.ua.invite({ uri: 'sip:bob@example.net', dest: proxy.dest(), from: '<sip:alice@a.example>' });
    await run(w.timers, 10);
    const ok = createResponse(proxy.inbox[0]?.msg as SipRequest, 200, undefined, { toTag: 'b' });
    ok.headers.append('Contact', '<sip:bob@10.0.0.21>');
    const again = () => void proxy.sink.send(ok, { protocol: 'udp', host: '10.0.0.1', port: 5060 });
    again();
    await run(w.timers, 100);
    again();
    await run(w.timers, 40_000); // Timer M is over: the next one is stray
    again();
    await run(w.timers, 100);
    expect((await call.result).answered).toBe(true);
    expect(w.net.log.filter((r) => r.msg.kind === 'request' && r.msg.method === 'ACK')).toHaveLength(3);
  });
});

describe('early dialogs and housekeeping', () => {
  it('a BYE from the caller in an early dialog ends the INVITE with 487 (§15.1.2)', async () => {
    const w = world();
    let incoming: IncomingInvite | undefined;
    w.bob.ua.onInvite((inv) => {
      incoming = inv;
      inv.progress(180);
    });
    const call = w.alice.ua.invite({ uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>', body: SDP_A });
    let early: Dialog | undefined;
    call.on('provisional', (_r, d) => (early = d));
    await run(w.timers, 100);
    const bye = early?.bye();
    await run(w.timers, 100);
    expect((await bye)?.status).toBe(200);
    expect((await call.result).response.status).toBe(487);
    expect(incoming?.state).toBe('rejected');
  });

  it('UAS dialogs can send in-dialog requests back where the INVITE came from (reuseInboundFlow)', async () => {
    for (const reuseInboundFlow of [false, true]) {
      const timers = new FakeTimers();
      const net = new InMemoryNetwork(timers, 5);
      // alice's Contact names a private address nobody can reach (she is behind NAT)
      const alice = makeUa(net, timers, 'alice', '10.0.0.1', { contactAddress: '192.168.1.10' });
      const bob = makeUa(net, timers, 'bob', '10.0.0.2', { reuseInboundFlow });
      let bobDialog: Dialog | undefined;
      bob.ua.onInvite((inv) => (bobDialog = inv.accept()));
      const call = alice.ua.invite({ uri: bob.uri, dest: bob.dest, from: '<sip:alice@a.example>' });
      await run(timers, 100);
      expect((await call.result).answered).toBe(true);
      const info = bobDialog?.request('INFO');
      await run(timers, 100);
      expect((await info)?.status).toBe(reuseInboundFlow ? 501 : 503);
      expect(net.log.filter((r) => r.msg.kind === 'request' && r.msg.method === 'INFO').map((r) => r.to)).toEqual([reuseInboundFlow ? '10.0.0.1:5060' : '192.168.1.10:5060']);
    }
  });

  it('holds no dialog, transaction or timer after 1,000 calls set up and torn down', async () => {
    const w = world();
    w.bob.ua.onInvite((inv) => {
      inv.progress(180);
      const d = inv.accept({ body: SDP_B });
      d.on('ack', () => void d.request('INFO'));
    });
    let answered = 0;
    for (let i = 0; i < 1000; i++) {
      const call = w.alice.ua.invite({ uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>', body: SDP_A });
      call.on('answered', (d) => {
        answered++;
        w.timers.setTimer(1000, () => void d.bye());
      });
    }
    await run(w.timers, 2_000);
    expect(answered).toBe(1000);
    expect(w.alice.ua.size + w.bob.ua.size).toBe(0);
    await run(w.timers, 60_000);
    expect(w.alice.transactions.indexSizes).toEqual({ clients: 0, servers: 0, cancellable: 0, merged: 0 });
    expect(w.bob.transactions.indexSizes).toEqual({ clients: 0, servers: 0, cancellable: 0, merged: 0 });
    expect(w.timers.pending).toBe(0);
  });
});
