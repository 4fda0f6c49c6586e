import fc from 'fast-check';
import { HeaderList } from '@ci-connector/sip-core';
import { seededRandom } from './__support__/random';
import { CALL_ID_MAX_LENGTH, callIdProblem, mintCallId, siprecCallId } from './call-id';

const random = seededRandom(3);

describe('siprecCallId', () => {
  it("uses the dialer's id from the configured header (case-insensitive name, trimmed)", () => {
    expect(siprecCallId({ headers: { 'x-dialer-call-id': '  CA0123456789abcdef@dialer.example ' }, dialerCallIdHeader: 'X-Dialer-Call-Id', random })).toEqual({ callId: 'CA0123456789abcdef@dialer.example', source: 'dialer' });
  });

  it('reads a sip-core HeaderList too', () => {
    const headers = HeaderList.from({ 'X-Call-Sid': 'CA42' });
    expect(siprecCallId({ headers, dialerCallIdHeader: 'x-call-sid', random })).toEqual({ callId: 'CA42', source: 'dialer' });
  });

  it("mints 32 hex characters (the seed's form) when no header is configured or present", () => {
    const a = siprecCallId({ headers: { 'X-Call-Sid': 'CA42' }, random });
    expect(a).toMatchObject({ source: 'minted' });
    expect(a.callId).toMatch(/^[0-9a-f]{32}$/);
    expect(siprecCallId({ headers: {}, dialerCallIdHeader: 'X-Call-Sid', random })).toMatchObject({ source: 'minted', callId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(siprecCallId({ headers: {}, random }).callId).not.toBe(siprecCallId({ headers: {}, random }).callId);
  });

  it.each([
    ['', /X-Call-Sid: it is empty/],
    ['has space', /holds characters a SIP Call-ID cannot/],
    ['a@b@c', /more than one "@"/],
    ['@b', /holds characters/],
    ['x'.repeat(CALL_ID_MAX_LENGTH + 1), /129 characters long, more than 128/],
    ['é', /holds characters/],
  ])('mints when the header value %j is not a valid Call-ID, saying why', (value, why) => {
    const r = siprecCallId({ headers: { 'X-Call-Sid': value }, dialerCallIdHeader: 'X-Call-Sid', random });
    expect(r.source).toBe('minted');
    expect(r.callId).toMatch(/^[0-9a-f]{32}$/);
    expect(r.rejected).toMatch(why);
  });

  it('mints when the header appears twice with different values, and uses it when repeated identically', () => {
    expect(siprecCallId({ headers: { 'X-Call-Sid': ['a', 'b'] }, dialerCallIdHeader: 'X-Call-Sid', random })).toMatchObject({ source: 'minted', rejected: 'X-Call-Sid appears 2 times with different values' });
    expect(siprecCallId({ headers: { 'X-Call-Sid': ['a', 'a'] }, dialerCallIdHeader: 'X-Call-Sid', random })).toEqual({ callId: 'a', source: 'dialer' });
  });

  it('mintCallId refuses a short random source', () => {
    expect(() => mintCallId(() => new Uint8Array(3))).toThrow(/gave 3 bytes, 16 wanted/);
  });

  it('property: the result is always a valid Call-ID; a valid header value is kept as is', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 140 }), { nil: undefined }), (value) => {
        const r = siprecCallId({ headers: value === undefined ? {} : { 'X-Id': value }, dialerCallIdHeader: 'X-Id', random });
        expect(callIdProblem(r.callId)).toBeUndefined();
        if (value !== undefined && callIdProblem(value.trim()) === undefined) expect(r).toEqual({ callId: value.trim(), source: 'dialer' });
      }),
    );
  });
});
