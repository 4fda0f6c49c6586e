import type { PolicyStore, SyncScheduler, TenantStore } from '@ci-connector/recording-policy';
import type { Tenant } from '@ci-connector/tenancy';
import type { Clock, SyncTrigger } from '../sync/ports';
import type { RunnerLogger } from '../sync/sync-runner';

interface Known {
  version: number;
  state: Tenant['status']['state'];
  defaultCountry: string;
}

export interface TenantFollowerDeps {
  tenants: Pick<TenantStore, 'list'>;
  policies: Pick<PolicyStore, 'meta' | 'drop'>;
  scheduler: Pick<SyncScheduler, 'schedule' | 'unschedule' | 'dueAt'>;
  /** Schedules a sync now, remembering why (the runner's requestSync). */
  syncNow(tenantId: string, trigger: SyncTrigger): Promise<unknown>;
  /** The runner forgets a deleted tenant (and aborts its sync in progress). */
  forget(tenantId: string): void;
  clock: Clock;
  logger: RunnerLogger;
  intervalMs: number;
}

/**
 * Turns tenant changes into schedule changes. The tenants are in Redis
 * (registration-service writes them) and their changes come over Kafka
 * (`ci.tenants.v1`, compacted, keyed by tenant id, tombstone = deleted):
 *
 * - a tenant that becomes `registered` (or whose default country changes, which
 *   changes its normalised phone numbers) is synced at once (`tenant-change`);
 * - a tenant that stops being registered is unscheduled (its last list is kept:
 *   a re-registration in progress does not stop recording);
 * - a deleted tenant is unscheduled and its policy dropped.
 *
 * Events older than what is known (a replay) change nothing. `reconcile()` reads
 * every tenant from Redis at start, so nothing is missed when Kafka was replayed
 * from a compacted state or the consumer group starts late.
 */
export class TenantFollower {
  private readonly known = new Map<string, Known>();

  constructor(private readonly deps: TenantFollowerDeps) {}

  /** One change: the tenant as it is now, or null when it was deleted. */
  async apply(tenantId: string, tenant: Tenant | null): Promise<void> {
    const { deps } = this;
    if (tenant === null) {
      this.known.delete(tenantId);
      deps.forget(tenantId);
      await deps.scheduler.unschedule(tenantId);
      await deps.policies.drop(tenantId);
      deps.logger.info({ tenantId }, 'tenant deleted: unscheduled, policy dropped');
      return;
    }
    const prev = this.known.get(tenantId);
    if (prev && tenant.version < prev.version) return; // an older state (replay): nothing new
    this.known.set(tenantId, { version: tenant.version, state: tenant.status.state, defaultCountry: tenant.defaultCountry });
    if (tenant.status.state === 'registered') {
      const becameRegistered = !prev || prev.state !== 'registered';
      const countryChanged = prev !== undefined && prev.defaultCountry !== tenant.defaultCountry;
      if (becameRegistered || countryChanged) {
        await deps.syncNow(tenantId, 'tenant-change');
        deps.logger.info({ tenantId, version: tenant.version, reason: becameRegistered ? 'registered' : 'default country changed' }, 'tenant scheduled for a sync now');
      }
    } else if (!prev || prev.state === 'registered') {
      await deps.scheduler.unschedule(tenantId);
      if (prev) deps.logger.info({ tenantId, state: tenant.status.state }, 'tenant no longer registered: unscheduled (last list kept)');
    }
  }

  /**
   * Every tenant in Redis: registered ones that are not scheduled yet are
   * scheduled — at once when they never had a good sync or their last attempt
   * failed, else when their list is an interval old — the others unscheduled.
   * Returns how many are registered.
   */
  async reconcile(): Promise<{ tenants: number; registered: number }> {
    const { deps } = this;
    const all = await deps.tenants.list();
    let registered = 0;
    const now = deps.clock.now();
    for (const tenant of all) {
      const prev = this.known.get(tenant.id);
      if (prev && tenant.version < prev.version) continue;
      this.known.set(tenant.id, { version: tenant.version, state: tenant.status.state, defaultCountry: tenant.defaultCountry });
      if (tenant.status.state !== 'registered') {
        await deps.scheduler.unschedule(tenant.id);
        continue;
      }
      registered++;
      // Already scheduled (by another replica, or a back-off): the shared schedule stands.
      if ((await deps.scheduler.dueAt(tenant.id)) !== undefined) continue;
      const meta = await deps.policies.meta(tenant.id);
      const syncedAt = meta.syncedAt ? Date.parse(meta.syncedAt) : NaN;
      if (Number.isNaN(syncedAt) || meta.lastError) await deps.syncNow(tenant.id, meta.version ? 'interval' : 'tenant-change');
      else await deps.scheduler.schedule(tenant.id, Math.max(now, syncedAt + deps.intervalMs));
    }
    deps.logger.info({ tenants: all.length, registered }, 'tenants reconciled from Redis');
    return { tenants: all.length, registered };
  }

  knownTenants(): number {
    return this.known.size;
  }
}
