import type Redis from 'ioredis';
import type { PolicyMeta, PolicyStore, PolicyWriter } from './api';
import { checkTenantId, keys, type StoreOptions } from './keys';
import { LuaScript } from './lua';

export interface PolicyStoreOptions extends StoreOptions {
  /** How long the previous version's set lives after a commit, for readers that read the pointer just before (default 5 min). */
  graceMs?: number;
  /** Members per SADD (default 5,000). */
  batchSize?: number;
  /** SADDs sent before waiting for the oldest reply (default 8): bounds memory while keeping the pipe full. */
  maxInFlight?: number;
  /** A version being written expires after this long without an add or a commit: a crashed writer leaves nothing behind (default 1 h). */
  partialTtlMs?: number;
}

/** A newer version went live while this one was written (two writers for one tenant): this one was dropped. */
export class PolicyVersionConflictError extends Error {
  constructor(
    readonly tenantId: string,
    readonly version: string,
    readonly liveVersion: string,
  ) {
    super(`tenant ${tenantId}: version ${version} not committed, the newer ${liveVersion} is live`);
    this.name = 'PolicyVersionConflictError';
  }
}

/**
 * A version: the tenant's sequence number (Redis INCR, so versions order exactly as
 * begin() was called, whatever the replicas' clocks say), then the time it was begun.
 * Both zero-padded: versions compare as text.
 */
export function newPolicyVersion(seq: number, now = Date.now()): string {
  return `${String(seq).padStart(12, '0')}-${String(now).padStart(13, '0')}`;
}

/**
 * The switch: pointer, meta and the previous version's expiry in one atomic step.
 * KEYS: current, meta, new set. ARGV: version, version key prefix, graceMs, users, now (ISO).
 * Refuses to go back to an older version (a late writer after a newer commit).
 */
const COMMIT = new LuaScript(
  'policy-commit',
  `local prev = redis.call('GET', KEYS[1])
   if prev and prev > ARGV[1] then return {'stale', prev} end
   local n = redis.call('SCARD', KEYS[3])
   redis.call('PERSIST', KEYS[3])
   redis.call('SET', KEYS[1], ARGV[1])
   redis.call('HSET', KEYS[2], 'version', ARGV[1], 'identities', n, 'users', ARGV[4], 'syncedAt', ARGV[5], 'lastAttemptAt', ARGV[5])
   redis.call('HDEL', KEYS[2], 'lastError')
   if prev and prev ~= ARGV[1] then redis.call('PEXPIRE', ARGV[2] .. prev, ARGV[3]) end
   return {'ok', tostring(n)}`,
);

/**
 * Users-to-record lists: each sync writes a fresh `policy:{tenant}:v:{version}` SET,
 * then one Lua script points `policy:{tenant}:current` at it and updates the meta.
 * A reader resolves the pointer and tests membership in one script too (see
 * recording-policy.ts), so it sees the old list or the new one, never a mix.
 */
