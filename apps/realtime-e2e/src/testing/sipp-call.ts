import { join } from 'node:path';
import { freePort, runSipp, udpPortBound, waitFor, type SippResult } from '@ci-connector/platform-testing';

const scenario = (name: string) => join(__dirname, '../sipp', `${name}.xml`);

export interface PhoneCall {
  /** Both sipp done: the call was answered, talked and hung up. */
  done: Promise<{ uac: SippResult; uas: SippResult }>;
}

/**
 * One call through sip-signaling between two sipp over UDP: the far end
 * (UAS) listens on `uasPort` (the tenant's next hop) and answers at once; the
 * caller sends `dialerHeader: dialerId` (X-Dialer-Call-Id, or a header
 * sip-signaling does not read) with the SIP Call-ID `sipCallId`, talks for
 * `talkMs`, and hangs up.
 */
export async function placeCall(o: {
  sipPort: number;
  uasPort: number;
  caller: string;
  callerName: string;
  callee: string;
  sipCallId: string;
  dialerHeader: string;
  dialerId: string;
  talkMs: number;
}): Promise<PhoneCall> {
  const uas = runSipp({ scenario: scenario('uas-answer'), localPort: o.uasPort, controlPort: await freePort(), calls: 1, deadlineMs: 30_000, keys: { rtp_port: String(await freePort()) } });
  let uasExited = false;
  void uas.then(() => (uasExited = true)).catch(() => undefined);
  await waitFor('sipp UAS listening', () => uasExited || udpPortBound(o.uasPort), 10_000, 20);
  const uac = runSipp({
    scenario: scenario('uac-call'),
    remote: `127.0.0.1:${o.sipPort}`,
    localPort: await freePort(),
    controlPort: await freePort(),
    calls: 1,
    deadlineMs: 30_000,
    keys: {
      caller: o.caller,
      caller_name: o.callerName,
      callee: o.callee,
      dialer_header: o.dialerHeader,
      dialer_id: o.dialerId,
      rtp_port: String(await freePort()),
    },
    // sipp matches answers to its calls by the Call-ID it made: have it make ours (% escaped).
    extraArgs: ['-d', String(o.talkMs), '-cid_str', o.sipCallId.replace(/%/g, '%%')],
  });
  return { done: Promise.all([uac, uas]).then(([u, s]) => ({ uac: u, uas: s })) };
}

/** 'ok' when one call succeeded and none failed, else what sipp said. */
export const sippOk = (r: SippResult) => (r.successful === 1 && r.failed === 0 ? 'ok' : JSON.stringify({ code: r.code, killed: r.killedAtDeadline, ok: r.successful, failed: r.failed, stderr: r.stderr.slice(-2000) }));
