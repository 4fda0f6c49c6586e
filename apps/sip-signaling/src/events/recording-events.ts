import type { Message, Producer } from 'kafkajs';
import { encodeRecordingEvent, TOPICS, type RecordingEventV1 } from '@ci-connector/events';
import { produce } from '@ci-connector/platform-kafka';

/** What the recording session calls: never throws, never waits. */
export interface RecordingEventPublisher {
  publish(event: RecordingEventV1): void;
}

export interface EventsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The slice of a kafkajs Producer used here (createIdempotentProducer of @ci-connector/platform-kafka). */
export type EventsProducer = Pick<Producer, 'connect' | 'disconnect' | 'send'>;

export interface KafkaRecordingEventPublisherOptions {
  producer: EventsProducer;
  logger: EventsLogger;
  topic?: string;
  /** Events held while Kafka is slow or away; beyond, new events are dropped and counted (default 10 000). */
  maxQueue?: number;
  /** Messages per send (default 500). */
  batchSize?: number;
  /** Wait between connection attempts while Kafka is unreachable (default 2 s). */
  reconnectDelayMs?: number;
  /** A send unacknowledged this long is logged as stalled (it keeps going; default 10 s). */
  stallWarnMs?: number;
  /** Least time between two "dropped" log lines (each says how many since the last; default 10 s). */
  dropLogEveryMs?: number;
}

export interface RecordingEventPublisherStats {
  connected: boolean;
  queued: number;
  inFlight: number;
  published: number;
  dropped: { overflow: number; invalid: number; rejected: number; closed: number; shutdown: number };
  lastError?: string;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Publishes recording events to `ci.recording.events.v1` (key = call id) with
 * the idempotent producer, off the call's path:
 *
 * - `publish()` validates and encodes the event and queues it: O(1), never
 *   throws, never waits. An invalid event is dropped and counted (`invalid`).
 * - One send at a time, up to `batchSize` events. The idempotent producer
 *   retries a send for as long as Kafka is away (kafkajs needs unbounded
 *   retries for idempotence), so a send is never abandoned and sent again (that
 *   could write an event twice); the queue waits behind it instead and is
 *   bounded: past `maxQueue`, new events are dropped and counted (`overflow`),
 *   with a log line at most every `dropLogEveryMs`. A send Kafka refuses for
 *   good (topic missing, message too large…) drops its batch (`rejected`).
 * - Until the producer connects (Kafka down at start), connection is retried
 *   every `reconnectDelayMs` in the background; events queue meanwhile.
 * - `close(deadlineMs)` flushes what is queued until the deadline, counts the
 *   rest (`shutdown`), and disconnects the producer. Events published after
 *   close are dropped (`closed`).
 */
export class KafkaRecordingEventPublisher implements RecordingEventPublisher {
  private readonly topic: string;
  private readonly maxQueue: number;
  private readonly batchSize: number;
  private readonly reconnectDelayMs: number;
  private readonly stallWarnMs: number;
  private readonly dropLogEveryMs: number;
  private readonly queue: Message[] = [];
  private head = 0;
  private sending: Promise<void> | undefined;
  private inFlight = 0;
  private connected = false;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private published = 0;
  private readonly dropped = { overflow: 0, invalid: 0, rejected: 0, closed: 0, shutdown: 0 };
  private dropsSinceLog = 0;
  private lastDropLogAt = -Infinity;
  private lastError: string | undefined;

  constructor(private readonly opts: KafkaRecordingEventPublisherOptions) {
    this.topic = opts.topic ?? TOPICS.recordingEvents;
    this.maxQueue = opts.maxQueue ?? 10_000;
    this.batchSize = opts.batchSize ?? 500;
    this.reconnectDelayMs = opts.reconnectDelayMs ?? 2000;
    this.stallWarnMs = opts.stallWarnMs ?? 10_000;
    this.dropLogEveryMs = opts.dropLogEveryMs ?? 10_000;
    for (const [name, v] of [
      ['maxQueue', this.maxQueue],
      ['batchSize', this.batchSize],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`KafkaRecordingEventPublisher ${name} must be an integer ≥ 1, got ${v}`);
    }
  }

  /** Connects in the background (retrying); resolves at once. */
  start(): void {
    this.connect();
  }

  publish(event: RecordingEventV1): void {
    try {
      if (this.closed) {
        this.drop('closed', 1, event);
        return;
      }
      let value: Buffer;
      try {
        value = encodeRecordingEvent(event);
      } catch (err) {
        this.dropped.invalid++;
        this.opts.logger.error({ callId: safeCallId(event), err: errorText(err) }, 'invalid recording event: dropped');
        return;
      }
      if (this.queue.length - this.head >= this.maxQueue) {
        this.drop('overflow', 1, event);
        return;
      }
      this.queue.push({ key: event.callId, value });
      this.pump();
    } catch (err) {
      // Never let a publish reach the call.
      this.lastError = errorText(err);
    }
  }

