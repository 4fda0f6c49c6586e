import { POLICY_SYNC_METRICS as M, type Counter, type Histogram, type MetricsRegistry } from '@ci-connector/platform-observability';
import type { PolicyStore, PolicyWriter } from '@ci-connector/recording-policy';
import type { UsersSource } from './sync/ports';
import type { WorkerStatus } from './status/status-service';

// policy-sync-worker's metrics (names and help in libs/platform/observability's
// catalogue), counted by wrapping what main.ts hands the sync runner: the
// policy store (a commit = a list went live, recordFailure = a failed sync) and
// the users source (what the providers API or Entra ID failed with). The age of
// each tenant's list comes from GET /status's own computation (Redis, shared by
// every replica), read when Prometheus scrapes.

/** A failure from the providers client or the token provider as a bounded label (their error codes are closed sets). */
export function apiFailureReason(err: unknown): string | undefined {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; code?: unknown };
  const code = typeof e.code === 'string' && /^[a-z-]{1,40}$/.test(e.code) ? e.code.replace(/-/g, '_') : 'unknown';
  if (e.name === 'ProvidersApiError') return `providers_${code}`;
  if (e.name === 'TokenError') return `token_${code}`;
  return undefined;
}

/** A failure recorded without an API error behind it (the runner's texts): lease_lost, redis, other. */
export function recordedFailureReason(error: string): string {
  if (/lease/i.test(error)) return 'lease_lost';
  if (/redis|ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection is closed|Command timed out/i.test(error)) return 'redis';
  return 'other';
}

/** An abort that is not a failure (shutdown, a deleted tenant): no failure counted, whatever the API said. */
const NOT_A_FAILURE = /^(shutting down|tenant deleted)$/;

export class PolicySyncMetrics {
  private readonly syncs: Counter<'result'>;
  private readonly failures: Counter<'reason'>;
  private readonly users: Counter<never>;
  private readonly duration: Histogram<never>;
  /** The API failure a tenant's sync ended with, until its recordFailure names it. */
  private readonly apiFailure = new Map<string, string>();

  constructor(
    readonly registry: MetricsRegistry,
    private readonly clock: { now(): number } = { now: () => Date.now() },
  ) {
    this.syncs = registry.counter(M.syncs);
    this.failures = registry.counter(M.failures);
    this.users = registry.counter(M.usersSynced);
    this.duration = registry.histogram(M.syncDuration);
    for (const result of ['synced', 'superseded', 'failed']) this.syncs.inc({ result }, 0);
  }

  /** Per tenant, when its live list was synced and whether it is stale (GET /status, from Redis); syncs running here. */
  observe(status: { status(): Promise<WorkerStatus> }, runner: { readonly inFlight: number }, timeoutMs = 5000): void {
    const read = async (): Promise<WorkerStatus> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([status.status(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('status timed out')), timeoutMs)))]);
      } finally {
        clearTimeout(timer);
      }
    };
    this.registry.observe(M.lastSync, async () =>
      (await read()).tenants.filter((t) => t.syncedAt !== undefined).map((t) => [{ tenant_id: t.tenantId }, Date.parse(t.syncedAt ?? '') / 1000] as const),
    );
    this.registry.observe(M.stale, async () => (await read()).tenants.filter((t) => t.state === 'registered').map((t) => [{ tenant_id: t.tenantId }, t.stale ? 1 : 0] as const));
    this.registry.observe(M.degraded, async () => (await read()).tenants.filter((t) => t.stale).length);
    this.registry.observe(M.inFlight, () => runner.inFlight);
  }

  /** The store the runner writes through: a commit counts a sync (its users, its duration), recordFailure a failure. */
  meteredPolicies(store: PolicyStore): PolicyStore {
    return {
      begin: async (tenantId) => this.meteredWriter(tenantId, await store.begin(tenantId)),
      meta: (tenantId) => store.meta(tenantId),
      drop: (tenantId) => store.drop(tenantId),
      recordFailure: async (tenantId, error, at) => {
        const api = this.apiFailure.get(tenantId);
        this.apiFailure.delete(tenantId);
        if (!NOT_A_FAILURE.test(error)) {
          this.syncs.inc({ result: 'failed' });
          this.failures.inc({ reason: api ?? recordedFailureReason(error) });
        }
        await store.recordFailure(tenantId, error, at);
      },
    };
  }

  /** The users source: remembers what the providers API or Entra ID failed with, for the failure's reason. */
  meteredUsers(source: UsersSource): UsersSource {
    const remember = (tenantId: string, err: unknown) => {
      const reason = apiFailureReason(err);
      if (reason) this.apiFailure.set(tenantId, reason);
    };
    return {
      listUsers: (tenantId, opts) => {
        this.apiFailure.delete(tenantId);
        const pages = source.listUsers(tenantId, opts);
        return (async function* () {
          try {
            yield* pages;
          } catch (err) {
            remember(tenantId, err);
            throw err;
          }
        })();
      },
    };
  }

  private meteredWriter(tenantId: string, writer: PolicyWriter): PolicyWriter {
    const started = this.clock.now();
    return {
      get version() {
        return writer.version;
      },
      add: (identities) => writer.add(identities),
      abort: () => writer.abort(),
      commit: async (stats) => {
        try {
          const meta = await writer.commit(stats);
          this.syncs.inc({ result: 'synced' });
          this.users.inc(undefined, stats.users);
          this.duration.record({}, (this.clock.now() - started) / 1000);
          this.apiFailure.delete(tenantId);
          return meta;
        } catch (err) {
          if (err instanceof Error && err.name === 'PolicyVersionConflictError') this.syncs.inc({ result: 'superseded' });
          throw err;
        }
      },
    };
  }
}
