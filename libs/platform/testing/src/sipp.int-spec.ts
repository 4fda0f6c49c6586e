import { runSipp } from './sipp';
import { freePort } from './free-port';

describe('runSipp', () => {
  it('runs sipp as UAS and UAC against each other on loopback and reads their call counts', async () => {
    const [uasPort, uasCtl, uacPort, uacCtl] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const uas = runSipp({ scenario: 'uas', localPort: uasPort, controlPort: uasCtl, calls: 5, deadlineMs: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const uac = await runSipp({ scenario: 'uac', remote: `127.0.0.1:${uasPort}`, localPort: uacPort, controlPort: uacCtl, calls: 5, rate: 20, deadlineMs: 20_000 });
    const uasResult = await uas;
    expect(uac).toMatchObject({ code: 0, killedAtDeadline: false, successful: 5, failed: 0 });
    expect(uasResult).toMatchObject({ code: 0, successful: 5, failed: 0 });
  });

  it('reports failed calls when nobody answers, and stops sipp at the deadline', async () => {
    const [deadPort, port, ctl] = [await freePort(), await freePort(), await freePort()];
    const r = await runSipp({ scenario: 'uac', remote: `127.0.0.1:${deadPort}`, localPort: port, controlPort: ctl, calls: 1, deadlineMs: 3000, extraArgs: ['-recv_timeout', '1000'] });
    expect(r.code === 1 || r.killedAtDeadline).toBe(true);
    expect(r.successful).toBe(0);
  });
});
