import type { Kafka } from 'kafkajs';
import { decodeWidgetEvent, widgetKey } from '@ci-connector/events';
import type { DeadLetterSink, InboundMessage } from '../kafka/dead-letter';
import { KeyedConsumer, type ConsumerLogger, type ConsumerStats } from '../kafka/keyed-consumer';
import { PoisonMessageError } from '../kafka/processing-errors';
import { tooOld } from '../correlation/widget-event';
import type { SellerStreams } from './seller-streams';

export interface DeliveryServiceOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  streams: SellerStreams;
  deadLetters: DeadLetterSink;
  maxAttempts: number;
  backoffMaxMs: number;
  sessionTimeoutMs?: number;
  fetch?: { minBytes: number; maxWaitMs: number };
  maxAgeMs: number;
  logger: ConsumerLogger;
  now?: () => number;
}

/**
 * Delivery: `ci.widget-events.v1` → the seller's Redis stream, each event id
 * once (the Kafka offset is committed only after the stream write, and a
 * redelivered message finds its event id marked and is dropped).
 */
export class DeliveryService {
  readonly consumer: KeyedConsumer;
  private readonly now: () => number;
  private readonly counters = { delivered: 0, duplicates: 0, staleSkipped: 0 };

  constructor(private readonly opts: DeliveryServiceOptions) {
    this.now = opts.now ?? Date.now;
    this.consumer = new KeyedConsumer({
      kafka: opts.kafka,
      groupId: opts.groupId,
      topics: [opts.topic],
      deadLetters: opts.deadLetters,
      maxAttempts: opts.maxAttempts,
      backoffMaxMs: opts.backoffMaxMs,
      logger: opts.logger,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: opts.sessionTimeoutMs } : {}),
      handle: (m) => this.onWidgetEvent(m),
    });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  get stats(): ConsumerStats & typeof this.counters {
    return { ...this.consumer.stats, ...this.counters };
  }

  health(): { ok: boolean; error?: string; [detail: string]: unknown } {
    return { ...this.consumer.health(), ...this.counters };
  }

  /** One `ci.widget-events.v1` message (public for the tests). */
  async onWidgetEvent(message: InboundMessage): Promise<void> {
    const event = decodeWidgetEvent(message.value);
    const key = message.key?.toString('utf8');
    const want = widgetKey(event.tenantId, event.sellerId);
    if (key !== undefined && key !== want) throw new PoisonMessageError(`the key ${JSON.stringify(key.slice(0, 256))} is not the event's <tenantId>/<sellerId> ${JSON.stringify(want)}`);
    if (tooOld(event.at, this.opts.maxAgeMs, this.now())) {
      this.counters.staleSkipped++;
      this.opts.logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, eventId: event.eventId, at: event.at }, 'widget event too old: skipped');
      return;
    }
    const id = await this.opts.streams.append(event);
    if (id === undefined) {
      this.counters.duplicates++;
      this.opts.logger.debug?.({ eventId: event.eventId, tenantId: event.tenantId }, 'widget event delivered already: dropped');
      return;
    }
    this.counters.delivered++;
    this.opts.logger.debug?.({ eventId: event.eventId, tenantId: event.tenantId, callId: event.payload.callId, streamId: id }, 'widget event delivered');
  }
}
