import fc from 'fast-check';
import { aesCm, deriveSessionKey, LABEL, packetIv, SrtpContext } from './srtp';
import { buildRtp } from './rtp';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 3711 Appendix B.3 and libsrtp's srtp_validate() use this master key and salt.
const MASTER_KEY = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
const MASTER_SALT = hex('0EC675AD498AFEEBB6960B3AABE6');
const KEY_SALT = Buffer.concat([MASTER_KEY, MASTER_SALT]);

describe('RFC 3711 Appendix B.2: AES-CM keystream', () => {
  const sessionKey = hex('2B7E151628AED2A6ABF7158809CF4F3C');
  const sessionSalt = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'); // "already shifted": F0..FD 0000
  // The whole 1044512-octet segment (65282 blocks), as the RFC states it.
  const keystream = aesCm(sessionKey, packetIv(sessionSalt, 0, 0), Buffer.alloc(1044512));

  it('builds the counter F0F1…FCFD0000 from salt, SSRC 0 and index 0', () => {
    expect(packetIv(sessionSalt, 0, 0).toString('hex').toUpperCase()).toBe('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
  });

  it('gives the first three blocks', () => {
    expect(keystream.subarray(0, 48).toString('hex').toUpperCase()).toBe('E03EAD0935C95E80E166B16DD92B4EB4' + 'D23513162B02D0F72A43A2FE4A5F97AB' + '41E95B3BB0A2E8DD477901E4FCA894C0');
  });

  it('gives the blocks of counters …FEFF, …FF00, …FF01 (the last three of the segment)', () => {
    expect(keystream.subarray(0xfeff * 16, 0xff02 * 16).toString('hex').toUpperCase()).toBe('EC8CDF7398607CB0F2D21675EA9EA1E4' + '362B7C3C6773516318A077D7FC5073AE' + '6A2CC3787889374FBEB4C81B17BA6C44');
  });
});

describe('RFC 3711 Appendix B.3: key derivation', () => {
  it('derives the cipher key (label 0x00)', () => {
    expect(deriveSessionKey(MASTER_KEY, MASTER_SALT, LABEL.rtpCipherKey, 16).toString('hex').toUpperCase()).toBe('C61E7A93744F39EE10734AFE3FF7A087');
  });
  it('derives the cipher salt (label 0x02)', () => {
    expect(deriveSessionKey(MASTER_KEY, MASTER_SALT, LABEL.rtpSalt, 14).toString('hex').toUpperCase()).toBe('30CBBC08863D8C85D49DB34A9AE1');
  });
  it('derives the 94-octet authentication key of the example (label 0x01)', () => {
    expect(deriveSessionKey(MASTER_KEY, MASTER_SALT, LABEL.rtpAuthKey, 94).toString('hex').toUpperCase()).toBe(
      'CEBE321F6FF7716B6FD4AB49AF256A15' + '6D38BAA48F0A0ACF3C34E2359E6CDBCE' + 'E049646C43D9327AD175578EF7227098' + '6371C10C9A369AC2F94A8C5FBCDDDC25' + '6D6E919A48B610EF17C2041E47403576' + '6B68642C59BBFC2F34DB60DBDFB2',
    );
  });
});

describe('libsrtp reference packets (srtp_driver.c srtp_validate, default policy, SSRC 0xcafebabe)', () => {
  const rtpPlain = hex('800f1234decafbadcafebabe' + 'ab'.repeat(16));
  const srtp = hex('800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb');
  const rtcpPlain = hex('81c8000bcafebabe' + 'ab'.repeat(16));
  const srtcp = hex('81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798');

  it('protect() gives libsrtp’s SRTP packet', () => {
    expect(new SrtpContext({ keySalt: KEY_SALT }).protect(rtpPlain).toString('hex')).toBe(srtp.toString('hex'));
  });
  it('unprotect() reads libsrtp’s SRTP packet back', () => {
    const r = new SrtpContext({ keySalt: KEY_SALT }).unprotect(srtp);
    expect(r).toMatchObject({ ok: true, index: 0x1234, ssrc: 0xcafebabe });
    expect(r.ok && r.packet.toString('hex')).toBe(rtpPlain.toString('hex'));
  });
  it('protectRtcp() gives libsrtp’s SRTCP packet (E set, index 1)', () => {
    expect(new SrtpContext({ keySalt: KEY_SALT }).protectRtcp(rtcpPlain).toString('hex')).toBe(srtcp.toString('hex'));
  });
  it('unprotectRtcp() reads libsrtp’s SRTCP packet back', () => {
    const r = new SrtpContext({ keySalt: KEY_SALT }).unprotectRtcp(srtcp);
    expect(r).toMatchObject({ ok: true, index: 1, ssrc: 0xcafebabe });
    expect(r.ok && r.packet.toString('hex')).toBe(rtcpPlain.toString('hex'));
  });
  it('a tampered SRTCP packet fails authentication, and the real one is still accepted after it', () => {
    const ctx = new SrtpContext({ keySalt: KEY_SALT });
    const bad = Buffer.from(srtcp);
    bad[10] = (bad[10] ?? 0) ^ 1;
    expect(ctx.unprotectRtcp(bad)).toMatchObject({ ok: false, reason: 'auth-failed' });
    expect(ctx.unprotectRtcp(srtcp).ok).toBe(true);
    expect(ctx.unprotectRtcp(srtcp)).toMatchObject({ ok: false, reason: 'replayed' });
  });
});

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d', 'hex');
const rtp = (seq: number, ssrc = 0x11223344, payload = Buffer.alloc(160, seq & 0xff)) => buildRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc, payload });

