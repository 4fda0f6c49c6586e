import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@ci-connector/platform-config';
import { parseSipSignalingConfig, SIP_SIGNALING_VARIABLES } from './config';
import { KAFKA_SECURITY_VARIABLES } from '@ci-connector/platform-kafka';

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

  it('.env.example lists exactly the variables the schema reads, and its defaults parse', () => {
    const example = readFileSync(join(__dirname, '../../.env.example'), 'utf8');
    const entries = example
      .split('\n')
      .map((l) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] ?? '', (m[2] ?? '').replace(/\s+#.*$/, '').trim()] as const);
    expect(entries.map(([k]) => k).sort()).toEqual([...SIP_SIGNALING_VARIABLES, ...KAFKA_SECURITY_VARIABLES].sort());
    const env = Object.fromEntries(entries.filter(([, v]) => v !== ''));
    expect(parseSipSignalingConfig(env)).toEqual(parseSipSignalingConfig({}));
  });

  it('recording: no Kafka by default (events logged, no control); one RECORDER_HOST_OVERRIDES for sessions and pool', () => {
    const c = parseSipSignalingConfig({ RECORDING_TLS_CERT_FILE: '/x/c.pem', RECORDING_TLS_KEY_FILE: '/x/k.pem', RECORDER_HOST_OVERRIDES: '*=127.0.0.1:15061,uksouth=127.0.0.1:15062', RECORDER_PING_REGIONS: 'uksouth' });
    expect(c.recording.events.kafka).toBeUndefined();
    expect(c.recording.siprec?.tls).toEqual({ certFile: '/x/c.pem', keyFile: '/x/k.pem' });
    expect(c.recording.siprec?.hostOverrides).toMatchObject({ uksouth: '127.0.0.1:15062', global: '127.0.0.1:15061', westeurope: '127.0.0.1:15061' });
    expect(c.recording.recorders.hostOverrides).toEqual(c.recording.siprec?.hostOverrides);
    expect(c.recording.recorders).toMatchObject({ globalFallback: true, pingIntervalMs: 30_000, pingTimeoutMs: 5000, pingRegions: ['uksouth'], breaker: { failureThreshold: 3, openMs: 30_000 }, openCircuits: 'last' });
    expect(SIP_SIGNALING_VARIABLES).not.toContain('RECORDER_TLS_CERT_FILE');
  });

  it('recording: KAFKA_BROKERS turns on the events and control topics', () => {
    const c = parseSipSignalingConfig({ KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093', KAFKA_RECORDING_EVENTS_TOPIC: 'ev.test', KAFKA_RECORDING_CONTROL_TOPIC: 'ctl.test' });
    expect(c.recording.events.kafka).toEqual({ brokers: ['127.0.0.1:9092', '127.0.0.1:9093'], eventsTopic: 'ev.test', controlTopic: 'ctl.test', controlGroupPrefix: 'sip-signaling-recording-control', ensureTopics: true, partitions: 6, replicationFactor: 1 });
    expect(c.recording.events).toMatchObject({ maxQueue: 10_000, flushDeadlineMs: 5000, controlMaxAgeMs: 300_000 });
  });

  it('names bad recorder and Kafka variables', () => {
    let err: unknown;
    try {
      parseSipSignalingConfig({ RECORDER_HOST_OVERRIDES: 'mars=1.2.3.4', KAFKA_BROKERS: 'nohostport', RECORDER_OPEN_CIRCUITS: 'first' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['KAFKA_BROKERS', 'RECORDER_HOST_OVERRIDES', 'RECORDER_OPEN_CIRCUITS']);
    try {
      parseSipSignalingConfig({ RECORDER_PING_TIMEOUT: '30s' });
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).problems.map((p) => p.variable)).toEqual(['RECORDER_PING_TIMEOUT']);
  });

  it('serves GET /metrics on 127.0.0.1:9464 by default; 0 turns it off; a bad port or the HTTP port is named', () => {
    expect(parseSipSignalingConfig({}).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseSipSignalingConfig({ METRICS_PORT: '0', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ host: '0.0.0.0', port: 0 });
    for (const [env, variable] of [
      [{ METRICS_PORT: '70000' }, 'METRICS_PORT'],
      [{ METRICS_PORT: '8084' }, 'METRICS_PORT'],
      [{ METRICS_PORT: 'ninety' }, 'METRICS_PORT'],
    ] as const) {
      let err: unknown;
      try {
        parseSipSignalingConfig(env);
      } catch (e) {
        err = e;
      }
      expect((err as ConfigError).problems.map((p) => p.variable)).toEqual([variable]);
    }
  });
});
