import { createHash } from 'node:crypto';
import type { ApiKeyStore } from '@ci-connector/recording-policy';
import { ApiError } from './errors';
import { formatSubject, partnerForSubject, type CertSubject, type MtlsPartner } from './partners';
import { TtlCache } from './ttl-cache';

/** Who is posting: a partner dialer, by API key or by client certificate, and the tenants it may post for. */
export interface Principal {
  /** The API key's id, or the partner id of the partners file: `partnerId` of the events, `pid` of widget tokens. */
  partnerId: string;
  name: string;
  tenants: '*' | string[];
  via: 'api-key' | 'mtls';
}

/** The key out of `Authorization: Bearer <key>` or `x-api-key: <key>` (HTTP headers or gRPC metadata). */
export function presentedKey(authorization: string | undefined, xApiKey: string | undefined): string | undefined {
  if (authorization !== undefined) {
    const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m?.[1];
  }
  const k = xApiKey?.trim();
  return k ? k : undefined;
}

/** A verified client certificate as TLS left it: trusted or not, and its subject. */
export interface PeerCertificate {
  authorized: boolean;
  /** Why the chain was refused (Node's `authorizationError`), when it was. */
  authorizationError?: string;
  subject?: CertSubject;
}

/**
 * Authenticates partners. API keys are registration-service's (ApiKeyStore in
 * Redis, stored hashed); answers are remembered for `cacheTtlMs` (a revoked key
 * works at most that long). Client certificates were checked by TLS against the
 * partners' CA; the subject picks the partner from the partners file.
 */
export class PartnerAuthenticator {
  private readonly cache: TtlCache<Principal | undefined>;

  constructor(
    private readonly keys: ApiKeyStore,
    private readonly partners: readonly MtlsPartner[],
    cacheTtlMs: number,
  ) {
    this.cache = new TtlCache({ ttlMs: cacheTtlMs });
  }

  async byApiKey(key: string | undefined): Promise<Principal> {
    if (key === undefined) throw new ApiError('unauthenticated', 'an API key is required: Authorization: Bearer <key> (or x-api-key: <key>)');
    let principal: Principal | undefined;
    try {
      // Cached by the key's hash: the key itself is never kept in memory longer than the request.
      principal = await this.cache.get(createHash('sha256').update(key).digest('base64url'), async () => {
        const record = await this.keys.verify(key);
        return record ? { partnerId: record.id, name: record.name, tenants: record.tenants, via: 'api-key' } : undefined;
      });
    } catch (err) {
      throw new ApiError('unavailable', `cannot check the API key now (Redis: ${(err as Error).message}); retry later`, [], 1);
    }
    if (!principal) throw new ApiError('unauthenticated', 'unknown or revoked API key');
    return principal;
  }

  byCertificate(cert: PeerCertificate | undefined): Principal {
    if (!cert || !cert.subject) throw new ApiError('unauthenticated', 'a client certificate is required on this listener (mutual TLS)');
    if (!cert.authorized) throw new ApiError('unauthenticated', `the client certificate is not trusted: ${cert.authorizationError ?? 'unknown issuer'}`);
    const partner = partnerForSubject(this.partners, cert.subject);
    if (!partner) throw new ApiError('unauthenticated', `no partner has the client certificate subject ${formatSubject(cert.subject)} (MTLS_PARTNERS_FILE)`);
    return { partnerId: partner.id, name: partner.id, tenants: partner.tenants, via: 'mtls' };
  }
}
