import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { DeadLetterSink, InboundMessage } from './dead-letter';
import { errorText, isPoison, isTransient } from './processing-errors';

export interface ConsumerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

export interface KeyedConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  /** Processes one message; throws PoisonMessageError (or EventDecodeError) for a message that can never succeed. */
  handle: (message: InboundMessage) => Promise<void>;
  deadLetters: DeadLetterSink;
  /** Attempts at a message failing for a reason of its own before it becomes a dead letter. */
  maxAttempts: number;
  /** Longest pause between two attempts. */
  backoffMaxMs: number;
  logger: ConsumerLogger;
  /** A new group starts at the oldest message (default true; the handlers skip what is too old). */
  fromBeginning?: boolean;
  partitionsConsumedConcurrently?: number;
  /** How long the group waits for a member that stopped answering before its partitions move (default 30 s). */
  sessionTimeoutMs?: number;
  /**
   * The fetch the broker answers: at once when `minBytes` are there, else after
   * `maxWaitMs` (defaults 1 byte, 500 ms: every fetch returns as soon as anything
   * arrived). A larger minBytes with a short maxWait makes fewer, fuller fetches.
   */
  fetch?: { minBytes: number; maxWaitMs: number };
  sleep?: (ms: number) => Promise<void>;
}

export interface ConsumerStats {
  groupId: string;
  started: boolean;
  joined: boolean;
  processed: number;
  deadLettered: number;
  retries: number;
  /** Messages waiting on Redis or Kafka to come back (retried without limit). */
  waitingOnOutage: number;
  /** Restarts after crashes kafkajs would not restart from. */
  restarts: number;
  crashed?: string;
  lastError?: string;
}

const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Exponential back-off with jitter: 100 ms, 200 ms, … up to `maxMs`. */
export function retryDelay(attempt: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, 100 * 2 ** Math.min(attempt - 1, 16));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

function inbound(topic: string, partition: number, m: KafkaMessage): InboundMessage {
  return { topic, partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null, ...(m.headers ? { headers: m.headers } : {}) };
}

/**
 * A consumer group member that processes a batch **concurrently across keys and
 * in order within a key** (a key is a call or a seller: their events must stay
 * in order, while one call waiting for its recording must not hold up others).
 *
 * Offsets are resolved only up to the first message not yet processed (and
 * committed every 500 ms, at a rebalance and at stop), so a message is
 * committed only once its effect (a produce acknowledged, a stream written) is
 * done; a crash redelivers, and delivery dedupes by event id.
 *
 * A failing message: poison (undecodable) → dead letter at once; an outage of
 * Redis or Kafka → retried with back-off for as long as it lasts (the partition
 * waits; nothing is lost); any other error → retried up to `maxAttempts`, then a
 * dead letter. The handler never sees the same message twice concurrently.
 */
export class KeyedConsumer {
  readonly groupId: string;
  private consumer: Consumer;
  private readonly sleep: (ms: number) => Promise<void>;
  private started = false;
  private everStarted = false;
  private stopping = false;
  private joined = false;
  private crashed: string | undefined;
  private lastError: string | undefined;
  private readonly counters = { processed: 0, deadLettered: 0, retries: 0, waitingOnOutage: 0, restarts: 0 };

  constructor(private readonly opts: KeyedConsumerOptions) {
    this.groupId = opts.groupId;
    this.sleep = opts.sleep ?? sleepFor;
    this.consumer = this.create();
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.stopping = false;
    await this.consumer.connect();
    for (const topic of this.opts.topics) await this.consumer.subscribe({ topic, fromBeginning: this.opts.fromBeginning ?? true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      // Resolved offsets (only those processed) are committed at most this often: a commit per batch would add a round trip to every event's way.
      autoCommitInterval: 500,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 4,
      eachBatch: (payload) => this.processBatch(payload),
    });
    this.started = true;
    this.everStarted = true;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    await this.consumer.disconnect().catch((err: unknown) => this.opts.logger.warn({ groupId: this.groupId, err: errorText(err) }, 'consumer disconnect failed'));
    this.joined = false;
  }

