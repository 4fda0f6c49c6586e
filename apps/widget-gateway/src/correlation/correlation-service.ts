import type { Kafka } from 'kafkajs';
import { decodeDialerCallEvent, decodeRecordingEvent, encodeWidgetEvent, widgetKey, type WidgetEventV1 } from '@ci-connector/events';
import type { BatchingProducer } from '../kafka/batching-producer';
import type { DeadLetterSink, InboundMessage } from '../kafka/dead-letter';
import { KeyedConsumer, type ConsumerLogger, type ConsumerStats } from '../kafka/keyed-consumer';
import { PoisonMessageError } from '../kafka/processing-errors';
import type { Correlator } from './correlator';
import type { RedisRecordingIndex } from './recording-index';
import { tooOld } from './widget-event';

/**
 * Where correlation puts a widget event once it is built. Resolves once the
 * event is durably there (so the dialer event's offset may be committed):
 * `delivered` (on the seller's stream), `duplicate` (that event id was on it
 * already) or `produced` (on the widget-events topic, for the delivery consumer).
 */
export interface WidgetEventSink {
  put(event: WidgetEventV1, encoded: Buffer): Promise<'delivered' | 'duplicate' | 'produced'>;
}

/** WIDGET_DELIVERY=direct: straight onto the seller's Redis stream (idempotent by event id). */
export class StreamSink implements WidgetEventSink {
  constructor(private readonly streams: { append(e: WidgetEventV1): Promise<string | undefined> }) {}

  async put(event: WidgetEventV1): Promise<'delivered' | 'duplicate'> {
    return (await this.streams.append(event)) === undefined ? 'duplicate' : 'delivered';
  }
}

/** WIDGET_DELIVERY=topic: onto `ci.widget-events.v1` (key `<tenantId>/<sellerId>`), for the delivery consumer. */
export class TopicSink implements WidgetEventSink {
  constructor(
    private readonly producer: Pick<BatchingProducer, 'send'>,
    private readonly topic: string,
  ) {}

  async put(event: WidgetEventV1, encoded: Buffer): Promise<'produced'> {
    await this.producer.send(this.topic, { key: widgetKey(event.tenantId, event.sellerId), value: encoded, headers: { 'x-event-id': event.eventId } });
    return 'produced';
  }
}

export interface CorrelationServiceOptions {
  kafka: Kafka;
  /** The dialer events' group; the recordings are read in `<group>.recordings`. */
  groupId: string;
  topics: { callEvents: string; recordingEvents: string };
  correlator: Correlator;
  recordings: RedisRecordingIndex;
  /** Where the widget events go: the sellers' streams (StreamSink) or the widget-events topic (TopicSink). */
  sink: WidgetEventSink;
  deadLetters: DeadLetterSink;
  maxAttempts: number;
  backoffMaxMs: number;
  sessionTimeoutMs?: number;
  fetch?: { minBytes: number; maxWaitMs: number };
  /** Events older than this are skipped (0 = never): a replayed backlog must not raise long-gone calls. */
  maxAgeMs: number;
  /** Recording events older than this are useless (the index forgets them then too). */
  recordingTtlMs: number;
  logger: ConsumerLogger;
  now?: () => number;
}

/**
 * Correlation: `ci.call-events.v1` joined with `ci.recording.events.v1` into
 * widget events, put on the seller's stream straight away (WIDGET_DELIVERY=direct,
 * the default: one Kafka hop from the dialer's POST to the widget) or produced to
 * `ci.widget-events.v1` (key `<tenantId>/<sellerId>`) for the delivery consumer
 * (WIDGET_DELIVERY=topic). Either way a dialer event's offset is committed only
 * once its widget event is there, and the stream takes an event id once, so a
 * redelivered dialer event is not raised twice.
 *
 * Two members, not one: a kafkajs consumer fetches again only once every batch
 * of its last fetch is processed, so a call.started waiting for its lagging
 * `recording.started` in the same consumer would hold up the very fetch that
 * brings it. The recordings are read by their own group (`<group>.recordings`)
 * into Redis, where the dialer events' group (`<group>`) finds them.
 */
export class CorrelationService {
  readonly dialerConsumer: KeyedConsumer;
  readonly recordingConsumer: KeyedConsumer;
  private readonly now: () => number;
  private readonly counters = { produced: 0, delivered: 0, duplicates: 0, correlated: 0, waited: 0, staleSkipped: 0, recordingsNoted: 0, recordingsStale: 0 };

