import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM file paths and contents of one certificate and its key. */
export interface TestCert {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

/** Certificates made for one test run; `remove()` deletes the folder. */
export interface TestPki {
  dir: string;
  /** The trusted CA: signs `server` and `client`. */
  ca: TestCert;
  /** CN=sip.test.local, SAN DNS:sip.test.local, DNS:localhost, IP:127.0.0.1. */
  server: TestCert;
  /** Subject O=Carrier, CN=src.carrier.test (RFC 4514: "CN=src.carrier.test,O=Carrier"). */
  client: TestCert;
  /** A CA nobody trusts, and a client certificate it signed. */
  otherCa: TestCert;
  otherClient: TestCert;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

function load(dir: string, name: string): TestCert {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

function makeCa(dir: string, name: string, subject: string): TestCert {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
  return load(dir, name);
}

function makeLeaf(dir: string, name: string, subject: string, san: string, ca: string): TestCert {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${san}\n`);
  openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', `${name}.crt`]);
  return load(dir, name);
}

/** Makes a fresh PKI with the openssl CLI in a temporary folder (~1 s). */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'sip-transport-pki-'));
  const ca = makeCa(dir, 'ca', '/O=Test/CN=Test SIP CA');
  const otherCa = makeCa(dir, 'other-ca', '/O=Rogue/CN=Rogue CA');
  return {
    dir,
    ca,
    otherCa,
    server: makeLeaf(dir, 'server', '/O=Test/CN=sip.test.local', 'DNS:sip.test.local,DNS:localhost,IP:127.0.0.1', 'ca'),
    client: makeLeaf(dir, 'client', '/O=Carrier/CN=src.carrier.test', 'DNS:src.carrier.test', 'ca'),
    otherClient: makeLeaf(dir, 'other-client', '/O=Rogue/CN=rogue.carrier.test', 'DNS:rogue.carrier.test', 'other-ca'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
