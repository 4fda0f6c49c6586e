import { REGISTRATION_METRICS as M, type Counter, type MetricsRegistry } from '@ci-connector/platform-observability';
import type { Tenant } from '@ci-connector/tenancy';
import type { TenantRegistrar } from './core/ports';

// registration-service's metrics (names and help in libs/platform/observability's
// catalogue): the registry's tenants by registration state, read when Prometheus
// scrapes (cached, bounded), and each registration attempt at the CI providers API
// by result, counted by wrapping the registrar main.ts hands the jobs.

const STATES: readonly Tenant['status']['state'][] = ['unregistered', 'pending', 'registered', 'failed'];

export class RegistrationMetrics {
  private readonly attempts: Counter<'result'>;

  constructor(readonly registry: MetricsRegistry) {
    this.attempts = registry.counter(M.attempts);
    for (const result of ['ok', 'retryable_error', 'error']) this.attempts.inc({ result }, 0);
  }

  /** Tenants by state from the registry (every state reported, 0 included); one read per `cacheMs` at most, bounded by `timeoutMs`. */
  observeTenants(tenants: { list(): Promise<Pick<Tenant, 'status'>[]> }, opts: { cacheMs?: number; timeoutMs?: number; now?: () => number } = {}): void {
    const now = opts.now ?? Date.now;
    let cached: { at: number; counts: Promise<Map<string, number>> } | undefined;
    const read = async (): Promise<Map<string, number>> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const list = await Promise.race([tenants.list(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('tenant list timed out')), opts.timeoutMs ?? 5000)))]);
        const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
        for (const t of list) counts.set(t.status.state, (counts.get(t.status.state) ?? 0) + 1);
        return counts;
      } finally {
        clearTimeout(timer);
      }
    };
    this.registry.observe(M.tenants, async () => {
      const t = now();
      if (!cached || t - cached.at >= (opts.cacheMs ?? 1000)) {
        const counts = read();
        cached = { at: t, counts };
        counts.catch(() => (cached = undefined));
      }
      return [...(await cached.counts)].map(([state, n]) => [{ state }, n] as const);
    });
  }

  /** The registrar the jobs call, counting each attempt: ok, retryable_error (tried again later), error. */
  meteredRegistrar(registrar: TenantRegistrar): TenantRegistrar {
    return {
      describe: (err) => registrar.describe(err),
      register: async (tenant, onRetry) => {
        try {
          const r = await registrar.register(tenant, onRetry);
          this.attempts.inc({ result: 'ok' });
          return r;
        } catch (err) {
          this.attempts.inc({ result: registrar.describe(err).retryable ? 'retryable_error' : 'error' });
          throw err;
        }
      },
    };
  }
}
