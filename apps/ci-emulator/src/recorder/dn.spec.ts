import { dnMatches, parseDn, DnSyntaxError } from './dn';
import { admit, inNetwork } from './admission';
import type { Registration } from '../state/registrations';

const SUBJECT = 'CN=sbc.carrier.example,O=Example Carrier'; // as the transport reports it (RFC 4514)

describe('dnMatches (the certificate matching rule)', () => {
  it.each([
    ['the RFC 4514 string itself', 'CN=sbc.carrier.example,O=Example Carrier'],
    ['OpenSSL/X.500 order', 'O=Example Carrier,CN=sbc.carrier.example'],
    ['spaces after commas and around =', 'CN = sbc.carrier.example, O = Example Carrier'],
    ['attribute types and values in another case', 'cn=SBC.Carrier.Example,o=example carrier'],
    ['long names and OIDs', 'commonName=sbc.carrier.example,2.5.4.10=Example Carrier'],
    ['OpenSSL slash form', '/O=Example Carrier/CN=sbc.carrier.example'],
    ['runs of whitespace inside a value', 'CN=sbc.carrier.example,O=Example   Carrier'],
    ['a bare CN', 'sbc.carrier.example'],
    ['a bare CN in another case', 'SBC.CARRIER.EXAMPLE'],
  ])('matches %s', (_what, registered) => {
    expect(dnMatches(registered, SUBJECT, 'sbc.carrier.example')).toBe(true);
  });

  it.each([
    ['a DN missing an attribute', 'CN=sbc.carrier.example'],
    ['a DN with another value', 'CN=sbc.carrier.example,O=Other Carrier'],
    ['a DN with an extra attribute', 'CN=sbc.carrier.example,O=Example Carrier,C=US'],
    ['another CN', 'sbc.other.example'],
    ['the O as a bare name', 'Example Carrier'],
    ['an empty value', ''],
    ['a malformed DN', 'CN=a,,=b'],
  ])('does not match %s', (_what, registered) => {
    expect(dnMatches(registered, SUBJECT, 'sbc.carrier.example')).toBe(false);
  });

  it('unescapes RFC 4514 escapes and hex pairs', () => {
    expect(parseDn('CN=Smith\\, John,O=Acme\\2C Inc')).toEqual([
      { type: 'CN', value: 'smith, john' },
      { type: 'O', value: 'acme, inc' },
    ]);
    expect(dnMatches('CN="Smith, John"', 'CN=Smith\\, John')).toBe(true);
  });

  it('throws DnSyntaxError naming what is wrong', () => {
    expect(() => parseDn('no equals sign')).toThrow(DnSyntaxError);
    expect(() => parseDn('CN="unbalanced')).toThrow(/double quote/);
  });
});

describe('inNetwork (SourceIPNetwork)', () => {
  it.each([
    ['127.0.0.1', '0.0.0.0', true],
    ['203.0.113.9', '0.0.0.0', true],
    ['127.0.0.1', '127.0.0.1', true],
    ['127.0.0.2', '127.0.0.1', false],
    ['127.0.0.1', '127.0.0.0/8', true],
    ['10.1.2.3', '127.0.0.0/8', false],
    ['::ffff:127.0.0.1', '127.0.0.0/8', true],
    ['::1', '::1/128', true],
    ['127.0.0.1', '::ffff:127.0.0.0/104', true],
  ])('%s in %s → %s', (address, network, expected) => {
    expect(inNetwork(address, network)).toBe(expected);
  });

  it('says undefined for a network that does not parse', () => {
    expect(inNetwork('127.0.0.1', 'not-a-network')).toBeUndefined();
    expect(inNetwork('127.0.0.1', '10.0.0.0/99')).toBeUndefined();
  });
});

describe('admit', () => {
  const reg = (over: Partial<Registration>): Registration => ({
    tenantId: 't1', clientId: 'c', orgId: 'o', type: 'custom', hosting: 'cloud', displayName: 'd', accountId: 'AC1',
    certificateSubjectName: SUBJECT, certificateIssuer: 'ci-emulator test CA', sourceIpNetwork: '0.0.0.0', registeredAt: '', updatedAt: '', ...over,
  });
  const peer = { subject: SUBJECT, subjectCN: 'sbc.carrier.example', issuer: 'CN=ci-emulator test CA,O=ci-connector test', issuerCN: 'ci-emulator test CA', address: '127.0.0.1' };

  it('admits a registered certificate from its network, with every registration it may act for', () => {
    const v = admit(peer, [reg({}), reg({ tenantId: 't2', accountId: 'AC2', sourceIpNetwork: '127.0.0.0/8' }), reg({ tenantId: 't3', sourceIpNetwork: '10.0.0.0/8' })]);
    expect(v.ok && v.registrations.map((r) => r.tenantId)).toEqual(['t1', 't2']);
  });

  it('refuses a certificate no tenant registered, naming subject and issuer', () => {
    expect(admit(peer, [reg({ certificateSubjectName: 'CN=other' })])).toEqual({ ok: false, rule: 'tls-registered-certificate', reason: expect.stringContaining(`subject "${SUBJECT}"`) });
    expect(admit(peer, [reg({ certificateIssuer: 'Another CA' })])).toMatchObject({ ok: false, rule: 'tls-registered-certificate' });
    expect(admit(peer, [])).toMatchObject({ ok: false, rule: 'tls-registered-certificate' });
    expect(admit(undefined, [reg({})])).toMatchObject({ ok: false, reason: 'the client presented no certificate' });
  });

  it('refuses the registered certificate from outside its SourceIPNetwork, naming the address and networks', () => {
    expect(admit(peer, [reg({ sourceIpNetwork: '10.0.0.0/8' })])).toEqual({ ok: false, rule: 'tls-source-network', reason: expect.stringMatching(/127\.0\.0\.1 is outside .*t1: 10\.0\.0\.0\/8/) });
  });
});
