import { Inject, Injectable } from '@nestjs/common';
import {
  GUID_RE,
  applyTenantUpdate,
  newTenant,
  parseTenantCreate,
  parseTenantUpdate,
  registrationFingerprint,
  type Tenant,
} from '@ci-connector/tenancy';
import { TenantConflictError, type ApiKeyRecord, type ApiKeyStore, type SyncScheduler, type TenantStore } from '@ci-connector/recording-policy';
import { canSee, isAdmin, type Principal } from './auth';
import { parseApiKeyCreate } from './api-key-schema';
import { ApiError } from './errors';
import { API_KEY_STORE, SYNC_SCHEDULER, TENANT_STORE } from './ports';
import { RegistrationJobs } from './registration-jobs';

export type RegisterOutcome = { outcome: 'unchanged' | 'accepted'; tenant: Tenant };

/**
 * The operations of the registration API, shared by REST and gRPC: validation,
 * scoping by API key, persistence through the TenantStore (every write one
 * MULTI with its outbox entry, so nothing is half written).
 */
@Injectable()
export class TenantService {
  constructor(
    @Inject(TENANT_STORE) private readonly store: TenantStore,
    @Inject(API_KEY_STORE) private readonly keys: ApiKeyStore,
    @Inject(SYNC_SCHEDULER) private readonly scheduler: SyncScheduler,
    private readonly jobs: RegistrationJobs,
  ) {}

  async create(p: Principal, body: unknown): Promise<Tenant> {
    const parsed = parseTenantCreate(body);
    if (!parsed.ok) throw ApiError.invalid(parsed.problems, 'tenant');
    const input = parsed.value;
    if (!canSee(p, input.id)) throw new ApiError('forbidden', 'tenant_outside_key_scope', `this API key may not create tenant ${input.id}`);
    const tenant = newTenant(input, new Date());
    try {
      await unavailableOnError(() => this.store.create(tenant));
    } catch (err) {
      if (err instanceof TenantConflictError && err.reason === 'exists') {
        throw new ApiError('exists', 'tenant_exists', `tenant ${input.id} exists already`, [{ field: 'id', message: 'a tenant with this id exists' }]);
      }
      throw err;
    }
    return tenant;
  }

  async list(p: Principal): Promise<Tenant[]> {
    const all = await unavailableOnError(() => this.store.list());
    return all.filter((t) => canSee(p, t.id)).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The tenant, or 404 — also when it exists outside the key's scope (its existence is not revealed). */
  async get(p: Principal, id: string): Promise<Tenant> {
    const tid = checkId(id);
    if (!canSee(p, tid)) throw ApiError.notFound(tid);
    const t = await unavailableOnError(() => this.store.get(tid));
    if (!t) throw ApiError.notFound(tid);
    return t;
  }

  async update(p: Principal, id: string, body: unknown, expectedVersion?: number): Promise<Tenant> {
    const tid = checkId(id);
    const parsed = parseTenantUpdate(body);
    // A 404 for an invisible tenant comes before the validation result, so nothing about it leaks.
    const current = await this.get(p, tid);
    if (!parsed.ok) throw ApiError.invalid(parsed.problems, 'tenant update');
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw versionConflict(tid, current.version, expectedVersion);
    }
    const next = applyTenantUpdate(current, parsed.value, new Date());
    try {
      await unavailableOnError(() => this.store.update(next, current.version));
    } catch (err) {
      if (err instanceof TenantConflictError) {
        if (err.reason === 'not-found') throw ApiError.notFound(tid);
        throw new ApiError('conflict', 'version_conflict', `tenant ${tid} was changed concurrently; read it again and retry`);
      }
      throw err;
    }
    return next;
  }

  async delete(p: Principal, id: string): Promise<void> {
    const tid = checkId(id);
    if (!canSee(p, tid)) throw ApiError.notFound(tid);
    const deleted = await unavailableOnError(() => this.store.delete(tid));
    if (!deleted) throw ApiError.notFound(tid);
    await this.scheduler.unschedule(tid).catch(() => undefined);
  }

  /**
   * Idempotent: the same details registered already → `unchanged` (no API call).
   * Otherwise the tenant turns `pending` and a background job registers it
   * (RegistrationJobs: one job per tenant across replicas).
   */
  async register(p: Principal, id: string): Promise<RegisterOutcome> {
    const tenant = await this.get(p, id);
    if (tenant.status.state === 'registered' && tenant.status.registeredFingerprint === registrationFingerprint(tenant)) {
      return { outcome: 'unchanged', tenant };
    }
    return { outcome: 'accepted', tenant: await unavailableOnError(() => this.jobs.start(tenant)) };
  }

  /** Asks the policy-sync-worker to pull the tenant's users now (its schedule, shared through Redis). */
  async sync(p: Principal, id: string): Promise<{ tenantId: string; requestedAt: string }> {
    const tenant = await this.get(p, id);
    if (tenant.status.state !== 'registered') {
      throw new ApiError('precondition', 'tenant_not_registered', `tenant ${tenant.id} is ${tenant.status.state}: register it first (POST /tenants/${tenant.id}/register)`);
    }
    const now = Date.now();
    await unavailableOnError(() => this.scheduler.schedule(tenant.id, now));
    return { tenantId: tenant.id, requestedAt: new Date(now).toISOString() };
  }

  async createApiKey(p: Principal, body: unknown): Promise<{ key: string; record: ApiKeyRecord }> {
    requireAdmin(p);
    const input = parseApiKeyCreate(body);
    return unavailableOnError(() => this.keys.create(input.name, input.tenants));
  }

  async listApiKeys(p: Principal): Promise<ApiKeyRecord[]> {
    requireAdmin(p);
    return unavailableOnError(() => this.keys.list());
  }

  async revokeApiKey(p: Principal, id: string): Promise<void> {
    requireAdmin(p);
    if (!(await unavailableOnError(() => this.keys.revoke(id)))) throw new ApiError('not-found', 'api_key_not_found', `no API key ${id}`);
  }
}

function checkId(id: string): string {
  if (!GUID_RE.test(id)) throw ApiError.invalid([{ field: 'id', message: 'not a GUID (the Entra tenant id)' }], 'tenant id');
  return id.toLowerCase();
}

function versionConflict(id: string, actual: number, expected: number): ApiError {
  return new ApiError('conflict', 'version_mismatch', `tenant ${id} is at version ${actual}, not ${expected}: read it again`, [{ field: 'version', message: `is ${actual}` }], 412);
}

function requireAdmin(p: Principal): void {
  if (!isAdmin(p)) throw new ApiError('forbidden', 'admin_key_required', 'managing API keys needs an admin key (scope "*")');
}

/** Redis errors (not our typed conflicts) become 503 / UNAVAILABLE instead of 500. */
async function unavailableOnError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError || err instanceof TenantConflictError) throw err;
    throw new ApiError('unavailable', 'store_unavailable', `the tenant store is not available: ${(err as Error).message}`);
  }
}
