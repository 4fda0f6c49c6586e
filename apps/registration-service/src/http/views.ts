import type { ApiKeyRecord } from '@ci-connector/recording-policy';
import type { Tenant, TenantStatus } from '@ci-connector/tenancy';

/** What clients see of a tenant: everything but internal bookkeeping (the registered fingerprint). */
export type TenantView = Omit<Tenant, 'status'> & { status: Omit<TenantStatus, 'registeredFingerprint'> };

export function tenantView(t: Tenant): TenantView {
  const { registeredFingerprint: _fp, ...status } = t.status;
  return { ...t, status };
}

export interface ApiKeyView {
  id: string;
  name: string;
  tenants: '*' | string[];
  createdAt: string;
}

export function apiKeyView(r: ApiKeyRecord): ApiKeyView {
  return { id: r.id, name: r.name, tenants: r.tenants, createdAt: r.createdAt };
}