describe('SrtpContext', () => {
  it('round-trips with CSRCs, a header extension and padding (header left in clear, the rest encrypted)', () => {
    const plain = buildRtp({ payloadType: 8, sequenceNumber: 7, timestamp: 1, ssrc: 5, payload: Buffer.from('hello'), csrcs: [1, 2], headerExtension: { profile: 0xbede, data: Buffer.from([1, 2, 3, 4]) }, padding: 3 });
    const prot = new SrtpContext({ keySalt: KEY }).protect(plain);
    expect(prot.length).toBe(plain.length + 10);
    expect(prot.subarray(0, 12 + 8 + 8)).toEqual(plain.subarray(0, 28));
    expect(prot.subarray(28, plain.length)).not.toEqual(plain.subarray(28));
    const r = new SrtpContext({ keySalt: KEY }).unprotect(prot);
    expect(r.ok && r.packet).toEqual(plain);
  });

  it('carries the ROC through 65535 → 0 (RFC 3711 §3.3.1) and authenticates with ROC 1 after it', () => {
    const tx = new SrtpContext({ keySalt: KEY });
    const rx = new SrtpContext({ keySalt: KEY });
    const seqs = [65533, 65534, 65535, 0, 1, 2];
    const indices = seqs.map((s) => {
      const r = rx.unprotect(tx.protect(rtp(s)));
      if (!r.ok) throw new Error(`seq ${s}: ${r.reason}`);
      expect(r.packet).toEqual(rtp(s));
      return r.index;
    });
    expect(indices).toEqual([65533, 65534, 65535, 65536, 65537, 65538]);
    expect(rx.rolloverCounter(0x11223344)).toBe(1);
  });

  it('accepts a late packet from before the wrap (ROC − 1) after the wrap', () => {
    const tx = new SrtpContext({ keySalt: KEY });
    const p65534 = tx.protect(rtp(65534));
    const p65535 = tx.protect(rtp(65535));
    const p0 = tx.protect(rtp(0));
    const p1 = tx.protect(rtp(1));
    const rx2 = new SrtpContext({ keySalt: KEY });
    expect(rx2.unprotect(p65534)).toMatchObject({ ok: true, index: 65534 });
    expect(rx2.unprotect(p0)).toMatchObject({ ok: true, index: 65536 });
    expect(rx2.unprotect(p1)).toMatchObject({ ok: true, index: 65537 });
    expect(rx2.unprotect(p65535)).toMatchObject({ ok: true, index: 65535 });
  });

  it('guesses the wrong ROC for a stream that started at ROC 1 only when told: a packet protected with ROC 1 fails at ROC 0', () => {
    const p = new SrtpContext({ keySalt: KEY }).protect(rtp(10), { roc: 1 });
    expect(new SrtpContext({ keySalt: KEY }).unprotect(p)).toMatchObject({ ok: false, reason: 'auth-failed' });
  });

  it('rejects a replay, and anything behind the 64-packet window as too old (RFC 3711 §3.3.2)', () => {
    const tx = new SrtpContext({ keySalt: KEY });
    const rx = new SrtpContext({ keySalt: KEY });
    const packets = Array.from({ length: 100 }, (_, i) => tx.protect(rtp(1000 + i)));
    expect(rx.unprotect(packets[0]!).ok).toBe(true);
    expect(rx.unprotect(packets[0]!)).toMatchObject({ ok: false, reason: 'replayed' });
    expect(rx.unprotect(packets[99]!).ok).toBe(true);
    expect(rx.unprotect(packets[36]!)).toMatchObject({ ok: true }); // 99 − 36 = 63: inside
    expect(rx.unprotect(packets[36]!)).toMatchObject({ ok: false, reason: 'replayed' });
    expect(rx.unprotect(packets[35]!)).toMatchObject({ ok: false, reason: 'too-old' }); // 64 behind
  });

  it('a tampered packet fails authentication and leaves ROC, highest index and replay list unchanged', () => {
    const tx = new SrtpContext({ keySalt: KEY });
    const rx = new SrtpContext({ keySalt: KEY });
    expect(rx.unprotect(tx.protect(rtp(65535))).ok).toBe(true);
    const next = tx.protect(rtp(0)); // ROC 1
    for (const at of [2, 12, 40, next.length - 1]) {
      const bad = Buffer.from(next);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      expect(rx.unprotect(bad)).toMatchObject({ ok: false, reason: 'auth-failed' });
    }
    expect(rx.rolloverCounter(0x11223344)).toBe(0);
    expect(rx.highestIndex(0x11223344)).toBe(65535);
    // the genuine packet is neither "replayed" nor rejected
    expect(rx.unprotect(next)).toMatchObject({ ok: true, index: 65536 });
  });

  it('a forged packet with a huge sequence jump does not move the ROC', () => {
    const tx = new SrtpContext({ keySalt: KEY });
    const rx = new SrtpContext({ keySalt: KEY });
    expect(rx.unprotect(tx.protect(rtp(40000))).ok).toBe(true);
    const forged = Buffer.from(tx.protect(rtp(100)));
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 0xff;
    expect(rx.unprotect(forged)).toMatchObject({ ok: false, reason: 'auth-failed' });
    expect(rx.rolloverCounter(0x11223344)).toBe(0);
  });

  it('keeps ROC and replay state per SSRC', () => {
    const tx = new SrtpContext({ keySalt: KEY });
    const rx = new SrtpContext({ keySalt: KEY });
    const a = tx.protect(rtp(5, 1));
    const b = tx.protect(rtp(5, 2));
    expect(rx.unprotect(a).ok).toBe(true);
    expect(rx.unprotect(b).ok).toBe(true);
    expect(rx.unprotect(a)).toMatchObject({ ok: false, reason: 'replayed' });
  });

  it('fails authentication under another key', () => {
    const other = Buffer.from(KEY);
    other[0] = (other[0] ?? 0) ^ 1;
    expect(new SrtpContext({ keySalt: other }).unprotect(new SrtpContext({ keySalt: KEY }).protect(rtp(1)))).toMatchObject({ ok: false, reason: 'auth-failed' });
  });

  it('handles a 32-bit tag and an MKI', () => {
    const policy = { keySalt: KEY, tagLength: 4, mki: { value: 258, length: 2 } };
    const p = new SrtpContext(policy).protect(rtp(3));
    expect(p.length).toBe(rtp(3).length + 2 + 4);
    expect(p.subarray(p.length - 6, p.length - 4)).toEqual(Buffer.from([1, 2]));
    expect(new SrtpContext(policy).unprotect(p)).toMatchObject({ ok: true });
    expect(new SrtpContext({ ...policy, mki: { value: 259, length: 2 } }).unprotect(p)).toMatchObject({ ok: false, reason: 'unknown-mki' });
  });

  it('says why a datagram is not SRTP', () => {
    const rx = new SrtpContext({ keySalt: KEY });
    expect(rx.unprotect(Buffer.alloc(10))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(rx.unprotect(Buffer.alloc(40))).toMatchObject({ ok: false, reason: 'malformed', detail: expect.stringContaining('version must be 2') });
    const cc = Buffer.alloc(30);
    cc[0] = 0x8f; // 15 CSRCs do not fit
    expect(rx.unprotect(cc)).toMatchObject({ ok: false, reason: 'malformed', detail: expect.stringContaining('CSRC') });
  });

  it('never throws and never accepts random bytes (fuzz)', () => {
    const rx = new SrtpContext({ keySalt: KEY });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(rx.unprotect(bytes).ok).toBe(false);
        expect(rx.unprotectRtcp(bytes).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutations of a valid packet, and accepts only the unmodified one (fuzz)', () => {
    const valid = new SrtpContext({ keySalt: KEY }).protect(rtp(77));
    fc.assert(
      fc.property(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.nat({ max: valid.length }), (at, x, cut) => {
        const rx = new SrtpContext({ keySalt: KEY });
        const m = Buffer.from(valid);
        m[at] = (m[at] ?? 0) ^ x;
        expect(rx.unprotect(m).ok).toBe(false);
        if (cut < valid.length) expect(rx.unprotect(valid.subarray(0, cut)).ok).toBe(false);
        expect(rx.unprotect(valid).ok).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('estimates indices as RFC 3711 Appendix A does', () => {
    expect(SrtpContext.estimateIndex(-1, 17)).toBe(17);
    expect(SrtpContext.estimateIndex(65535, 0)).toBe(65536);
    expect(SrtpContext.estimateIndex(65536 + 2, 65530)).toBe(65530);
    expect(SrtpContext.estimateIndex(65536 + 100, 40000)).toBe(40000); // 39900 behind s_l: ROC − 1
    expect(SrtpContext.estimateIndex(100, 40000)).toBeLessThan(0); // ROC − 1 at ROC 0: no such packet
  });

  it('refuses a packet whose index would fall before ROC 0 as too old', () => {
    const tx = new SrtpContext({ keySalt: KEY });
    const rx = new SrtpContext({ keySalt: KEY });
    expect(rx.unprotect(tx.protect(rtp(100))).ok).toBe(true);
    expect(rx.unprotect(new SrtpContext({ keySalt: KEY }).protect(rtp(40000)))).toMatchObject({ ok: false, reason: 'too-old' });
  });
});
