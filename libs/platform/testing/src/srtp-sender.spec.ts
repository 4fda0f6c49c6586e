import { createCipheriv, createHmac } from 'node:crypto';
import { aesCmKeystream, deriveSrtpKeys, parseSdesInline, sdesInline, srtpIv, SrtpSender } from './srtp-sender';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RFC 3711 Appendix B.2: AES-CM keystream', () => {
  // Session key, salt "already shifted", ROC, SEQ and SSRC all as printed in B.2.
  const key = hex('2B7E151628AED2A6ABF7158809CF4F3C');
  const iv = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
  const length = 1044512; // 65282 AES blocks
  const keystream = aesCmKeystream(key, iv, length);
  const block = (counterLow16: number) => keystream.subarray(counterLow16 * 16, counterLow16 * 16 + 16).toString('hex').toUpperCase();

  it('has the segment length B.2 states', () => {
    expect(keystream.length).toBe(1044512);
  });

  it.each([
    [0x0000, 'E03EAD0935C95E80E166B16DD92B4EB4'],
    [0x0001, 'D23513162B02D0F72A43A2FE4A5F97AB'],
    [0x0002, '41E95B3BB0A2E8DD477901E4FCA894C0'],
    [0xfeff, 'EC8CDF7398607CB0F2D21675EA9EA1E4'],
    [0xff00, '362B7C3C6773516318A077D7FC5073AE'],
    [0xff01, '6A2CC3787889374FBEB4C81B17BA6C44'],
  ])('counter F0F1F2F3F4F5F6F7F8F9FAFBFCFD%s gives the keystream block of B.2', (counter, expected) => {
    expect(block(counter)).toBe(expected);
  });

  it('builds that IV from the B.2 session salt with SSRC 0, ROC 0 and SEQ 0 (§4.1.1)', () => {
    expect(srtpIv(hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'), 0, 0, 0).toString('hex').toUpperCase()).toBe('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
  });

  it('carries into the upper 64 bits of the counter and cuts the last block', () => {
    const k = aesCmKeystream(key, hex('00000000000000FFFFFFFFFFFFFFFFFF'), 20);
    const ecb = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    const expected = Buffer.concat([ecb.update(hex('00000000000000FFFFFFFFFFFFFFFFFF')), ecb.update(hex('00000000000001000000000000000000'))]);
    expect(k.equals(expected.subarray(0, 20))).toBe(true);
  });

  it('rejects a key or IV of the wrong size', () => {
    expect(() => aesCmKeystream(Buffer.alloc(15), iv, 16)).toThrow(/key must be 16 bytes, got 15/);
    expect(() => aesCmKeystream(key, Buffer.alloc(12), 16)).toThrow(/IV must be 16 bytes, got 12/);
  });
});

describe('RFC 3711 Appendix B.3: key derivation', () => {
  const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');
  const keys = deriveSrtpKeys(masterKey, masterSalt);

  it('derives the cipher key', () => {
    expect(keys.encKey.toString('hex').toUpperCase()).toBe('C61E7A93744F39EE10734AFE3FF7A087');
  });

  it('derives the cipher salt', () => {
    expect(keys.salt.toString('hex').toUpperCase()).toBe('30CBBC08863D8C85D49DB34A9AE1');
  });

  it('derives the first 160 bits of the auth key (what HMAC-SHA1 uses)', () => {
    expect(keys.authKey.toString('hex').toUpperCase()).toBe('CEBE321F6FF7716B6FD4AB49AF256A15' + '6D38BAA4');
  });

  it('gives the whole 94-octet auth key of B.3 from the PRF input it shows', () => {
    const authKey94 = aesCmKeystream(masterKey, hex('0EC675AD498AFEEAB6960B3AABE60000'), 94);
    expect(authKey94.toString('hex').toUpperCase()).toBe(
      'CEBE321F6FF7716B6FD4AB49AF256A15' +
        '6D38BAA48F0A0ACF3C34E2359E6CDBCE' +
        'E049646C43D9327AD175578EF7227098' +
        '6371C10C9A369AC2F94A8C5FBCDDDC25' +
        '6D6E919A48B610EF17C2041E47403576' +
        '6B68642C59BBFC2F34DB60DBDFB2',
    );
  });

  it('rejects a master key or salt of the wrong size', () => {
    expect(() => deriveSrtpKeys(Buffer.alloc(32), masterSalt)).toThrow(/master key must be 16 bytes, got 32/);
    expect(() => deriveSrtpKeys(masterKey, Buffer.alloc(12))).toThrow(/master salt must be 14 bytes, got 12/);
  });
});

