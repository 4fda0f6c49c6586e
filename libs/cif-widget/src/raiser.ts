import { backoffDelay, sleep } from './backoff';
import { CifGate, type CifGateOptions } from './cif';
import { CifWidgetError, messageOf } from './errors';
import { RememberedSet, defaultStorage } from './memory';
import { DEFAULT_RETRY, type CallEndedEvent, type CallStartedEvent, type RetryPolicy, type StorageLike, type WidgetEventName } from './types';

/** What raise() did: raised it now, or CIF already had this call's event (so it was not raised again). */
export type RaiseOutcome = 'raised' | 'already-raised';

export interface RaiserOptions extends CifGateOptions {
  retry?: Partial<RetryPolicy>;
  /** Where the once-per-call memory is kept (default sessionStorage; survives a reload of the widget page). */
  storage?: StorageLike | null;
  /** Told before each retry, with why (a CifWidgetError whose `retrying` is true). */
  onRetry?: (err: CifWidgetError) => void;
  /** For tests: jitter source. */
  random?: () => number;
}

type Failure = 'already' | 'timeout' | 'refused' | 'transient';

/**
 * How a failed raiseEvent is read. CIF 1.0 documents only "fails before CIFInitDone"
 * and "times out after 10 s": both are worth another attempt, as is anything unknown.
 * Refusals that name a broken rule of the payload (the ci-emulator's `violations`)
 * will fail the same way again. A refusal saying the call's event was already raised
 * means an earlier attempt (one that timed out on our side) did reach CIF.
 */
function classify(err: unknown): Failure {
  const text = messageOf(err);
  const rules = ((err as { violations?: Array<{ rule?: unknown }> } | null)?.violations ?? []).map((v) => String(v?.rule ?? ''));
  if (/already raised/i.test(text) || rules.some((r) => r.endsWith('.once'))) return 'already';
  if (/timed? ?out|timeout/i.test(text)) return 'timeout';
  if (rules.some((r) => r !== '' && r !== 'cif.init')) return 'refused';
  return 'transient';
}

interface OnceGuard {
  /** Events raised (kept in the storage). */
  raised: RememberedSet;
  /** Events being raised right now, by any raiser of the page. */
  inFlight: Set<string>;
}

const guards = new Map<StorageLike | undefined, OnceGuard>();
/** One once-per-call memory per storage, shared by connect() and the raise*() functions of the page. */
function onceGuard(storage: StorageLike | undefined): OnceGuard {
  let g = guards.get(storage);
  if (!g) guards.set(storage, (g = { raised: new RememberedSet(storage, 'ci-connector/cif-widget/v1/raised', 2000), inFlight: new Set() }));
  return g;
}

/** Raises the seed's events through CIF: waits for CIF, retries, and raises each call's started and ended once. */
export class CifRaiser {
  private readonly gate: CifGate;
  private readonly retry: RetryPolicy;
  private readonly guard: OnceGuard;

  constructor(private readonly opts: RaiserOptions = {}) {
    this.gate = new CifGate(opts);
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.guard = onceGuard(opts.storage === null ? undefined : (opts.storage ?? defaultStorage()));
  }

  /** CIF, once it can take calls (see CifGate). */
  ready(signal?: AbortSignal): Promise<unknown> {
    return this.gate.ready(signal);
  }

  /**
   * Raises `name` with a payload already in the seed's shape. Resolves 'already-raised'
   * without calling CIF when this call's event of that name was raised before on this
   * page (ended once per call id; started too). Rejects with a CifWidgetError after the
   * last attempt, or at once for a payload CIF refuses by rule.
   */
  async raise(name: WidgetEventName, payload: CallStartedEvent | CallEndedEvent, signal?: AbortSignal): Promise<RaiseOutcome> {
    const key = `${name}\n${payload.callId}`;
    const { raised, inFlight } = this.guard;
    if (raised.has(key) || inFlight.has(key)) return 'already-raised';
    inFlight.add(key);
    try {
      const outcome = await this.attempt(name, payload, signal);
      raised.add(key);
      return outcome;
    } finally {
      inFlight.delete(key);
    }
  }

  private async attempt(name: WidgetEventName, payload: CallStartedEvent | CallEndedEvent, signal?: AbortSignal): Promise<RaiseOutcome> {
    const { maxAttempts, initialDelayMs, maxDelayMs, raiseTimeoutMs } = this.retry;
    const what = `${name} for call ${payload.callId}`;
    for (let attempt = 1; ; attempt++) {
      const cif = await this.gate.ready(signal);
      if (!cif || signal?.aborted) throw new CifWidgetError('cif-raise-failed', `${what}: stopped (the widget was closed)`);
      let failure: Failure;
      let err: unknown;
      try {
        await withTimeout(() => cif.raiseEvent(name, payload), raiseTimeoutMs);
        return 'raised';
      } catch (e) {
        err = e;
        failure = e instanceof RaiseTimeout ? 'timeout' : classify(e);
      }
      // Raised by an earlier attempt that timed out on our side, or by other code on the page: either way CIF has it.
      if (failure === 'already') return 'already-raised';
      if (failure === 'refused') throw new CifWidgetError('cif-raise-failed', `${what}: CIF refused it: ${messageOf(err)}`, { cause: err });
      if (attempt >= maxAttempts) throw new CifWidgetError('cif-raise-failed', `${what}: failed ${attempt} times, giving up: ${messageOf(err)}`, { cause: err });
      const delay = backoffDelay(attempt, initialDelayMs, maxDelayMs, this.opts.random);
      this.opts.onRetry?.(new CifWidgetError('cif-raise-failed', `${what}: attempt ${attempt} of ${maxAttempts} ${failure === 'timeout' ? 'timed out' : 'failed'} (${messageOf(err)}); again in ${delay} ms`, { retrying: true, cause: err }));
      await sleep(delay, signal);
    }
  }
}

class RaiseTimeout extends Error {}

/** CIF says its calls time out after 10 s; this bounds a Promise that never settles at all. */
function withTimeout<T>(run: () => Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RaiseTimeout(`Microsoft.CIFramework.raiseEvent did not answer in ${ms} ms (timed out)`)), ms);
    let p: Promise<T>;
    try {
      p = Promise.resolve(run());
    } catch (e) {
      // raiseEvent threw instead of rejecting (e.g. the library half-loaded).
      p = Promise.reject(e);
    }
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
