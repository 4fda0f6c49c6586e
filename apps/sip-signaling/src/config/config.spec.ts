import { ConfigError } from '@ci-connector/platform-config';
import { parseSipSignalingConfig } from './config';

describe('sip-signaling config', () => {
  it('defaults to loopback UDP+TCP on 5060, rtpengine on 22222, relay of unknown tenants, no Redis', () => {
    const c = parseSipSignalingConfig({});
    expect(c.sip.listen).toEqual([
      { protocol: 'udp', host: '127.0.0.1', port: 5060 },
      { protocol: 'tcp', host: '127.0.0.1', port: 5060 },
    ]);
    expect(c.sip.unknownTenant).toBe('relay');
    expect(c.rtpengine).toEqual({ enabled: true, host: '127.0.0.1', port: 22222, timeoutMs: 1000 });
    expect(c.redis).toBeUndefined();
    expect(c.drain).toEqual({ graceMs: 120_000, retryAfterSeconds: 30 });
    expect(c.shutdownTimeoutMs).toBe(150_000);
  });

  it('adds TLS with its files', () => {
    const c = parseSipSignalingConfig({ SIP_TLS: 'true', SIP_TLS_CERT_FILE: '/x/cert.pem', SIP_TLS_KEY_FILE: '/x/key.pem', SIP_TLS_CA_FILE: '/x/ca.pem', SIP_TLS_REQUIRE_CLIENT_CERT: 'yes', SIP_TLS_PORT: '5071' });
    expect(c.sip.listen).toContainEqual({ protocol: 'tls', host: '127.0.0.1', port: 5071 });
    expect(c.sip.tls).toEqual({ certFile: '/x/cert.pem', keyFile: '/x/key.pem', caFile: '/x/ca.pem', requireClientCert: true });
  });

  it('lists every bad variable at once', () => {
    let err: unknown;
    try {
      parseSipSignalingConfig({ SIP_TLS: 'true', SIP_UNKNOWN_TENANT: 'drop', SIP_OUTBOUND_PROXY: 'http://x', RTPENGINE_PORT: '0', DRAIN_GRACE: '10m', SIP_SESSION_TIMER: '30s' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['RTPENGINE_PORT', 'SIP_OUTBOUND_PROXY', 'SIP_UNKNOWN_TENANT']);
    // Cross-field checks run once the fields parse.
    try {
      parseSipSignalingConfig({ SIP_TLS: 'true', DRAIN_GRACE: '10m', SIP_SESSION_TIMER: '30s', SIP_UDP: 'false', SIP_TCP: 'false' });
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['SHUTDOWN_TIMEOUT', 'SIP_SESSION_TIMER', 'SIP_TLS_CERT_FILE', 'SIP_TLS_KEY_FILE']);
  });
});