describe('SrtpSender', () => {
  const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');

  it("matches libsrtp's known-answer packet (srtp_validate: SSRC cafebabe, SEQ 1234, 16 × 0xab)", () => {
    const sender = new SrtpSender({ masterKey, masterSalt, ssrc: 0xcafebabe, payloadType: 15, sequenceNumber: 0x1234, timestamp: 0xdecafbad });
    const packet = sender.protect(Buffer.alloc(16, 0xab));
    expect(packet.toString('hex')).toBe('800f1234decafbadcafebabe' + '4e55dc4ce79978d88ca4d215949d2402' + 'b78d6acc99ea179b8dbb');
  });

  it('writes the RTP header, then advances SEQ by 1 and the timestamp by the payload length', () => {
    const sender = new SrtpSender({ masterKey, masterSalt, ssrc: 0x01020304, payloadType: 8, sequenceNumber: 100, timestamp: 1000 });
    const first = sender.protect(Buffer.alloc(160), { marker: true });
    const second = sender.protect(Buffer.alloc(160));
    const third = sender.protect(Buffer.alloc(160), { timestampStep: 0 });
    expect(first.length).toBe(12 + 160 + 10);
    expect(first.subarray(0, 12).toString('hex')).toBe('8088' + '0064' + '000003e8' + '01020304');
    expect(second.subarray(0, 12).toString('hex')).toBe('8008' + '0065' + '00000488' + '01020304');
    expect(third.subarray(0, 12).toString('hex')).toBe('8008' + '0066' + '00000528' + '01020304');
    expect(sender.timestamp).toBe(1320);
  });

  it('decrypts back with the derived keys and authenticates header || payload || ROC', () => {
    const sender = new SrtpSender({ masterKey, masterSalt, ssrc: 7, payloadType: 0, sequenceNumber: 5, rolloverCounter: 3 });
    const payload = Buffer.from(Array.from({ length: 160 }, (_, i) => i));
    const packet = sender.protect(payload);
    const { encKey, authKey, salt } = deriveSrtpKeys(masterKey, masterSalt);
    const ks = aesCmKeystream(encKey, srtpIv(salt, 7, 3, 5), 160);
    const body = packet.subarray(12, 172);
    expect(Buffer.from(body.map((b, i) => b ^ (ks[i] ?? 0))).equals(payload)).toBe(true);
    const roc = Buffer.from([0, 0, 0, 3]);
    const tag = createHmac('sha1', authKey).update(packet.subarray(0, 172)).update(roc).digest().subarray(0, 10);
    expect(packet.subarray(172).equals(tag)).toBe(true);
  });

  it('wraps SEQ 65535 → 0 and increments the ROC, which then enters the IV and the tag', () => {
    const sender = new SrtpSender({ masterKey, masterSalt, ssrc: 9, payloadType: 0, sequenceNumber: 0xffff, timestamp: 0xffffff80 });
    sender.protect(Buffer.alloc(160));
    expect(sender.sequenceNumber).toBe(0);
    expect(sender.rolloverCounter).toBe(1);
    expect(sender.timestamp).toBe(0x20); // 0xffffff80 + 160 wraps at 32 bits
    expect(sender.packetIndex).toBe(65536n);
    const after = sender.protect(Buffer.alloc(16, 0x11));
    const fresh = new SrtpSender({ masterKey, masterSalt, ssrc: 9, payloadType: 0, sequenceNumber: 0, timestamp: 0x20, rolloverCounter: 1 });
    expect(after.equals(fresh.protect(Buffer.alloc(16, 0x11)))).toBe(true);
    const rocZero = new SrtpSender({ masterKey, masterSalt, ssrc: 9, payloadType: 0, sequenceNumber: 0, timestamp: 0x20, rolloverCounter: 0 });
    expect(after.equals(rocZero.protect(Buffer.alloc(16, 0x11)))).toBe(false);
  });

  it('rejects bad parameters, naming them', () => {
    expect(() => new SrtpSender({ masterKey, masterSalt, ssrc: -1, payloadType: 0 })).toThrow(/ssrc/);
    expect(() => new SrtpSender({ masterKey, masterSalt, ssrc: 1, payloadType: 128 })).toThrow(/payloadType/);
    expect(() => new SrtpSender({ masterKey, masterSalt, ssrc: 1, payloadType: 0, sequenceNumber: 70000 })).toThrow(/sequenceNumber/);
    expect(() => new SrtpSender({ masterKey: Buffer.alloc(8), masterSalt, ssrc: 1, payloadType: 0 })).toThrow(/master key/);
  });
});

describe('SDES inline keys (RFC 4568)', () => {
  const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');
  const b64 = sdesInline(masterKey, masterSalt);

  it('encodes key || salt as 40 base64 characters', () => {
    expect(b64).toHaveLength(40);
    expect(Buffer.from(b64, 'base64').equals(Buffer.concat([masterKey, masterSalt]))).toBe(true);
  });

  it.each([b64, `inline:${b64}`, `inline:${b64}|2^31`, `inline:${b64}|2^20|1:4`, `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${b64}|2^31`, `1 AES_CM_128_HMAC_SHA1_80 inline:${b64}`])('reads %s', (form) => {
    const parsed = parseSdesInline(form);
    expect(parsed.masterKey.equals(masterKey)).toBe(true);
    expect(parsed.masterSalt.equals(masterSalt)).toBe(true);
  });

  it('makes the same packets as a sender given the raw key', () => {
    const a = SrtpSender.fromSdesInline(`inline:${b64}|2^31`, { ssrc: 3, payloadType: 0, sequenceNumber: 1, timestamp: 2 });
    const b = new SrtpSender({ masterKey, masterSalt, ssrc: 3, payloadType: 0, sequenceNumber: 1, timestamp: 2 });
    expect(a.protect(Buffer.alloc(160, 0x7f)).equals(b.protect(Buffer.alloc(160, 0x7f)))).toBe(true);
  });

  it('refuses a key of the wrong length, non-base64 or another suite', () => {
    expect(() => parseSdesInline('inline:AAAA')).toThrow(/30 bytes, got 3/);
    expect(() => parseSdesInline('inline:@@@')).toThrow(/not base64/);
    expect(() => parseSdesInline(`1 AEAD_AES_256_GCM inline:${b64}`)).toThrow(/not an AES_CM_128_HMAC_SHA1/);
  });
});
