import type { PolicyStore, SyncScheduler, TenantStore } from '@ci-connector/recording-policy';
import { syncTenant, type SyncJobDeps, type SyncOutcome } from './sync-job';
import { nextDueAfterSuccess, retryDelay, type SchedulePolicy } from './schedule-policy';
import { errorText, type Clock, type SyncTrigger } from './ports';

export interface RunnerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RunnerSettings extends SchedulePolicy {
  /** This replica's lease owner id. */
  owner: string;
  pollMs: number;
  leaseMs: number;
  concurrency: number;
  drainTimeoutMs: number;
}

export interface RunnerDeps extends Omit<SyncJobDeps, 'clock'> {
  tenants: Pick<TenantStore, 'get'>;
  policies: PolicyStore;
  scheduler: SyncScheduler;
  clock: Clock;
  logger: RunnerLogger;
  random?: () => number;
}

/** What this replica remembers of a tenant it synced (shown in /status). */
export interface LocalTenantState {
  failures: number;
  lastOutcome?: SyncOutcome['kind'];
  lastDurationMs?: number;
  lastPublishError?: string;
}

/** A sync renews its lease every third of it; it gives up (aborts) when it could not for 90% of one. */
const RENEW_EVERY = 1 / 3;
const GIVE_UP_AFTER = 0.9;

/**
 * The worker's loop. Every `pollMs` it claims as many due tenants as it has free
 * slots (the scheduler's leases make sure no two replicas claim the same one)
 * and syncs each; then it hands the tenant back with its next due time: the
 * interval with jitter after a success, a growing back-off after a failure. A
 * long sync renews its lease; one that lost it (or could not renew it for most
 * of its length) is aborted, since another replica may claim the tenant then
 * (an aborted sync never commits).
 */
