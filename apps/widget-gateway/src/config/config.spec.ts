import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@ci-connector/platform-config';
import { parseGatewayConfig } from './config';
import { KAFKA_SECURITY_VARIABLES } from '@ci-connector/platform-kafka';

const required = { REDIS_URL: 'redis://127.0.0.1:6379', KAFKA_BROKERS: 'k1:9092,k2:9092', WIDGET_TOKEN_SECRET: 'x'.repeat(32) };

describe('widget-gateway configuration', () => {
  it('has safe defaults for everything but Redis, Kafka and the token secret', () => {
    const c = parseGatewayConfig(required);
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8086 });
    expect(c.kafka).toMatchObject({
      brokers: ['k1:9092', 'k2:9092'],
      topics: { callEvents: 'ci.call-events.v1', recordingEvents: 'ci.recording.events.v1', widgetEvents: 'ci.widget-events.v1', deadLetter: 'ci.call-events.dlq.v1', recordingControl: 'ci.recording.control.v1' },
      correlationGroup: 'widget-gateway.correlation',
      deliveryGroup: 'widget-gateway.delivery',
      ensureTopics: true,
      sessionTimeoutMs: 30_000,
    });
    expect(c.correlation).toEqual({ waitMs: 2000, ttlMs: 6 * 3600_000 });
    expect(c.processing).toEqual({ maxAttempts: 3, backoffMaxMs: 5000, maxAgeMs: 600_000 });
    expect(c.delivery).toEqual({ route: 'direct', maxLen: 200, streamTtlMs: 3600_000, dedupeTtlMs: 3600_000 });
    expect(c.sse).toEqual({ heartbeatMs: 15_000, retryMs: 2000, replayWindowMs: 30_000, maxClients: 10_000, maxClientsPerSeller: 5 });
    expect(c.corsOrigins).toEqual([]);
    expect(c.redis.prefix).toBe('cic:');
  });

  it('lists every bad variable at once, never echoing the secret', () => {
    let err: unknown;
    try {
      parseGatewayConfig({
        REDIS_URL: 'http://x',
        KAFKA_BROKERS: 'nohostport',
        WIDGET_TOKEN_SECRET: 'short-secret',
        CORRELATION_WAIT: '2m',
        SSE_MAX_CLIENTS: '2',
        SSE_MAX_CLIENTS_PER_SELLER: '3',
        CORS_ORIGINS: 'https://ok.example,*',
        KAFKA_SESSION_TIMEOUT: '1s',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = Object.fromEntries((err as ConfigError).problems.map((p) => [p.variable, p]));
    expect(Object.keys(problems).sort()).toEqual(['CORRELATION_WAIT', 'CORS_ORIGINS', 'KAFKA_BROKERS', 'KAFKA_SESSION_TIMEOUT', 'REDIS_URL', 'SSE_MAX_CLIENTS_PER_SELLER', 'WIDGET_TOKEN_SECRET']);
    expect(problems['WIDGET_TOKEN_SECRET']).toEqual({ variable: 'WIDGET_TOKEN_SECRET', problem: 'too short (at least 32 bytes)', expects: 'the secret shared with call-events, at least 32 bytes' });
  });

  it('checks the bounds that depend on other settings', () => {
    const bad = () => parseGatewayConfig({ ...required, CORRELATION_WAIT: '2m', SSE_MAX_CLIENTS: '2', SSE_MAX_CLIENTS_PER_SELLER: '3', KAFKA_SESSION_TIMEOUT: '1s', EVENT_MAX_AGE: '2h' });
    expect(bad).toThrow('invalid configuration, 4 bad variables');
    expect(bad).toThrow('EVENT_MAX_AGE: above DELIVERY_DEDUPE_TTL (got "2h")');
    expect(bad).toThrow('CORRELATION_WAIT: above 60s (got "2m")');
    expect(bad).toThrow('KAFKA_SESSION_TIMEOUT: below 6s (got "1s")');
    expect(bad).toThrow('SSE_MAX_CLIENTS_PER_SELLER: above SSE_MAX_CLIENTS (got "3")');
  });

  it('reads the CORS origins, wildcards included', () => {
    expect(parseGatewayConfig({ ...required, CORS_ORIGINS: 'https://*.crm.dynamics.com, https://widget.dialer.example:8443' }).corsOrigins).toEqual([
      'https://*.crm.dynamics.com',
      'https://widget.dialer.example:8443',
    ]);
  });

  it('.env.example lists every variable the schema reads, with the defaults the service really uses', () => {
    const example = readFileSync(join(__dirname, '../../.env.example'), 'utf8');
    const listed = Object.fromEntries([...example.matchAll(/^([A-Z0-9_]+)=(\S*)/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
    const source = readFileSync(join(__dirname, 'config.ts'), 'utf8');
    const read = [...source.matchAll(/^ {4}([A-Z0-9_]+): /gm)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(30);
    expect(Object.keys(listed).sort()).toEqual([...read, ...KAFKA_SECURITY_VARIABLES].sort());
    const fromExample = Object.fromEntries(Object.entries(listed).filter(([, v]) => v !== ''));
    expect(parseGatewayConfig({ ...fromExample, ...required })).toEqual(parseGatewayConfig(required));
  });
});
