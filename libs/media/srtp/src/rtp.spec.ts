import fc from 'fast-check';
import { buildRtp, looksLikeRtcp, parseRtp, parseTelephoneEvent, rtpHeaderLength } from './rtp';

describe('parseRtp (RFC 3550 §5.1)', () => {
  it('reads every field of a packet with CSRCs, an extension, marker and padding', () => {
    const pkt = buildRtp({ payloadType: 101, sequenceNumber: 0xfffe, timestamp: 0xdeadbeef, ssrc: 0xcafebabe, marker: true, csrcs: [7, 8], headerExtension: { profile: 0xbede, data: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]) }, payload: Buffer.from([9, 9, 9]), padding: 5 });
    const r = parseRtp(pkt);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.packet).toMatchObject({ version: 2, padding: true, extension: true, marker: true, payloadType: 101, sequenceNumber: 0xfffe, timestamp: 0xdeadbeef, ssrc: 0xcafebabe, csrcs: [7, 8], paddingLength: 5, headerLength: 12 + 8 + 12 });
    expect([...r.packet.payload]).toEqual([9, 9, 9]);
    expect(r.packet.headerExtension?.profile).toBe(0xbede);
    expect([...(r.packet.headerExtension?.data ?? [])]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it.each([
    [Buffer.alloc(11), 'too-short'],
    [Buffer.from('400000000000000000000000', 'hex'), 'bad-version'],
    [Buffer.from('820000000000000000000000aaaaaaaa', 'hex'), 'truncated-csrc'],
    [Buffer.from('900000000000000000000000bede', 'hex'), 'truncated-extension'],
    [Buffer.from('900000000000000000000000bede0002aaaaaaaa', 'hex'), 'truncated-extension'],
    [Buffer.from('a0000000000000000000000000', 'hex'), 'bad-padding'],
    [Buffer.from('a000000000000000000000000105', 'hex'), 'bad-padding'],
  ])('refuses %s with %s', (buf, code) => {
    expect(parseRtp(buf)).toMatchObject({ ok: false, code });
  });

  it('never throws, and whatever it accepts fits in the datagram (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = parseRtp(bytes);
        if (r.ok) {
          expect(r.packet.headerLength + r.packet.payload.length + r.packet.paddingLength).toBe(bytes.length);
          expect(rtpHeaderLength(bytes)).toBe(r.packet.headerLength);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('RTCP on the RTP port (RFC 5761 §4)', () => {
  it('tells RTCP (packet types 192..223) from RTP', () => {
    expect(looksLikeRtcp(Buffer.from('81c8000bcafebabe', 'hex'))).toBe(true);
    expect(looksLikeRtcp(buildRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 1, payload: Buffer.alloc(1) }))).toBe(false);
    expect(looksLikeRtcp(buildRtp({ payloadType: 101, sequenceNumber: 1, timestamp: 1, ssrc: 1, payload: Buffer.alloc(1), marker: true }))).toBe(false);
  });
});

describe('parseTelephoneEvent (RFC 4733 §2.3)', () => {
  it('reads event, end bit, volume and duration', () => {
    expect(parseTelephoneEvent(Buffer.from([5, 0x8a, 0x03, 0x20]))).toEqual({ event: 5, end: true, volume: 10, duration: 800 });
    expect(parseTelephoneEvent(Buffer.from([5, 0x8a, 0x03]))).toBeUndefined();
  });
});
