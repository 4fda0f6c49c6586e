import { kafkaSecurityFromEnv, KafkaSecurityError } from './kafka-security';

const files: Record<string, string> = {
  '/etc/kafka/ca.pem': '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
  '/etc/kafka/client.pem': '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n',
  '/etc/kafka/client-key.pem': '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n',
  '/run/secrets/kafka-password': 's3cret\n',
  '/run/secrets/empty': '  \n',
};
const read = (f: string) => {
  const t = files[f];
  if (t === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return t;
};
const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    kafkaSecurityFromEnv(env, read);
  } catch (err) {
    expect(err).toBeInstanceOf(KafkaSecurityError);
    return (err as KafkaSecurityError).problems;
  }
  throw new Error('expected a KafkaSecurityError');
};

describe('kafkaSecurityFromEnv', () => {
  it('is plaintext without any variable', () => {
    const s = kafkaSecurityFromEnv({}, read);
    expect(s.ssl).toBeUndefined();
    expect(s.sasl).toBeUndefined();
    expect(s.summary).toBe('plaintext');
    expect(s.warnings).toEqual([]);
  });

  it('TLS with the system CAs, or with a CA file, a client certificate and a server name', () => {
    expect(kafkaSecurityFromEnv({ KAFKA_TLS: 'true' }, read).ssl).toBe(true);
    const s = kafkaSecurityFromEnv(
      { KAFKA_TLS: 'TRUE', KAFKA_TLS_CA_FILE: '/etc/kafka/ca.pem', KAFKA_TLS_CERT_FILE: '/etc/kafka/client.pem', KAFKA_TLS_KEY_FILE: '/etc/kafka/client-key.pem', KAFKA_TLS_SERVERNAME: 'kafka.internal' },
      read,
    );
    expect(s.ssl).toEqual({ ca: files['/etc/kafka/ca.pem'], cert: files['/etc/kafka/client.pem'], key: files['/etc/kafka/client-key.pem'], servername: 'kafka.internal', rejectUnauthorized: true });
    expect(s.summary).toBe('TLS (mutual)');
  });

  it('SASL SCRAM with the password from a mounted file (trailing newline dropped), over TLS', () => {
    const s = kafkaSecurityFromEnv({ KAFKA_TLS: 'true', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'ci', KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka-password' }, read);
    expect(s.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'ci', password: 's3cret' });
    expect(s.summary).toBe('TLS, SASL scram-sha-512 as ci');
    expect(JSON.stringify(s.summary)).not.toContain('s3cret');
    expect(s.warnings).toEqual([]);
  });

  it('warns when SASL goes without TLS', () => {
    const s = kafkaSecurityFromEnv({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'ci', KAFKA_SASL_PASSWORD: 'p' }, read);
    expect(s.sasl).toEqual({ mechanism: 'plain', username: 'ci', password: 'p' });
    expect(s.warnings.join(' ')).toMatch(/without TLS/);
  });

  it('names every wrong variable at once', () => {
    expect(problemsOf({ KAFKA_TLS: 'maybe', KAFKA_SASL_MECHANISM: 'gssapi' })).toEqual([
      'KAFKA_TLS: expected true or false, got "maybe"',
      'KAFKA_SASL_MECHANISM: expected one of plain, scram-sha-256, scram-sha-512, got "gssapi"',
    ]);
    expect(problemsOf({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/nope.pem', KAFKA_TLS_CERT_FILE: '/etc/kafka/client.pem' })).toEqual([
      'KAFKA_TLS_CA_FILE: cannot read /nope.pem (ENOENT)',
      'KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together (mutual TLS needs both)',
    ]);
    expect(problemsOf({ KAFKA_TLS_CA_FILE: '/etc/kafka/ca.pem' })).toEqual(['KAFKA_TLS_CA_FILE set but KAFKA_TLS is not true']);
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'ci' })).toEqual(['KAFKA_SASL_USERNAME set but KAFKA_SASL_MECHANISM is not (plain, scram-sha-256 or scram-sha-512)']);
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'plain' })).toEqual([
      'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM',
      'KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) is required with KAFKA_SASL_MECHANISM',
    ]);
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'ci', KAFKA_SASL_PASSWORD: 'a', KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka-password' })).toEqual([
      'KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE: set one, not both',
    ]);
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'ci', KAFKA_SASL_PASSWORD_FILE: '/run/secrets/empty' })).toEqual([
      'KAFKA_SASL_PASSWORD_FILE: /run/secrets/empty is empty',
    ]);
  });
});
