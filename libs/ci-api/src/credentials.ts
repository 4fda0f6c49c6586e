import { createPrivateKey, X509Certificate } from 'node:crypto';
import { GUID_RE } from './constants';

/** An Entra app credential: a client secret, or a certificate (msal's form, or PEM files' content). */
export type AppCredential =
  | { clientId: string; clientSecret: string }
  | { clientId: string; certificate: { thumbprintSha256: string; privateKey: string } }
  | { clientId: string; certificatePem: string; privateKeyPem: string };

/** What msal's `auth` gets for a credential. */
export type MsalCredential = { clientSecret: string } | { clientCertificate: { thumbprintSha256: string; privateKey: string } };

export interface ResolvedCredential {
  clientId: string;
  kind: 'secret' | 'certificate';
  msal: MsalCredential;
}

/** Hex SHA-256 thumbprint (no colons, uppercase) of a PEM certificate: what Entra's `x5t#S256` names. */
export function certificateThumbprintSha256(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '');
}

/** Checks a credential and turns it into msal's form; throws an Error naming `where` and what is wrong. */
export function resolveCredential(c: AppCredential, where: string): ResolvedCredential {
  const problems: string[] = [];
  const clientId = typeof c?.clientId === 'string' ? c.clientId.trim().toLowerCase() : '';
  if (!GUID_RE.test(clientId)) problems.push(`${where}.clientId: not a GUID (the app's Application (client) ID)`);
  let resolved: ResolvedCredential | undefined;
  if ('clientSecret' in c) {
    if (typeof c.clientSecret !== 'string' || c.clientSecret.length === 0) problems.push(`${where}.clientSecret: must be a non-empty string`);
    else resolved = { clientId, kind: 'secret', msal: { clientSecret: c.clientSecret } };
  } else if ('certificate' in c) {
    const { thumbprintSha256, privateKey } = c.certificate ?? {};
    if (typeof thumbprintSha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(thumbprintSha256.replace(/:/g, ''))) problems.push(`${where}.certificate.thumbprintSha256: must be 64 hex digits (SHA-256 of the certificate)`);
    const keyProblem = privateKeyProblem(privateKey);
    if (keyProblem) problems.push(`${where}.certificate.privateKey: ${keyProblem}`);
    if (problems.length === 0 && typeof thumbprintSha256 === 'string' && typeof privateKey === 'string')
      resolved = { clientId, kind: 'certificate', msal: { clientCertificate: { thumbprintSha256: thumbprintSha256.replace(/:/g, '').toUpperCase(), privateKey: pkcs8(privateKey) } } };
  } else if ('certificatePem' in c) {
    let cert: X509Certificate | undefined;
    try {
      if (typeof c.certificatePem !== 'string' || !c.certificatePem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('not a PEM certificate (no BEGIN CERTIFICATE line)');
      cert = new X509Certificate(c.certificatePem);
    } catch (err) {
      problems.push(`${where}.certificatePem: ${(err as Error).message}`);
    }
    const keyProblem = privateKeyProblem(c.privateKeyPem);
    if (keyProblem) problems.push(`${where}.privateKeyPem: ${keyProblem}`);
    else if (cert && !cert.checkPrivateKey(createPrivateKey(c.privateKeyPem))) problems.push(`${where}.privateKeyPem: is not the private key of certificatePem`);
    if (cert && Date.parse(cert.validTo) < Date.now()) problems.push(`${where}.certificatePem: expired on ${new Date(cert.validTo).toISOString()}`);
    if (problems.length === 0 && cert)
      resolved = { clientId, kind: 'certificate', msal: { clientCertificate: { thumbprintSha256: cert.fingerprint256.replace(/:/g, ''), privateKey: pkcs8(c.privateKeyPem) } } };
  } else {
    problems.push(`${where}: give clientSecret, certificate { thumbprintSha256, privateKey } or certificatePem + privateKeyPem`);
  }
  if (problems.length > 0 || !resolved) throw new Error(`bad Entra credentials: ${problems.join('; ')}`);
  return resolved;
}

function privateKeyProblem(pem: unknown): string | undefined {
  if (typeof pem !== 'string' || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return 'not a PEM private key (no BEGIN PRIVATE KEY line)';
  if (/ENCRYPTED PRIVATE KEY/.test(pem)) return 'is encrypted: give the decrypted key';
  try {
    createPrivateKey(pem);
    return undefined;
  } catch (err) {
    return `malformed private key: ${(err as Error).message}`;
  }
}

/** msal wants `-----BEGIN PRIVATE KEY-----` (PKCS#8): convert PKCS#1 / SEC1 keys. */
const pkcs8 = (pem: string): string => createPrivateKey(pem).export({ format: 'pem', type: 'pkcs8' }).toString();
