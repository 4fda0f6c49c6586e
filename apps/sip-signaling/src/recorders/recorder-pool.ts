import {
  CircuitBreaker,
  describeFailure,
  RecorderHealth,
  recorderTargets,
  type Clock,
  type CircuitState,
  type PingOutcome,
  type RecorderFailure,
  type RecorderHealthOptions,
  type RecorderHealthSnapshot,
  type RecorderTarget,
  type RecorderTargetOptions,
  type RecorderTenant,
} from '@ci-connector/siprec';
import type { RecorderPinger } from './options-pinger';

export type { RecorderTarget, RecorderTenant } from '@ci-connector/siprec';

/** An INVITE's outcome at one recorder, as the recording session saw it. */
export type RecorderOutcome = { ok: true } | { ok: false; failure: RecorderFailure };

/**
 * The shorter form src/recording/ports.ts declared: `'ok'`, a final status
 * (`retryAfterMs` from a 503), or an error text (`'timeout'` = no answer in time,
 * anything else = transport). Prefer `{ ok: false, failure }`: it keeps the kind.
 */
export type RecorderOutcomeShort = 'ok' | { status?: number; error?: string; retryAfterMs?: number };

function normalise(o: RecorderOutcome | RecorderOutcomeShort): RecorderOutcome {
  if (o === 'ok') return { ok: true };
  if ('ok' in o) return o;
  if (o.status !== undefined) return { ok: false, failure: { kind: 'status', status: o.status, ...(o.error ? { reason: o.error } : {}), ...(o.retryAfterMs !== undefined ? { retryAfter: Math.ceil(o.retryAfterMs / 1000) } : {}) } };
  if (o.error === 'timeout') return { ok: false, failure: { kind: 'timeout' } };
  if (o.error === 'circuit-open') return { ok: false, failure: { kind: 'circuit-open' } };
  return { ok: false, failure: { kind: 'transport', message: o.error ?? 'unknown failure' } };
}

export interface PoolLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

export interface RecorderPoolOptions extends RecorderTargetOptions {
  /** Sends one OPTIONS ping; none = no pinging (the circuits learn from INVITE outcomes only). */
  pinger?: RecorderPinger;
  /** Breaker thresholds and the ping interval per recorder (default 30 s). */
  health?: RecorderHealthOptions;
  /** How often due pings are looked for (default: a quarter of the ping interval, at most 1 s). */
  tickMs?: number;
  /** Where recorders whose circuit is open go: `last` (tried after every healthy one, default) or `skip` (left out unless every circuit is open). */
  openCircuits?: 'last' | 'skip';
  /** Recorders pinged from the start (e.g. every region's, or the service region's and global), before any call used them. */
  initialTargets?: readonly RecorderTarget[];
  /** At most this many recorders are tracked and pinged (tenant lists add theirs; default 256). */
  maxTracked?: number;
  logger: PoolLogger;
  clock?: Clock;
}

/** Up = the last ping or INVITE succeeded; down = the last one failed; unknown = none yet. */
export type RecorderUpState = 'up' | 'down' | 'unknown';

export interface RecorderPoolSnapshot extends RecorderHealthSnapshot {
  status: RecorderUpState;
  region?: string;
}

const systemClock: Clock = { now: () => Date.now() };

/**
 * The recorders (SRS) the SIPREC client sends to, with their health:
 *
 * - `targetsFor(tenant)`: the tenant's recorders in failover order
 *   (`recorderTargets` of libs/siprec: its own list, else its region then
 *   global; `hostOverrides` points regions at the ci-emulator on loopback),
 *   healthy ones first keeping that order; a recorder whose circuit is open
 *   goes last (or is skipped with `openCircuits: 'skip'`, unless all are open).
 * - `report(target, outcome)`: each SIPREC INVITE's outcome feeds that
 *   recorder's circuit breaker (only recorder faults count: 5xx, 408,
 *   timeouts, transport errors, unusable answers).
 * - `start()`: an OPTIONS ping to each known recorder every ping interval
 *   (over SIPS with the carrier's client certificate, see options-pinger.ts):
 *   any final response below 500 = up; 5xx, no answer in time, a TLS or
 *   connection failure = down; failures open the circuit like INVITE failures.
 *   Every change up ↔ down and every circuit change is logged.
 * - `snapshot()` / `health()`: per recorder for /health/ready and logs.
 */
export class RecorderPool {
  private readonly health: RecorderHealth;
  private readonly clock: Clock;
  private readonly tickMs: number;
  private readonly maxTracked: number;
  private readonly known = new Map<string, RecorderTarget>();
  private readonly lastLogged = new Map<string, { status: RecorderUpState; state: CircuitState }>();
  private timer: NodeJS.Timeout | undefined;
  private pings = new Set<Promise<void>>();
  private trackedFull = false;

  constructor(private readonly opts: RecorderPoolOptions) {
    this.clock = opts.clock ?? systemClock;
    this.health = new RecorderHealth(this.clock, opts.health);
    const interval = opts.health?.pingIntervalMs ?? 30_000;
    this.tickMs = opts.tickMs ?? Math.max(10, Math.min(1000, Math.floor(interval / 4)));
    this.maxTracked = opts.maxTracked ?? 256;
    if (opts.initialTargets) this.track(opts.initialTargets);
  }