  constructor(private readonly opts: CorrelationServiceOptions) {
    this.now = opts.now ?? Date.now;
    const common = {
      kafka: opts.kafka,
      deadLetters: opts.deadLetters,
      maxAttempts: opts.maxAttempts,
      backoffMaxMs: opts.backoffMaxMs,
      logger: opts.logger,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: opts.sessionTimeoutMs } : {}),
    };
    this.recordingConsumer = new KeyedConsumer({ ...common, groupId: `${opts.groupId}.recordings`, topics: [opts.topics.recordingEvents], handle: (m) => this.onRecording(m) });
    this.dialerConsumer = new KeyedConsumer({ ...common, groupId: opts.groupId, topics: [opts.topics.callEvents], handle: (m) => this.onDialerEvent(m) });
  }

  async start(): Promise<void> {
    await this.opts.recordings.start();
    await this.recordingConsumer.start();
    await this.dialerConsumer.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.dialerConsumer.stop(), this.recordingConsumer.stop()]);
  }

  get stats(): { dialerEvents: ConsumerStats; recordingEvents: ConsumerStats; waiting: number } & typeof this.counters {
    return { ...this.counters, waiting: this.opts.recordings.waiting, dialerEvents: this.dialerConsumer.stats, recordingEvents: this.recordingConsumer.stats };
  }

  health(): { ok: boolean; error?: string; [detail: string]: unknown } {
    const d = this.dialerConsumer.health();
    const r = this.recordingConsumer.health();
    const { dialerEvents: _d, recordingEvents: _r, ...rest } = this.stats;
    const error = [d.error && `dialer events: ${d.error}`, r.error && `recording events: ${r.error}`].filter(Boolean).join('; ');
    return { ok: d.ok && r.ok, ...(error ? { error } : {}), ...(d.degraded || r.degraded ? { degraded: true } : {}), ...rest, dialerEvents: d, recordingEvents: r };
  }

  /** One `ci.recording.events.v1` message (public for the tests). */
  async onRecording(message: InboundMessage): Promise<void> {
    const event = decodeRecordingEvent(message.value);
    const key = message.key?.toString('utf8');
    if (key !== undefined && key !== event.callId) throw new PoisonMessageError(`the key ${JSON.stringify(key.slice(0, 256))} is not the event's callId ${JSON.stringify(event.callId)}`);
    if (tooOld(event.at, this.opts.recordingTtlMs, this.now())) {
      this.counters.recordingsStale++;
      return;
    }
    if (await this.opts.recordings.note(event)) this.counters.recordingsNoted++;
  }

  /** One `ci.call-events.v1` message (public for the tests). */
  async onDialerEvent(message: InboundMessage): Promise<void> {
    const dialer = decodeDialerCallEvent(message.value);
    const key = message.key?.toString('utf8');
    if (key !== undefined && key !== dialer.callId) throw new PoisonMessageError(`the key ${JSON.stringify(key.slice(0, 256))} is not the event's callId ${JSON.stringify(dialer.callId)}`);
    if (tooOld(dialer.receivedAt, this.opts.maxAgeMs, this.now())) {
      this.counters.staleSkipped++;
      this.opts.logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, eventId: dialer.eventId, receivedAt: dialer.receivedAt }, 'dialer event too old for the widget: skipped');
      return;
    }
    const { event, correlated, waited } = await this.opts.correlator.correlate(dialer);
    let value: Buffer;
    try {
      value = encodeWidgetEvent(event);
    } catch (err) {
      throw new PoisonMessageError(`cannot build the widget event: ${err instanceof Error ? err.message : String(err)}`);
    }
    const outcome = await this.opts.sink.put(event, value);
    if (outcome === 'produced') this.counters.produced++;
    else if (outcome === 'delivered') this.counters.delivered++;
    else this.counters.duplicates++;
    if (correlated) this.counters.correlated++;
    if (waited) this.counters.waited++;
    this.opts.logger.debug?.({ eventId: event.eventId, tenantId: event.tenantId, callId: event.payload.callId, dialerCallId: dialer.callId, name: event.name, correlated, waited, outcome }, `widget event ${outcome}`);
  }
}
