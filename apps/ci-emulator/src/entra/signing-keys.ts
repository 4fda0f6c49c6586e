import { randomUUID } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

/**
 * The emulator's token signing key: RSA 2048, generated at start-up, RS256,
 * its `kid` the RFC 7638 thumbprint. Published (public half only) at
 * `/{tenant}/discovery/v2.0/keys`.
 */
export class SigningKeys {
  private constructor(
    private readonly privateKey: webcrypto.CryptoKey,
    private readonly publicKey: webcrypto.CryptoKey,
    readonly kid: string,
    private readonly publicJwk: JWK,
  ) {}

  static async create(): Promise<SigningKeys> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return new SigningKeys(privateKey, publicKey, kid, { kty: jwk.kty, use: 'sig', kid, alg: 'RS256', n: jwk.n, e: jwk.e } as JWK);
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  async sign(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT({ ...claims, uti: randomUUID().replace(/-/g, '').slice(0, 22) }).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid }).sign(this.privateKey);
  }

  /** Checks the signature (RS256, our kid); returns the header and the claims, or throws with the reason. */
  async verify(token: string): Promise<{ header: Record<string, unknown>; claims: Record<string, unknown> }> {
    const parts = token.split('.');
    if (parts.length !== 3) throw new Error(`not a JWS compact token (${parts.length} parts, expected 3)`);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new Error('the token header is not base64url JSON');
    }
    if (header['alg'] !== 'RS256') throw new Error(`alg is ${JSON.stringify(header['alg'])}, tokens of this issuer are RS256`);
    if (header['kid'] !== this.kid) throw new Error(`kid ${JSON.stringify(header['kid'])} is not a key of this issuer (published at /common/discovery/v2.0/keys)`);
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(token, this.publicKey, { algorithms: ['RS256'] }));
    } catch {
      throw new Error('the signature does not verify with the issuer key');
    }
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload).toString('utf8'));
    } catch {
      throw new Error('the token payload is not JSON');
    }
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('the token payload is not a JSON object');
    return { header, claims: claims as Record<string, unknown> };
  }
}
