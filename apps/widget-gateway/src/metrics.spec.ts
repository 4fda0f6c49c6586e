import { MetricsRegistry } from '@ci-connector/platform-observability';
import { WidgetGatewayMetrics } from './metrics';

const registries: MetricsRegistry[] = [];
afterAll(() => Promise.all(registries.map((r) => r.shutdown())));

function make(now: () => number): WidgetGatewayMetrics {
  const r = new MetricsRegistry({ serviceName: 'widget-gateway', host: '127.0.0.1', port: 0, processMetrics: false });
  registries.push(r);
  return new WidgetGatewayMetrics(r, now);
}

const line = (text: string, series: string) => text.split('\n').find((l) => l.startsWith(`${series} `));
const NOW = Date.parse('2026-11-29T10:00:10Z');

describe('widget-gateway metrics', () => {
  it('counts deliveries by name and their lag from call-events\' ingest (from correlation when an older event has no receivedAt)', async () => {
    const m = make(() => NOW);
    m.deliveredEvent({ name: 'WIDGET_CALL_STARTED', receivedAt: '2026-11-29T10:00:09.980Z', at: '2026-11-29T10:00:09.990Z' }); // 20 ms
    m.deliveredEvent({ name: 'WIDGET_CALL_ENDED', receivedAt: '2026-11-29T10:00:08Z', at: '2026-11-29T10:00:09Z' }); // 2 s
    m.deliveredEvent({ name: 'WIDGET_CALL_ENDED', at: '2026-11-29T10:00:09.700Z' }); // 300 ms from `at`
    const text = await m.registry.text();
    expect(line(text, 'cic_widget_events_delivered_total{name="WIDGET_CALL_STARTED"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_widget_events_delivered_total{name="WIDGET_CALL_ENDED"}')).toMatch(/ 2$/);
    expect(line(text, 'cic_widget_delivery_lag_seconds_bucket{le="0.025"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_widget_delivery_lag_seconds_bucket{le="0.5"}')).toMatch(/ 2$/);
    expect(line(text, 'cic_widget_delivery_lag_seconds_bucket{le="2.5"}')).toMatch(/ 3$/);
    expect(line(text, 'cic_widget_delivery_lag_seconds_count')).toMatch(/ 3$/);
  });

  it('reads correlation, delivery, dead letters and SSE from the services\' counters at scrape time', async () => {
    const m = make(() => NOW);
    const consumer = (groupId: string, deadLettered: number, retries: number) => ({ groupId, deadLettered, retries });
    const hub = { stats: { clients: 3, replaced: 1, slowDropped: 2, expired: 0 } };
    m.observe({
      correlation: { stats: { produced: 10, duplicates: 0, correlated: 7, staleSkipped: 1, dialerEvents: consumer('wg.correlation', 2, 5), recordingEvents: consumer('wg.correlation.recordings', 0, 0) } },
      delivery: { stats: { ...consumer('wg.delivery', 1, 0), duplicates: 4, staleSkipped: 0 } },
      hub,
    });
    let text = await m.registry.text();
    expect(line(text, 'cic_widget_events_produced_total')).toBe('cic_widget_events_produced_total 10');
    expect(line(text, 'cic_widget_events_correlated_total')).toBe('cic_widget_events_correlated_total 7');
    expect(line(text, 'cic_widget_events_duplicates_total')).toBe('cic_widget_events_duplicates_total 4');
    expect(line(text, 'cic_widget_events_stale_skipped_total{stage="correlation"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_widget_dead_letters_total{consumer="wg.correlation"}')).toMatch(/ 2$/);
    expect(line(text, 'cic_widget_dead_letters_total{consumer="wg.delivery"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_widget_processing_retries_total{consumer="wg.correlation"}')).toMatch(/ 5$/);
    expect(line(text, 'cic_widget_sse_connections')).toBe('cic_widget_sse_connections 3');
    expect(line(text, 'cic_widget_sse_closed_total{reason="slow"}')).toMatch(/ 2$/);
    hub.stats.clients = 0;
    text = await m.registry.text();
    expect(line(text, 'cic_widget_sse_connections')).toBe('cic_widget_sse_connections 0');
  });

  it('counts widget recording commands by action and whether Kafka took them', async () => {
    const m = make(() => NOW);
    let fail = false;
    const commands = m.meteredCommands({
      send: async () => {
        if (fail) throw new Error('not connected to Kafka yet');
      },
    });
    const command = { type: 'recording.control' as const, action: 'pause' as const, callId: 'c1', at: new Date(NOW).toISOString() };
    await commands.send(command);
    fail = true;
    await expect(commands.send(command)).rejects.toThrow('not connected to Kafka yet');
    const text = await m.registry.text();
    expect(line(text, 'cic_widget_recording_commands_total{action="pause",result="ok"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_widget_recording_commands_total{action="pause",result="error"}')).toMatch(/ 1$/);
  });
});