export class SyncRunner {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly local = new Map<string, LocalTenantState>();
  /** Why a tenant was scheduled by this replica (on-demand, tenant-change); interval otherwise. */
  private readonly triggers = new Map<string, SyncTrigger>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopping = false;
  private lastLoopError: { at: string; error: string } | undefined;
  private readonly random: () => number;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly settings: RunnerSettings,
  ) {
    this.random = deps.random ?? Math.random;
  }

  start(): void {
    if (this.timer || this.stopping) return;
    const loop = () => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        if (!this.stopping) this.timer = setTimeout(loop, this.settings.pollMs);
      });
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Schedules a tenant now (any replica may take it); remembers why for the event. */
  async requestSync(tenantId: string, trigger: SyncTrigger): Promise<number> {
    const at = this.deps.clock.now();
    this.triggers.set(tenantId, trigger);
    await this.deps.scheduler.schedule(tenantId, at);
    return at;
  }

  /** Forgets a tenant this replica knew (deleted). */
  forget(tenantId: string): void {
    this.local.delete(tenantId);
    this.triggers.delete(tenantId);
    this.running.get(tenantId)?.controller.abort(new Error('tenant deleted'));
  }

  isSyncing(tenantId: string): boolean {
    return this.running.has(tenantId);
  }

  localState(tenantId: string): LocalTenantState | undefined {
    return this.local.get(tenantId);
  }

  /** Resolves once the syncs in progress now have ended. */
  async settled(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  get inFlight(): number {
    return this.running.size;
  }

  get loopError(): { at: string; error: string } | undefined {
    return this.lastLoopError;
  }

  /** One round: claim what is due (up to the free slots) and start syncing it. Never throws. */
  async tick(): Promise<void> {
    const free = this.settings.concurrency - this.running.size;
    if (free <= 0 || this.stopping) return;
    let claimed: string[];
    try {
      claimed = await this.deps.scheduler.claimDue(this.settings.owner, this.deps.clock.now(), free, this.settings.leaseMs);
      this.lastLoopError = undefined;
    } catch (err) {
      const error = errorText(err);
      if (this.lastLoopError?.error !== error) this.deps.logger.warn({ err: error }, 'could not claim due tenants');
      this.lastLoopError = { at: new Date(this.deps.clock.now()).toISOString(), error };
      return;
    }
    for (const tenantId of claimed) {
      if (this.running.has(tenantId)) continue; // cannot happen with the lease, but never twice here
      const controller = new AbortController();
      const entry = { controller, done: Promise.resolve() };
      this.running.set(tenantId, entry);
      entry.done = this.syncClaimed(tenantId, controller).finally(() => this.running.delete(tenantId));
    }
  }

  /** Syncs a claimed tenant and hands it back to the scheduler. Never throws. */
  private async syncClaimed(tenantId: string, controller: AbortController): Promise<void> {
    const { deps, settings } = this;
    const log = { tenantId, owner: settings.owner };
    try {
      const tenant = await deps.tenants.get(tenantId);
      if (!tenant) {
        deps.logger.info(log, 'tenant no longer exists: unscheduled and its policy dropped');
        await deps.scheduler.unschedule(tenantId);
        await deps.policies.drop(tenantId);
        await deps.scheduler.release(tenantId, settings.owner);
        this.forget(tenantId);
        return;
      }
      if (tenant.status.state !== 'registered') {
        deps.logger.info({ ...log, state: tenant.status.state }, 'tenant is not registered: unscheduled (its last list is kept)');
        await deps.scheduler.unschedule(tenantId);
        await deps.scheduler.release(tenantId, settings.owner);
        return;
      }
      const trigger = this.triggers.get(tenantId) ?? 'interval';
      this.triggers.delete(tenantId);
      const started = deps.clock.now();
      const stopRenewing = this.keepLease(tenantId, controller);
      let outcome: SyncOutcome;
      try {
        outcome = await syncTenant({ id: tenant.id, defaultCountry: tenant.defaultCountry }, trigger, deps, controller.signal);
      } finally {
        stopRenewing();
      }
      const now = deps.clock.now();
      const state = this.local.get(tenantId) ?? { failures: 0 };
      state.lastOutcome = outcome.kind;
      state.lastDurationMs = now - started;
      this.local.set(tenantId, state);
      const result = { ...log, trigger, users: outcome.users, pages: outcome.pages, ms: now - started };

      if (outcome.kind === 'synced') {
        state.failures = 0;
        if (outcome.publishError) state.lastPublishError = outcome.publishError;
        else delete state.lastPublishError;
        const next = nextDueAfterSuccess(now, settings, this.random);
        await deps.scheduler.complete(tenantId, settings.owner, next, now);
        deps.logger.info({ ...result, version: outcome.meta.version, identities: outcome.identities, skipped: outcome.skipped, nextDueAt: new Date(next).toISOString() }, 'policy synced');
        if (outcome.publishError) deps.logger.error({ ...log, err: outcome.publishError }, 'policy is live but recording-policy.updated was not published: caches refresh at their TTL');
      } else if (outcome.kind === 'superseded') {
        const next = nextDueAfterSuccess(now, settings, this.random);
        await deps.scheduler.complete(tenantId, settings.owner, next, now);
        deps.logger.info({ ...result, reason: outcome.error }, 'a newer list went live meanwhile: this one was dropped');
      } else if (outcome.kind === 'failed') {
        state.failures++;
        const wait = retryDelay(state.failures, settings, outcome, this.random);
        await deps.scheduler.complete(tenantId, settings.owner, now + wait, now);
        deps.logger.warn({ ...result, err: outcome.error, retryable: outcome.retryable, failures: state.failures, retryInMs: wait }, 'policy sync failed: the last good list stays live');
      } else {
        // Aborted: shutdown hands it to another replica at once; an outlived lease counts as a failure.
        if (this.stopping) {
          await deps.scheduler.complete(tenantId, settings.owner, now, now);
          deps.logger.info({ ...result, reason: outcome.reason }, 'policy sync aborted: handed back for another replica');
        } else if (!(await deps.tenants.get(tenantId))) {
          // deleted meanwhile: the tenant follower unscheduled it and dropped its policy
          this.local.delete(tenantId);
          await deps.scheduler.release(tenantId, settings.owner);
        } else {
          state.failures++;
          await deps.policies.recordFailure(tenantId, outcome.reason, new Date(now));
          const wait = retryDelay(state.failures, settings, { retryable: true }, this.random);
          await deps.scheduler.complete(tenantId, settings.owner, now + wait, now);
          deps.logger.warn({ ...result, reason: outcome.reason, retryInMs: wait }, 'policy sync aborted');
        }
      }
    } catch (err) {
      // Redis failed while handing the tenant back: the lease expires and the tenant is claimed again.
      deps.logger.error({ ...log, err: errorText(err) }, 'policy sync could not be completed; the lease will expire');
    }
  }

  /** Renews the tenant's lease while its sync runs; aborts the sync when the lease is lost. Returns the stop function. */
  private keepLease(tenantId: string, controller: AbortController): () => void {
    const { deps, settings } = this;
    let lastRenewed = deps.clock.now();
    const timer = setInterval(
      () => {
        deps.scheduler
          .renew(tenantId, settings.owner, settings.leaseMs)
          .then((held) => {
            if (held) lastRenewed = deps.clock.now();
            else controller.abort(new Error('lost the lease (another replica may be syncing this tenant)'));
          })
          .catch((err: unknown) => {
            deps.logger.warn({ tenantId, err: errorText(err) }, 'could not renew the lease');
            if (deps.clock.now() - lastRenewed > settings.leaseMs * GIVE_UP_AFTER) controller.abort(new Error(`could not renew the lease for ${settings.leaseMs} ms`));
          });
      },
      Math.max(10, Math.floor(settings.leaseMs * RENEW_EVERY)),
    );
    return () => clearInterval(timer);
  }

  /**
   * Stops claiming; lets the syncs in progress finish for up to `drainTimeoutMs`,
   * then aborts the rest (they drop their partial sets, never commit) and waits
   * for them to hand their tenants back.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.ticking;
    const all = () => Promise.all([...this.running.values()].map((r) => r.done));
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([all().then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), this.settings.drainTimeoutMs)))]);
    clearTimeout(timer);
    if (drained) return;
    this.deps.logger.info({ syncs: [...this.running.keys()] }, 'aborting the syncs still in progress');
    for (const r of this.running.values()) r.controller.abort(new Error('shutting down'));
    await all();
  }
}