  private create(): Consumer {
    const { opts } = this;
    const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
    const consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: opts.fetch?.maxWaitMs ?? 500,
      minBytes: opts.fetch?.minBytes ?? 1,
      sessionTimeout,
      heartbeatInterval: Math.min(3000, Math.floor(sessionTimeout / 3)),
      retry: { retries: 10 },
    });
    const { events } = consumer;
    consumer.on(events.GROUP_JOIN, (e) => {
      this.joined = true;
      this.crashed = undefined;
      opts.logger.info({ groupId: opts.groupId, topics: opts.topics, assigned: e.payload.memberAssignment }, 'joined the consumer group');
    });
    consumer.on(events.CRASH, (e) => {
      this.joined = false;
      this.crashed = errorText(e.payload.error);
      opts.logger.error({ groupId: opts.groupId, err: this.crashed, restart: e.payload.restart }, 'consumer crashed');
      // kafkajs restarts by itself after retriable errors only; after any other, so do we (later, with back-off).
      if (!e.payload.restart && !this.stopping) void this.restart();
    });
    consumer.on(events.STOP, () => {
      this.joined = false;
    });
    return consumer;
  }

  private async restart(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      await this.sleep(retryDelay(attempt, 30_000));
      if (this.stopping) return;
      try {
        await this.consumer.disconnect().catch(() => undefined);
        this.started = false;
        this.consumer = this.create();
        await this.start();
        this.counters.restarts++;
        this.opts.logger.info({ groupId: this.groupId, attempt }, 'consumer restarted after a crash');
        return;
      } catch (err) {
        this.opts.logger.warn({ groupId: this.groupId, attempt, err: errorText(err) }, 'consumer restart failed; retrying');
      }
    }
  }

  get stats(): ConsumerStats {
    return {
      groupId: this.groupId,
      started: this.started,
      joined: this.joined,
      ...this.counters,
      ...(this.crashed ? { crashed: this.crashed } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /**
   * For readiness: not ok until it started once; after that ok, with
   * `degraded: true` while it is out of its group (a crash, a rebalance, Kafka
   * away): the event streams keep serving what Redis holds, and it restarts.
   */
  health(): { ok: boolean; error?: string; degraded?: true } & ConsumerStats {
    const s = this.stats;
    if (!this.everStarted) return { ok: false, error: 'not started', ...s };
    return { ok: true, ...(s.crashed !== undefined || !s.joined ? { degraded: true as const } : {}), ...s };
  }

  /** One batch (public for the unit tests: they pass a payload of their own). */
  async processBatch(payload: Pick<EachBatchPayload, 'batch' | 'resolveOffset' | 'heartbeat' | 'isRunning' | 'isStale' | 'commitOffsetsIfNecessary'>): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const messages = batch.messages;
    const live = () => isRunning() && !isStale();
    const done = new Array<boolean>(messages.length).fill(false);
    let next = 0;
    const complete = (i: number) => {
      done[i] = true;
      for (let m = messages[next]; m !== undefined && done[next]; m = messages[next]) {
        resolveOffset(m.offset);
        next++;
      }
    };
    const chains = new Map<string, number[]>();
    messages.forEach((m, i) => {
      const k = m.key === null || m.key === undefined ? '\u0000' : m.key.toString('latin1');
      const chain = chains.get(k);
      if (chain) chain.push(i);
      else chains.set(k, [i]);
    });
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 1000);
    try {
      await Promise.all(
        [...chains.values()].map(async (indexes) => {
          for (const i of indexes) {
            const m = messages[i];
            if (!m || !live()) return;
            if (!(await this.processOne(inbound(batch.topic, batch.partition, m), live))) return;
            complete(i);
          }
        }),
      );
    } finally {
      clearInterval(beat);
    }
    if (live()) await payload.commitOffsetsIfNecessary();
  }

  /** True once the message is done with (processed or dead-lettered); false when abandoned because the consumer stops. */
  private async processOne(message: InboundMessage, live: () => boolean): Promise<boolean> {
    const where = { groupId: this.groupId, topic: message.topic, partition: message.partition, offset: message.offset, key: message.key?.toString('utf8').slice(0, 256) };
    let attempts = 0;
    let outages = 0;
    try {
      for (;;) {
        try {
          await this.opts.handle(message);
          this.counters.processed++;
          return true;
        } catch (err) {
          const text = errorText(err);
          this.lastError = text;
          if (isPoison(err)) return await this.deadLetter(message, text, attempts + 1, live);
          if (isTransient(err)) {
            // An outage is not the message's fault: wait it out without using up its attempts.
            outages++;
            if (outages === 1) this.counters.waitingOnOutage++;
            if (outages === 1 || outages % 10 === 0) this.opts.logger.warn({ ...where, err: text, outages }, 'Redis or Kafka unavailable: retrying the message');
            await this.sleep(retryDelay(outages, this.opts.backoffMaxMs));
            if (!live()) return false;
            continue;
          }
          attempts++;
          if (attempts >= this.opts.maxAttempts) return await this.deadLetter(message, text, attempts, live);
          this.counters.retries++;
          this.opts.logger.warn({ ...where, err: text, attempt: attempts, maxAttempts: this.opts.maxAttempts }, 'message failed: retrying');
          await this.sleep(retryDelay(attempts, this.opts.backoffMaxMs));
          if (!live()) return false;
        }
      }
    } finally {
      if (outages > 0) this.counters.waitingOnOutage--;
    }
  }

  private async deadLetter(message: InboundMessage, error: string, attempts: number, live: () => boolean): Promise<boolean> {
    const where = { groupId: this.groupId, topic: message.topic, partition: message.partition, offset: message.offset, key: message.key?.toString('utf8').slice(0, 256) };
    for (let tries = 1; ; tries++) {
      try {
        await this.opts.deadLetters.send({ message, error, consumer: this.groupId, attempts });
        this.counters.deadLettered++;
        this.opts.logger.warn({ ...where, err: error, attempts }, 'message sent to the dead-letter topic');
        return true;
      } catch (err) {
        const text = errorText(err);
        if (!isTransient(err) && tries >= this.opts.maxAttempts) {
          // The letter itself cannot be written (too large for the broker…): log it whole and go on, never stop the partition.
          this.opts.logger.error({ ...where, err: error, deadLetterError: text, value: message.value?.toString('base64').slice(0, 4096) }, 'could not write the dead letter: message dropped');
          return true;
        }
        this.opts.logger.warn({ ...where, err: text, tries }, 'dead-letter topic unavailable: retrying');
        await this.sleep(retryDelay(tries, this.opts.backoffMaxMs));
        if (!live()) return false;
      }
    }
  }
}
