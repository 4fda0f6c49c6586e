import { ConfigError } from '@ci-connector/platform-config';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRegistrationConfig } from './config';
import { KAFKA_SECURITY_VARIABLES } from '@ci-connector/platform-kafka';

const base = { REDIS_URL: 'redis://127.0.0.1:6379', KAFKA_BROKERS: '127.0.0.1:9092', CI_APP_CLIENT_ID: '4D4D4D4D-4444-4444-8444-444444444444', CI_APP_CLIENT_SECRET: 'very-secret' };

describe('registration-service config', () => {
  it('defaults to loopback, the real Microsoft endpoints and the compacted tenants topic', () => {
    const c = parseRegistrationConfig(base);
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8081, maxBodyBytes: 65536 });
    expect(c.grpc).toEqual({ host: '127.0.0.1', port: 50051 });
    expect(c.kafka.tenantsTopic).toBe('ci.tenants.v1');
    expect(c.ciApi).toMatchObject({ baseUrl: 'https://api.media.recording.dynamics.com', authorityHost: 'https://login.microsoftonline.com', clientId: '4d4d4d4d-4444-4444-8444-444444444444', credential: { kind: 'secret' } });
    expect(c.register).toEqual({ maxAttempts: 8, backoffBaseMs: 1000, backoffMaxMs: 60_000, lockTtlMs: 30_000 });
    expect(c.adminApiKey).toBeUndefined();
  });

  it('lists every bad variable, never echoing secrets', () => {
    let err: unknown;
    try {
      parseRegistrationConfig({ KAFKA_BROKERS: 'nope', GRPC_PORT: '0', CI_APP_CLIENT_ID: 'x', ADMIN_API_KEY: 'short-secret' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const vars = (err as ConfigError).problems.map((p) => p.variable).sort();
    expect(vars).toEqual(['ADMIN_API_KEY', 'CI_APP_CLIENT_ID', 'GRPC_PORT', 'KAFKA_BROKERS', 'REDIS_URL']);
    expect((err as ConfigError).message).not.toContain('short-secret');
  });

  it('needs exactly one app credential', () => {
    const { CI_APP_CLIENT_SECRET: _s, ...noSecret } = base;
    expect(() => parseRegistrationConfig(noSecret)).toThrow(/CI_APP_CLIENT_SECRET: missing: give CI_APP_CLIENT_SECRET or CI_APP_CERT_FILE and CI_APP_KEY_FILE/);
    expect(() => parseRegistrationConfig({ ...base, CI_APP_CERT_FILE: __filename, CI_APP_KEY_FILE: __filename })).toThrow(/not both/);
    expect(parseRegistrationConfig({ ...noSecret, CI_APP_CERT_FILE: __filename, CI_APP_KEY_FILE: __filename }).ciApi.credential).toEqual({ kind: 'certificate', certFile: __filename, keyFile: __filename });
    expect(() => parseRegistrationConfig({ ...base, CI_API_CA_FILE: '/no/such/ca.pem' })).toThrow(/CI_API_CA_FILE: no such file/);
  });

  it('.env.example lists every variable the schema reads', () => {
    const example = readFileSync(join(__dirname, '../../.env.example'), 'utf8');
    const listed = [...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]);
    const source = readFileSync(join(__dirname, 'config.ts'), 'utf8');
    const read = [...source.matchAll(/^ {4}([A-Z0-9_]+): /gm)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(30);
    expect(listed.sort()).toEqual([...read, ...KAFKA_SECURITY_VARIABLES].sort());
  });
});
