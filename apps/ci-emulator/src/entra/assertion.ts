import { compactVerify, importX509 } from 'jose';
import { aad, AadstsError } from './aadsts';
import type { CertificateCredential } from './credentials';

/** The client assertion type RFC 7523 defines; the only one accepted. */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Clock skew allowed on the assertion's nbf/exp (Entra allows about five minutes). */
export const ASSERTION_SKEW_SECONDS = 300;

export interface AssertionCheck {
  assertion: string;
  clientId: string;
  certificates: CertificateCredential[];
  /** Every URL accepted as `aud` (this tenant's token endpoint as the client may have addressed it). */
  audiences: string[];
  now: Date;
}

const b64json = (part: string | undefined): Record<string, unknown> | undefined => {
  try {
    const v = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Verifies a certificate client assertion as msal-node builds it (RFC 7523 +
 * Entra's certificate credentials): RS256 or PS256, `x5t#S256` and/or `x5t`
 * naming a certificate registered on the app, a valid signature with that
 * certificate's key, iss = sub = client_id, aud = the token endpoint, nbf/exp
 * around now, a jti. A repeated jti is accepted: msal-node re-uses an
 * assertion until it expires. Returns the certificate used, or throws AadstsError.
 */
export async function verifyClientAssertion(c: AssertionCheck): Promise<CertificateCredential> {
  const parts = c.assertion.split('.');
  if (parts.length !== 3) throw aad.malformedAssertion(`client_assertion has ${parts.length} dot-separated parts; a signed JWT (JWS compact) has 3`);
  const header = b64json(parts[0]);
  const claims = b64json(parts[1]);
  if (!header) throw aad.malformedAssertion('the client_assertion header is not base64url-encoded JSON');
  if (!claims) throw aad.malformedAssertion('the client_assertion payload is not base64url-encoded JSON');
  const alg = header['alg'];
  if (alg !== 'RS256' && alg !== 'PS256') throw aad.malformedAssertion(`alg ${JSON.stringify(alg)} is not accepted; certificate assertions are signed RS256 or PS256`);

  const s256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
  const s1 = typeof header['x5t'] === 'string' ? header['x5t'] : undefined;
  if (s256 === undefined && s1 === undefined) throw aad.assertionKey('The key was not found.', undefined, c.clientId);
  const shown = (b64: string) => Buffer.from(b64, 'base64url').toString('hex').toUpperCase();
  const cert = c.certificates.find((k) => (s256 !== undefined && k.x5tS256 === s256) || (s256 === undefined && s1 !== undefined && k.x5t === s1));
  const usedThumbprint = s256 !== undefined ? shown(s256) : shown(s1 ?? '');
  if (!cert) throw aad.assertionKey(`The key was not found. (emulator: no certificate of the app has this ${s256 !== undefined ? 'x5t#S256' : 'x5t'}; registered: ${c.certificates.map((k) => k.thumbprintSha256).join(', ') || 'none'})`, usedThumbprint, c.clientId);
  if (s256 !== undefined && s1 !== undefined && cert.x5t !== s1) throw aad.assertionKey('The key was not found. (emulator: x5t and x5t#S256 name different certificates)', usedThumbprint, c.clientId);
  if (cert.notAfter.getTime() < c.now.getTime() || cert.notBefore.getTime() > c.now.getTime()) {
    throw aad.assertionKey(`The key used is expired. (emulator: the certificate is valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`, usedThumbprint, c.clientId);
  }
  try {
    await compactVerify(c.assertion, await importX509(cert.pem, alg), { algorithms: [alg] });
  } catch {
    throw aad.assertionKey('The provided signature value did not match the expected signature value.', usedThumbprint, c.clientId);
  }

  const iss = claims['iss'];
  const sub = claims['sub'];
  if (typeof iss !== 'string' || typeof sub !== 'string' || iss.toLowerCase() !== c.clientId || sub.toLowerCase() !== c.clientId) {
    throw aad.assertionIssuer(`iss=${JSON.stringify(iss)}, sub=${JSON.stringify(sub)}`);
  }
  const aud = claims['aud'];
  const auds = Array.isArray(aud) ? aud : [aud];
  if (!auds.some((a) => typeof a === 'string' && c.audiences.some((x) => x.toLowerCase() === a.toLowerCase()))) {
    throw aad.assertionAudience(JSON.stringify(aud), c.audiences[0] ?? '');
  }
  const exp = claims['exp'];
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw aad.malformedAssertion("the claim 'exp' is missing or not a number (NumericDate)");
  const nbf = claims['nbf'];
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) throw aad.malformedAssertion("the claim 'nbf' is not a number (NumericDate)");
  const nowS = c.now.getTime() / 1000;
  if (nowS > exp + ASSERTION_SKEW_SECONDS || (typeof nbf === 'number' && nowS < nbf - ASSERTION_SKEW_SECONDS)) {
    throw aad.assertionTime(c.now, typeof nbf === 'number' ? new Date(nbf * 1000) : undefined, new Date(exp * 1000));
  }
  if (typeof claims['jti'] !== 'string' || claims['jti'] === '') throw aad.malformedAssertion("the claim 'jti' is missing (Entra requires a unique id per assertion)");
  return cert;
}

export { AadstsError };
