import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { registrationFingerprint, type Tenant, type TenantStatus } from '@ci-connector/tenancy';
import { TenantConflictError, type TenantStore } from '@ci-connector/recording-policy';
import { ApiError } from './errors';
import { LOCKS, SERVICE_OPTIONS, TENANT_REGISTRAR, TENANT_STORE, type Locks, type RegistrarError, type ServiceOptions, type TenantRegistrar } from './ports';

/**
 * Background registrations at the CI providers API. One job per tenant across all
 * replicas: a job holds the Redis lease `<prefix>regjob:<tenant>` (renewed while it
 * runs); a second POST …/register while it runs, here or on another replica, finds
 * the lease taken and starts nothing. The job writes its progress into the tenant's
 * status (pending with attempts and lastError while retrying, then registered or
 * failed with the last error), each write with the store's version check.
 */
@Injectable()
export class RegistrationJobs implements OnApplicationShutdown {
  private readonly logger = new Logger('RegistrationJobs');
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;
  private readonly wakeups = new Set<() => void>();

  constructor(
    @Inject(TENANT_STORE) private readonly store: TenantStore,
    @Inject(TENANT_REGISTRAR) private readonly registrar: TenantRegistrar,
    @Inject(LOCKS) private readonly locks: Locks,
    @Inject(SERVICE_OPTIONS) private readonly opts: ServiceOptions,
  ) {}

  lockKey(tenantId: string): string {
    return `${this.opts.prefix}regjob:${tenantId}`;
  }

  /** Starts a job unless one runs already; returns the tenant as it is now (pending). */
  async start(tenant: Tenant): Promise<Tenant> {
    const key = this.lockKey(tenant.id);
    const owner = `${this.opts.instanceId}:${tenant.id}:${Date.now()}`;
    if (!(await this.locks.acquire(key, owner, this.opts.register.lockTtlMs))) {
      // Another job (this replica or another) is registering it: report the tenant as it is.
      return (await this.store.get(tenant.id)) ?? tenant;
    }
    let pending: Tenant | undefined;
    try {
      pending = await this.writeStatus(tenant.id, () => ({ state: 'pending', attempts: 0 }));
    } finally {
      if (!pending) await this.locks.release(key, owner);
    }
    if (!pending) throw ApiError.notFound(tenant.id);
    const job = this.run(pending, key, owner).finally(() => this.running.delete(tenant.id));
    this.running.set(tenant.id, job);
    return pending;
  }

  /** Resolves once every job of this replica has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakeups) wake();
    await this.idle();
  }

  private async run(tenant: Tenant, key: string, owner: string): Promise<void> {
    const { maxAttempts, lockTtlMs } = this.opts.register;
    const renew = setInterval(() => void this.locks.renew(key, owner, lockTtlMs).catch(() => undefined), Math.max(100, Math.floor(lockTtlMs / 3)));
    const fingerprint = registrationFingerprint(tenant);
    let attempts = 0;
    // Status writes of one job are applied in order (a retry notice never lands after the outcome).
    let writes: Promise<unknown> = Promise.resolve();
    const write = (change: (s: TenantStatus, current: Tenant) => TenantStatus) => {
      const next = writes.then(() => this.writeStatus(tenant.id, change));
      writes = next.catch(() => undefined);
      return next;
    };
    try {
      for (;;) {
        attempts++;
        const at = new Date().toISOString();
        try {
          await this.registrar.register(tenant, (notice) => {
            attempts++;
            const tried = attempts - 1;
            void write((s) => ({ ...s, state: 'pending', attempts: tried, lastError: notice.error, lastAttemptAt: new Date().toISOString() })).catch(() => undefined);
          });
          await write((_s, current) =>
            registrationFingerprint(current) === fingerprint
              ? { state: 'registered', attempts, lastAttemptAt: at, registeredAt: new Date().toISOString(), registeredFingerprint: fingerprint }
              : { state: 'unregistered', attempts, lastAttemptAt: at, lastError: 'registration details changed while registering; register again' },
          );
          this.logger.log(`tenant ${tenant.id} registered after ${attempts} attempt(s)`);
          return;
        } catch (err) {
          const e: RegistrarError = this.registrar.describe(err);
          const giveUp = !e.retryable || attempts >= maxAttempts || this.stopping;
          await write(() => ({
            state: giveUp ? 'failed' : 'pending',
            attempts,
            lastAttemptAt: at,
            lastError: giveUp && e.retryable && this.stopping ? `${e.message} (stopped retrying: the service shut down)` : e.message,
          }));
          if (giveUp) {
            this.logger.warn(`tenant ${tenant.id}: registration failed after ${attempts} attempt(s): ${e.message}`);
            return;
          }
          await this.sleep(Math.max(e.retryAfterMs ?? 0, this.backoff(attempts)));
        }
      }
    } catch (err) {
      // The tenant was deleted meanwhile, or Redis failed: nothing more to do; the lease expires.
      this.logger.warn(`tenant ${tenant.id}: registration job stopped: ${(err as Error).message}`);
    } finally {
      clearInterval(renew);
      await this.locks.release(key, owner).catch(() => undefined);
    }
  }

  /** Applies a status change to the stored tenant (version-checked, re-read on conflict). */
  private async writeStatus(id: string, change: (s: TenantStatus, current: Tenant) => TenantStatus): Promise<Tenant | undefined> {
    for (let i = 0; i < 10; i++) {
      const current = await this.store.get(id);
      if (!current) return undefined;
      const next: Tenant = { ...current, status: change(current.status, current), updatedAt: new Date().toISOString(), version: current.version + 1 };
      try {
        await this.store.update(next, current.version);
        return next;
      } catch (err) {
        if (err instanceof TenantConflictError && err.reason === 'version') continue;
        if (err instanceof TenantConflictError && err.reason === 'not-found') return undefined;
        throw err;
      }
    }
    throw new Error(`tenant ${id} kept changing; status not written`);
  }

  private backoff(attempt: number): number {
    const { backoffBaseMs, backoffMaxMs } = this.opts.register;
    const ceiling = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.min(attempt - 1, 20));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeups.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeups.add(wake);
    });
  }
}
