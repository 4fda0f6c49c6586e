/** Timer settings of RFC 3261 §17.1.1.1 and Table 4 (§A), and RFC 6026 §8.11. */
export interface TransactionConfig {
  /** RTT estimate. Default 500 ms. */
  t1: number;
  /** Largest retransmission interval for non-INVITE requests and INVITE responses. Default 4 s. */
  t2: number;
  /** Longest time a message stays in the network. Default 5 s. */
  t4: number;
  /** Timer D, unreliable transports: at least 32 s (§17.1.1.2). */
  timerD: number;
  /**
   * When a server INVITE transaction sends 100 Trying if the TU has not answered
   * (§17.2.1: after 200 ms). 0 sends it at once; a negative value never.
   */
  tryingDelayMs: number;
  /**
   * A server non-INVITE transaction the TU never answers is dropped after this
   * (default 64*T1, when the client has given up by Timer F), so a silent TU
   * cannot make the layer grow.
   */
  serverNonInviteLimitMs?: number;
}

export const DEFAULT_TRANSACTION_CONFIG: TransactionConfig = { t1: 500, t2: 4000, t4: 5000, timerD: 32_000, tryingDelayMs: 200 };

/** Timer durations for one transaction, given whether its transport is reliable (§17, Table 4). */
export interface TimerValues {
  /** Initial Timer A / E / G interval; undefined on reliable transports (no retransmission). */
  retransmit?: number;
  /** Cap of E and G doubling (T2); A is not capped. */
  retransmitCap: number;
  /** B, F, H, L, M: 64*T1. */
  timeout: number;
  d: number;
  i: number;
  j: number;
  k: number;
}

export function timerValues(cfg: TransactionConfig, reliable: boolean): TimerValues {
  const timeout = 64 * cfg.t1;
  const values: TimerValues = {
    retransmitCap: cfg.t2,
    timeout,
    d: reliable ? 0 : cfg.timerD,
    i: reliable ? 0 : cfg.t4,
    j: reliable ? 0 : timeout,
    k: reliable ? 0 : cfg.t4,
  };
  if (!reliable) values.retransmit = cfg.t1;
  return values;
}
