import type { Timers } from '@ci-connector/sip-core';

/**
 * Wall-clock timers for the transaction and dialog layers. Unref'd: a SIP
 * timer alone never keeps the process alive (the listeners do), so a service
 * can exit once its sockets are closed even with Timer K still pending.
 */
export const realTimers: Timers = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return t;
  },
  clearTimer(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
