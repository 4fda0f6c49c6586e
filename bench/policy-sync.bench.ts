/**
 * policy-sync-worker: how long a tenant's users-to-record list takes to sync, and
 * the worker's peak memory, for 10,000, 100,000 and 1,000,000 users — the BUILT
 * worker (as `nx serve` runs it) against the real Redis and Kafka of deploy/local
 * and the ci-emulator process serving generated users in pages of 1,000.
 *
 *   source scripts/node-env.sh && bash deploy/local/stack.sh up
 *   nx run-many -t build -p policy-sync-worker,ci-emulator
 *   node -r ./bench/cjs-register.cjs bench/policy-sync.bench.ts [10000,100000,1000000]
 *
 * One worker process per size: it reconciles the registered tenant from Redis at
 * start and syncs it at once; the time is the worker's own measure (from the
 * claim to the commit, `lastSyncMs` in /status when present, else the time until
 * /status shows the version, from the worker's first readiness), the memory is
 * VmHWM (peak RSS) from /proc. Targets: 100k in < 10 s under 200 MB RSS; 1M in < 60 s.
 * Never a test.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createRedisClient } from '@ci-connector/platform-redis';
import { freePort, stackEndpoints } from '@ci-connector/platform-testing';
import { startEmulator } from '@ci-connector/ci-emulator-testing';
import { createTenantStore } from '@ci-connector/recording-policy';
import { newTenant } from '@ci-connector/tenancy';

const repo = join(__dirname, '..');
const dist = join(repo, 'dist/policy-sync-worker/apps/policy-sync-worker/src');
const APP = '4d4d4d4d-4444-4444-8444-444444444444';
const SECRET = 'bench-secret-value';
const sizes = (process.argv[2] ?? '10000,100000,1000000').split(',').map(Number);

const vmHwm = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const stack = stackEndpoints();
  const redis = createRedisClient({ url: stack.redisUrl, connectionName: 'bench-policy-sync' });
  const tenants = sizes.map(() => randomUUID());
  const emu = await startEmulator({
    configFile: {
      apps: [{ clientId: APP, secrets: [SECRET] }],
      tenants: sizes.map((count, i) => ({
        tenantId: tenants[i],
        consents: [{ clientId: APP, roles: ['Users.Read.All'] }],
        users: { generate: { count, seed: `bench-${i}`, domain: 'bench.example' } },
        usersResponse: { shape: 'paged', pageSize: 1000 },
      })),
    },
    env: { LOG_LEVEL: 'warn' },
  });
  const rows: string[] = [];
  try {
    for (const [i, count] of sizes.entries()) {
      const tenantId = tenants[i] ?? '';
      const prefix = `bench-sync-${randomUUID().slice(0, 8)}:`;
      const store = createTenantStore(redis, { prefix });
      const t = newTenant(
        { id: tenantId, orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f', displayName: `bench ${count}`, region: 'uksouth', accountId: 'ACbench', certificate: { subject: 'sbc.carrier.example', issuer: 'ci-emulator test CA' }, sourceIpNetwork: '0.0.0.0', hosting: 'cloud', recordingMode: 'automatic', defaultCountry: 'US' },
        new Date(),
      );
      t.status = { state: 'registered', attempts: 1, registeredAt: new Date().toISOString() };
      await store.create(t);
      await store.close();

      const port = await freePort();
      const child = spawn(process.execPath, ['--max-semi-space-size=8', '--import', join(dist, 'instrumentation.js'), join(dist, 'main.js')], {
        cwd: repo,
        env: {
          PATH: process.env['PATH'] ?? '',
          HTTP_PORT: String(port),
          LOG_LEVEL: 'warn',
          REDIS_URL: stack.redisUrl,
          REDIS_KEY_PREFIX: prefix,
          KAFKA_BROKERS: stack.kafkaBrokers.join(','),
          KAFKA_GROUP_ID: `bench-${prefix}`,
          KAFKA_TENANTS_TOPIC: `${prefix.replace(/:$/, '')}.tenants`,
          KAFKA_POLICY_TOPIC: `${prefix.replace(/:$/, '')}.policy`,
          KAFKA_TOPIC_PARTITIONS: '1',
          CI_API_BASE_URL: emu.url,
          ENTRA_AUTHORITY_HOST: emu.url,
          CI_API_CA_FILE: join(emu.certsDir, 'ca.pem'),
          CI_APP_CLIENT_ID: APP,
          CI_APP_CLIENT_SECRET: SECRET,
          SYNC_POLL: '50ms',
          SYNC_JITTER: '0',
          SYNC_INTERVAL: '1h',
          DEGRADED_AFTER: '2h',
          CI_API_TIMEOUT: '60s',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const pid = child.pid ?? -1;
      const base = `http://127.0.0.1:${port}`;
      let idleHwm = NaN;
      let row: Record<string, unknown> | undefined;
      const deadline = Date.now() + 180_000;
      let started = 0;
      while (Date.now() < deadline) {
        const s = (await fetch(`${base}/status`).then((r) => (r.ok ? r.json() : undefined)).catch(() => undefined)) as { tenants?: Array<Record<string, unknown>> } | undefined;
        if (s && started === 0) {
          started = Date.now();
          idleHwm = vmHwm(pid);
        }
        row = s?.tenants?.find((x) => x['tenantId'] === tenantId);
        if (row?.['version']) break;
        await sleep(20);
      }
      const observedMs = Date.now() - started;
      const hwm = vmHwm(pid);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      if (!row?.['version']) throw new Error(`${count} users: not synced within 180 s`);
      const workerMs = typeof row['lastSyncMs'] === 'number' ? (row['lastSyncMs'] as number) : undefined;
      rows.push(
        `sync ${String(count).padStart(9)} users: ${((workerMs ?? observedMs) / 1000).toFixed(2)} s${workerMs === undefined ? ' (observed from first /status)' : ''}, ${row['identities']} identities, worker peak RSS ${mb(hwm)} (idle ${mb(idleHwm)}), ${Math.round(count / ((workerMs ?? observedMs) / 1000))} users/s`,
      );
      console.log(rows[rows.length - 1]);
      const keys = await redis.keys(`${prefix}*`);
      for (let k = 0; k < keys.length; k += 500) await redis.unlink(...keys.slice(k, k + 500));
    }
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${new Date().toISOString()}`);
  } finally {
    await emu.stop();
    await redis.quit();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
