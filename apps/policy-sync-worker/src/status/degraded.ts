import type { PolicyMeta } from '@ci-connector/recording-policy';
import type { Tenant } from '@ci-connector/tenancy';

/** One tenant as GET /status shows it. */
export interface TenantSyncStatus {
  tenantId: string;
  displayName: string;
  /** The tenant's registration state; only `registered` tenants are synced. */
  state: Tenant['status']['state'];
  defaultCountry: string;
  /** The live list (absent before the first good sync). */
  version?: string;
  identities?: number;
  users?: number;
  syncedAt?: string;
  /** Seconds since the live list was synced; null before the first good sync. */
  ageSeconds: number | null;
  lastAttemptAt?: string;
  /** The last attempt's error (the live list is the last good one). */
  lastError?: string;
  /** When the scheduler will sync it next (any replica), if it is scheduled. */
  nextDueAt?: string;
  /** This replica is syncing it now. */
  syncing: boolean;
  /** Consecutive failures this replica saw (0 after a good sync). */
  failures: number;
  /** How long this replica's last sync of it took, claim to commit (or to the failure), in ms. */
  lastSyncMs?: number;
  /** Its list is older than DEGRADED_AFTER (or it never got one within DEGRADED_AFTER of registering). */
  stale: boolean;
}

/** Age of the live list in ms, or undefined before the first good sync. */
export function policyAgeMs(meta: PolicyMeta, nowMs: number): number | undefined {
  if (!meta.syncedAt) return undefined;
  const at = Date.parse(meta.syncedAt);
  return Number.isNaN(at) ? undefined : Math.max(0, nowMs - at);
}

/**
 * A registered tenant is stale — the worker is degraded for it — when its live
 * list is older than `degradedAfterMs`, or when it has had none for that long
 * since it was registered. Tenants that are not registered are not synced, so
 * never stale.
 */
export function isStale(tenant: Pick<Tenant, 'status' | 'createdAt'>, meta: PolicyMeta, nowMs: number, degradedAfterMs: number): boolean {
  if (tenant.status.state !== 'registered') return false;
  const age = policyAgeMs(meta, nowMs);
  if (age !== undefined) return age > degradedAfterMs;
  const since = Date.parse(tenant.status.registeredAt ?? tenant.createdAt);
  return Number.isNaN(since) ? true : nowMs - since > degradedAfterMs;
}

export function tenantSyncStatus(
  tenant: Tenant,
  meta: PolicyMeta,
  nowMs: number,
  degradedAfterMs: number,
  extra: { nextDueMs?: number; syncing: boolean; failures: number; lastSyncMs?: number },
): TenantSyncStatus {
  const age = policyAgeMs(meta, nowMs);
  return {
    tenantId: tenant.id,
    displayName: tenant.displayName,
    state: tenant.status.state,
    defaultCountry: tenant.defaultCountry,
    ...(meta.version !== undefined ? { version: meta.version } : {}),
    ...(meta.identities !== undefined ? { identities: meta.identities } : {}),
    ...(meta.users !== undefined ? { users: meta.users } : {}),
    ...(meta.syncedAt !== undefined ? { syncedAt: meta.syncedAt } : {}),
    ageSeconds: age === undefined ? null : Math.floor(age / 1000),
    ...(meta.lastAttemptAt !== undefined ? { lastAttemptAt: meta.lastAttemptAt } : {}),
    ...(meta.lastError ? { lastError: meta.lastError } : {}),
    ...(extra.nextDueMs !== undefined ? { nextDueAt: new Date(extra.nextDueMs).toISOString() } : {}),
    syncing: extra.syncing,
    failures: extra.failures,
    ...(extra.lastSyncMs !== undefined ? { lastSyncMs: extra.lastSyncMs } : {}),
    stale: isStale(tenant, meta, nowMs, degradedAfterMs),
  };
}
