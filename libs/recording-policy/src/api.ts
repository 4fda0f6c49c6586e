import type { Tenant } from '@ci-connector/tenancy';

/**
 * The contract of @ci-connector/recording-policy: the Redis schema ci-connector
 * keeps tenants and users to record in, and the lookups on it. Implemented in
 * this library (Redis via ioredis); used by registration-service (TenantStore,
 * ApiKeyStore), policy-sync-worker (TenantStore read side, PolicyStore,
 * SyncScheduler) and sip-signaling (RecordingPolicy.isRecorded).
 *
 * Redis layout (prefix configurable, default `cic:`), documented in README.md:
 *   cic:tenant:{id}                 JSON of the Tenant
 *   cic:tenants                     SET of tenant ids
 *   cic:outbox:tenants              STREAM of tenant changes not yet published to Kafka
 *   cic:apikey:{sha256hex}          JSON of the ApiKeyRecord
 *   cic:apikeys                     HASH key id → sha256hex (for list and revoke)
 *   cic:policy:{tenant}:v:{version} SET of normalised identities of one users list
 *   cic:policy:{tenant}:current     the live version (the pointer)
 *   cic:policy:{tenant}:meta        HASH: version, identities, users, syncedAt, lastAttemptAt, lastError
 *   cic:policy:{tenant}:seq         counter of versions begun (a version is <seq 12 digits>-<ms 13 digits>)
 *   cic:policy:schedule             ZSET tenant → next sync due (ms since epoch)
 *   cic:policy:lease:{tenant}       owner id, PX lease while a replica syncs the tenant
 */

/** A change waiting in the outbox (written in the same MULTI as the tenant). */
export interface TenantOutboxEntry {
  /** Redis stream entry id. */
  id: string;
  tenantId: string;
  /** The tenant after the change, or null when it was deleted (a tombstone on Kafka). */
  tenant: Tenant | null;
  at: string;
}

export class TenantConflictError extends Error {
  constructor(
    readonly tenantId: string,
    readonly reason: 'exists' | 'not-found' | 'version',
  ) {
    super(reason === 'exists' ? `tenant ${tenantId} already exists` : reason === 'not-found' ? `tenant ${tenantId} not found` : `tenant ${tenantId} was changed concurrently; read it again`);
    this.name = 'TenantConflictError';
  }
}

/**
 * Tenants in Redis. Every write is one MULTI/EXEC (tenant + index + outbox entry):
 * nothing half written. The WATCH transactions run on a connection of their own
 * (a duplicate of the client, opened on the first write): call `close()` at shutdown.
 */
export interface TenantStore {
  create(tenant: Tenant): Promise<void>; // TenantConflictError('exists')
  get(id: string): Promise<Tenant | undefined>;
  list(): Promise<Tenant[]>;
  /**
   * Replaces the tenant if its stored version is `expectedVersion` (WATCH/MULTI);
   * TenantConflictError('version' | 'not-found'). `tenant.version` must be greater
   * than `expectedVersion` (applyTenantUpdate adds one), else a RangeError.
   */
  update(tenant: Tenant, expectedVersion: number): Promise<void>;
  /** Deletes the tenant and writes a tombstone to the outbox; false when it did not exist. */
  delete(id: string): Promise<boolean>;
  /** Outbox: the oldest `max` unpublished changes, oldest first; `ack` removes them once Kafka acknowledged. */
  pendingChanges(max: number): Promise<TenantOutboxEntry[]>;
  ack(entryIds: string[]): Promise<void>;
  /** Closes the store's own transaction connection (not the client it was given). */
  close(): Promise<void>;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** '*' = every tenant, else the tenant ids this key may see and change. */
  tenants: '*' | string[];
  createdAt: string;
}

