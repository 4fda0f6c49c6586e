import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateThumbprintSha256, resolveCredential } from './credentials';

const APP = '4d4d4d4d-4444-4444-8444-444444444444';

describe('Entra app credentials', () => {
  let dir: string;
  let certPem: string;
  let keyPem: string;
  let otherKeyPem: string;
  let pkcs1KeyPem: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ci-api-cred-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=app');
    ssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(dir, 'other.pem'));
    ssl('rsa', '-in', join(dir, 'key.pem'), '-traditional', '-out', join(dir, 'pkcs1.pem'));
    certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
    otherKeyPem = readFileSync(join(dir, 'other.pem'), 'utf8');
    pkcs1KeyPem = readFileSync(join(dir, 'pkcs1.pem'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("computes the SHA-256 thumbprint of the certificate's DER (what x5t#S256 names)", () => {
    const der = new X509Certificate(certPem).raw;
    expect(certificateThumbprintSha256(certPem)).toBe(createHash('sha256').update(der).digest('hex').toUpperCase());
  });

  it('turns PEM files into msal’s certificate credential (PKCS#8 key)', () => {
    const r = resolveCredential({ clientId: APP.toUpperCase(), certificatePem: certPem, privateKeyPem: pkcs1KeyPem }, 'credentials.app');
    expect(r.clientId).toBe(APP);
    expect(r.kind).toBe('certificate');
    const cc = 'clientCertificate' in r.msal ? r.msal.clientCertificate : undefined;
    expect(cc?.thumbprintSha256).toBe(certificateThumbprintSha256(certPem));
    expect(cc?.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('takes a secret, or a thumbprint with colons', () => {
    expect(resolveCredential({ clientId: APP, clientSecret: 's3cret' }, 'c').msal).toEqual({ clientSecret: 's3cret' });
    const thumb = certificateThumbprintSha256(certPem).replace(/(..)(?!$)/g, '$1:');
    const r = resolveCredential({ clientId: APP, certificate: { thumbprintSha256: thumb, privateKey: keyPem } }, 'c');
    expect('clientCertificate' in r.msal && r.msal.clientCertificate.thumbprintSha256).toBe(certificateThumbprintSha256(certPem));
  });

  it('names every wrong field', () => {
    expect(() => resolveCredential({ clientId: 'nope', clientSecret: '' }, 'credentials.app')).toThrow(
      "bad Entra credentials: credentials.app.clientId: not a GUID (the app's Application (client) ID); credentials.app.clientSecret: must be a non-empty string",
    );
    expect(() => resolveCredential({ clientId: APP, certificatePem: 'x', privateKeyPem: 'y' }, 'p')).toThrow(
      'bad Entra credentials: p.certificatePem: not a PEM certificate (no BEGIN CERTIFICATE line); p.privateKeyPem: not a PEM private key (no BEGIN PRIVATE KEY line)',
    );
    expect(() => resolveCredential({ clientId: APP, certificatePem: certPem, privateKeyPem: otherKeyPem }, 'p')).toThrow('p.privateKeyPem: is not the private key of certificatePem');
    expect(() => resolveCredential({ clientId: APP, certificate: { thumbprintSha256: 'abc', privateKey: keyPem } }, 'p')).toThrow('p.certificate.thumbprintSha256: must be 64 hex digits');
    expect(() => resolveCredential({ clientId: APP } as never, 'p')).toThrow('p: give clientSecret, certificate { thumbprintSha256, privateKey } or certificatePem + privateKeyPem');
  });
});
