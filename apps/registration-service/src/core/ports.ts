import type { Tenant } from '@ci-connector/tenancy';

/** DI tokens of what the app is composed of (built in main.ts from the config; fakes in unit tests). */
export const TENANT_STORE = Symbol('TenantStore');
export const API_KEY_STORE = Symbol('ApiKeyStore');
export const SYNC_SCHEDULER = Symbol('SyncScheduler');
export const TENANT_REGISTRAR = Symbol('TenantRegistrar');
export const LOCKS = Symbol('Locks');
export const SERVICE_OPTIONS = Symbol('ServiceOptions');

/** One retry the CI API client is about to make (shown in the tenant's status while it waits). */
export interface RetryNotice {
  /** The attempt that failed (1-based). */
  attempt: number;
  error: string;
  delayMs: number;
}

/** The error a registration attempt ended with. */
export interface RegistrarError {
  message: string;
  /** True when trying again later may succeed (429, 5xx, network, throttled token endpoint). */
  retryable: boolean;
  /** The server asked to wait this long (Retry-After). */
  retryAfterMs?: number;
}

/** Registers a tenant at the CI providers API (libs/ci-api behind it; a fake in unit tests). */
export interface TenantRegistrar {
  register(tenant: Tenant, onRetry: (notice: RetryNotice) => void): Promise<{ status: string }>;
  /** Turns what `register` threw into a RegistrarError. */
  describe(err: unknown): RegistrarError;
}

/** Leases shared by every replica (Redis SET NX PX); the owner id makes release and renew safe. */
export interface Locks {
  acquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease if `owner` still holds it. */
  renew(key: string, owner: string, ttlMs: number): Promise<boolean>;
  release(key: string, owner: string): Promise<void>;
  isHeld(key: string): Promise<boolean>;
}

export interface ServiceOptions {
  /** Redis key prefix (the same as the stores'): locks live under it too. */
  prefix: string;
  register: { maxAttempts: number; backoffBaseMs: number; backoffMaxMs: number; lockTtlMs: number };
  /** A unique id of this replica (locks' owner). */
  instanceId: string;
}
