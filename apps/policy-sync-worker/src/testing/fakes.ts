// In-memory fakes of the recording-policy interfaces the worker uses, for unit
// tests only (integration tests use the real Redis implementations).
import type { PolicyMeta, PolicyStore, PolicyWriter, SyncScheduler, TenantStore } from '@ci-connector/recording-policy';
import type { Tenant } from '@ci-connector/tenancy';
import type { Clock, DirectoryUser, UsersSource } from '../sync/ports';

export class FakeClock implements Clock {
  constructor(public ms = Date.parse('2026-11-29T20:00:00.000Z')) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export class FakePolicyStore implements PolicyStore {
  readonly sets = new Map<string, Set<string>>();
  readonly current = new Map<string, string>();
  readonly metas = new Map<string, PolicyMeta>();
  readonly calls: string[] = [];
  addDelayMs = 0;
  /** Called before each add resolves (lets a test observe what was fetched by then). */
  onAdd?: (identities: string[]) => void;
  failCommit?: Error;
  private n = 0;

  constructor(private readonly clock: Clock) {}

  async begin(tenantId: string): Promise<PolicyWriter> {
    const version = `v${++this.n}`;
    const key = `${tenantId}:${version}`;
    this.sets.set(key, new Set());
    this.calls.push(`begin ${tenantId} ${version}`);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the writer object refers back to its store
    const store = this;
    return {
      version,
      async add(ids: Iterable<string> | AsyncIterable<string>) {
        const batch: string[] = [];
        if (Symbol.asyncIterator in ids) for await (const id of ids) batch.push(id);
        else for (const id of ids) batch.push(id);
        store.onAdd?.(batch);
        if (store.addDelayMs > 0) await new Promise((r) => setTimeout(r, store.addDelayMs));
        const set = store.sets.get(key);
        if (!set) throw new Error(`add after abort/commit of ${key}`);
        for (const id of batch) set.add(id);
      },
      async commit(stats: { users: number }) {
        store.calls.push(`commit ${tenantId} ${version}`);
        if (store.failCommit) {
          throw store.failCommit;
        }
        const set = store.sets.get(key);
        if (!set) throw new Error(`commit after abort of ${key}`);
        store.current.set(tenantId, version);
        const meta: PolicyMeta = { tenantId, version, identities: set.size, users: stats.users, syncedAt: new Date(store.clock.now()).toISOString(), lastAttemptAt: new Date(store.clock.now()).toISOString() };
        store.metas.set(tenantId, meta);
        return meta;
      },
      async abort() {
        store.calls.push(`abort ${tenantId} ${version}`);
        store.sets.delete(key);
      },
    };
  }

  async meta(tenantId: string): Promise<PolicyMeta> {
    return this.metas.get(tenantId) ?? { tenantId };
  }

  async recordFailure(tenantId: string, error: string, at: Date): Promise<void> {
    this.calls.push(`recordFailure ${tenantId} ${error}`);
    this.metas.set(tenantId, { ...(this.metas.get(tenantId) ?? { tenantId }), lastError: error, lastAttemptAt: at.toISOString() });
  }

  async drop(tenantId: string): Promise<void> {
    this.calls.push(`drop ${tenantId}`);
    this.metas.delete(tenantId);
    this.current.delete(tenantId);
  }

  /** The identities of the live version. */
  live(tenantId: string): string[] {
    const v = this.current.get(tenantId);
    return v ? [...(this.sets.get(`${tenantId}:${v}`) ?? [])].sort() : [];
  }
}

export class FakeScheduler implements SyncScheduler {
  readonly due = new Map<string, number>();
  readonly leases = new Map<string, { owner: string; until: number }>();
  readonly calls: string[] = [];
  failClaims?: Error;

  constructor(private readonly clock: Clock) {}

