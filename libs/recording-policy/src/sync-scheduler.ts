import type Redis from 'ioredis';
import type { SyncScheduler } from './api';
import { checkTenantId, keys, type StoreOptions } from './keys';
import { LuaScript } from './lua';

/**
 * Claims due tenants, atomically (one script: no two callers can both see a lease free).
 * KEYS: schedule. ARGV: owner, now, max, leaseMs, lease key prefix.
 * A claimed tenant's due time moves to the lease's end: if its owner dies, it
 * becomes due again when the lease expires, and is not scanned again before.
 * Looks at up to 4×max+16 due tenants, so a few leased ones do not hide the rest.
 */
const CLAIM = new LuaScript(
  'policy-claim',
  `local now = tonumber(ARGV[2])
   local max = tonumber(ARGV[3])
   local lease = tonumber(ARGV[4])
   local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, max * 4 + 16)
   local claimed = {}
   for _, tenant in ipairs(due) do
     if #claimed >= max then break end
     if redis.call('SET', ARGV[5] .. tenant, ARGV[1], 'NX', 'PX', lease) then
       redis.call('ZADD', KEYS[1], now + lease, tenant)
       claimed[#claimed + 1] = tenant
     end
   end
   return claimed`,
);

/**
 * Releases the lease if `owner` holds it and sets the next due time, unless the
 * tenant was asked for again meanwhile (score <= now: keep it, sync again) or was
 * unscheduled (no score: keep it unscheduled).
 * KEYS: lease, schedule. ARGV: owner, tenant, nextDue, now.
 */
const COMPLETE = new LuaScript(
  'policy-complete',
  `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
   redis.call('DEL', KEYS[1])
   local score = redis.call('ZSCORE', KEYS[2], ARGV[2])
   if score and tonumber(score) > tonumber(ARGV[4]) then
     redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
   end
   return 1`,
);

/** Compare-and-delete: only the owner releases its lease. KEYS: lease. ARGV: owner. */
const RELEASE = new LuaScript(
  'policy-release',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
   return 0`,
);

/** Compare-and-extend. KEYS: lease. ARGV: owner, leaseMs. */
const RENEW = new LuaScript(
  'policy-renew',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
   return 0`,
);

function checkOwner(owner: string): void {
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > 200) throw new RangeError('a lease owner id must be 1-200 characters');
}

function checkMs(name: string, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${name} must be a finite number of ms >= 0, got ${ms}`);
}

/**
 * The sync schedule shared by every policy-sync-worker replica: `policy:schedule`
 * (ZSET tenant → due time, ms) and `policy:lease:{tenant}` (the owner's id, with a
 * PX lease). See README.md, "Leases".
 */
export function createSyncScheduler(redis: Redis, opts: StoreOptions = {}): SyncScheduler {
  const k = keys(opts);
  return {
    async schedule(tenantId, dueAtMs) {
      checkTenantId(tenantId);
      checkMs('dueAtMs', dueAtMs);
      await redis.zadd(k.schedule, Math.trunc(dueAtMs), tenantId);
    },

    async unschedule(tenantId) {
      await redis.zrem(k.schedule, tenantId);
    },

    async claimDue(owner, nowMs, max, leaseMs) {
      checkOwner(owner);
      checkMs('nowMs', nowMs);
      if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
      if (!Number.isInteger(leaseMs) || leaseMs < 1) throw new RangeError(`leaseMs must be a positive integer, got ${leaseMs}`);
      return (await CLAIM.run(redis, [k.schedule], [owner, Math.trunc(nowMs), max, leaseMs, k.leasePrefix])) as string[];
    },

    async complete(tenantId, owner, nextDueAtMs, nowMs = Date.now()) {
      checkOwner(owner);
      checkMs('nextDueAtMs', nextDueAtMs);
      return (await COMPLETE.run(redis, [k.lease(tenantId), k.schedule], [owner, tenantId, Math.trunc(nextDueAtMs), Math.trunc(nowMs)])) === 1;
    },

    async renew(tenantId, owner, leaseMs) {
      checkOwner(owner);
      if (!Number.isInteger(leaseMs) || leaseMs < 1) throw new RangeError(`leaseMs must be a positive integer, got ${leaseMs}`);
      return (await RENEW.run(redis, [k.lease(tenantId)], [owner, leaseMs])) === 1;
    },

    async release(tenantId, owner) {
      checkOwner(owner);
      return (await RELEASE.run(redis, [k.lease(tenantId)], [owner])) === 1;
    },

    async dueAt(tenantId) {
      const score = await redis.zscore(k.schedule, tenantId);
      return score === null ? undefined : Number(score);
    },

    async leaseOwner(tenantId) {
      return (await redis.get(k.lease(tenantId))) ?? undefined;
    },
  };
}