/** API keys, stored by the SHA-256 of the key (keys are 256-bit random, so a plain hash is enough). */
export interface ApiKeyStore {
  /** Mints a key (`cic_<base64url>`), stores its hash, returns the key once. */
  create(name: string, tenants: '*' | string[]): Promise<{ key: string; record: ApiKeyRecord }>;
  /** The record for a presented key, or undefined. */
  verify(key: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  revoke(id: string): Promise<boolean>;
  /**
   * Stores a key minted elsewhere (e.g. a bootstrap admin key from a secret), idempotently:
   * the same key again returns the stored record. The key must look like one `create` mints
   * (`cic_` + 43 base64url characters), else a RangeError.
   */
  importKey(key: string, name: string, tenants: '*' | string[]): Promise<ApiKeyRecord>;
}

export interface PolicyMeta {
  tenantId: string;
  /** Live version, absent before the first successful sync. */
  version?: string;
  identities?: number;
  users?: number;
  syncedAt?: string;
  lastAttemptAt?: string;
  /** Set when the last attempt failed (the last good list stays live). */
  lastError?: string;
}

/** Writing a new users list: identities go into a fresh versioned set, then one atomic switch of the pointer. */
export interface PolicyWriter {
  readonly version: string;
  /** Adds normalised identities (batched, pipelined, streamed: never held all at once). */
  add(identities: Iterable<string> | AsyncIterable<string>): Promise<void>;
  /**
   * Atomically makes this version live (pointer + meta in one MULTI/Lua), expires the previous version after a grace period.
   * PolicyVersionConflictError when a newer version went live meanwhile (this one is then dropped).
   */
  commit(stats: { users: number }): Promise<PolicyMeta>;
  /** Drops the partial set (the live list is untouched). */
  abort(): Promise<void>;
}

export interface PolicyStore {
  begin(tenantId: string): Promise<PolicyWriter>;
  meta(tenantId: string): Promise<PolicyMeta>;
  /** Records a failed attempt (lastError, lastAttemptAt) without touching the live list. */
  recordFailure(tenantId: string, error: string, at: Date): Promise<void>;
  /** Removes every policy key of a deleted tenant. */
  drop(tenantId: string): Promise<void>;
}

/** Which replica syncs which tenant when: shared by every worker replica through Redis. */
export interface SyncScheduler {
  /** Sets the tenant's next due time (ms); `now` = as soon as possible. */
  schedule(tenantId: string, dueAtMs: number): Promise<void>;
  unschedule(tenantId: string): Promise<void>;
  /**
   * Claims up to `max` due tenants for `owner` with a lease of `leaseMs` (SET NX PX),
   * so no two replicas sync the same tenant; returns the tenant ids claimed.
   */
  claimDue(owner: string, nowMs: number, max: number, leaseMs: number): Promise<string[]>;
  /**
   * Releases the lease and sets the next due time (the interval plus jitter, chosen by the caller).
   * Keeps an earlier due time asked for while the sync ran (`schedule(id, now)`: sync again at once),
   * and does not schedule a tenant unscheduled meanwhile. False (and nothing changed) when `owner`
   * no longer holds the lease.
   */
  complete(tenantId: string, owner: string, nextDueAtMs: number, nowMs?: number): Promise<boolean>;
  /** Extends the lease of a long sync; false when `owner` no longer holds it. */
  renew(tenantId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Releases the lease only (compare-and-delete); the schedule is left as it is. */
  release(tenantId: string, owner: string): Promise<boolean>;
  /** The tenant's next due time (ms), or undefined when it is not scheduled. */
  dueAt(tenantId: string): Promise<number | undefined>;
  /** Who holds the tenant's lease now, if anyone. */
  leaseOwner(tenantId: string): Promise<string | undefined>;
}

/** What sip-signaling asks: is this identity, of this tenant, a user to record? */
export interface RecordingPolicy {
  /**
   * `identity`: a SIP URI user part, a phone number in any common format, an
   * email / UPN, or an Entra object id. Resolved against the tenant's live list
   * (one Redis round trip), cached in process until an update event or the TTL.
   */
  isRecorded(tenantId: string, identity: string): Promise<boolean>;
  /** Drops the tenant's cached answers (called on `recording-policy.updated`). */
  invalidate(tenantId: string): void;
}
