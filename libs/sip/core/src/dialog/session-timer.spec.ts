import { FakeTimers } from '../transaction/fake-timers';
import { buildRequest, buildResponse } from '../transaction/test-support';
import { DEFAULT_SESSION_TIMER, SessionTimer, decideAsUac, decideAsUas, parseSessionExpires } from './session-timer';

const cfg = { ...DEFAULT_SESSION_TIMER, interval: 1800, minSE: 90 };
const invite = (headers: [string, string][]) => buildRequest({ method: 'INVITE', headers });

describe('RFC 4028 negotiation', () => {
  it('parses Session-Expires with and without refresher, compact form too', () => {
    expect(parseSessionExpires(invite([['Session-Expires', '1800;refresher=uac']]))).toEqual({ interval: 1800, refresher: 'uac' });
    expect(parseSessionExpires(invite([['x', '600']]))).toEqual({ interval: 600 });
    expect(parseSessionExpires(invite([['Session-Expires', 'soon']]))).toBeUndefined();
  });

  it('UAS: 422 below our Min-SE when the UAC supports timers; otherwise raises the interval and refreshes itself', () => {
    expect(decideAsUas(invite([['Supported', 'timer'], ['Session-Expires', '60']]), cfg)).toEqual({ kind: 'reject', minSE: 90 });
    // A proxy put Session-Expires in for a UAC without support (§8): the UAS must refresh, no Require.
    expect(decideAsUas(invite([['Session-Expires', '60']]), cfg)).toEqual({ kind: 'grant', interval: 90, localRefresher: true, requireTimer: false });
  });

  it('UAS: honours refresher=, chooses by preference without it, lowers but never below the request\'s Min-SE', () => {
    expect(decideAsUas(invite([['Supported', 'timer'], ['Session-Expires', '600;refresher=uac']]), cfg)).toEqual({ kind: 'grant', interval: 600, localRefresher: false, requireTimer: true });
    expect(decideAsUas(invite([['Supported', 'timer'], ['Session-Expires', '600']]), { ...cfg, preferRefresher: 'remote' })).toMatchObject({ localRefresher: false });
    expect(decideAsUas(invite([['Supported', 'timer'], ['Session-Expires', '7200'], ['Min-SE', '3600']]), cfg)).toMatchObject({ interval: 3600 });
    expect(decideAsUas(invite([['Supported', 'timer'], ['Session-Expires', '7200']]), cfg)).toMatchObject({ interval: 1800 });
  });

  it('UAS: no Session-Expires → a timer only when the UAC supports it; none otherwise', () => {
    expect(decideAsUas(invite([]), cfg)).toEqual({ kind: 'none' });
    expect(decideAsUas(invite([['Supported', 'timer']]), cfg)).toEqual({ kind: 'grant', interval: 1800, localRefresher: true, requireTimer: true });
  });

  it('UAC: the 2xx decides; refresher=uas means the peer refreshes; no header, no timer', () => {
    const req = invite([]);
    expect(decideAsUac(buildResponse(req, 200, { headers: [['Session-Expires', '900;refresher=uas']] }))).toEqual({ interval: 900, localRefresher: false });
    expect(decideAsUac(buildResponse(req, 200, { headers: [['Session-Expires', '900;refresher=uac']] }))).toEqual({ interval: 900, localRefresher: true });
    expect(decideAsUac(buildResponse(req, 200))).toBeUndefined();
  });
});

describe('SessionTimer', () => {
  it('refresher: refresh at half the interval, expiry at the full interval', () => {
    const timers = new FakeTimers();
    const events: string[] = [];
    const t = new SessionTimer(timers, () => events.push(`refresh@${timers.now()}`), () => events.push(`expire@${timers.now()}`));
    t.start(90, true);
    timers.advance(100_000);
    expect(events).toEqual(['refresh@45000', 'expire@90000']);
  });

  it('non-refresher: expiry at interval − min(32 s, interval/3); a restart (refresh) moves it', () => {
    const timers = new FakeTimers();
    const events: number[] = [];
    const t = new SessionTimer(timers, () => undefined, () => events.push(timers.now()));
    t.start(90, false); // 90 − 30
    timers.advance(50_000);
    t.start(1800, false); // 1800 − 32
    timers.advance(2_000_000);
    expect(events).toEqual([50_000 + 1_768_000]);
    t.stop();
    expect(timers.pending).toBe(0);
  });
});
