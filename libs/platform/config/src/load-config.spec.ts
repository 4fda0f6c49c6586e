import { z } from 'zod';
import { ConfigError, loadConfig } from './load-config';
import { envBool, envDurationMs, envList, envLogLevel, envPort, envUrl } from './env-types';

const schema = z.object({
  HTTP_PORT: envPort(8080),
  HTTP_HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: envLogLevel(),
  REDIS_URL: envUrl(['redis', 'rediss']),
  KAFKA_BROKERS: envList(z.string().regex(/^[^:]+:\d+$/, 'not host:port'), '127.0.0.1:9092'),
  TRACING: envBool(false),
  GRACE: envDurationMs('10s'),
  CLIENT_SECRET: z.string().min(8, 'too short'),
});

const map = (e: z.output<typeof schema>) => ({
  http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
  log: { level: e.LOG_LEVEL },
  redis: { url: e.REDIS_URL },
  kafka: { brokers: e.KAFKA_BROKERS },
  tracing: e.TRACING,
  graceMs: e.GRACE,
  secret: e.CLIENT_SECRET,
});

function problemsOf(env: Record<string, string>) {
  try {
    loadConfig('svc', schema, env, map);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('maps a good environment to the typed nested config, with defaults', () => {
    const cfg = loadConfig('svc', schema, { REDIS_URL: 'redis://127.0.0.1:6379', CLIENT_SECRET: 'abcdefgh', TRACING: 'no', GRACE: '2m' }, map);
    expect(cfg).toEqual({
      http: { host: '127.0.0.1', port: 8080 },
      log: { level: 'info' },
      redis: { url: 'redis://127.0.0.1:6379' },
      kafka: { brokers: ['127.0.0.1:9092'] },
      tracing: false,
      graceMs: 120_000,
      secret: 'abcdefgh',
    });
  });

  it('reads "false" as false, not as a non-empty string', () => {
    expect(loadConfig('svc', schema, { REDIS_URL: 'redis://h:1', CLIENT_SECRET: 'abcdefgh', TRACING: 'false' }, map).tracing).toBe(false);
    expect(loadConfig('svc', schema, { REDIS_URL: 'redis://h:1', CLIENT_SECRET: 'abcdefgh', TRACING: 'ON' }, map).tracing).toBe(true);
  });

  it('lists every bad variable in one error, each with what it expects', () => {
    const err = problemsOf({ HTTP_PORT: '70000', LOG_LEVEL: 'loud', REDIS_URL: 'http://x', KAFKA_BROKERS: 'a:1,b', TRACING: 'maybe', GRACE: 'soon' });
    expect(err.problems.map((p) => p.variable).sort()).toEqual(['CLIENT_SECRET', 'GRACE', 'HTTP_PORT', 'KAFKA_BROKERS', 'LOG_LEVEL', 'REDIS_URL', 'TRACING']);
    expect(err.message).toContain('7 bad variables');
    expect(err.message).toContain('HTTP_PORT: above 65535 (got "70000"); expects a port number from 1 to 65535');
    expect(err.message).toContain('LOG_LEVEL: not one of the allowed values (got "loud"); expects one of fatal, error');
    expect(err.message).toContain('REDIS_URL: not a valid URL (got "http://x"); expects a URL (redis:// or rediss://)');
    expect(err.message).toContain('CLIENT_SECRET: missing');
    expect(err.message).toContain('TRACING: not a boolean (got "maybe"); expects true or false');
  });

  it('never echoes the value of a secret', () => {
    const err = problemsOf({ REDIS_URL: 'redis://h:1', CLIENT_SECRET: 'short' });
    expect(err.problems).toEqual([{ variable: 'CLIENT_SECRET', problem: 'too short' }]);
    expect(err.message).not.toContain('short"');
  });

  it('parses defaults through the same rules as given values', () => {
    const cfg = loadConfig('svc', schema, { REDIS_URL: 'redis://h:1', CLIENT_SECRET: 'abcdefgh' }, map);
    expect(cfg.graceMs).toBe(10_000);
    expect(cfg.kafka.brokers).toEqual(['127.0.0.1:9092']);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig('svc', schema, { REDIS_URL: 'redis://h:1', CLIENT_SECRET: 'abcdefgh', HTTP_PORT: '' }, map).http.port).toBe(8080);
  });
});

describe('descriptions through wrappers', () => {
  it('says what an optional variable expects', () => {
    const s = z.object({ REDIS_URL: envUrl(['redis']).optional() });
    expect(() => loadConfig('svc', s, { REDIS_URL: 'http://x' }, (e) => e)).toThrow('REDIS_URL: not a valid URL (got "http://x"); expects a URL (redis://)');
  });
});
