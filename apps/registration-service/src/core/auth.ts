import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, ApiKeyStore } from '@ci-connector/recording-policy';
import { ApiError } from './errors';

/** Who is calling: the API key's id and the tenants it may see and change. */
export interface Principal {
  keyId: string;
  name: string;
  tenants: '*' | string[];
}

export const BOOTSTRAP_KEY_ID = 'bootstrap-admin';

/** The key out of `Authorization: Bearer <key>` or `x-api-key: <key>` (HTTP headers or gRPC metadata). */
export function presentedKey(authorization: string | undefined, xApiKey: string | undefined): string | undefined {
  if (authorization !== undefined) {
    const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m?.[1];
  }
  const k = xApiKey?.trim();
  return k ? k : undefined;
}

/**
 * Authenticates API keys: the bootstrap admin key from the environment (only its
 * SHA-256 is kept in memory, compared in constant time) or a key of the ApiKeyStore
 * (stored hashed there).
 */
export class ApiKeyAuthenticator {
  private readonly bootstrapHash: Buffer | undefined;

  constructor(
    private readonly keys: ApiKeyStore,
    bootstrapKey: string | undefined,
  ) {
    this.bootstrapHash = bootstrapKey ? sha256(bootstrapKey) : undefined;
  }

  async authenticate(key: string | undefined): Promise<Principal> {
    if (key === undefined) throw new ApiError('unauthenticated', 'unauthenticated', 'an API key is required: Authorization: Bearer <key> or x-api-key: <key>');
    if (this.bootstrapHash && timingSafeEqual(sha256(key), this.bootstrapHash)) {
      return { keyId: BOOTSTRAP_KEY_ID, name: 'bootstrap admin key (ADMIN_API_KEY)', tenants: '*' };
    }
    let record: ApiKeyRecord | undefined;
    try {
      record = await this.keys.verify(key);
    } catch (err) {
      throw new ApiError('unavailable', 'store_unavailable', `cannot check the API key now: ${(err as Error).message}`);
    }
    if (!record) throw new ApiError('unauthenticated', 'unauthenticated', 'unknown or revoked API key');
    return { keyId: record.id, name: record.name, tenants: record.tenants };
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function canSee(p: Principal, tenantId: string): boolean {
  return p.tenants === '*' || p.tenants.includes(tenantId.toLowerCase());
}

export function isAdmin(p: Principal): boolean {
  return p.tenants === '*';
}
