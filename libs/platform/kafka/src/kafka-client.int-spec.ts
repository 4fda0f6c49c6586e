import { randomBytes } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { stackComponentPid, stackEndpoints, stackUp, waitFor } from '@ci-connector/platform-testing';
import { createLogger } from '@ci-connector/platform-logging';
import { createIdempotentProducer, createKafka, ensureTopics, kafkaHealth, produce } from './kafka-client';

interface Seen {
  /** "key/seq" → how many times it arrived. */
  count: Map<string, number>;
  /** Per key, the sequence numbers in arrival order. */
  order: Map<string, number[]>;
}

function consumeInto(consumer: Consumer, seen: Seen): Promise<void> {
  return consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }: EachBatchPayload) => {
      for (const m of batch.messages) {
        const { key, seq } = JSON.parse(m.value!.toString()) as { key: string; seq: number };
        expect(m.key!.toString()).toBe(key);
        const id = `${key}/${seq}`;
        seen.count.set(id, (seen.count.get(id) ?? 0) + 1);
        const o = seen.order.get(key) ?? [];
        o.push(seq);
        seen.order.set(key, o);
      }
    },
  });
}

async function startConsumer(kafka: Kafka, groupId: string, topic: string, seen: Seen): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 1000, retry: { retries: 20, maxRetryTime: 5000 } });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumeInto(consumer, seen);
  return consumer;
}

const newSeen = (): Seen => ({ count: new Map(), order: new Map() });
const total = (s: Seen) => [...s.count.values()].reduce((a, b) => a + b, 0);

describe('Kafka client against the real broker', () => {
  const { kafkaBrokers } = stackEndpoints();
  // kafkajs's own lines (reconnects during the restart) go to stdout as JSON, not through Jest's console.
  const kafka = createKafka({ clientId: 'int-spec', brokers: kafkaBrokers, retry: { retries: 10, maxRetryTimeMs: 5000 }, logger: createLogger({ name: 'kafka-int-spec', level: 'warn' }) });
  const admin = kafka.admin();
  const run = randomBytes(4).toString('hex');

  beforeAll(() => admin.connect());
  afterAll(() => admin.disconnect());

  it('reports the cluster healthy', async () => {
    expect(await kafkaHealth(admin)).toEqual({ ok: true, brokers: 1 });
  });

  it('delivers 10,000 messages produced with acks=all to a consumer group, each exactly once and in order per key', async () => {
    const topic = `int-spec.exactly-once.${run}`;
    await ensureTopics(admin, [{ topic, numPartitions: 3, replicationFactor: 1 }]);
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const seen = newSeen();
    const consumer = await startConsumer(kafka, `int-spec-${run}`, topic, seen);
    try {
      const keys = 100;
      const n = 10_000;
      for (let start = 0; start < n; start += 500) {
        const batch = Array.from({ length: 500 }, (_, i) => {
          const seq = start + i;
          const key = `k${seq % keys}`;
          return { key, value: JSON.stringify({ key, seq }) };
        });
        const acks = await produce(producer, topic, batch);
        expect(acks.every((a) => a.errorCode === 0)).toBe(true);
      }
      await waitFor('10,000 messages at the consumer', () => total(seen) >= n || undefined, 60_000, 100);
      await new Promise((r) => setTimeout(r, 500)); // a late duplicate would show up here
      expect(seen.count.size).toBe(n);
      expect(total(seen)).toBe(n);
      for (let seq = 0; seq < n; seq++) expect(seen.count.get(`k${seq % keys}/${seq}`)).toBe(1);
      for (const [, seqs] of seen.order) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });

  it('recovers when the broker restarts mid-stream, losing nothing and writing nothing twice', async () => {
    const topic = `int-spec.restart.${run}`;
    await ensureTopics(admin, [{ topic, numPartitions: 3, replicationFactor: 1 }]);
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const live = newSeen();
    let consumer = await startConsumer(kafka, `int-spec-restart-${run}`, topic, live);
    const n = 2000;
    const batchSize = 50;
    let restart: Promise<void> | undefined;
    try {
      for (let start = 0; start < n; start += batchSize) {
        if (start === 500) {
          // Stop the broker the way an operator or Kubernetes would, then bring it back
          // while the producer keeps sending: its sends must wait and succeed.
          const pid = stackComponentPid('kafka');
          expect(pid).toBeDefined();
          process.kill(pid!, 'SIGTERM');
          await waitFor('the broker to exit', () => {
            try {
              process.kill(pid!, 0);
              return false;
            } catch {
              return true;
            }
          }, 60_000, 100);
          restart = stackUp();
        }
        const batch = Array.from({ length: batchSize }, (_, i) => {
          const seq = start + i;
          return { key: `k${seq % 10}`, value: JSON.stringify({ key: `k${seq % 10}`, seq }) };
        });
        await produce(producer, topic, batch);
      }
      await restart;
      // Nothing lost: every message reached the group that was consuming across the restart.
      await waitFor('every message at the live consumer', () => live.count.size >= n || undefined, 90_000, 200);
      for (let seq = 0; seq < n; seq++) expect(live.count.get(`k${seq % 10}/${seq}`)).toBeGreaterThanOrEqual(1);
      await consumer.disconnect();

      // Nothing written twice: a fresh group reading the log from the start sees each once.
      const fresh = newSeen();
      consumer = await startConsumer(kafka, `int-spec-restart-check-${run}`, topic, fresh);
      await waitFor('the whole log at a fresh consumer', () => total(fresh) >= n || undefined, 60_000, 100);
      await new Promise((r) => setTimeout(r, 500));
      expect(total(fresh)).toBe(n);
      expect(fresh.count.size).toBe(n);
    } finally {
      await restart?.catch(() => undefined);
      await consumer.disconnect();
      await producer.disconnect();
    }
  });
});