export function createPolicyStore(redis: Redis, opts: PolicyStoreOptions = {}): PolicyStore {
  const k = keys(opts);
  const graceMs = opts.graceMs ?? 5 * 60_000;
  const batchSize = opts.batchSize ?? 5000;
  const maxInFlight = opts.maxInFlight ?? 8;
  const partialTtlMs = opts.partialTtlMs ?? 60 * 60_000;
  if (!(graceMs > 0) || !(batchSize > 0) || !(maxInFlight > 0) || !(partialTtlMs > 0)) throw new RangeError('graceMs, batchSize, maxInFlight and partialTtlMs must be positive');

  const readMeta = async (tenantId: string): Promise<PolicyMeta> => {
    const h = await redis.hgetall(k.policyMeta(tenantId));
    const meta: PolicyMeta = { tenantId };
    if (h['version']) meta.version = h['version'];
    if (h['identities'] !== undefined) meta.identities = Number(h['identities']);
    if (h['users'] !== undefined) meta.users = Number(h['users']);
    if (h['syncedAt']) meta.syncedAt = h['syncedAt'];
    if (h['lastAttemptAt']) meta.lastAttemptAt = h['lastAttemptAt'];
    if (h['lastError']) meta.lastError = h['lastError'];
    return meta;
  };

  return {
    async begin(tenantId) {
      checkTenantId(tenantId);
      const version = newPolicyVersion(await redis.incr(k.policySeq(tenantId)));
      const setKey = k.policyVersion(tenantId, version);
      let state: 'open' | 'committed' | 'aborted' = 'open';
      const open = (what: string) => {
        if (state !== 'open') throw new Error(`policy version ${version} of ${tenantId} is ${state}: cannot ${what}`);
      };

      const writer: PolicyWriter = {
        version,
        async add(identities) {
          open('add');
          const inFlight: Promise<unknown>[] = [];
          let batch: string[] = [];
          let sent = 0;
          const send = async () => {
            if (batch.length === 0) return;
            inFlight.push(redis.sadd(setKey, batch));
            // Right behind the first SADD (same connection, in order): a writer that
            // crashes from here on leaves a set that expires on its own.
            if (sent++ === 0) inFlight.push(redis.pexpire(setKey, partialTtlMs));
            batch = [];
            if (inFlight.length >= maxInFlight) await inFlight.shift();
          };
          /** True when the batch is full. */
          const take = (identity: unknown): boolean => {
            if (typeof identity === 'string' && identity.length > 0) batch.push(identity);
            return batch.length >= batchSize;
          };
          let error: unknown;
          try {
            if (Symbol.asyncIterator in Object(identities)) {
              for await (const identity of identities as AsyncIterable<string>) if (take(identity)) await send();
            } else {
              for (const identity of identities as Iterable<string>) if (take(identity)) await send();
            }
            await send();
          } catch (err) {
            error = err;
          }
          // Every command sent is answered before add returns (or throws the first error).
          const failed = (await Promise.allSettled(inFlight)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (error !== undefined) throw error;
          if (failed) throw failed.reason;
        },

        async commit(stats) {
          open('commit');
          const syncedAt = new Date().toISOString();
          const reply = (await COMMIT.run(
            redis,
            [k.policyCurrent(tenantId), k.policyMeta(tenantId), setKey],
            [version, k.policyVersionPrefix(tenantId), graceMs, Math.max(0, Math.trunc(stats.users)), syncedAt],
          )) as [string, string];
          if (reply[0] === 'stale') {
            state = 'aborted';
            await redis.unlink(setKey);
            throw new PolicyVersionConflictError(tenantId, version, reply[1]);
          }
          state = 'committed';
          return { tenantId, version, identities: Number(reply[1]), users: Math.max(0, Math.trunc(stats.users)), syncedAt, lastAttemptAt: syncedAt };
        },

        async abort() {
          if (state !== 'open') return;
          state = 'aborted';
          // UNLINK frees a large set in the background instead of blocking Redis.
          await redis.unlink(setKey);
        },
      };
      return writer;
    },

    meta: readMeta,

    async recordFailure(tenantId, error, at) {
      checkTenantId(tenantId);
      await redis.hset(k.policyMeta(tenantId), 'lastError', error.slice(0, 2000) || 'unknown error', 'lastAttemptAt', at.toISOString());
    },

    async drop(tenantId) {
      checkTenantId(tenantId);
      const doomed = new Set<string>([k.policyCurrent(tenantId), k.policyMeta(tenantId), k.policySeq(tenantId)]);
      // Every version of the tenant, live, expiring or being written.
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${k.policyVersionPrefix(tenantId)}*`, 'COUNT', 1000);
        cursor = next;
        for (const key of found) doomed.add(key);
      } while (cursor !== '0');
      await redis.multi().unlink(...doomed).zrem(k.schedule, tenantId).exec();
    },
  };
}
