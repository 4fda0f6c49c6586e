import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Tenant } from '@ci-connector/tenancy';
import { TenantConflictError, type ApiKeyRecord, type ApiKeyStore, type SyncScheduler, type TenantOutboxEntry, type TenantStore } from '@ci-connector/recording-policy';
import type { Locks, RegistrarError, RetryNotice, TenantRegistrar } from '../core/ports';

// In-memory doubles of OUR interfaces (recording-policy's contract, the registrar
// port, the locks) for unit tests. Integration tests use the real ones.

export class FakeTenantStore implements TenantStore {
  readonly tenants = new Map<string, Tenant>();
  readonly outbox: TenantOutboxEntry[] = [];
  private seq = 0;

  async create(t: Tenant) {
    if (this.tenants.has(t.id)) throw new TenantConflictError(t.id, 'exists');
    this.put(t);
  }
  async get(id: string) {
    const t = this.tenants.get(id);
    return t ? structuredClone(t) : undefined;
  }
  async list() {
    return [...this.tenants.values()].map((t) => structuredClone(t));
  }
  async update(t: Tenant, expectedVersion: number) {
    const cur = this.tenants.get(t.id);
    if (!cur) throw new TenantConflictError(t.id, 'not-found');
    if (cur.version !== expectedVersion) throw new TenantConflictError(t.id, 'version');
    this.put(t);
  }
  async delete(id: string) {
    if (!this.tenants.delete(id)) return false;
    this.outbox.push({ id: `${++this.seq}-0`, tenantId: id, tenant: null, at: new Date().toISOString() });
    return true;
  }
  async pendingChanges(max: number) {
    return this.outbox.slice(0, max);
  }
  async close() {
    this.closed = true;
  }
  closed = false;
  async ack(ids: string[]) {
    for (const id of ids) {
      const i = this.outbox.findIndex((e) => e.id === id);
      if (i >= 0) this.outbox.splice(i, 1);
    }
  }
  private put(t: Tenant) {
    this.tenants.set(t.id, structuredClone(t));
    this.outbox.push({ id: `${++this.seq}-0`, tenantId: t.id, tenant: structuredClone(t), at: t.updatedAt });
  }
}

export class FakeApiKeyStore implements ApiKeyStore {
  readonly byHash = new Map<string, ApiKeyRecord>();
  async create(name: string, tenants: '*' | string[]) {
    const key = `cic_${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = { id: randomUUID(), name, tenants, createdAt: new Date().toISOString() };
    this.byHash.set(hash(key), record);
    return { key, record };
  }
  async verify(key: string) {
    return this.byHash.get(hash(key));
  }
  async list() {
    return [...this.byHash.values()];
  }
  async importKey(key: string, name: string, tenants: '*' | string[]) {
    const existing = this.byHash.get(hash(key));
    if (existing) return existing;
    const record: ApiKeyRecord = { id: randomUUID(), name, tenants, createdAt: new Date().toISOString() };
    this.byHash.set(hash(key), record);
    return record;
  }
  async revoke(id: string) {
    for (const [h, r] of this.byHash) if (r.id === id) return this.byHash.delete(h);
    return false;
  }
}

function hash(s: string) {
  return createHash('sha256').update(s).digest('hex');
}

export class FakeSyncScheduler implements SyncScheduler {
  readonly due = new Map<string, number>();
  async schedule(id: string, at: number) {
    this.due.set(id, at);
  }
  async unschedule(id: string) {
    this.due.delete(id);
  }
  async claimDue(): Promise<string[]> {
    return [];
  }
  async complete() {
    return true;
  }
  async renew() {
    return true;
  }
  async release() {
    return true;
  }
  async dueAt(id: string) {
    return this.due.get(id);
  }
  async leaseOwner() {
    return undefined;
  }
}

export class FakeLocks implements Locks {
  readonly held = new Map<string, string>();
  async acquire(key: string, owner: string) {
    if (this.held.has(key)) return false;
    this.held.set(key, owner);
    return true;
  }
  async renew(key: string, owner: string) {
    return this.held.get(key) === owner;
  }
  async release(key: string, owner: string) {
    if (this.held.get(key) === owner) this.held.delete(key);
  }
  async isHeld(key: string) {
    return this.held.has(key);
  }
}

export class FakeError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Answers each register call with the next scripted outcome ('ok' or an error); records the calls. */
export class FakeRegistrar implements TenantRegistrar {
  readonly calls: Tenant[] = [];
  /** Released by `release()`: lets a test hold a registration in flight. */
  gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  constructor(public script: Array<'ok' | FakeError> = []) {}

  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async register(tenant: Tenant, onRetry: (n: RetryNotice) => void) {
    this.calls.push(tenant);
    if (this.gate) await this.gate;
    for (;;) {
      const next = this.script.shift() ?? 'ok';
      if (next === 'ok') return { status: 'created' };
      // Retryable errors are first retried "inside the client" once, as ci-api does.
      if (next.retryable && this.script[0] === 'ok') {
        onRetry({ attempt: 1, error: next.message, delayMs: 1 });
        continue;
      }
      throw next;
    }
  }

  describe(err: unknown): RegistrarError {
    return err instanceof FakeError ? { message: err.message, retryable: err.retryable } : { message: String(err), retryable: false };
  }
}
