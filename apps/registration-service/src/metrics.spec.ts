import { MetricsRegistry } from '@ci-connector/platform-observability';
import type { Tenant } from '@ci-connector/tenancy';
import { RegistrationMetrics } from './metrics';

const registries: MetricsRegistry[] = [];
afterAll(() => Promise.all(registries.map((r) => r.shutdown())));

function make(): RegistrationMetrics {
  const r = new MetricsRegistry({ serviceName: 'registration-service', host: '127.0.0.1', port: 0, processMetrics: false });
  registries.push(r);
  return new RegistrationMetrics(r);
}

const line = (text: string, series: string) => text.split('\n').find((l) => l.startsWith(`${series} `));
const tenant = (state: Tenant['status']['state']) => ({ status: { state, attempts: 0 } }) as Pick<Tenant, 'status'>;

describe('registration-service metrics', () => {
  it('reports tenants by state at scrape time, every state, re-reading the registry at most once per cacheMs', async () => {
    const m = make();
    let t = 0;
    let reads = 0;
    let list = [tenant('registered'), tenant('registered'), tenant('pending')];
    m.observeTenants({ list: async () => (reads++, list) }, { cacheMs: 10_000, now: () => t });
    let text = await m.registry.text();
    expect(['registered', 'pending', 'failed', 'unregistered'].map((s) => line(text, `cic_registration_tenants{state="${s}"}`))).toEqual([
      'cic_registration_tenants{state="registered"} 2',
      'cic_registration_tenants{state="pending"} 1',
      'cic_registration_tenants{state="failed"} 0',
      'cic_registration_tenants{state="unregistered"} 0',
    ]);
    list = [tenant('failed')];
    t = 5_000;
    await m.registry.text();
    expect(reads).toBe(1);
    t = 10_000;
    text = await m.registry.text();
    expect(reads).toBe(2);
    expect(line(text, 'cic_registration_tenants{state="failed"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_registration_tenants{state="registered"}')).toMatch(/ 0$/);
  });

  it('counts registration attempts: ok, retryable_error, error; the registrar\'s answers pass through', async () => {
    const m = make();
    let outcome: 'ok' | 'retryable' | 'fatal' = 'ok';
    const registrar = m.meteredRegistrar({
      register: async () => {
        if (outcome === 'ok') return { status: 'registered' };
        throw Object.assign(new Error(outcome), { retryable: outcome === 'retryable' });
      },
      describe: (err) => ({ message: (err as Error).message, retryable: (err as { retryable: boolean }).retryable }),
    });
    const t = {} as Tenant;
    expect(await registrar.register(t, () => undefined)).toEqual({ status: 'registered' });
    outcome = 'retryable';
    await expect(registrar.register(t, () => undefined)).rejects.toThrow('retryable');
    outcome = 'fatal';
    await expect(registrar.register(t, () => undefined)).rejects.toThrow('fatal');
    expect(registrar.describe(new Error('x'))).toMatchObject({ message: 'x' });
    const text = await m.registry.text();
    expect(['ok', 'retryable_error', 'error'].map((r) => line(text, `cic_registration_attempts_total{result="${r}"}`))).toEqual([
      'cic_registration_attempts_total{result="ok"} 1',
      'cic_registration_attempts_total{result="retryable_error"} 1',
      'cic_registration_attempts_total{result="error"} 1',
    ]);
  });
});
