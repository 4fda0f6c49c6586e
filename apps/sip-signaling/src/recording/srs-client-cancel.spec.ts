import type { Dialog, DialogLayer, InviteOutcome, OutgoingInvite } from '@ci-connector/sip';
import { SrsClient } from './srs-client';

// A SIPREC INVITE given up on (the call ended first, or no answer in time) is
// CANCELled; if the recorder's 200 crosses the CANCEL the SIP stack ACKs and
// BYEs it. That BYE must carry X-AccountId like every SIPREC BYE, or the
// recorder refuses it (403) and keeps the session open.

function fakeUa() {
  const cancels: { reason?: string; opts?: { byeHeaders?: [string, string][] } }[] = [];
  let settle: (o: InviteOutcome) => void = () => undefined;
  const call = {
    result: new Promise<InviteOutcome>((r) => (settle = r)),
    cancel: (reason?: string, opts?: { byeHeaders?: [string, string][] }) => void cancels.push({ reason, opts }),
  } as unknown as OutgoingInvite;
  const ua: Pick<DialogLayer, 'invite'> = { invite: () => call };
  return { ua, cancels, settle };
}

const request = {
  target: { uri: 'sip:SRS@127.0.0.1:15061;transport=tls', host: '127.0.0.1', port: 15061, region: 'uksouth' } as never,
  callId: 'c1',
  accountId: 'AC123',
  sdp: 'v=0\r\n',
  metadataXml: '<recording/>',
};

describe('SrsClient: a cancelled SIPREC INVITE', () => {
  it('asks the stack to BYE a crossing 2xx with X-AccountId when the recording stops first', async () => {
    const f = fakeUa();
    const attempt = new SrsClient({ ua: f.ua, fromDomain: 'sbc.example', attemptTimeoutMs: 60_000 }).invite(request, () => undefined);
    attempt.cancel();
    expect(f.cancels).toEqual([{ reason: 'recording stopped', opts: { byeHeaders: [['X-AccountId', 'AC123']] } }]);
    f.settle({ answered: false, response: { status: 487, reason: 'Request Terminated', headers: new Map() } as never });
    await expect(attempt.result).resolves.toEqual({ ok: false, failure: { kind: 'status', status: 487, reason: 'Request Terminated' }, status: 487 });
  });

  it('does the same when the recorder does not answer in time', async () => {
    jest.useFakeTimers();
    try {
      const f = fakeUa();
      const attempt = new SrsClient({ ua: f.ua, fromDomain: 'sbc.example', attemptTimeoutMs: 1_500 }).invite(request, (_d: Dialog) => undefined);
      jest.advanceTimersByTime(1_500);
      await expect(attempt.result).resolves.toEqual({ ok: false, failure: { kind: 'timeout' } });
      expect(f.cancels).toEqual([{ reason: 'no answer in time', opts: { byeHeaders: [['X-AccountId', 'AC123']] } }]);
    } finally {
      jest.useRealTimers();
    }
  });
});
