import type { Producer, TopicMessages } from 'kafkajs';
import { ApiError } from './errors';

/** One message for Kafka. */
export interface OutgoingMessage {
  topic: string;
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
}

/** Resolves once the broker acknowledged the message (acks=all); rejects with ApiError('unavailable') otherwise. */
export interface EventSink {
  send(message: OutgoingMessage): Promise<void>;
}

export interface BatchingSenderOptions {
  /** How long a request waits for the acknowledgement before it is answered 503. */
  deadlineMs: number;
  /** Messages waiting (queued or in flight) beyond which new ones are refused at once (503). */
  maxPending: number;
  /** Messages per produce request. */
  maxBatch: number;
  /**
   * How long the first message after an idle spell waits for others before its
   * request goes (Kafka's linger.ms, 5 ms by default since Kafka 4.0): without
   * it, at a steady 1,000 events/s almost every event was a produce request of
   * its own, and the broker's CPU went on requests, not messages. 0 = none.
   */
  lingerMs?: number;
  /** The broker's own ack timeout of one produce request. */
  ackTimeoutMs?: number;
  /** Retry-After (seconds) of the 503s. */
  retryAfterSeconds: number;
}

interface Entry {
  message: OutgoingMessage;
  settled: boolean;
  timer: NodeJS.Timeout;
  resolve: () => void;
  reject: (err: ApiError) => void;
}

/**
 * Sends through the idempotent producer, one produce request at a time, with
 * everything that queued up meanwhile in the next request: no waiting when idle,
 * and under load one round trip carries hundreds of events (the producer allows
 * one request in flight so retries keep a call's order).
 *
 * Never a success for a message not acknowledged: each caller's promise resolves
 * only when the request holding its message was acknowledged by all in-sync
 * replicas. Past the deadline the caller gets 503 while a request already sent
 * may still be written — the event id (from the idempotency key) lets consumers
 * drop the copy a retry adds. A message still queued at its deadline is dropped.
 */
export class BatchingSender implements EventSink {
  private queue: Entry[] = [];
  /** Accepted and not settled yet (queued or in flight). */
  private readonly live = new Set<Entry>();
  private sending: Promise<void> | undefined;
  private lingering: NodeJS.Timeout | undefined;
  private closed = false;
  private idle: (() => void) | undefined;

  constructor(
    private readonly producer: Pick<Producer, 'sendBatch'>,
    private readonly opts: BatchingSenderOptions,
    /** False until the producer is connected (and the topics exist): then sends fail fast with 503. */
    private readonly isReady: () => boolean,
    private readonly onError: (err: Error, messages: number) => void = () => undefined,
  ) {}

  /** Messages accepted and not answered yet. */
  get pending(): number {
    return this.live.size;
  }

  send(message: OutgoingMessage): Promise<void> {
    if (this.closed) return Promise.reject(this.unavailable('the service is shutting down'));
    if (!this.isReady()) return Promise.reject(this.unavailable('Kafka is not reachable'));
    if (this.live.size >= this.opts.maxPending) return Promise.reject(this.unavailable(`${this.live.size} messages are waiting for Kafka already`));
    return new Promise<void>((resolve, reject) => {
      const entry: Entry = {
        message,
        settled: false,
        resolve,
        reject,
        // A queued entry past its deadline stays in the queue, settled: pump() skips it.
        timer: setTimeout(() => this.settle(entry, this.unavailable(`Kafka did not acknowledge within ${this.opts.deadlineMs} ms`)), this.opts.deadlineMs),
      };
      this.live.add(entry);
      this.queue.push(entry);
      this.pump();
    });
  }

  /** Refuses new messages and waits until every accepted one is answered (acknowledged, failed or past its deadline). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.live.size === 0) return;
    await new Promise<void>((resolve) => (this.idle = resolve));
  }

  private settle(e: Entry, err?: ApiError): void {
    if (e.settled) return;
    e.settled = true;
    clearTimeout(e.timer);
    this.live.delete(e);
    if (err) e.reject(err);
    else e.resolve();
    if (this.live.size === 0 && this.idle) {
      this.idle();
      this.idle = undefined;
    }
  }

  private pump(fromLinger = false): void {
    if (this.sending) return;
    if (this.lingering && !fromLinger) {
      if (this.queue.length < this.opts.maxBatch) return;
      clearTimeout(this.lingering); // a full batch does not wait
    }
    this.lingering = undefined;
    const linger = this.opts.lingerMs ?? 0;
    // After an idle spell, the first message waits a little for company (a full batch goes at once).
    if (!fromLinger && linger > 0 && this.queue.length > 0 && this.queue.length < this.opts.maxBatch && !this.closed) {
      this.lingering = setTimeout(() => this.pump(true), linger);
      return;
    }
    const batch: Entry[] = [];
    while (batch.length < this.opts.maxBatch && this.queue.length > 0) {
      for (const e of this.queue.splice(0, this.opts.maxBatch - batch.length)) if (!e.settled) batch.push(e);
    }
    if (batch.length === 0) return;
    const byTopic = new Map<string, TopicMessages>();
    for (const { message: m } of batch) {
      let t = byTopic.get(m.topic);
      if (!t) byTopic.set(m.topic, (t = { topic: m.topic, messages: [] }));
      t.messages.push({ key: m.key, value: m.value, ...(m.headers ? { headers: m.headers } : {}) });
    }
    this.sending = (async () => {
      try {
        // acks -1: every in-sync replica has the messages before the broker answers.
        await this.producer.sendBatch({ topicMessages: [...byTopic.values()], acks: -1, timeout: this.opts.ackTimeoutMs ?? 30_000 });
        for (const e of batch) this.settle(e);
      } catch (err) {
        this.onError(err as Error, batch.length);
        for (const e of batch) this.settle(e, this.unavailable(`Kafka refused the message (${(err as Error).message})`));
      } finally {
        this.sending = undefined;
        // What queued meanwhile has waited long enough: it goes at once.
        this.pump(true);
      }
    })();
  }

  private unavailable(why: string): ApiError {
    return new ApiError('unavailable', `${why}: not accepted; retry later (an event with the same idempotency key)`, [], this.opts.retryAfterSeconds);
  }
}
