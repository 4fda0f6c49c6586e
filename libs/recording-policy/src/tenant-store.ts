import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import type { Tenant } from '@ci-connector/tenancy';
import { TenantConflictError, type TenantOutboxEntry, type TenantStore } from './api';
import { checkTenantId, keys, type StoreOptions } from './keys';

/** How often a transaction whose WATCH fired is tried again before giving up (create and delete only). */
const MAX_ATTEMPTS = 5;

/**
 * Tenants in Redis: `tenant:{id}` (JSON), `tenants` (SET of ids) and one entry on
 * the `outbox:tenants` STREAM, written by one MULTI/EXEC. The read-check-write of
 * create, update and delete runs under WATCH on the tenant key.
 *
 * WATCH belongs to a connection, and ioredis sends every caller's commands down
 * one connection: another caller's EXEC would clear our WATCH. So the store keeps
 * a connection of its own for transactions (a duplicate of `redis`, opened on the
 * first write) and runs them one at a time on it; reads use `redis`.
 */
export function createTenantStore(redis: Redis, opts: StoreOptions = {}): TenantStore {
  const k = keys(opts);
  let tx: Redis | undefined;
  /** Counts the transaction connection's closes: a WATCH does not survive a reconnect. */
  let epoch = 0;
  let queue: Promise<unknown> = Promise.resolve();

  const txConnection = (): Redis => {
    if (tx === undefined) {
      const name = redis.options.connectionName;
      const conn = redis.duplicate({ connectionName: `${name ?? 'recording-policy'}:tenant-tx` });
      conn.on('close', () => {
        epoch++;
      });
      // Errors reach the callers through their commands; without a listener ioredis prints them.
      conn.on('error', () => undefined);
      tx = conn;
    }
    return tx;
  };

  /** Runs `fn` alone on the transaction connection. */
  const serial = <T>(fn: (conn: Redis) => Promise<T>): Promise<T> => {
    const run = queue.then(() => fn(txConnection()));
    queue = run.catch(() => undefined);
    return run;
  };

  /**
   * WATCH the tenant key, read it, let `decide` build the MULTI (or answer without
   * writing), EXEC. Null from `decide`'s MULTI = the key changed under us.
   */
  const watched = async <T>(
    conn: Redis,
    id: string,
    decide: (current: Tenant | undefined) => { write: (m: ChainableCommander) => void; result: T } | { answer: T },
  ): Promise<{ done: true; value: T } | { done: false }> => {
    const started = epoch;
    await conn.watch(k.tenant(id));
    try {
      const current = parseTenant(await conn.get(k.tenant(id)), id);
      const d = decide(current);
      if ('answer' in d) {
        await conn.unwatch();
        return { done: true, value: d.answer };
      }
      if (epoch !== started) return { done: false };
      const m = conn.multi();
      d.write(m);
      const replies = await m.exec();
      if (replies === null) return { done: false };
      const failed = replies.find(([err]) => err !== null);
      if (failed?.[0]) throw failed[0];
      return { done: true, value: d.result };
    } catch (err) {
      await conn.unwatch().catch(() => undefined);
      throw err;
    }
  };

  const outbox = (m: ChainableCommander, id: string, tenant: Tenant | null, at: string) =>
    m.xadd(k.tenantOutbox, '*', 'tenantId', id, 'tenant', tenant === null ? '' : JSON.stringify(tenant), 'at', at);

  const store: TenantStore = {
    create: (tenant) =>
      serial(async (conn) => {
        checkTenantId(tenant.id);
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          const r = await watched<'exists' | 'created'>(conn, tenant.id, (current) =>
            current !== undefined
              ? { answer: 'exists' }
              : {
                  result: 'created',
                  write: (m) => {
                    m.set(k.tenant(tenant.id), JSON.stringify(tenant));
                    m.sadd(k.tenants, tenant.id);
                    outbox(m, tenant.id, tenant, tenant.updatedAt);
                  },
                },
          );
          if (r.done) {
            if (r.value === 'exists') throw new TenantConflictError(tenant.id, 'exists');
            return;
          }
        }
        throw new TenantConflictError(tenant.id, 'exists');
      }),

    async get(id) {
      return parseTenant(await redis.get(k.tenant(id)), id);
    },

    async list() {
      const ids = (await redis.smembers(k.tenants)).sort();
      const out: Tenant[] = [];
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const values = await redis.mget(...chunk.map((id) => k.tenant(id)));
        values.forEach((v, j) => {
          const t = parseTenant(v, chunk[j] ?? '');
          if (t !== undefined) out.push(t);
        });
      }
      return out;
    },

    update: (tenant, expectedVersion) =>
      serial(async (conn) => {
        checkTenantId(tenant.id);
        if (!(tenant.version > expectedVersion)) {
          throw new RangeError(`tenant ${tenant.id}: the new version (${tenant.version}) must be greater than the expected one (${expectedVersion})`);
        }
        // A WATCH that fired is tried again: the next read compares the version, so a
        // concurrent update shows up as 'version', a mere reconnect goes through.
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          const r = await watched<'ok' | 'not-found' | 'version'>(conn, tenant.id, (current) => {
            if (current === undefined) return { answer: 'not-found' };
            if (current.version !== expectedVersion) return { answer: 'version' };
            return {
              result: 'ok',
              write: (m) => {
                m.set(k.tenant(tenant.id), JSON.stringify(tenant));
                m.sadd(k.tenants, tenant.id);
                outbox(m, tenant.id, tenant, tenant.updatedAt);
              },
            };
          });
          if (!r.done) continue;
          if (r.value !== 'ok') throw new TenantConflictError(tenant.id, r.value);
          return;
        }
        throw new TenantConflictError(tenant.id, 'version');
      }),

    delete: (id) =>
      serial(async (conn) => {
        checkTenantId(id);
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          const r = await watched<boolean>(conn, id, (current) =>
            current === undefined
              ? { answer: false }
              : {
                  result: true,
                  write: (m) => {
                    m.del(k.tenant(id));
                    m.srem(k.tenants, id);
                    outbox(m, id, null, new Date().toISOString());
                  },
                },
          );
          if (r.done) return r.value;
        }
        throw new TenantConflictError(id, 'version');
      }),

    async pendingChanges(max) {
      if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
      const entries = await redis.xrange(k.tenantOutbox, '-', '+', 'COUNT', max);
      return entries.map(([entryId, fields]) => outboxEntry(entryId, fields));
    },

    async ack(entryIds) {
      if (entryIds.length === 0) return;
      await redis.xdel(k.tenantOutbox, ...entryIds);
    },

    async close() {
      const conn = tx;
      tx = undefined;
      if (conn === undefined) return;
      await queue;
      try {
        await conn.quit();
      } catch {
        conn.disconnect(false);
      }
    },
  };
  return store;
}

function parseTenant(json: string | null, id: string): Tenant | undefined {
  if (json === null) return undefined;
  try {
    return JSON.parse(json) as Tenant;
  } catch (err) {
    throw new Error(`tenant ${id}: the stored record is not JSON (${(err as Error).message})`);
  }
}

function outboxEntry(id: string, fields: string[]): TenantOutboxEntry {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] ?? '', fields[i + 1] ?? '');
  const tenantJson = f.get('tenant') ?? '';
  const tenantId = f.get('tenantId') ?? '';
  return { id, tenantId, tenant: tenantJson === '' ? null : (parseTenant(tenantJson, tenantId) ?? null), at: f.get('at') ?? '' };
}