  /** The tenant's recorders in the order to try them. Throws SiprecError for a tenant whose recorders or region are invalid. */
  targetsFor(tenant: RecorderTenant): RecorderTarget[] {
    const targets = recorderTargets(tenant, { ...(this.opts.hostOverrides ? { hostOverrides: this.opts.hostOverrides } : {}), ...(this.opts.globalFallback !== undefined ? { globalFallback: this.opts.globalFallback } : {}) });
    this.track(targets);
    const usable = (t: RecorderTarget) => this.health.breaker(t.uri)?.canAttempt() ?? true;
    const healthy = targets.filter(usable);
    if (healthy.length === targets.length) return targets;
    if ((this.opts.openCircuits ?? 'last') === 'skip') return healthy.length > 0 ? healthy : targets;
    return [...healthy, ...targets.filter((t) => !usable(t))];
  }

  /** Starts tracking recorders (pinged from the next tick). */
  track(targets: readonly RecorderTarget[]): void {
    const fresh: RecorderTarget[] = [];
    for (const t of targets) {
      if (this.known.has(t.uri)) continue;
      if (this.known.size >= this.maxTracked) {
        if (!this.trackedFull) this.opts.logger.warn({ maxTracked: this.maxTracked, uri: t.uri }, 'recorder pool: too many recorders to track; new ones are used without health checks');
        this.trackedFull = true;
        continue;
      }
      this.known.set(t.uri, t);
      fresh.push(t);
    }
    if (fresh.length > 0) this.health.track(fresh);
  }

  /** The breaker of a tracked recorder (to take a half-open probe slot with tryAcquire, if the session wants to). */
  breaker(target: RecorderTarget): CircuitBreaker | undefined {
    return this.health.breaker(target.uri);
  }

  report(target: RecorderTarget, reported: RecorderOutcome | RecorderOutcomeShort): void {
    try {
      const outcome = normalise(reported);
      this.track([target]);
      this.health.inviteResult(target.uri, outcome);
      this.logChange(target.uri, outcome.ok ? 'INVITE accepted' : `INVITE failed: ${describeFailure(outcome.failure)}`);
    } catch (err) {
      this.opts.logger.warn({ uri: target.uri, err: err instanceof Error ? err.message : String(err) }, 'recorder pool: could not record an outcome');
    }
  }

  start(): void {
    if (this.timer || !this.opts.pinger) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
    this.tick();
  }

  /** Stops pinging; waits for the pings in flight (each bounded by the pinger's timeout). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.pings]);
  }

  snapshot(): RecorderPoolSnapshot[] {
    return this.health.snapshot().map((s) => {
      const region = this.known.get(s.uri)?.region;
      return { ...s, status: statusOf(s), ...(region ? { region } : {}) };
    });
  }

  /** For readiness: a recorder outage never makes the service unready (calls go on unrecorded); `degraded` names the recorders down. */
  readiness(): { ok: true; degraded?: true; down?: string[]; recorders: RecorderPoolSnapshot[] } {
    const recorders = this.snapshot();
    const down = recorders.filter((r) => r.status === 'down' || r.state === 'open').map((r) => r.uri);
    return { ok: true, ...(down.length > 0 ? { degraded: true as const, down } : {}), recorders };
  }

  /** One round of due pings (the timer calls it; public for tests with a fake clock). */
  tick(): void {
    const pinger = this.opts.pinger;
    if (!pinger) return;
    for (const target of this.health.duePings()) {
      this.health.pingSent(target.uri);
      const p = pinger(target)
        .catch((err: unknown): PingOutcome => ({ kind: 'transport', message: err instanceof Error ? err.message : String(err) }))
        .then((outcome) => {
          this.health.pingResult(target.uri, outcome);
          this.logChange(target.uri, pingText(outcome));
        })
        .finally(() => this.pings.delete(p));
      this.pings.add(p);
    }
  }

  private logChange(uri: string, what: string): void {
    const s = this.health.snapshot().find((x) => x.uri === uri);
    if (!s) return;
    const now = { status: statusOf(s), state: s.state };
    const before = this.lastLogged.get(uri);
    if (before && before.status === now.status && before.state === now.state) {
      this.opts.logger.debug?.({ uri, ...now, what }, 'recorder health');
      return;
    }
    this.lastLogged.set(uri, now);
    const fields = { uri, status: now.status, circuit: now.state, was: before ? `${before.status}/${before.state}` : 'new', what, consecutiveFailures: s.consecutiveFailures, ...(s.lastError ? { lastError: s.lastError } : {}) };
    if (now.status === 'down' || now.state !== 'closed') this.opts.logger.warn(fields, `recorder ${now.status}, circuit ${now.state}`);
    else this.opts.logger.info(fields, `recorder ${now.status}, circuit ${now.state}`);
  }
}

function statusOf(s: RecorderHealthSnapshot): RecorderUpState {
  if (s.consecutiveFailures > 0) return 'down';
  return s.lastOkAt !== undefined ? 'up' : 'unknown';
}

function pingText(o: PingOutcome): string {
  return o.kind === 'response' ? `OPTIONS answered ${o.status}` : o.kind === 'timeout' ? 'OPTIONS not answered in time' : `OPTIONS transport error: ${o.message}`;
}
