import { bdecode, bencode } from './ng';

describe('bencode (the ng protocol of the rtpengine smoke test)', () => {
  it('encodes the ng ping exactly as rtpengine documents it', () => {
    expect(bencode({ command: 'ping' }).toString()).toBe('d7:command4:pinge');
  });

  it('sorts dictionary keys, counts string lengths in bytes, encodes integers and lists', () => {
    expect(bencode({ sdp: 'é', command: 'offer', flags: ['trust-address'], n: -3 }).toString('utf8')).toBe('d7:command5:offer5:flagsl13:trust-addresse1:ni-3e3:sdp2:ée');
    expect(() => bencode(1.5)).toThrow('bencode: 1.5 is not an integer');
  });

  it('decodes what it encodes, and rtpengine\'s answers', () => {
    const value = { command: 'offer', 'call-id': 'a b', sdp: 'v=0\r\nc=IN IP4 192.0.2.10\r\n', list: ['x', 7, { k: [] }] };
    expect(bdecode(bencode(value))).toEqual(value);
    expect(bdecode(Buffer.from('d6:result4:ponge'))).toEqual({ result: 'pong' });
  });

  it('names the offset of malformed input', () => {
    expect(() => bdecode(Buffer.from('d6:result4:pong'))).toThrow('bdecode: unexpected end at byte 15');
    expect(() => bdecode(Buffer.from('d6:result4:pongeXX'))).toThrow('bdecode: 2 bytes left over at byte 16');
    expect(() => bdecode(Buffer.from('i1x2e'))).toThrow('"1x2" is not an integer');
    expect(() => bdecode(Buffer.from('9:abc'))).toThrow('a string of 9 bytes past the end at byte 2');
    expect(() => bdecode(Buffer.from('di1ei2ee'))).toThrow('a dictionary key that is not a string');
    expect(() => bdecode(Buffer.from('x'))).toThrow('bdecode: unexpected "x" at byte 0');
  });
});
