import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** A certificate registered on an Entra app (its public half), matched by thumbprint. */
export interface CertificateCredential {
  pem: string;
  subject: string;
  /** Hex, upper case, as the Entra portal shows them. */
  thumbprintSha1: string;
  thumbprintSha256: string;
  /** base64url of the SHA-1 / SHA-256 of the DER: what `x5t` / `x5t#S256` carry. */
  x5t: string;
  x5tS256: string;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** Where it came from (a file path or "inline PEM"). */
  source: string;
}

export interface SecretCredential {
  value: string;
  expiresAt?: Date;
}

/** `{ file }` (relative to `baseDir`), `{ pem }`, or a bare string: a PEM if it starts with -----BEGIN, else a path. */
export type CertificateSpec = string | { file: string } | { pem: string };

/** Reads and parses one certificate; throws an Error whose message says what is wrong. */
export function loadCertificate(spec: CertificateSpec, baseDir: string): CertificateCredential {
  let pem: string;
  let source: string;
  const asText = typeof spec === 'string' ? spec : 'pem' in spec ? spec.pem : undefined;
  if (asText !== undefined && asText.trimStart().startsWith('-----BEGIN')) {
    pem = asText;
    source = 'inline PEM';
  } else {
    const file = typeof spec === 'string' ? spec : 'file' in spec ? spec.file : '';
    const path = isAbsolute(file) ? file : resolve(baseDir, file);
    try {
      pem = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read certificate file ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    source = path;
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw new Error(`${source} is not a PEM X.509 certificate (${(err as Error).message})`);
  }
  if (cert.publicKey.asymmetricKeyType !== 'rsa' && cert.publicKey.asymmetricKeyType !== 'rsa-pss') {
    throw new Error(`${source}: the key is ${cert.publicKey.asymmetricKeyType ?? 'unknown'}, client assertions need RSA (RS256/PS256)`);
  }
  const sha1 = createHash('sha1').update(cert.raw).digest();
  const sha256 = createHash('sha256').update(cert.raw).digest();
  return {
    pem,
    subject: cert.subject.replace(/\n/g, ', '),
    thumbprintSha1: sha1.toString('hex').toUpperCase(),
    thumbprintSha256: sha256.toString('hex').toUpperCase(),
    x5t: sha1.toString('base64url'),
    x5tS256: sha256.toString('base64url'),
    publicKey: cert.publicKey,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    source,
  };
}
