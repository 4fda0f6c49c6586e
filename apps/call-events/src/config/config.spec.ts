import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@ci-connector/platform-config';
import { parseCallEventsConfig } from './config';
import { KAFKA_SECURITY_VARIABLES } from '@ci-connector/platform-kafka';

const SECRET = 'a-widget-token-secret-of-32-bytes!!';
const base = { REDIS_URL: 'redis://127.0.0.1:6379', KAFKA_BROKERS: '127.0.0.1:9092', WIDGET_TOKEN_SECRET: SECRET };

function problemsOf(env: Record<string, string>): ConfigError {
  try {
    parseCallEventsConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('call-events config', () => {
  it('defaults to loopback, a 16 KB body limit, the contract topics and no mutual TLS', () => {
    const c = parseCallEventsConfig(base);
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8082, maxBodyBytes: 16384 });
    expect(c.grpc).toEqual({ host: '127.0.0.1', port: 50052 });
    expect(c.kafka).toEqual({
      brokers: ['127.0.0.1:9092'],
      topics: { callEvents: 'ci.call-events.v1', recordingControl: 'ci.recording.control.v1' },
      createTopics: true,
      partitions: 6,
      replicationFactor: 1,
      produceDeadlineMs: 5000,
      maxPending: 20000,
      maxBatch: 500,
      lingerMs: 5,
    });
    expect(c.retryAfterSeconds).toBe(2);
    expect(c.authCacheTtlMs).toBe(5000);
    expect(c.widgetToken).toEqual({ secret: SECRET, defaultTtlSeconds: 3600, maxTtlSeconds: 43200 });
    expect(c.mtls).toBeUndefined();
  });

  it('lists every bad variable, never echoing the secret', () => {
    const err = problemsOf({ KAFKA_BROKERS: 'nope', GRPC_PORT: '0', WIDGET_TOKEN_SECRET: 'short-secret', MAX_BODY_SIZE: '10' });
    expect(err.problems.map((p) => p.variable).sort()).toEqual(['GRPC_PORT', 'KAFKA_BROKERS', 'MAX_BODY_SIZE', 'REDIS_URL', 'WIDGET_TOKEN_SECRET']);
    expect(err.message).toContain('WIDGET_TOKEN_SECRET: too short (at least 32 bytes)');
    expect(err.message).not.toContain('short-secret');
  });

  it('checks the widget token lifetimes against each other', () => {
    expect(problemsOf({ ...base, WIDGET_TOKEN_DEFAULT_TTL: '2h', WIDGET_TOKEN_MAX_TTL: '1h' }).message).toContain('WIDGET_TOKEN_DEFAULT_TTL: must be from 60s to WIDGET_TOKEN_MAX_TTL');
  });

  it('needs the certificate, key, CA and a valid partners file for a mutual-TLS port', () => {
    const dir = mkdtempSync(join(tmpdir(), 'call-events-config-'));
    try {
      const pem = join(dir, 'x.pem');
      writeFileSync(pem, 'not read here');
      const partners = join(dir, 'partners.json');
      writeFileSync(partners, JSON.stringify({ partners: [{ id: 'acme', subject: { CN: 'dialer.acme.example' }, tenants: '*' }] }));
      const missing = problemsOf({ ...base, MTLS_HTTPS_PORT: '8443', MTLS_KEY_FILE: pem });
      expect(missing.problems.map((p) => p.variable).sort()).toEqual(['MTLS_CA_FILE', 'MTLS_CERT_FILE', 'MTLS_PARTNERS_FILE']);
      expect(missing.message).toContain('MTLS_CERT_FILE: missing: required with MTLS_HTTPS_PORT or MTLS_GRPC_PORT');

      const ok = parseCallEventsConfig({ ...base, MTLS_GRPC_PORT: '50443', MTLS_CERT_FILE: pem, MTLS_KEY_FILE: pem, MTLS_CA_FILE: pem, MTLS_PARTNERS_FILE: partners });
      expect(ok.mtls).toMatchObject({ host: '127.0.0.1', grpcPort: 50443, partners: [{ id: 'acme', subject: { CN: 'dialer.acme.example' }, tenants: '*' }] });
      expect(ok.mtls?.httpsPort).toBeUndefined();

      writeFileSync(partners, JSON.stringify({ partners: [{ id: 'acme', subject: {}, tenants: '*' }] }));
      expect(problemsOf({ ...base, MTLS_GRPC_PORT: '50443', MTLS_CERT_FILE: pem, MTLS_KEY_FILE: pem, MTLS_CA_FILE: pem, MTLS_PARTNERS_FILE: partners }).message).toContain(
        'MTLS_PARTNERS_FILE: $.partners[0].subject: CN is required',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('.env.example lists every variable the schema reads', () => {
    const example = readFileSync(join(__dirname, '../../.env.example'), 'utf8');
    const listed = [...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]);
    const source = readFileSync(join(__dirname, 'config.ts'), 'utf8');
    const read = [...source.matchAll(/^ {4}([A-Z0-9_]+): /gm)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(30);
    expect(listed.sort()).toEqual([...read, ...KAFKA_SECURITY_VARIABLES].sort());
  });

  it('docs/configuration.md lists every variable in the call-events section', () => {
    const doc = readFileSync(join(__dirname, '../../../../docs/configuration.md'), 'utf8');
    const start = doc.indexOf('## call-events');
    expect(start).toBeGreaterThanOrEqual(0);
    const next = doc.indexOf('\n## ', start + 3);
    const section = doc.slice(start, next === -1 ? undefined : next);
    const source = readFileSync(join(__dirname, 'config.ts'), 'utf8');
    for (const [, v] of source.matchAll(/^ {4}([A-Z0-9_]+): /gm)) expect(section).toContain(`\`${v}\``);
  });

  it('serves GET /metrics on 127.0.0.1:9464 by default (0 = off), never on the HTTP port', () => {
    expect(parseCallEventsConfig(base).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseCallEventsConfig({ ...base, METRICS_PORT: '0' }).metrics.port).toBe(0);
    expect(() => parseCallEventsConfig({ ...base, METRICS_PORT: '8082' })).toThrow(/METRICS_PORT: must differ from HTTP_PORT/);
    expect(() => parseCallEventsConfig({ ...base, METRICS_PORT: '-1' })).toThrow(/METRICS_PORT: below 0/);
  });
});
