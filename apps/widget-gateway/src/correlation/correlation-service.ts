import type { Kafka } from 'kafkajs';
import { decodeDialerCallEvent, decodeRecordingEvent, encodeWidgetEvent, widgetKey } from '@ci-connector/events';
import type { BatchingProducer } from '../kafka/batching-producer';
import type { DeadLetterSink, InboundMessage } from '../kafka/dead-letter';
import { KeyedConsumer, type ConsumerLogger, type ConsumerStats } from '../kafka/keyed-consumer';
import { PoisonMessageError } from '../kafka/processing-errors';
import type { Correlator } from './correlator';
import type { RedisRecordingIndex } from './recording-index';
import { tooOld } from './widget-event';

export interface CorrelationServiceOptions {
  kafka: Kafka;
  /** The dialer events' group; the recordings are read in `<group>.recordings`. */
  groupId: string;
  topics: { callEvents: string; recordingEvents: string; widgetEvents: string };
  correlator: Correlator;
  recordings: RedisRecordingIndex;
  producer: BatchingProducer;
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
 * `ci.widget-events.v1` (key `<tenantId>/<sellerId>`).
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
  private readonly counters = { produced: 0, correlated: 0, waited: 0, staleSkipped: 0, recordingsNoted: 0, recordingsStale: 0 };

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
    await this.opts.producer.send(this.opts.topics.widgetEvents, { key: widgetKey(event.tenantId, event.sellerId), value, headers: { 'x-event-id': event.eventId } });
    this.counters.produced++;
    if (correlated) this.counters.correlated++;
    if (waited) this.counters.waited++;
    this.opts.logger.debug?.({ eventId: event.eventId, tenantId: event.tenantId, callId: event.payload.callId, dialerCallId: dialer.callId, name: event.name, correlated, waited }, 'widget event produced');
  }
}
