import { FakeApiKeyStore } from '../testing/fakes';
import { PartnerAuthenticator, presentedKey } from './auth';
import { ApiError } from './errors';
import { parsePartners } from './partners';

const partners = parsePartners(JSON.stringify({ partners: [{ id: 'acme', subject: { CN: 'dialer.acme.example' }, tenants: ['t1'] }] }));

describe('PartnerAuthenticator', () => {
  it('reads the key from Authorization: Bearer, else x-api-key', () => {
    expect(presentedKey('Bearer cic_x', 'cic_y')).toBe('cic_x');
    expect(presentedKey('Basic abc', 'cic_y')).toBeUndefined();
    expect(presentedKey(undefined, ' cic_y ')).toBe('cic_y');
    expect(presentedKey(undefined, undefined)).toBeUndefined();
  });

  it('remembers an API key check for the cache TTL, sharing one lookup among concurrent requests', async () => {
    const keys = new FakeApiKeyStore();
    keys.add('cic_k', 'p1', ['t1']);
    const auth = new PartnerAuthenticator(keys, [], 60_000);
    const all = await Promise.all(Array.from({ length: 20 }, () => auth.byApiKey('cic_k')));
    expect(all[0]).toEqual({ partnerId: 'p1', name: 'partner p1', tenants: ['t1'], via: 'api-key' });
    expect(keys.lookups).toBe(1);
    await expect(auth.byApiKey('cic_unknown')).rejects.toMatchObject({ kind: 'unauthenticated', message: 'unknown or revoked API key' });
    await expect(auth.byApiKey(undefined)).rejects.toMatchObject({ kind: 'unauthenticated' });
  });

  it('asks the store every time with TTL 0 (a revoked key is refused at once), and says 503 when the store fails', async () => {
    const keys = new FakeApiKeyStore();
    keys.add('cic_k', 'p1', '*');
    const auth = new PartnerAuthenticator(keys, [], 0);
    await auth.byApiKey('cic_k');
    await keys.revoke('p1');
    await expect(auth.byApiKey('cic_k')).rejects.toMatchObject({ kind: 'unauthenticated' });
    keys.failing = true;
    const err = await auth.byApiKey('cic_k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ kind: 'unavailable', retryAfterSeconds: 1 });
  });

  it('maps a trusted client certificate to its partner, and refuses a missing, untrusted or unknown one', () => {
    const auth = new PartnerAuthenticator(new FakeApiKeyStore(), partners, 0);
    expect(auth.byCertificate({ authorized: true, subject: { CN: 'dialer.acme.example', O: 'Acme' } })).toEqual({ partnerId: 'acme', name: 'acme', tenants: ['t1'], via: 'mtls' });
    expect(() => auth.byCertificate(undefined)).toThrow('a client certificate is required');
    expect(() => auth.byCertificate({ authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', subject: { CN: 'dialer.acme.example' } })).toThrow(
      'the client certificate is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    );
    expect(() => auth.byCertificate({ authorized: true, subject: { CN: 'stranger' } })).toThrow('no partner has the client certificate subject CN=stranger');
  });
});
