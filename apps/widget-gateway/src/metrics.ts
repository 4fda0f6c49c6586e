import { WIDGET_GATEWAY_METRICS as M, type Counter, type Histogram, type MetricsRegistry } from '@ci-connector/platform-observability';
import type { RecordingControlV1, WidgetEventV1 } from '@ci-connector/events';
import type Redis from 'ioredis';
import { SellerStreams, type SellerStreamsOptions } from './delivery/seller-streams';
import type { RecordingCommands } from './http/ports';
import type { GatewayKeys } from './redis/gateway-keys';

// widget-gateway's metrics (names and help in libs/platform/observability's
// catalogue). Delivery and its lag are counted where an event lands in the
// seller's stream; everything else is read at scrape time from the counters the
// services keep for readiness (correlation, delivery, consumers, SSE hub).

interface ConsumerTotals {
  readonly groupId: string;
  readonly deadLettered: number;
  readonly retries: number;
}

export class WidgetGatewayMetrics {
  private readonly delivered: Counter<'name'>;
  private readonly lag: Histogram<never>;
  private readonly commands: Counter<'action' | 'result'>;

  constructor(
    readonly registry: MetricsRegistry,
    private readonly now: () => number = Date.now,
  ) {
    this.delivered = registry.counter(M.delivered);
    this.lag = registry.histogram(M.deliveryLag);
    this.commands = registry.counter(M.recordingCommands);
    for (const name of ['WIDGET_CALL_STARTED', 'WIDGET_CALL_ENDED']) this.delivered.inc({ name }, 0);
  }

  /** An event appended to its seller's stream (not a duplicate): counted, and its lag from call-events' ingest (else from correlation). */
  deliveredEvent(e: Pick<WidgetEventV1, 'name' | 'receivedAt' | 'at'>): void {
    this.delivered.inc({ name: e.name });
    const since = Date.parse(e.receivedAt ?? e.at);
    if (Number.isFinite(since)) this.lag.record({}, (this.now() - since) / 1000);
  }

  /** The counters the services keep, read at scrape time. */
  observe(d: {
    correlation: { readonly stats: { produced: number; duplicates: number; correlated: number; staleSkipped: number; dialerEvents: ConsumerTotals; recordingEvents: ConsumerTotals } };
    delivery: { readonly stats: ConsumerTotals & { duplicates: number; staleSkipped: number } };
    hub: { readonly stats: { clients: number; replaced: number; slowDropped: number; expired: number } };
  }): void {
    const { registry } = this;
    registry.observe(M.produced, () => d.correlation.stats.produced);
    registry.observe(M.correlated, () => d.correlation.stats.correlated);
    // Dropped as delivered already: by correlation (WIDGET_DELIVERY=direct) and by the delivery consumer.
    registry.observe(M.duplicates, () => d.correlation.stats.duplicates + d.delivery.stats.duplicates);
    registry.observe(M.staleSkipped, () => [
      [{ stage: 'correlation' }, d.correlation.stats.staleSkipped],
      [{ stage: 'delivery' }, d.delivery.stats.staleSkipped],
    ]);
    const consumers = (): ConsumerTotals[] => {
      const c = d.correlation.stats;
      return [c.dialerEvents, c.recordingEvents, d.delivery.stats];
    };
    registry.observe(M.deadLetters, () => consumers().map((c) => [{ consumer: c.groupId }, c.deadLettered] as const));
    registry.observe(M.retries, () => consumers().map((c) => [{ consumer: c.groupId }, c.retries] as const));
    registry.observe(M.sseConnections, () => d.hub.stats.clients);
    registry.observe(M.sseClosed, () => {
      const s = d.hub.stats;
      return [
        [{ reason: 'replaced' }, s.replaced],
        [{ reason: 'slow' }, s.slowDropped],
        [{ reason: 'expired' }, s.expired],
      ] as const;
    });
  }

  /** The widget's recording commands, counted by action and whether Kafka took them. */
  meteredCommands(commands: RecordingCommands): RecordingCommands {
    return {
      send: async (command: RecordingControlV1) => {
        try {
          await commands.send(command);
          this.commands.inc({ action: command.action, result: 'ok' });
        } catch (err) {
          this.commands.inc({ action: command.action, result: 'error' });
          throw err;
        }
      },
    };
  }
}

/** The sellers' streams, counting each event delivered (appended, not a duplicate) with its lag. */
export class MeteredSellerStreams extends SellerStreams {
  constructor(
    private readonly metrics: WidgetGatewayMetrics,
    redis: Redis,
    keys: GatewayKeys,
    opts: SellerStreamsOptions,
  ) {
    super(redis, keys, opts);
  }

  override async append(e: WidgetEventV1): Promise<string | undefined> {
    const id = await super.append(e);
    if (id !== undefined) this.metrics.deliveredEvent(e);
    return id;
  }
}