  async schedule(tenantId: string, dueAtMs: number): Promise<void> {
    this.calls.push(`schedule ${tenantId} ${dueAtMs}`);
    this.due.set(tenantId, dueAtMs);
  }
  async unschedule(tenantId: string): Promise<void> {
    this.calls.push(`unschedule ${tenantId}`);
    this.due.delete(tenantId);
  }
  async claimDue(owner: string, nowMs: number, max: number, leaseMs: number): Promise<string[]> {
    if (this.failClaims) throw this.failClaims;
    const out: string[] = [];
    for (const [id, at] of [...this.due].sort((a, b) => a[1] - b[1])) {
      if (out.length >= max || at > nowMs) break;
      const lease = this.leases.get(id);
      if (lease && lease.until > nowMs) continue;
      this.leases.set(id, { owner, until: nowMs + leaseMs });
      out.push(id);
    }
    return out;
  }
  async complete(tenantId: string, owner: string, nextDueAtMs: number): Promise<boolean> {
    this.calls.push(`complete ${tenantId} ${owner} ${nextDueAtMs}`);
    if (this.leases.get(tenantId)?.owner !== owner) return false;
    this.leases.delete(tenantId);
    if (this.due.has(tenantId)) this.due.set(tenantId, nextDueAtMs);
    return true;
  }
  async renew(tenantId: string, owner: string, leaseMs: number): Promise<boolean> {
    const l = this.leases.get(tenantId);
    if (l?.owner !== owner) return false;
    l.until = this.clock.now() + leaseMs;
    return true;
  }
  async release(tenantId: string, owner: string): Promise<boolean> {
    if (this.leases.get(tenantId)?.owner !== owner) return false;
    this.leases.delete(tenantId);
    return true;
  }
  async dueAt(tenantId: string): Promise<number | undefined> {
    return this.due.get(tenantId);
  }
  async leaseOwner(tenantId: string): Promise<string | undefined> {
    return this.leases.get(tenantId)?.owner;
  }
}

export class FakeTenants implements Pick<TenantStore, 'get' | 'list'> {
  readonly byId = new Map<string, Tenant>();
  put(t: Tenant): void {
    this.byId.set(t.id, t);
  }
  async get(id: string): Promise<Tenant | undefined> {
    return this.byId.get(id);
  }
  async list(): Promise<Tenant[]> {
    return [...this.byId.values()];
  }
}

export function tenant(id: string, over: Partial<Tenant> = {}, state: Tenant['status']['state'] = 'registered'): Tenant {
  return {
    id,
    orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
    displayName: `Tenant ${id.slice(0, 4)}`,
    region: 'uksouth' as Tenant['region'],
    accountId: 'AC0123',
    certificate: { subject: 'sbc.carrier.example', issuer: 'ci-emulator test CA' },
    sourceIpNetwork: '0.0.0.0',
    hosting: 'cloud',
    recordingMode: 'automatic',
    defaultCountry: 'GB',
    status: { state, attempts: 1, ...(state === 'registered' ? { registeredAt: '2026-11-29T19:00:00.000Z' } : {}) },
    createdAt: '2026-11-29T18:00:00.000Z',
    updatedAt: '2026-11-29T19:00:00.000Z',
    version: 1,
    ...over,
  };
}

/** Users source serving `pages` pages of `perPage` users; records how far it was asked. */
export class FakeUsers implements UsersSource {
  fetched = 0;
  failAtPage?: { page: number; error: Error };
  signals: (AbortSignal | undefined)[] = [];
  returned = false;
  pageDelayMs = 0;

  constructor(
    public pages: number,
    public perPage: number,
    private readonly make: (i: number) => DirectoryUser = (i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, userPrincipalName: `User.${i}@Contoso.Example` }),
  ) {}

  listUsers(_tenantId: string, opts?: { signal?: AbortSignal }): AsyncIterable<readonly DirectoryUser[]> {
    this.signals.push(opts?.signal);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the iterator refers back to its source
    const self = this;
    return {
      [Symbol.asyncIterator]() {
        let page = 0;
        return {
          async next() {
            if (page >= self.pages) return { done: true as const, value: undefined };
            if (self.pageDelayMs > 0) await new Promise((r) => setTimeout(r, self.pageDelayMs));
            if (opts?.signal?.aborted) throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
            if (self.failAtPage && self.failAtPage.page === page) throw self.failAtPage.error;
            const start = page * self.perPage;
            page++;
            self.fetched = page;
            return { done: false as const, value: Array.from({ length: self.perPage }, (_, k) => self.make(start + k)) };
          },
          async return() {
            self.returned = true;
            return { done: true as const, value: undefined };
          },
        };
      },
    };
  }
}

/** A stand-in for identitiesOfUser: object id and lowercased UPN. */
export function fakeNormalise(user: DirectoryUser): string[] {
  const out: string[] = [];
  if (typeof user['id'] === 'string') out.push(user['id'].toLowerCase());
  if (typeof user['userPrincipalName'] === 'string') out.push(user['userPrincipalName'].toLowerCase());
  return out;
}

export const silentLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
