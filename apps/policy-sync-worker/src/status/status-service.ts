import type { PolicyStore, SyncScheduler, TenantStore } from '@ci-connector/recording-policy';
import type { Clock } from '../sync/ports';
import type { SyncRunner } from '../sync/sync-runner';
import { tenantSyncStatus, type TenantSyncStatus } from './degraded';

export interface WorkerStatus {
  workerId: string;
  at: string;
  /** True when at least one registered tenant's list is older than DEGRADED_AFTER. */
  degraded: boolean;
  degradedAfterSeconds: number;
  intervalSeconds: number;
  /** Tenants this replica is syncing now. */
  syncing: number;
  /** The loop could not claim work (Redis unreachable), since `at`. */
  loopError?: { at: string; error: string };
  tenants: TenantSyncStatus[];
}

export interface StaleTenant {
  tenantId: string;
  ageSeconds: number | null;
  lastError?: string;
}

export interface StatusServiceDeps {
  workerId: string;
  tenants: Pick<TenantStore, 'list'>;
  policies: Pick<PolicyStore, 'meta'>;
  scheduler: Pick<SyncScheduler, 'dueAt'>;
  runner: Pick<SyncRunner, 'isSyncing' | 'localState' | 'inFlight' | 'loopError'>;
  clock: Clock;
  intervalMs: number;
  degradedAfterMs: number;
  /** Answers younger than this are reused (readiness probes, dashboards). */
  cacheMs?: number;
}

/** Builds GET /status and the readiness `policies` check from Redis (shared by every replica) and this replica's memory. */
export class StatusService {
  private cached: { at: number; value: Promise<WorkerStatus> } | undefined;

  constructor(private readonly deps: StatusServiceDeps) {}

  status(): Promise<WorkerStatus> {
    const now = this.deps.clock.now();
    if (this.cached && now - this.cached.at < (this.deps.cacheMs ?? 1000)) return this.cached.value;
    const value = this.compute(now);
    this.cached = { at: now, value };
    value.catch(() => (this.cached = undefined));
    return value;
  }

  /** For readiness: stays ok (the worker works) but says degraded and which tenants are stale. */
  async readiness(): Promise<{ ok: boolean; degraded: boolean; stale: StaleTenant[]; error?: string }> {
    try {
      const s = await this.status();
      const stale = s.tenants.filter((t) => t.stale).map((t) => ({ tenantId: t.tenantId, ageSeconds: t.ageSeconds, ...(t.lastError ? { lastError: t.lastError } : {}) }));
      return { ok: true, degraded: s.degraded, stale };
    } catch (err) {
      return { ok: false, degraded: true, stale: [], error: err instanceof Error ? err.message : String(err) };
    }
  }

  private async compute(now: number): Promise<WorkerStatus> {
    const { deps } = this;
    const tenants = (await deps.tenants.list()).sort((a, b) => a.id.localeCompare(b.id));
    const ids = tenants.map((t) => t.id);
    const [metas, due] = await Promise.all([Promise.all(ids.map((id) => deps.policies.meta(id))), Promise.all(ids.map((id) => deps.scheduler.dueAt(id)))]);
    const rows = tenants.map((t, i) => {
      const meta = metas[i] ?? { tenantId: t.id };
      const dueMs = due[i];
      const local = deps.runner.localState(t.id);
      return tenantSyncStatus(t, meta, now, deps.degradedAfterMs, {
        ...(dueMs !== undefined ? { nextDueMs: dueMs } : {}),
        syncing: deps.runner.isSyncing(t.id),
        failures: local?.failures ?? 0,
        ...(local?.lastDurationMs !== undefined ? { lastSyncMs: local.lastDurationMs } : {}),
      });
    });
    const loopError = deps.runner.loopError;
    return {
      workerId: deps.workerId,
      at: new Date(now).toISOString(),
      degraded: rows.some((r) => r.stale),
      degradedAfterSeconds: Math.round(deps.degradedAfterMs / 1000),
      intervalSeconds: Math.round(deps.intervalMs / 1000),
      syncing: deps.runner.inFlight,
      ...(loopError ? { loopError } : {}),
      tenants: rows,
    };
  }
}