  get stats(): RecordingEventPublisherStats {
    return {
      connected: this.connected,
      queued: this.queue.length - this.head,
      inFlight: this.inFlight,
      published: this.published,
      dropped: { ...this.dropped },
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  /** For readiness: Kafka being away never makes the service unready (events are best effort); `degraded` says so. */
  health(): { ok: true; degraded?: true } & RecordingEventPublisherStats {
    const s = this.stats;
    return { ok: true, ...(!s.connected ? { degraded: true as const } : {}), ...s };
  }

  /** Flushes until `deadlineMs` has passed, drops (and counts) the rest, disconnects the producer. */
  async close(deadlineMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const deadline = new Promise<'deadline'>((resolve) => setTimeout(() => resolve('deadline'), deadlineMs).unref());
    const flushed = (async () => {
      for (;;) {
        if (this.connecting) {
          await this.connecting; // a connection in progress may still carry the queue
          continue;
        }
        if (!this.connected || (!this.sending && this.queue.length - this.head === 0)) break;
        this.pump();
        await this.sending;
      }
      return 'flushed' as const;
    })();
    const outcome = await Promise.race([flushed, deadline]);
    const left = this.queue.length - this.head + this.inFlight;
    if (left > 0) {
      this.dropped.shutdown += left;
      this.opts.logger.warn({ topic: this.topic, dropped: left, connected: this.connected, outcome }, 'recording events not acknowledged by Kafka at shutdown: dropped');
    }
    this.queue.length = 0;
    this.head = 0;
    await Promise.race([this.opts.producer.disconnect().catch((err: unknown) => this.opts.logger.warn({ err: errorText(err) }, 'kafka producer disconnect failed')), new Promise((r) => setTimeout(r, 2000).unref())]);
    this.connected = false;
  }

  private connect(): void {
    if (this.closed || this.connected || this.connecting) return;
    this.connecting = this.opts.producer
      .connect()
      .then(() => {
        this.connected = true;
        this.opts.logger.info({ topic: this.topic }, 'recording events: kafka producer connected');
        this.pump();
      })
      .catch((err: unknown) => {
        this.lastError = errorText(err);
        this.opts.logger.warn({ err: this.lastError, retryInMs: this.reconnectDelayMs, queued: this.queue.length - this.head }, 'recording events: kafka not reachable, retrying');
        if (!this.closed) {
          this.reconnectTimer = setTimeout(() => this.connect(), this.reconnectDelayMs);
          this.reconnectTimer.unref();
        }
      })
      .finally(() => {
        this.connecting = undefined;
      });
  }

  private pump(): void {
    if (this.sending || !this.connected) return;
    const n = Math.min(this.batchSize, this.queue.length - this.head);
    if (n === 0) return;
    const batch = this.queue.slice(this.head, this.head + n);
    this.head += n;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.inFlight = n;
    const stall = setTimeout(() => this.opts.logger.warn({ topic: this.topic, events: n, waitedMs: this.stallWarnMs, queued: this.queue.length - this.head }, 'recording events: kafka has not acknowledged a send yet (still trying)'), this.stallWarnMs);
    stall.unref();
    this.sending = produce(this.opts.producer as Producer, this.topic, batch)
      .then(() => {
        this.published += n;
      })
      .catch((err: unknown) => {
        this.lastError = errorText(err);
        if (this.closed && !this.connected) return; // counted under `shutdown` already
        this.dropped.rejected += n;
        this.opts.logger.error({ topic: this.topic, events: n, err: this.lastError }, 'recording events refused by kafka: dropped');
      })
      .finally(() => {
        clearTimeout(stall);
        this.inFlight = 0;
        this.sending = undefined;
        this.pump();
      });
  }

  private drop(kind: 'overflow' | 'closed', n: number, event: RecordingEventV1): void {
    this.dropped[kind] += n;
    this.dropsSinceLog += n;
    const now = Date.now();
    if (now - this.lastDropLogAt >= this.dropLogEveryMs) {
      this.opts.logger.warn(
        { topic: this.topic, reason: kind, dropped: this.dropsSinceLog, droppedTotal: this.dropped.overflow + this.dropped.closed, queued: this.queue.length - this.head, connected: this.connected, callId: safeCallId(event), type: safeType(event) },
        kind === 'overflow' ? 'recording events queue full (kafka slow or away): events dropped' : 'recording event after shutdown: dropped',
      );
      this.lastDropLogAt = now;
      this.dropsSinceLog = 0;
    }
  }
}

function safeCallId(e: unknown): unknown {
  return typeof e === 'object' && e !== null ? (e as { callId?: unknown }).callId : undefined;
}
function safeType(e: unknown): unknown {
  return typeof e === 'object' && e !== null ? (e as { type?: unknown }).type : undefined;
}

/** A publisher that only logs (no Kafka configured). */
export class LoggingRecordingEventPublisher implements RecordingEventPublisher {
  constructor(private readonly logger: Pick<EventsLogger, 'info'>) {}
  publish(event: RecordingEventV1): void {
    try {
      this.logger.info({ ...event }, event.type);
    } catch {
      // never reaches the call
    }
  }
}
