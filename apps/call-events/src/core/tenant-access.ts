import type { TenantStore } from '@ci-connector/recording-policy';
import type { Principal } from './auth';
import { ApiError } from './errors';
import { TtlCache } from './ttl-cache';

/** Whether a tenant is onboarded (registration-service's tenant registry). Throws when the registry cannot be read. */
export interface TenantDirectory {
  exists(tenantId: string): Promise<boolean>;
}

/** The TenantStore in Redis, answers remembered for `cacheTtlMs`. */
export class CachedTenantDirectory implements TenantDirectory {
  private readonly cache: TtlCache<boolean>;

  constructor(
    private readonly store: Pick<TenantStore, 'get'>,
    cacheTtlMs: number,
  ) {
    this.cache = new TtlCache({ ttlMs: cacheTtlMs });
  }

  exists(tenantId: string): Promise<boolean> {
    return this.cache.get(tenantId, async () => (await this.store.get(tenantId)) !== undefined);
  }
}

/** Tenant ids are lowercase GUIDs everywhere (registry, API key scopes, widget tokens): compare and publish them so. */
export function normaliseTenantId(tenantId: string): string {
  return tenantId.toLowerCase();
}

/**
 * A partner may post only for its own tenants, and only for tenants that exist:
 * anything else is 403 (a scoped partner is not told whether another partner's tenant exists).
 */
export async function authorizeTenant(p: Principal, tenantId: string, tenants: TenantDirectory): Promise<void> {
  if (p.tenants !== '*' && !p.tenants.includes(tenantId)) {
    throw new ApiError('forbidden', `tenant ${tenantId} is not one of the tenants of partner ${p.partnerId}`, [{ field: 'tenantId', message: 'not one of your tenants' }]);
  }
  let known: boolean;
  try {
    known = await tenants.exists(tenantId);
  } catch (err) {
    throw new ApiError('unavailable', `cannot check the tenant now (Redis: ${(err as Error).message}); retry later`, [], 1);
  }
  if (!known) throw new ApiError('forbidden', `unknown tenant ${tenantId}: it is not onboarded (registration-service)`, [{ field: 'tenantId', message: 'unknown tenant' }]);
}
