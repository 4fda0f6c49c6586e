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
 *
 * Its own retries are unbounded, as kafkajs requires for idempotence (a retry that
 * gave up and was sent again would carry new sequence numbers, and the broker could
 * no longer tell the copy apart). Callers bound their wait with `produce`'s deadline.
 */
export function createIdempotentProducer(kafka: Kafka, opts: { transactionalId?: string; maxRetryTimeMs?: number } = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: opts.maxRetryTimeMs ?? 5000, factor: 0.2, multiplier: 2 },
    ...(opts.transactionalId ? { transactionalId: opts.transactionalId } : {}),
  });
}

/** The broker did not acknowledge within the caller's deadline; retrying makes sense. */
export class ProduceDeadlineError extends Error {
  readonly retriable = true;
  constructor(topic: string, deadlineMs: number) {
    super(`no acknowledgement from Kafka for ${topic} within ${deadlineMs} ms`);
    this.name = 'ProduceDeadlineError';
  }
}

/**
 * Sends with acks=all (-1); resolves only once the broker has acknowledged every
 * message. Past `deadlineMs` it rejects with ProduceDeadlineError while the
 * producer keeps trying in the background: the messages may still be written, so
 * a caller that sends them again must carry an idempotency key consumers dedupe on.
 */
export async function produce(
  producer: Producer,
  topic: string,
  messages: Message[],
  opts: { deadlineMs?: number; ackTimeoutMs?: number } = {},
): Promise<RecordMetadata[]> {
  const sending = producer.send({ topic, messages, acks: -1, timeout: opts.ackTimeoutMs ?? 30000 });
  const deadlineMs = opts.deadlineMs;
  if (deadlineMs === undefined) return sending;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      sending,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProduceDeadlineError(topic, deadlineMs)), deadlineMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    // A send that loses the race must not become an unhandled rejection later.
    sending.catch(() => undefined);
  }
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
