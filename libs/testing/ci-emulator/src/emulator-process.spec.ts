import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintCerts } from './emulator-process';

describe('mintCerts (the emulator test PKI)', () => {
  it('mints a CA and a carrier client certificate it signed, with the documented subject', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mint-'));
    try {
      mintCerts(dir);
      const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
      const carrier = new X509Certificate(readFileSync(join(dir, 'carrier.pem')));
      expect(carrier.subject).toBe('O=Example Carrier\nCN=sbc.carrier.example');
      expect(carrier.checkIssued(ca)).toBe(true);
      expect(carrier.verify(ca.publicKey)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
