import { mapConnectError, type ConnectContext } from './error-mapping';
import { isTargetFailure, TransportError } from './errors';

const sysErr = (code: string, message = code) => Object.assign(new Error(message), { code });
const tls: ConnectContext = { protocol: 'tls', host: '127.0.0.1', port: 5061, serverName: 'wrong.test.local', sentClientCert: true, phase: 'handshake' };

describe('mapConnectError', () => {
  it.each([
    ['ECONNREFUSED', 'connect-refused', true],
    ['ETIMEDOUT', 'connect-timeout', true],
    ['EHOSTUNREACH', 'unreachable', true],
    ['ENOTFOUND', 'resolve-failed', true],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls-untrusted-certificate', false],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls-untrusted-certificate', false],
    ['CERT_HAS_EXPIRED', 'tls-untrusted-certificate', false],
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'tls-peer-rejected-certificate', false],
    ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'tls-peer-rejected-certificate', false],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tls-peer-rejected-certificate', false],
    ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'tls-peer-rejected-certificate', false],
    ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'tls-handshake', true],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls-handshake', true],
  ] as const)('maps %s to %s (retriable %s)', (code, expected, retriable) => {
    const err = mapConnectError(sysErr(code), tls);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.code).toBe(expected);
    expect(err.retriable).toBe(retriable);
    // Every connection failure lets RFC 3263 failover try the next target.
    expect(isTargetFailure(err)).toBe(true);
    expect((err.cause as Error).message).toBe(code);
  });

  it('names the expected host and the certificate names on a host name mismatch', () => {
    const nodeErr = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      cert: { subject: { CN: 'sip.test.local' }, subjectaltname: 'DNS:sip.test.local, DNS:localhost, IP Address:127.0.0.1' },
    });
    const err = mapConnectError(nodeErr, tls);
    expect(err.code).toBe('tls-hostname-mismatch');
    expect(err.retriable).toBe(false);
    expect(err.message).toBe(
      'tls:127.0.0.1:5061: server certificate does not match the expected name "wrong.test.local"; the certificate names SAN DNS:sip.test.local, DNS:localhost, IP Address:127.0.0.1, CN=sip.test.local',
    );
  });

  it('says whether we had sent a certificate when the server refuses the handshake for it', () => {
    expect(mapConnectError(sysErr('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), tls).message).toContain('refused our client certificate (TLS alert unknown_ca)');
    expect(mapConnectError(sysErr('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), { ...tls, sentClientCert: false }).message).toContain('wants a client certificate and we sent none');
  });

  it('reports a close during or right after the TLS handshake as a handshake failure, hinting at our certificate', () => {
    const during = mapConnectError(sysErr('ECONNRESET'), { ...tls, phase: 'post-handshake' });
    expect(during.code).toBe('tls-handshake');
    expect(during.message).toContain('may have refused our client certificate');
    expect(mapConnectError(sysErr('ECONNRESET'), { ...tls, phase: 'established' }).code).toBe('closed');
    expect(mapConnectError(sysErr('EPIPE'), { protocol: 'tcp', host: '127.0.0.1', port: 5060, phase: 'established' }).code).toBe('closed');
  });

  it('includes the resolved address when the target was a name', () => {
    const err = mapConnectError(sysErr('ECONNREFUSED'), { protocol: 'tcp', host: 'sip.test.local', address: '127.0.0.1', port: 5060, phase: 'connect' });
    expect(err.message).toBe('tcp:sip.test.local:5060 (127.0.0.1) refused the connection');
    expect(err.remote).toEqual({ address: '127.0.0.1', port: 5060 });
  });

  it('passes TransportErrors through and maps anything else to socket', () => {
    const typed = new TransportError('connect-timeout', 'late');
    expect(mapConnectError(typed, tls)).toBe(typed);
    const other = mapConnectError(sysErr('EMFILE', 'too many open files'), tls);
    expect(other.code).toBe('socket');
    expect(other.message).toContain('EMFILE: too many open files');
  });
});

describe('TransportError', () => {
  it('is not a failover reason for errors another target cannot fix', () => {
    for (const code of ['too-large', 'framing', 'not-configured', 'handler-failed'] as const) {
      expect(isTargetFailure(new TransportError(code, code))).toBe(false);
      expect(new TransportError(code, code).retriable).toBe(false);
    }
    expect(isTargetFailure(new Error('plain'))).toBe(false);
  });
});
