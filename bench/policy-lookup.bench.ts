/**
 * recording-policy lookup latency: `isRecorded(tenant, identity)` as sip-signaling
 * calls it, answered from Redis (one EVALSHA: pointer + SMISMEMBER) and from the
 * in-process cache, against the real Redis of deploy/local.
 *
 *   source scripts/node-env.sh && bash deploy/local/stack.sh up
 *   node -r ./bench/cjs-register.cjs bench/policy-lookup.bench.ts
 *
 * A list of 100,000 users (3 identities each) is written with the PolicyStore,
 * then 20,000 sequential lookups per mode (half members, half strangers, mixed
 * identity forms), after 2,000 warm-up lookups. Prints p50/p99/p999 and the
 * rate. Targets: p99 < 1 ms from Redis, < 50 µs cached. Never a test.
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { createRedisClient } from '@ci-connector/platform-redis';
import { stackEndpoints } from '@ci-connector/platform-testing';
import { createPolicyStore, createRecordingPolicy } from '@ci-connector/recording-policy';

const USERS = 100_000;
const LOOKUPS = 20_000;
const WARMUP = 2_000;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;

async function main() {
  const { redisUrl } = stackEndpoints();
  const redis = createRedisClient({ url: redisUrl, connectionName: 'bench-policy-lookup' });
  const prefix = `bench:${randomUUID().slice(0, 8)}:`;
  const tenant = randomUUID();
  try {
    const store = createPolicyStore(redis, { prefix });
    const writer = await store.begin(tenant);
    async function* identities() {
      for (let i = 0; i < USERS; i++) {
        yield `upn:user${i}@contoso.example`;
        yield `tel:+1425555${String(i).padStart(6, '0').slice(-4)}${String(i % 10)}`;
        yield `oid:${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`;
      }
    }
    await writer.add(identities());
    await writer.commit({ users: USERS });

    // Sequential lookups, each awaited, as a SIP transaction would do them.
    const queries: string[] = [];
    for (let i = 0; i < LOOKUPS + WARMUP; i++) {
      const n = (i * 7919) % USERS;
      const member = i % 2 === 0;
      switch (i % 3) {
        case 0:
          queries.push(member ? `sip:user${n}@contoso.example` : `sip:stranger${n}@fabrikam.example`);
          break;
        case 1:
          queries.push(member ? `User${n}@Contoso.example` : `nobody${n}@contoso.example`);
          break;
        default:
          queries.push(member ? `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000` : randomUUID());
      }
    }

    for (const mode of ['redis', 'cached'] as const) {
      const policy = createRecordingPolicy(redis, { prefix, cacheTtlMs: mode === 'redis' ? 0 : 60_000 });
      if (mode === 'cached') for (const q of queries) await policy.isRecorded(tenant, q); // fill the cache
      for (let i = 0; i < WARMUP; i++) await policy.isRecorded(tenant, queries[i] ?? '');
      const times: number[] = [];
      let yes = 0;
      const started = process.hrtime.bigint();
      for (let i = WARMUP; i < WARMUP + LOOKUPS; i++) {
        const t0 = process.hrtime.bigint();
        if (await policy.isRecorded(tenant, queries[i] ?? '')) yes++;
        times.push(Number(process.hrtime.bigint() - t0));
      }
      const totalS = Number(process.hrtime.bigint() - started) / 1e9;
      times.sort((a, b) => a - b);
      console.log(
        `lookup from ${mode.padEnd(6)}: ${LOOKUPS} lookups (${yes} recorded), p50 ${us(pct(times, 50))}, p99 ${us(pct(times, 99))}, p99.9 ${us(pct(times, 99.9))}, max ${us(times[times.length - 1] ?? NaN)}, ${Math.round(LOOKUPS / totalS)} lookups/s sequential`,
      );
    }
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${new Date().toISOString()}`);
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
    await redis.quit();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
