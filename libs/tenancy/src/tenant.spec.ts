import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyTenantUpdate, newTenant, parseTenantCreate, parseTenantUpdate, registrationFingerprint } from './tenant';
import { RECORDER_REGION_NAMES } from './regions';

const valid = {
  id: 'C0C0C0C0-CCCC-4CCC-8CCC-CCCCCCCCCCCC',
  orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
  displayName: 'Contoso',
  region: 'uksouth',
  accountId: 'AC0123456789',
  certificate: { subject: 'CN=sbc.carrier.example,O=Example Carrier', issuer: 'CN=Carrier CA' },
};

describe('tenant validation', () => {
  it('accepts a valid tenant, lowercases GUIDs and fills the defaults', () => {
    const r = parseTenantCreate(valid);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.value).toMatchObject({ id: 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc', sourceIpNetwork: '0.0.0.0', hosting: 'cloud', recordingMode: 'automatic', defaultCountry: 'US' });
  });

  it('lists every bad field at once', () => {
    const r = parseTenantCreate({ ...valid, id: 'not-a-guid', orgId: '123', region: 'mars', sourceIpNetwork: '10.0.0.0/33', hosting: 'moon', defaultCountry: 'GBR', extra: 1, certificate: { pem: 'garbage' } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = Object.fromEntries(r.problems.map((p) => [p.field, p.message]));
    expect(fields['id']).toMatch(/not a GUID/);
    expect(fields['orgId']).toMatch(/not a GUID/);
    expect(fields['region']).toMatch(/unknown region; one of global, southeastasia/);
    expect(fields['sourceIpNetwork']).toMatch(/prefix length must be 0-32/);
    expect(fields['hosting']).toMatch(/cloud/);
    expect(fields['defaultCountry']).toMatch(/alpha-2/);
    expect(fields['extra']).toBe('unknown field');
    expect(fields['certificate.pem']).toMatch(/not a PEM certificate/);
  });

  it('knows the 14 recorder endpoints of the seed', () => {
    expect(RECORDER_REGION_NAMES).toHaveLength(14);
  });

  it('reads subject and issuer from a PEM certificate; a corrupt one is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenancy-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/O=Example Carrier/CN=sbc.carrier.example'], { stdio: 'pipe' });
      const pem = readFileSync(join(dir, 'c.pem'), 'utf8');
      const r = parseTenantCreate({ ...valid, certificate: { pem } });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      expect(r.value.certificate).toMatchObject({ subject: 'CN=sbc.carrier.example,O=Example Carrier', issuer: 'CN=sbc.carrier.example,O=Example Carrier' });
      expect(r.value.certificate.fingerprint256).toMatch(/^[0-9A-F:]{95}$/);
      const broken = pem.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
      const bad = parseTenantCreate({ ...valid, certificate: { pem: broken } });
      expect(bad.ok ? [] : bad.problems).toEqual([{ field: 'certificate.pem', message: expect.stringMatching(/^malformed certificate/) }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an update of a registered field sends a registered tenant back to unregistered; a mode change does not', () => {
    const r = parseTenantCreate(valid);
    if (!r.ok) throw new Error('invalid');
    const t = newTenant(r.value, new Date(0));
    t.status = { state: 'registered', attempts: 1, registeredFingerprint: registrationFingerprint(t) };
    const mode = parseTenantUpdate({ recordingMode: 'manual' });
    const acc = parseTenantUpdate({ accountId: 'AC999' });
    if (!mode.ok || !acc.ok) throw new Error('invalid');
    expect(applyTenantUpdate(t, mode.value, new Date(1))).toMatchObject({ recordingMode: 'manual', version: 2, status: { state: 'registered' } });
    expect(applyTenantUpdate(t, acc.value, new Date(1))).toMatchObject({ accountId: 'AC999', status: { state: 'unregistered' } });
  });
});

describe('SourceIPNetwork', () => {
  it.each([
    ['0.0.0.0', undefined],
    ['127.0.0.1', undefined],
    ['10.0.0.0/8', undefined],
    ['2001:db8::/32', undefined],
    ['::1', undefined],
    ['10.0.0.1/8', 'host bits set: did you mean 10.0.0.0/8?'],
    ['10.0.0.0/33', 'prefix length must be 0-32'],
    ['10.1', 'not an IPv4/IPv6 address or CIDR'],
    ['example.com', 'not an IPv4/IPv6 address or CIDR'],
    ['1.2.3.4/8/9', 'not an address or CIDR'],
  ])('%s → %s', async (value, problem) => {
    const { sourceNetworkProblem } = await import('./tenant');
    expect(sourceNetworkProblem(value)).toBe(problem);
  });
});
