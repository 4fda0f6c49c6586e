import { freePort, runSipp } from '@ci-connector/platform-testing';
import { createSipStack, type SipStack } from './index';

// sipp's built-in UAC (INVITE, 100/180/200, ACK, pause, BYE, 200) against our stack as the UAS.
describe.each(['udp', 'tcp'] as const)('our UAS against sipp uac over %s', (protocol) => {
  let stack: SipStack;
  let port: number;
  const ended: string[] = [];
  beforeAll(async () => {
    port = await freePort();
    stack = await createSipStack({ listen: [{ protocol, host: '127.0.0.1', port }], sessionTimer: false });
    stack.ua.onInvite((inv) => {
      inv.progress(180);
      const dialog = inv.accept({ body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n', contentType: 'application/sdp' });
      dialog.on('terminated', ({ cause }) => ended.push(cause));
    });
  });
  afterAll(() => stack.close());

  it('answers every call and sees every BYE', async () => {
    ended.length = 0;
    const r = await runSipp({ scenario: 'uac', remote: `127.0.0.1:${port}`, transport: protocol, localPort: await freePort(), controlPort: await freePort(), calls: 10, rate: 20, deadlineMs: 30_000, extraArgs: ['-d', '100'] });
    expect(r).toMatchObject({ code: 0, killedAtDeadline: false, successful: 10, failed: 0 });
    expect(ended).toEqual(Array(10).fill('bye-received'));
    expect(stack.ua.size).toBe(0);
  });
});
