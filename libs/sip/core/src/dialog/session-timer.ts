import { parseParams } from '../message/scan';
import type { SipMessage, SipRequest } from '../message/types';
import type { TimerHandle, Timers } from '../transaction/ports';
import { hasToken } from './messages';

/** RFC 4028 settings. */
export interface SessionTimerSettings {
  /** Session-Expires we ask for, seconds. Default 1800 (RFC 4028 §4 recommends 1800). */
  interval: number;
  /** The smallest interval we accept (Min-SE), seconds. Default 90, the RFC 4028 §5 minimum. */
  minSE: number;
  /** How we refresh when we are the refresher: `auto` = UPDATE if the peer allows it, else re-INVITE. */
  refreshMethod: 'auto' | 'UPDATE' | 'INVITE';
  /** Who refreshes when the choice is ours (UAS answering a request without `refresher`, §9). Default `local`. */
  preferRefresher: 'local' | 'remote';
}

export const DEFAULT_SESSION_TIMER: SessionTimerSettings = { interval: 1800, minSE: 90, refreshMethod: 'auto', preferRefresher: 'local' };

export interface SessionExpires {
  interval: number;
  refresher?: 'uac' | 'uas';
}

/** `Session-Expires: 1800;refresher=uac` (RFC 4028 §4); undefined when absent or malformed. */
export function parseSessionExpires(msg: SipMessage): SessionExpires | undefined {
  const value = msg.headers.get('Session-Expires');
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)\s*(;.*)?$/.exec(value);
  if (!m) return undefined;
  const out: SessionExpires = { interval: Number(m[1]) };
  try {
    const refresher = m[2] ? parseParams(m[2].replace(/^\s*;/, ''))['refresher']?.toLowerCase() : undefined;
    if (refresher === 'uac' || refresher === 'uas') out.refresher = refresher;
  } catch {
    return out;
  }
  return out;
}

export function parseMinSE(msg: SipMessage): number | undefined {
  const m = /^\s*(\d+)/.exec(msg.headers.get('Min-SE') ?? '');
  return m ? Number(m[1]) : undefined;
}

export const formatSessionExpires = (se: SessionExpires): string => `${se.interval}${se.refresher ? `;refresher=${se.refresher}` : ''}`;

/** The outcome of RFC 4028 §9 for a request that may start or refresh a session timer. */
export type UasDecision =
  /** 422 Session Interval Too Small with this Min-SE. */
  | { kind: 'reject'; minSE: number }
  /** Run the timer: interval, whether we refresh, and whether the response needs Require: timer. */
  | { kind: 'grant'; interval: number; localRefresher: boolean; requireTimer: boolean }
  /** No session timer for this session. */
  | { kind: 'none' };

/**
 * RFC 4028 §9: a UAS answering an INVITE or UPDATE. Too small an interval is
 * refused with 422 when the UAC supports the extension (§9 says a 422 must not
 * go to a UAC that cannot understand it: then the interval is raised instead).
 * Without `refresher` in the request the UAS chooses (`preferRefresher`), and
 * when the UAC does not support timers the UAS must refresh itself.
 * `current` is the timer already running in the dialog (a refresh without
 * Session-Expires from a UAC that supports timers keeps it).
 */
export function decideAsUas(req: SipRequest, cfg: SessionTimerSettings, current?: { interval: number; localRefresher: boolean }): UasDecision {
  const uacSupports = hasToken(req, 'Supported', 'timer') || hasToken(req, 'Require', 'timer');
  const se = parseSessionExpires(req);
  if (!se) {
    if (!uacSupports) return { kind: 'none' };
    if (current) return { kind: 'grant', interval: current.interval, localRefresher: current.localRefresher, requireTimer: true };
    // §9: the UAS may add one when the UAC supports the extension.
    return { kind: 'grant', interval: Math.max(cfg.interval, parseMinSE(req) ?? 0, cfg.minSE), localRefresher: cfg.preferRefresher === 'local', requireTimer: true };
  }
  let interval = se.interval;
  if (interval < cfg.minSE) {
    if (uacSupports) return { kind: 'reject', minSE: cfg.minSE };
    interval = cfg.minSE;
  }
  // §9: the UAS may lower the interval, never below the request's Min-SE nor ours.
  interval = Math.min(interval, Math.max(cfg.interval, parseMinSE(req) ?? 0, cfg.minSE));
  let localRefresher: boolean;
  if (!uacSupports) localRefresher = true;
  else if (se.refresher) localRefresher = se.refresher === 'uas';
  else localRefresher = cfg.preferRefresher === 'local';
  return { kind: 'grant', interval, localRefresher, requireTimer: uacSupports };
}

/** RFC 4028 §7.1: the headers a UAC adds to an INVITE or UPDATE. */
export function uacHeaders(interval: number, minSE: number, refresher?: 'uac' | 'uas'): [string, string][] {
  const se: SessionExpires = { interval };
  if (refresher) se.refresher = refresher;
  return [
    ['Session-Expires', formatSessionExpires(se)],
    ['Min-SE', String(minSE)],
  ];
}

/** RFC 4028 §7.2: a 2xx with Session-Expires starts the timer; refresher=uac means we (the UAC) refresh. Without it there is none. */
export function decideAsUac(res: SipMessage): { interval: number; localRefresher: boolean } | undefined {
  const se = parseSessionExpires(res);
  if (!se) return undefined;
  return { interval: se.interval, localRefresher: se.refresher !== 'uas' };
}

/**
 * The timers of one session (RFC 4028 §10): the refresher refreshes at half
 * the interval; without a successful refresh the other side ends the session
 * at the interval minus min(32 s, interval/3), the refresher at the interval.
 */
export class SessionTimer {
  private refreshHandle?: TimerHandle;
  private expireHandle?: TimerHandle;
  private current?: { interval: number; localRefresher: boolean };

  constructor(
    private readonly timers: Timers,
    private readonly onRefresh: () => void,
    private readonly onExpire: () => void,
  ) {}

  get active(): { interval: number; localRefresher: boolean } | undefined {
    return this.current;
  }

  start(interval: number, localRefresher: boolean): void {
    this.stop();
    this.current = { interval, localRefresher };
    if (localRefresher) this.refreshHandle = this.timers.setTimer((interval * 1000) / 2, () => this.onRefresh());
    // The refresher learns of a failed refresh from its response (408/481 → BYE, §10); its own
    // deadline is the full interval. The other side gives up a little before (§10).
    const expireAt = (localRefresher ? interval : interval - Math.min(32, interval / 3)) * 1000;
    this.expireHandle = this.timers.setTimer(expireAt, () => {
      this.current = undefined;
      this.onExpire();
    });
  }

  stop(): void {
    if (this.refreshHandle !== undefined) this.timers.clearTimer(this.refreshHandle);
    if (this.expireHandle !== undefined) this.timers.clearTimer(this.expireHandle);
    this.refreshHandle = undefined;
    this.expireHandle = undefined;
    this.current = undefined;
  }
}
