import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type Redis from 'ioredis';
import type { ApiKeyRecord, ApiKeyStore } from './api';
import { keys, type StoreOptions } from './keys';
import { LuaScript } from './lua';

/** The record and its index entry, only if the key is not stored yet: one atomic step. */
const STORE_KEY = new LuaScript(
  'apikey-store',
  `if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
     redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
     return 1
   end
   return 0`,
);

/** `cic_` + 32 random bytes in base64url (43 characters, no padding). */
export const API_KEY_RE = /^cic_[A-Za-z0-9_-]{43}$/;

interface StoredKey extends ApiKeyRecord {
  /** SHA-256 (hex) of the key: compared again, in constant time, after the lookup. */
  hash: string;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function checkScope(tenants: '*' | string[]): '*' | string[] {
  if (tenants === '*') return '*';
  if (!Array.isArray(tenants) || tenants.length === 0 || tenants.some((t) => typeof t !== 'string' || t.trim() === '')) {
    throw new RangeError("an API key's tenants must be '*' or a non-empty list of tenant ids");
  }
  return [...new Set(tenants.map((t) => t.trim().toLowerCase()))];
}

function checkName(name: string): string {
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200) throw new RangeError('an API key needs a name of 1-200 characters');
  return name.trim();
}

const publicRecord = ({ id, name, tenants, createdAt }: StoredKey): ApiKeyRecord => ({ id, name, tenants, createdAt });

/**
 * API keys: 256-bit random, shown once, stored only as their SHA-256 under
 * `apikey:{sha256hex}` (a plain hash is enough for keys that cannot be guessed;
 * a slow KDF protects low-entropy passwords, which these are not), plus the index
 * `apikeys` (HASH id → hash) for listing and revoking by id.
 */
export function createApiKeyStore(redis: Redis, opts: StoreOptions = {}): ApiKeyStore {
  const k = keys(opts);

  const store = async (key: string, name: string, tenants: '*' | string[]): Promise<StoredKey> => {
    const hash = hashApiKey(key);
    const record: StoredKey = { id: randomUUID(), name: checkName(name), tenants: checkScope(tenants), createdAt: new Date().toISOString(), hash };
    const stored = await STORE_KEY.run(redis, [k.apiKey(hash), k.apiKeys], [JSON.stringify(record), record.id, hash]);
    if (stored !== 1) {
      // The same key is stored already (importKey twice): that record stands.
      const existing = await lookup(hash);
      if (existing === undefined) throw new Error('the API key could not be stored');
      return existing;
    }
    return record;
  };

  const lookup = async (hash: string): Promise<StoredKey | undefined> => {
    const json = await redis.get(k.apiKey(hash));
    if (json === null) return undefined;
    const record = JSON.parse(json) as StoredKey;
    // The lookup found the hash; comparing again costs nothing and does not depend on where they differ.
    const a = Buffer.from(record.hash, 'hex');
    const b = Buffer.from(hash, 'hex');
    return a.length === b.length && timingSafeEqual(a, b) ? record : undefined;
  };

  return {
    async create(name, tenants) {
      const key = `cic_${randomBytes(32).toString('base64url')}`;
      const record = await store(key, name, tenants);
      return { key, record: publicRecord(record) };
    },

    async importKey(key, name, tenants) {
      if (typeof key !== 'string' || !API_KEY_RE.test(key)) throw new RangeError('an imported API key must be cic_ followed by 43 base64url characters (32 random bytes)');
      return publicRecord(await store(key, name, tenants));
    },

    async verify(key) {
      if (typeof key !== 'string' || !API_KEY_RE.test(key)) return undefined;
      const record = await lookup(hashApiKey(key));
      return record === undefined ? undefined : publicRecord(record);
    },

    async list() {
      const index = await redis.hgetall(k.apiKeys);
      const hashes = Object.values(index);
      if (hashes.length === 0) return [];
      const values = await redis.mget(...hashes.map((h) => k.apiKey(h)));
      return values
        .filter((v): v is string => v !== null)
        .map((v) => publicRecord(JSON.parse(v) as StoredKey))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    },

    async revoke(id) {
      const hash = await redis.hget(k.apiKeys, id);
      if (hash === null) return false;
      const replies = await redis.multi().del(k.apiKey(hash)).hdel(k.apiKeys, id).exec();
      return replies?.[1]?.[1] === 1;
    },
  };
}
