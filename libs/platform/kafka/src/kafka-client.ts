import {
  Kafka,
  Partitioners,
  logLevel,
  type Admin,
  type ITopicConfig,
  type Message,
  type Producer,
  type RecordMetadata,
  type SASLOptions,
} from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import { kafkaLogCreator } from './kafka-logging';

export interface KafkaClientOptions {
  clientId: string;
  brokers: string[];
  /** TLS to the brokers; `true` uses the system CAs. */
  ssl?: boolean | ConnectionOptions;
  sasl?: SASLOptions;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Back-off of kafkajs's own retries (connect, metadata, produce). */
  retry?: { retries?: number; initialRetryTimeMs?: number; maxRetryTimeMs?: number };
  logger?: Parameters<typeof kafkaLogCreator>[0];
}

export function createKafka(opts: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    ...(opts.ssl !== undefined ? { ssl: opts.ssl } : {}),
    ...(opts.sasl !== undefined ? { sasl: opts.sasl } : {}),
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    requestTimeout: opts.requestTimeoutMs ?? 10000,
    retry: {
      retries: opts.retry?.retries ?? 8,
      initialRetryTime: opts.retry?.initialRetryTimeMs ?? 300,
      maxRetryTime: opts.retry?.maxRetryTimeMs ?? 10000,
      factor: 0.2,
      multiplier: 2,
    },
    logLevel: logLevel.WARN,
    ...(opts.logger ? { logCreator: kafkaLogCreator(opts.logger) } : {}),
  });
}

/**
 * The only producer the project uses: idempotent (the broker drops the duplicates
 * a retry would write), acks from all in-sync replicas, one request in flight per
 * broker so a retry cannot reorder a key's messages. The partitioner is named, so
 * a key always lands on the partition Java clients would pick too.
 */
export function createIdempotentProducer(kafka: Kafka, opts: { transactionalId?: string } = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    ...(opts.transactionalId ? { transactionalId: opts.transactionalId } : {}),
  });
}

/** Sends with acks=all (-1); resolves only once the broker has acknowledged every message. */
export function produce(producer: Producer, topic: string, messages: Message[], timeoutMs = 30000): Promise<RecordMetadata[]> {
  return producer.send({ topic, messages, acks: -1, timeout: timeoutMs });
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  await admin.createTopics({ topics: missing, waitForLeaders: true });
}

/** Asks the cluster to describe itself, with a deadline; never throws. */
export async function kafkaHealth(admin: Admin, timeoutMs = 2000): Promise<{ ok: boolean; brokers?: number; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const cluster = await Promise.race([
      admin.describeCluster(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no cluster description within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: cluster.brokers.length > 0, brokers: cluster.brokers.length };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
