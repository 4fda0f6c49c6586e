import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { stackEndpoints, waitFor } from '@ci-connector/platform-testing';
import { createIdempotentProducer, createKafka, ensureTopics, produce } from './kafka-client';
import { kafkaSecurityFromEnv } from './kafka-security';

/**
 * The KAFKA_TLS* / KAFKA_SASL* settings against the real broker of deploy/local,
 * whose second listener speaks SASL_SSL (PLAIN) with a test CA (endpoints.env).
 */
describe('Kafka over TLS with SASL (the local broker’s SASL_SSL listener)', () => {
  const raw = stackEndpoints().raw;
  const need = (k: string) => {
    const v = raw[k];
    if (!v) throw new Error(`endpoints.env has no ${k}: run \`bash deploy/local/stack.sh down && bash deploy/local/stack.sh up\` (an older stack has no SASL_SSL listener)`);
    return v;
  };
  const brokers = need('CI_KAFKA_SASL_BROKERS').split(',');
  const good = { KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: need('CI_KAFKA_TLS_CA_FILE'), KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: need('CI_KAFKA_SASL_USERNAME'), KAFKA_SASL_PASSWORD: need('CI_KAFKA_SASL_PASSWORD') };
  const kafkaWith = (env: NodeJS.ProcessEnv, clientId: string): Kafka => {
    const { ssl, sasl } = kafkaSecurityFromEnv(env);
    return createKafka({ clientId, brokers, ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}), connectionTimeoutMs: 3000, retry: { retries: 1 } });
  };
  const topic = `it.kafka-security.${randomBytes(4).toString('hex')}`;
  const kafka = kafkaWith(good, 'it-kafka-security');
  const admin = kafka.admin();

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  });

  it('produces with acks=all and reads the message back, authenticated and encrypted', async () => {
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    const producer = createIdempotentProducer(kafka);
    const consumer = kafka.consumer({ groupId: `${topic}.g`, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    const got: string[] = [];
    try {
      await producer.connect();
      await produce(producer, topic, [{ key: 'call-1', value: 'over SASL_SSL' }], { deadlineMs: 10_000 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void got.push(`${message.key?.toString()}=${message.value?.toString()}`) });
      await waitFor('the message back', () => got.length > 0, 20_000, 100);
      expect(got).toEqual(['call-1=over SASL_SSL']);
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
    }
  });

  it('a wrong password is refused by the broker (SASL authentication failed)', async () => {
    const bad = kafkaWith({ ...good, KAFKA_SASL_PASSWORD: 'not-the-password' }, 'it-kafka-security-bad').admin();
    try {
      await expect(bad.connect()).rejects.toThrow(/SASL PLAIN authentication failed|Authentication failed|authentication/i);
    } finally {
      await bad.disconnect().catch(() => undefined);
    }
  });

  it('without the test CA the broker’s certificate is not trusted', async () => {
    const { KAFKA_TLS_CA_FILE: _ca, ...systemCas } = good;
    const untrusted = kafkaWith(systemCas, 'it-kafka-security-untrusted').admin();
    try {
      await expect(untrusted.connect()).rejects.toThrow(/certificate|self.signed|unable to verify/i);
    } finally {
      await untrusted.disconnect().catch(() => undefined);
    }
  });
});
