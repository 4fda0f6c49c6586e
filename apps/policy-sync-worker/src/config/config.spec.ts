import { ConfigError } from '@ci-connector/platform-config';
import { parseWorkerConfig } from './config';

const base = { REDIS_URL: 'redis://127.0.0.1:6379', KAFKA_BROKERS: '127.0.0.1:9092', CI_APP_CLIENT_ID: '4D4D4D4D-4444-4444-8444-444444444444', CI_APP_CLIENT_SECRET: 's3cret', WORKER_ID: 'w1' };

function problems(env: Record<string, string>): string[] {
  try {
    parseWorkerConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n').slice(1);
    throw err;
  }
  throw new Error('no ConfigError');
}

describe('policy-sync-worker config', () => {
  it('defaults: 5 minute interval with jitter, loopback, the event topics', () => {
    expect(parseWorkerConfig(base)).toEqual({
      service: { name: 'policy-sync-worker', version: '0.1.0' },
      workerId: 'w1',
      http: { host: '127.0.0.1', port: 8083 },
      metrics: { host: '127.0.0.1', port: 9464 },
      log: { level: 'info' },
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'cic:' },
      kafka: {
        brokers: ['127.0.0.1:9092'],
        groupId: 'policy-sync-worker',
        tenantsTopic: 'ci.tenants.v1',
        policyTopic: 'ci.recording-policy.updated.v1',
        ensureTopics: true,
        partitions: 6,
        replicationFactor: 1,
        publishDeadlineMs: 10_000,
      },
      ci: {
        apiBaseUrl: 'https://api.media.recording.dynamics.com',
        authorityHost: 'https://login.microsoftonline.com',
        clientId: '4d4d4d4d-4444-4444-8444-444444444444',
        credential: { kind: 'secret', secret: 's3cret' },
        requestTimeoutMs: 30_000,
        retryMaxAttempts: 4,
        retryDeadlineMs: 60_000,
      },
      sync: {
        intervalMs: 300_000,
        jitterMs: 30_000,
        pollMs: 1000,
        leaseMs: 120_000,
        concurrency: 4,
        retryMinMs: 15_000,
        retryMaxMs: 300_000,
        drainTimeoutMs: 5000,
        degradedAfterMs: 900_000,
      },
      telemetry: { sampleRatio: 1 },
      shutdownTimeoutMs: 15_000,
    });
  });

  it('takes a certificate credential', () => {
    const { CI_APP_CLIENT_SECRET: _, ...rest } = base;
    expect(parseWorkerConfig({ ...rest, CI_APP_CERT_FILE: '/c/app.pem', CI_APP_KEY_FILE: '/c/app-key.pem' }).ci.credential).toEqual({ kind: 'certificate', certFile: '/c/app.pem', keyFile: '/c/app-key.pem' });
  });

  it('lists every bad variable, never echoing the secret', () => {
    expect(problems({ REDIS_URL: 'http://x', KAFKA_BROKERS: 'nohost', CI_APP_CLIENT_ID: 'app', SYNC_INTERVAL: 'often', CI_APP_CLIENT_SECRET: 'hunter2' })).toEqual([
      '  - REDIS_URL: not a valid URL (got "http://x"); expects a URL (redis:// or rediss://)',
      '  - KAFKA_BROKERS: not host:port (got "nohost"); expects a comma-separated list of host:port',
      '  - CI_APP_CLIENT_ID: not a GUID (got "app"); expects the carrier\'s Entra app (client) id, a GUID',
      '  - SYNC_INTERVAL: not a duration (got "often"); expects a duration such as 500ms, 10s, 5m or 1h (a bare number is ms)',
    ]);
  });

  it('checks the rules between variables, all at once', () => {
    const { CI_APP_CLIENT_SECRET: _, ...rest } = base;
    expect(problems({ ...rest, SYNC_INTERVAL: '10s', SYNC_JITTER: '10s', DEGRADED_AFTER: '5s', SYNC_RETRY_MIN: '1m', SYNC_RETRY_MAX: '30s' })).toEqual([
      '  - CI_APP_CLIENT_SECRET: missing; expects an app credential: CI_APP_CLIENT_SECRET, or CI_APP_CERT_FILE and CI_APP_KEY_FILE',
      '  - SYNC_JITTER: must be shorter than SYNC_INTERVAL (got "10000ms")',
      '  - SYNC_RETRY_MAX: must not be shorter than SYNC_RETRY_MIN (got "30000ms")',
      '  - DEGRADED_AFTER: must be longer than SYNC_INTERVAL (got "5000ms")',
    ]);
    expect(problems({ ...base, CI_APP_KEY_FILE: '/k.pem' })).toEqual([
      '  - CI_APP_CLIENT_SECRET: give either a client secret or a certificate (CI_APP_CERT_FILE, CI_APP_KEY_FILE), not both',
    ]);
  });
});
