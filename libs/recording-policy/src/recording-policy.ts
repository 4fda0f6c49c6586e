import type Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { RecordingPolicy } from './api';
import { identityCandidates, needsDefaultCountry } from './identity';
import { keys, type StoreOptions } from './keys';
import { LuaScript } from './lua';

export interface RecordingPolicyOptions extends StoreOptions {
  /** How long an answer is cached in process (default 60 s; 0 = no cache). An update event drops the tenant's answers sooner. */
  cacheTtlMs?: number;
  /** Most answers kept (default 100,000; least recently used go first). */
  cacheMax?: number;
  /** How long a tenant's default country is kept (default 5 min). */
  countryTtlMs?: number;
  /** The country for national numbers when the tenant record has none or is gone (default `US`). */
  fallbackCountry?: string;
}

/** Redis could not answer (down, timeout, script error). sip-signaling decides what to do; by default it does not record. */
export class PolicyLookupError extends Error {
  constructor(
    readonly tenantId: string,
    override readonly cause: unknown,
  ) {
    super(`recording policy lookup for tenant ${tenantId} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'PolicyLookupError';
  }
}

/**
 * The lookup, in one step on the server: read the pointer, test every candidate
 * on the live set. KEYS: current. ARGV: version key prefix, candidates… → 1 / 0.
 */
const IS_RECORDED = new LuaScript(
  'policy-is-recorded',
  `local v = redis.call('GET', KEYS[1])
   if not v then return 0 end
   local hits = redis.call('SMISMEMBER', ARGV[1] .. v, unpack(ARGV, 2))
   for i = 1, #hits do
     if hits[i] == 1 then return 1 end
   end
   return 0`,
);

const MAX_IDENTITY = 1024;
/** What checkTenantId accepts for key names. */
const TENANT_ID_RE = /^[^\s:*?[\]\\]{1,256}$/;

/**
 * `isRecorded` for sip-signaling: normalises the identity into candidate keys
 * (identity.ts), asks Redis once (IS_RECORDED), caches the answer per tenant
 * until the TTL or `invalidate(tenantId)`. The tenant's default country (for
 * national numbers) is read from its record only when the identity needs it, and kept.
 */
export function createRecordingPolicy(redis: Redis, opts: RecordingPolicyOptions = {}): RecordingPolicy {
  const k = keys(opts);
  const ttl = opts.cacheTtlMs ?? 60_000;
  const countryTtl = opts.countryTtlMs ?? 5 * 60_000;
  const fallbackCountry = opts.fallbackCountry ?? 'US';
  if (!(ttl >= 0) || !(countryTtl >= 0)) throw new RangeError('cacheTtlMs and countryTtlMs must be >= 0');

  /** Per tenant: bumped by invalidate, so an answer computed before it is never stored after it. */
  const generation = new Map<string, number>();
  /** Per tenant: its cache keys, so invalidate drops exactly those. */
  const byTenant = new Map<string, Set<string>>();
  const tenantOfKey = (key: string) => key.slice(0, key.indexOf('\n'));
  const cache =
    ttl > 0
      ? new LRUCache<string, boolean>({
          max: opts.cacheMax ?? 100_000,
          ttl,
          // Expired entries are not served; no timer per entry.
          ttlAutopurge: false,
          dispose: (_value, key) => {
            const set = byTenant.get(tenantOfKey(key));
            set?.delete(key);
            if (set?.size === 0) byTenant.delete(tenantOfKey(key));
          },
        })
      : undefined;

  const countries = new Map<string, { country: string; until: number }>();
  const countryReads = new Map<string, Promise<string>>();

  const countryOf = async (tenantId: string): Promise<string> => {
    const known = countries.get(tenantId);
    if (known && known.until > Date.now()) return known.country;
    let reading = countryReads.get(tenantId);
    if (reading === undefined) {
      reading = (async () => {
        const gen = generation.get(tenantId) ?? 0;
        const json = await redis.get(k.tenant(tenantId));
        let country = fallbackCountry;
        try {
          const parsed = json === null ? undefined : (JSON.parse(json) as { defaultCountry?: unknown });
          if (typeof parsed?.defaultCountry === 'string' && parsed.defaultCountry !== '') country = parsed.defaultCountry;
        } catch {
          // A record that is not JSON: the fallback country; the tenant store reports it elsewhere.
        }
        if ((generation.get(tenantId) ?? 0) === gen) countries.set(tenantId, { country, until: Date.now() + countryTtl });
        return country;
      })().finally(() => countryReads.delete(tenantId));
      countryReads.set(tenantId, reading);
    }
    return reading;
  };

  return {
    async isRecorded(tenantId, identity) {
      // Not a tenant id or not an identity: nothing of it can be in a list.
      if (typeof identity !== 'string' || identity.length > MAX_IDENTITY || typeof tenantId !== 'string' || !TENANT_ID_RE.test(tenantId)) return false;
      const gen = generation.get(tenantId) ?? 0;
      const cacheKey = `${tenantId}\n${gen}\n${identity}`;
      const cached = cache?.get(cacheKey);
      if (cached !== undefined) return cached;

      let answer: boolean;
      try {
        const country = needsDefaultCountry(identity) ? await countryOf(tenantId) : undefined;
        const candidates = identityCandidates(identity, country);
        answer =
          candidates.length > 0 &&
          (await IS_RECORDED.run(redis, [k.policyCurrent(tenantId)], [k.policyVersionPrefix(tenantId), ...candidates])) === 1;
      } catch (err) {
        throw new PolicyLookupError(tenantId, err);
      }

      if (cache !== undefined && (generation.get(tenantId) ?? 0) === gen) {
        cache.set(cacheKey, answer);
        let set = byTenant.get(tenantId);
        if (set === undefined) byTenant.set(tenantId, (set = new Set()));
        set.add(cacheKey);
      }
      return answer;
    },

    invalidate(tenantId) {
      generation.set(tenantId, (generation.get(tenantId) ?? 0) + 1);
      countries.delete(tenantId);
      const set = byTenant.get(tenantId);
      byTenant.delete(tenantId);
      if (set !== undefined && cache !== undefined) for (const key of set) cache.delete(key);
    },
  };
}
