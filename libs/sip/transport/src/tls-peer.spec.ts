import { commonName, rfc4514, splitSubjectAltName } from './tls-peer';
import { isKeepAliveDatagram } from './udp-transport';

describe('TLS peer description', () => {
  it('writes Node distinguished names as RFC 4514 strings, most specific RDN first', () => {
    expect(rfc4514('O=Carrier\nCN=src.carrier.test')).toBe('CN=src.carrier.test,O=Carrier');
    // Node's own output for "/O=Carrier\, Inc+OU=x/CN=a=b": escapes kept, multi-valued RDN joined with "+".
    expect(rfc4514('OU=x + O=Carrier\\, Inc\nCN=a=b')).toBe('CN=a=b,OU=x+O=Carrier\\, Inc');
  });

  it('finds the most specific CN and unescapes it', () => {
    expect(commonName('O=Test\nCN=Test SIP CA')).toBe('Test SIP CA');
    expect(commonName('CN=root\nO=x\nCN=leaf\\, one')).toBe('leaf, one');
    expect(commonName('O=No CN')).toBeUndefined();
  });

  it('splits subjectAltName, keeping quoted values with commas whole', () => {
    expect(splitSubjectAltName('DNS:sip.test.local, DNS:localhost, IP Address:127.0.0.1')).toEqual(['DNS:sip.test.local', 'DNS:localhost', 'IP Address:127.0.0.1']);
    expect(splitSubjectAltName('URI:"sip:a,b@example.com", DNS:x')).toEqual(['URI:sip:a,b@example.com', 'DNS:x']);
  });
});

describe('isKeepAliveDatagram', () => {
  it('recognises CRLF keep-alives, empty datagrams and STUN binding requests (RFC 5626 §4.4.2)', () => {
    expect(isKeepAliveDatagram(Buffer.alloc(0))).toBe(true);
    expect(isKeepAliveDatagram(Buffer.from('\r\n\r\n'))).toBe(true);
    const stun = Buffer.alloc(20);
    stun.writeUInt16BE(0x0001, 0);
    stun.writeUInt32BE(0x2112a442, 4);
    expect(isKeepAliveDatagram(stun)).toBe(true);
  });

  it('passes SIP messages', () => {
    expect(isKeepAliveDatagram(Buffer.from('OPTIONS sip:a SIP/2.0\r\n\r\n'))).toBe(false);
    expect(isKeepAliveDatagram(Buffer.from('SIP/2.0 200 OK\r\n\r\n'))).toBe(false);
  });
});
