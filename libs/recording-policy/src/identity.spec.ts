import fc from 'fast-check';
import { E164_RE, identitiesOfUser, identityCandidates, needsDefaultCountry, normaliseObjectId, normalisePhone, normaliseUpn } from './identity';

const GUID = '6f2b2c4e-1d3a-4e5f-8a9b-0c1d2e3f4a5b';

describe('normalisePhone', () => {
  it.each([
    // international, written every way people write them
    ['+442079460958', 'US', '+442079460958'],
    ['+44 20 7946 0958', 'US', '+442079460958'],
    ['+44-20-7946-0958', 'US', '+442079460958'],
    ['+44.20.7946.0958', 'US', '+442079460958'],
    ['+44 (0)20 7946 0958', 'US', '+442079460958'],
    ['+44 (0) 20 7946 0958', 'US', '+442079460958'],
    ['+4402079460958', 'US', '+442079460958'],
    ['0044 20 7946 0958', 'US', '+442079460958'],
    ['0044 20 7946 0958', 'GB', '+442079460958'],
    ['011 44 20 7946 0958', 'US', '+442079460958'],
    ['+1 (425) 555-0109', 'GB', '+14255550109'],
    ['+1-555-0100', 'US', '+15550100'],
    ['\u202f+44\u00a020\u20117946\u20130958', 'US', '+442079460958'],
    ['＋４４ ２０ ７９４６ ０９５８', 'US', '+442079460958'],
    ['+49 30 901820', 'US', '+4930901820'],
    ['+33 1 23 45 67 89', 'US', '+33123456789'],
    // national, with the tenant's default country
    ['(555) 010-0199', 'US', '+15550100199'],
    ['555.010.0199', 'US', '+15550100199'],
    ['1 555 010 0199', 'US', '+15550100199'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['07700 900123', 'GB', '+447700900123'],
    ['030 901820', 'DE', '+4930901820'],
    ['01 23 45 67 89', 'FR', '+33123456789'],
    ['(425) 555-0109', 'us', '+14255550109'],
    // extensions are not part of the number
    ['+1 425 555 0109 ext. 23', 'US', '+14255550109'],
    ['+1 425 555 0109 x23', 'US', '+14255550109'],
    ['+1 425 555 0109;ext=23', 'US', '+14255550109'],
  ])('%j in %s → %s', (raw, country, e164) => {
    expect(normalisePhone(raw, country)).toBe(e164);
  });

  it.each([
    ['', 'US'],
    ['   ', 'US'],
    ['abc', 'US'],
    ['call 555 0100', 'US'],
    ['123', 'US'],
    ['+0 555 0100', 'US'], // no country code starts with 0
    ['+12345', 'US'], // shorter than E.164 allows
    ['+1234567890123456', 'US'], // longer than E.164 allows
    ['++44 20 7946 0958', 'US'],
    ['7946 0958', 'GB'], // a London number without its area code: not possible
    ['020 7946 0958', undefined], // national, no country to read it in
    ['020 7946 0958', 'XX'], // not a country
    ['020 7946 0958', 'not a country'],
    ['555-0100', 'US'], // US local without area code
    ['1'.repeat(100), 'US'],
  ])('%j in %s → nothing', (raw, country) => {
    expect(normalisePhone(raw, country)).toBeUndefined();
  });

  it('ignores non-string input', () => {
    expect(normalisePhone(442079460958 as unknown as string, 'GB')).toBeUndefined();
    expect(normalisePhone(null as unknown as string, 'GB')).toBeUndefined();
  });

  it('never throws, and its output is always E.164 (any string, any country)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.oneof(fc.constantFrom('US', 'GB', 'DE', 'FR', 'IN', 'BR', 'JP', 'AU'), fc.string({ maxLength: 3 })), (raw, country) => {
        const e164 = normalisePhone(raw, country);
        return e164 === undefined || E164_RE.test(e164);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on strings made of phone characters, and its output is always E.164', () => {
    const phoneish = fc.string({ unit: fc.constantFrom(...'+0123456789 -.()/x#;ext=０１２'.split('')), maxLength: 30 });
    fc.assert(
      fc.property(phoneish, fc.constantFrom('US', 'GB', 'DE', 'FR', 'IN', 'BR', 'JP', 'AU', 'CN', 'ZA'), (raw, country) => {
        const e164 = normalisePhone(raw, country);
        return e164 === undefined || E164_RE.test(e164);
      }),
      { numRuns: 5000 },
    );
  });

  it('gives one number the same key however it is written (separators do not matter)', () => {
    const sep = fc.constantFrom('', ' ', '-', '.', '\u00a0', '\u2011');
    fc.assert(
      fc.property(fc.integer({ min: 2_000_000_000, max: 9_999_999_999 }), sep, sep, (n, a, b) => {
        const d = String(n);
        const written = `+1${a}${d.slice(0, 3)}${b}${d.slice(3, 6)}${a}${d.slice(6)}`;
        return normalisePhone(written, 'GB') === normalisePhone(`+1${d}`, 'GB');
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps an E.164 number as it is when its first digits hold no 0', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+[1-9]{4}\d{3,11}$/), (e164) => normalisePhone(e164, 'US') === e164),
      { numRuns: 1000 },
    );
  });
});

describe('normaliseUpn', () => {
  it.each([
    ['alice@contoso.com', 'alice@contoso.com'],
    ['  Alice.Smith@Contoso.COM ', 'alice.smith@contoso.com'],
    ['mailto:alice@contoso.com', 'alice@contoso.com'],
    ['SMTP:Alice@contoso.com', 'alice@contoso.com'],
    ['alice+sales@contoso.onmicrosoft.com', 'alice+sales@contoso.onmicrosoft.com'],
    ['ÉLODIE@contoso.fr', 'élodie@contoso.fr'],
  ])('%j → %j', (raw, upn) => {
    expect(normaliseUpn(raw)).toBe(upn);
  });

  it.each(['', 'alice', '@contoso.com', 'alice@', 'a@b@c', 'alice smith@contoso.com', 'alice@.contoso.com', 'alice@contoso..com', '<alice@contoso.com>', `${'a'.repeat(320)}@x.com`])('%j → nothing', (raw) => {
    expect(normaliseUpn(raw)).toBeUndefined();
  });
});

describe('normaliseObjectId', () => {
  it.each([GUID, GUID.toUpperCase(), `{${GUID}}`, ` ${GUID} `, `oid:${GUID}`, `8:orgid:${GUID.toUpperCase()}`])('%j → the lowercase GUID', (raw) => {
    expect(normaliseObjectId(raw)).toBe(GUID);
  });

  it.each(['', 'not-a-guid', GUID.slice(1), `${GUID}0`, GUID.replace(/-/g, '')])('%j → nothing', (raw) => {
    expect(normaliseObjectId(raw)).toBeUndefined();
  });
});

describe('identitiesOfUser', () => {
  it('reads a Graph-shaped user: object id, UPN, mail (deduplicated), every phone', () => {
    const r = identitiesOfUser(
      {
        id: GUID.toUpperCase(),
        userPrincipalName: 'Alice@Contoso.com',
        mail: 'alice@contoso.com',
        displayName: 'Alice',
        givenName: 'Alice',
        businessPhones: ['+1 425 555 0109', '(425) 555-0111'],
        mobilePhone: '+1 (425) 555-0110',
      },
      'US',
    );
    expect(r.skipped).toBe(0);
    expect(r.identities.sort()).toEqual([`oid:${GUID}`, 'tel:+14255550109', 'tel:+14255550110', 'tel:+14255550111', 'upn:alice@contoso.com'].sort());
  });

  it('accepts the other field names, in any casing', () => {
    const r = identitiesOfUser(
      { ObjectId: GUID, UPN: 'bob@contoso.com', Email: 'Bob.Smith@Contoso.com', emailAddress: { name: 'Bob', address: 'bob@fabrikam.com' }, PhoneNumber: '020 7946 0958', telephoneNumber: '+44 20 7946 0959', phone: 442079460960 },
      'GB',
    );
    expect(r.skipped).toBe(0);
    expect(r.identities.sort()).toEqual(
      [`oid:${GUID}`, 'upn:bob@contoso.com', 'upn:bob.smith@contoso.com', 'upn:bob@fabrikam.com', 'tel:+442079460958', 'tel:+442079460959', 'tel:+442079460960'].sort(),
    );
  });

  it('reads aadObjectId too', () => {
    expect(identitiesOfUser({ aadObjectId: `{${GUID}}` }, 'US').identities).toEqual([`oid:${GUID}`]);
  });

  it('uses the default country for national numbers only', () => {
    expect(identitiesOfUser({ mobilePhone: '07700 900123' }, 'GB').identities).toEqual(['tel:+447700900123']);
    expect(identitiesOfUser({ mobilePhone: '+44 7700 900123' }, 'US').identities).toEqual(['tel:+447700900123']);
  });

  it('ignores empty values and counts the unusable ones', () => {
    const r = identitiesOfUser(
      {
        id: 'not-a-guid',
        userPrincipalName: 'no-at-sign',
        mail: null,
        businessPhones: ['', 'call me', null, '+44 20 7946 0958'],
        mobilePhone: { number: '1' },
        phone: true,
        email: 42,
      },
      'US',
    );
    expect(r.identities).toEqual(['tel:+442079460958']);
    expect(r.skipped).toBe(6); // id, upn, 'call me', mobilePhone object, phone true, email 42
  });

  it('caps the values read from one field', () => {
    const r = identitiesOfUser({ businessPhones: Array.from({ length: 100 }, (_, i) => `+1 425 555 ${String(1000 + i)}`) }, 'US');
    expect(r.identities).toHaveLength(64);
    expect(r.skipped).toBe(36);
  });

  it.each([null, undefined, 'alice@contoso.com', 42, [], [{ id: GUID }]])('counts a user that is not an object (%j) as skipped', (user) => {
    expect(identitiesOfUser(user, 'US')).toEqual({ identities: [], skipped: 1 });
  });

  it('survives a user whose fields throw', () => {
    const user = new Proxy({}, { ownKeys: () => { throw new Error('boom'); } });
    expect(identitiesOfUser(user, 'US')).toEqual({ identities: [], skipped: 1 });
  });

  it('never throws on anything, and every key it returns is well-formed', () => {
    const userish = fc.record(
      {
        id: fc.oneof(fc.uuid(), fc.string(), fc.anything()),
        userPrincipalName: fc.oneof(fc.emailAddress(), fc.string(), fc.anything()),
        mail: fc.oneof(fc.emailAddress(), fc.constant(null), fc.anything()),
        businessPhones: fc.oneof(fc.array(fc.oneof(fc.string(), fc.stringMatching(/^\+?[0-9 ()-]{3,20}$/))), fc.anything()),
        mobilePhone: fc.oneof(fc.stringMatching(/^\+?[0-9 ()-]{3,20}$/), fc.anything()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(userish, fc.anything()), fc.constantFrom('US', 'GB', 'DE', 'XX', ''), (user, country) => {
        const r = identitiesOfUser(user, country);
        expect(r.skipped).toBeGreaterThanOrEqual(0);
        expect(new Set(r.identities).size).toBe(r.identities.length);
        for (const key of r.identities) {
          expect(key).toMatch(/^(oid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|upn:[^\sA-Z]+@[^\sA-Z]+|tel:\+[1-9]\d{6,14})$/u);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('identityCandidates', () => {
  it.each([
    // SIP URIs and their user parts
    ['sip:+442079460958@sbc.carrier.net;user=phone', 'US', ['tel:+442079460958']],
    ['sips:+442079460958@sbc.carrier.net:5061;user=phone;transport=tls', 'US', ['tel:+442079460958']],
    ['sip:%2B442079460958@sbc.carrier.net;user=phone', 'US', ['tel:+442079460958']],
    ['sip:+44-20-7946-0958@sbc.carrier.net;user=phone', 'US', ['tel:+442079460958']],
    ['sip:2079460958;phone-context=+44@sbc.carrier.net;user=phone', 'US', ['tel:+442079460958']],
    ['sip:02079460958@sbc.carrier.net;user=phone', 'GB', ['tel:+442079460958']],
    ['<sip:+442079460958@sbc.carrier.net;user=phone>;tag=8321234356', 'US', ['tel:+442079460958']],
    ['"Alice" <sip:Alice@Contoso.com>;tag=abc', 'US', ['upn:alice@contoso.com']],
    ['sip:alice@contoso.com', 'US', ['upn:alice@contoso.com']],
    ['SIP:Alice@Contoso.com:5060;transport=tcp?subject=x', 'US', ['upn:alice@contoso.com']],
    ['sip:alice:secret@contoso.com', 'US', ['upn:alice@contoso.com']],
    [`sip:${GUID}@contoso.com`, 'US', [`oid:${GUID}`, `upn:${GUID}@contoso.com`]],
    // a number user part without user=phone may also be a UPN: both are tested
    ['sip:+442079460958@contoso.com', 'US', ['tel:+442079460958', 'upn:+442079460958@contoso.com']],
    ['+442079460958@10.0.0.1;user=phone', 'US', ['tel:+442079460958']],
    ['alice@contoso.com', 'US', ['upn:alice@contoso.com']],
    ['Alice@Contoso.com', 'US', ['upn:alice@contoso.com']],
    ['mailto:alice@contoso.com', 'US', ['upn:alice@contoso.com']],
    // tel URIs
    ['tel:+1-555-0100', 'US', ['tel:+15550100']],
    ['tel:+1-425-555-0109;ext=22', 'GB', ['tel:+14255550109']],
    ['tel:7946-0958;phone-context=+44-20', 'US', ['tel:+442079460958']],
    ['tel:5550100199;phone-context=example.com', 'US', ['tel:+15550100199']],
    // bare numbers
    ['+442079460958', 'US', ['tel:+442079460958']],
    ['%2B442079460958', 'US', ['tel:+442079460958']],
    ['0044 20 7946 0958', 'US', ['tel:+442079460958']],
    ['(555) 010-0199', 'US', ['tel:+15550100199']],
    ['2079460958;user=phone', 'GB', ['tel:+442079460958']],
    // object ids
    [GUID.toUpperCase(), 'US', [`oid:${GUID}`]],
    [`{${GUID}}`, 'US', [`oid:${GUID}`]],
    [`8:orgid:${GUID}`, 'US', [`oid:${GUID}`]],
    [`oid:${GUID}`, 'US', [`oid:${GUID}`]],
  ])('%j in %s → %j', (raw, country, keys) => {
    expect(identityCandidates(raw, country)).toEqual(keys);
  });

  it.each(['', '   ', 'alice', 'sip:contoso.com', 'sip:', 'tel:', 'tel:abc', '<>', 'not a number 12', 'http://example.com/+442079460958'])('%j → no candidates', (raw) => {
    expect(identityCandidates(raw, 'US')).toEqual([]);
  });

  it('refuses inputs longer than 1,024 characters', () => {
    expect(identityCandidates(`${'1'.repeat(1100)}`, 'US')).toEqual([]);
    expect(identityCandidates(`sip:${'a'.repeat(1100)}@contoso.com`, 'US')).toEqual([]);
  });

  it('gives what a user list holds for the same person, however the call writes it', () => {
    const user = identitiesOfUser({ id: GUID, userPrincipalName: 'Alice@Contoso.com', businessPhones: ['+44 (0)20 7946 0958'], mobilePhone: '07700 900123' }, 'GB').identities;
    for (const raw of [
      'sip:+442079460958@sbc;user=phone',
      'tel:+44-20-7946-0958',
      '020 7946 0958',
      '0044 20 7946 0958',
      '+44 7700 900123',
      'sip:07700900123@sbc;user=phone',
      'sip:alice@contoso.com',
      'ALICE@CONTOSO.COM',
      GUID.toUpperCase(),
    ]) {
      expect(identityCandidates(raw, 'GB').some((c) => user.includes(c))).toBe(true);
    }
  });

  it('says when the answer depends on the default country', () => {
    expect(needsDefaultCountry('(555) 010-0199')).toBe(true);
    expect(needsDefaultCountry('sip:02079460958@sbc;user=phone')).toBe(true);
    expect(needsDefaultCountry('+442079460958')).toBe(false);
    expect(needsDefaultCountry('tel:7946-0958;phone-context=+44-20')).toBe(false);
    expect(needsDefaultCountry('alice@contoso.com')).toBe(false);
    expect(needsDefaultCountry(GUID)).toBe(false);
    expect(identityCandidates('(555) 010-0199')).toEqual([]);
  });

  it('never throws on arbitrary strings, and every candidate is a well-formed key', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 60 })), fc.constantFrom('US', 'GB', 'XX', undefined), (raw, country) => {
        for (const key of identityCandidates(raw, country)) {
          expect(key).toMatch(/^(oid:[0-9a-f-]{36}|upn:\S+@\S+|tel:\+[1-9]\d{6,14})$/u);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on URI-shaped strings either, and every tel: candidate is E.164', () => {
    const part = fc.string({ unit: fc.constantFrom(...'+0123456789abc-.;=@:%2B<>"?&()/ '.split('')), maxLength: 40 });
    fc.assert(
      fc.property(fc.constantFrom('sip:', 'sips:', 'tel:', '', 'mailto:', '<sip:'), part, (scheme, rest) => {
        for (const key of identityCandidates(scheme + rest, 'US')) {
          if (key.startsWith('tel:')) expect(key.slice(4)).toMatch(E164_RE);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('ignores non-string input', () => {
    expect(identityCandidates(undefined as unknown as string, 'US')).toEqual([]);
    expect(identityCandidates({} as unknown as string, 'US')).toEqual([]);
  });
});
