import fc from 'fast-check';
import { formatCryptoAttribute, generateKeyingMaterial, parseCryptoAttribute, receivableCrypto } from './crypto-attribute';
import { SrtpError } from './errors';

// RFC 4568 §4's example key
const RFC_KEY = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof SrtpError) return e.code;
    throw e;
  }
  return undefined;
}

describe('parseCryptoAttribute', () => {
  it('parses RFC 4568 §4’s example with lifetime and MKI', () => {
    const a = parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}|2^20|1:4`);
    expect(a.tag).toBe(1);
    expect(a.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(a.keyParams).toHaveLength(1);
    expect(a.keyParams[0]!.keySalt).toHaveLength(30);
    expect(a.keyParams[0]!.lifetime).toBe(2 ** 20);
    expect(a.keyParams[0]!.mki).toEqual({ value: 1, length: 4 });
    expect(a.sessionParams).toEqual([]);
  });

  it('accepts a leading "a=crypto:", session parameters and extra spaces', () => {
    const a = parseCryptoAttribute(`a=crypto:12  AES_CM_128_HMAC_SHA1_80   inline:${RFC_KEY} KDR=0 WSH=64`);
    expect(a.tag).toBe(12);
    expect(a.sessionParams).toEqual(['KDR=0', 'WSH=64']);
  });

  it('round-trips through formatCryptoAttribute', () => {
    const v = `3 AES_CM_128_HMAC_SHA1_32 inline:${RFC_KEY}|1048576|7:1 UNENCRYPTED_SRTCP`;
    expect(formatCryptoAttribute(parseCryptoAttribute(v))).toBe(v);
  });

  it.each([
    ['', 'missing-tag'],
    ['x AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY, 'bad-tag'],
    ['1234567890 AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY, 'bad-tag'],
    ['1', 'missing-suite'],
    ['1 AES-CM inline:' + RFC_KEY, 'bad-suite'],
    ['1 AES_CM_128_HMAC_SHA1_80', 'missing-key-params'],
    ['1 AES_CM_128_HMAC_SHA1_80 ' + RFC_KEY, 'bad-key-param'],
    ['1 AES_CM_128_HMAC_SHA1_80 uri:' + RFC_KEY, 'bad-key-method'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:', 'missing-key'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!', 'bad-base64'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB', 'bad-base64'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + Buffer.alloc(29).toString('base64'), 'bad-key-length'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + Buffer.alloc(46).toString('base64'), 'bad-key-length'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY + '|2^49', 'bad-lifetime'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY + '|forever', 'bad-lifetime'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY + '|1:4|2^20', 'bad-lifetime'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY + '|1:0', 'bad-mki'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY + '|256:1', 'bad-mki'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY + '|1:129', 'bad-mki'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY + '|2^20|1:4|x', 'bad-key-info'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY + ';inline:' + RFC_KEY, 'missing-mki'],
  ])('%s → %s', (value, code) => {
    expect(codeOf(() => parseCryptoAttribute(value))).toBe(code);
  });

  it('names the expected and actual length in a bad-key-length error', () => {
    expect(() => parseCryptoAttribute('1 AES_CM_128_HMAC_SHA1_80 inline:' + Buffer.alloc(20).toString('base64'))).toThrow(/16-octet key and a 14-octet salt \(30 octets.*decodes to 20/);
  });

  it('accepts an unregistered suite without checking its key length (the caller decides)', () => {
    expect(parseCryptoAttribute('1 FUTURE_SUITE inline:AAAA').suite).toBe('FUTURE_SUITE');
  });

  it('throws only SrtpError, whatever the input (fuzz)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => `1 AES_CM_128_HMAC_SHA1_80 inline:${s}`)), (s) => {
        const c = codeOf(() => parseCryptoAttribute(s));
        expect(c === undefined || typeof c === 'string').toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('receivableCrypto', () => {
  it('accepts AES_CM_128_HMAC_SHA1_80 with KDR=0', () => {
    expect(receivableCrypto(parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY} KDR=0`)).keySalt).toHaveLength(30);
  });
  it.each([
    ['1 AES_CM_128_HMAC_SHA1_32 inline:' + RFC_KEY, 'unsupported-suite'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY + ' UNENCRYPTED_SRTP', 'unsupported-session-param'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY + ' KDR=1', 'unsupported-session-param'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + RFC_KEY + '|1:1;inline:' + RFC_KEY + '|2:1', 'unsupported-multiple-keys'],
  ])('%s → %s', (value, code) => {
    expect(codeOf(() => receivableCrypto(parseCryptoAttribute(value)))).toBe(code);
  });
});

describe('generateKeyingMaterial', () => {
  it('makes 30 random octets for AES_CM_128_HMAC_SHA1_80 that format into a parseable attribute', () => {
    const a = generateKeyingMaterial();
    const b = generateKeyingMaterial();
    expect(a).toHaveLength(30);
    expect(a.equals(b)).toBe(false);
    const v = formatCryptoAttribute({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: [{ method: 'inline', keySalt: a }], sessionParams: [] });
    expect(parseCryptoAttribute(v).keyParams[0]!.keySalt.equals(a)).toBe(true);
  });
  it('refuses an unknown suite', () => {
    expect(codeOf(() => generateKeyingMaterial('NOPE'))).toBe('unsupported-suite');
  });
});
