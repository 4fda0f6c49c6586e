import { isRequest, run } from '../transaction/test-support';
import { SDP_A, SDP_B, world } from './test-support';

describe('OutgoingInvite.cancel (RFC 3261 §9.1)', () => {
  it('ends a 2xx that crosses the CANCEL with a BYE carrying the headers given to cancel()', async () => {
    const w = world();
    w.bob.ua.onInvite((inv) => {
      inv.progress(180);
      w.timers.setTimer(100, () => inv.accept({ body: SDP_B }));
    });
    const call = w.alice.ua.invite({ uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>', body: SDP_A, headers: [['X-AccountId', 'acc-1']] });
    await run(w.timers, 102); // the 180 is in; bob answers at 105
    call.cancel('recording stopped', { byeHeaders: [['X-AccountId', 'acc-1']] });
    await run(w.timers, 200);
    expect((await call.result).response.status).toBe(487);
    const bye = w.net.log.find((r) => isRequest('BYE')(r.msg));
    expect(bye?.msg.headers.get('X-AccountId')).toBe('acc-1');
    expect(w.alice.ua.size + w.bob.ua.size).toBe(0);
  });

  it('sends the BYE without extra headers when cancel() names none', async () => {
    const w = world();
    w.bob.ua.onInvite((inv) => {
      inv.progress(180);
      w.timers.setTimer(100, () => inv.accept({ body: SDP_B }));
    });
    const call = w.alice.ua.invite({ uri: w.bob.uri, dest: w.bob.dest, from: '<sip:alice@a.example>', body: SDP_A, headers: [['X-AccountId', 'acc-1']] });
    await run(w.timers, 102);
    call.cancel();
    await run(w.timers, 200);
    const bye = w.net.log.find((r) => isRequest('BYE')(r.msg));
    expect(bye).toBeDefined();
    expect(bye?.msg.headers.get('X-AccountId')).toBeUndefined();
  });
});
