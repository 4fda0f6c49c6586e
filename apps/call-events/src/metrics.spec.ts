import { MetricsRegistry } from '@ci-connector/platform-observability';
import type { Principal } from './core/auth';
import { BatchingSender } from './core/event-sender';
import { CallEventsMetrics, MeteredCallEventsService, MeteredPartnerAuthenticator } from './metrics';
import { FakeApiKeyStore, FakeProducer, FakeTenantDirectory } from './testing/fakes';

const TENANT = '6f1c0a52-0b7e-4c1e-9a59-1b1f5e0d2c3a';
const partner: Principal = { partnerId: 'acme', name: 'acme', tenants: '*', via: 'api-key' };
const started = (key: string) => ({
  callId: 'CA1',
  idempotencyKey: key,
  idempotencyKeyField: 'Idempotency-Key',
  body: { tenantId: TENANT, sellerId: 's1', startTime: '2026-11-29T10:00:00Z', isIncomingCall: true, contactNumber: '+44', contactName: 'A' },
});

const registries: MetricsRegistry[] = [];
afterAll(() => Promise.all(registries.map((r) => r.shutdown())));

function setup() {
  const registry = new MetricsRegistry({ serviceName: 'call-events', host: '127.0.0.1', port: 0, processMetrics: false });
  registries.push(registry);
  let t = 0;
  const metrics = new CallEventsMetrics(registry, () => (t += 4)); // every message "takes" 4 ms
  const producer = new FakeProducer();
  const kafka = { ready: true };
  const sender = new BatchingSender(producer, { deadlineMs: 1000, maxPending: 10, maxBatch: 10, retryAfterSeconds: 1 }, () => kafka.ready);
  const tenants = new FakeTenantDirectory();
  tenants.known.add(TENANT);
  const service = new MeteredCallEventsService(metrics, metrics.meteredSink(sender), tenants, { topics: { callEvents: 'ce', recordingControl: 'rc' }, widgetToken: { secret: 'x'.repeat(32), defaultTtlSeconds: 3600, maxTtlSeconds: 7200 } });
  metrics.observePending(sender);
  return { registry, service, producer, kafka, tenants, metrics };
}

const line = (text: string, series: string) => text.split('\n').find((l) => l.startsWith(`${series} `));

describe('call-events metrics', () => {
  it('counts accepted and rejected events by type and reason, and times each produce to its acknowledgement', async () => {
    const { registry, service, kafka, tenants } = setup();
    await service.postCallEvent(partner, 'call.started', started('k1'));
    await service.postCallEvent(partner, 'call.started', started('k2'));
    await expect(service.postCallEvent(partner, 'call.ended', { ...started('k3'), body: { tenantId: TENANT } })).rejects.toMatchObject({ kind: 'invalid' });
    tenants.known.clear();
    await expect(service.postCallEvent(partner, 'call.started', started('k4'))).rejects.toMatchObject({ kind: 'forbidden' });
    tenants.known.add(TENANT);
    kafka.ready = false;
    await expect(service.postCallEvent(partner, 'call.started', started('k5'))).rejects.toMatchObject({ kind: 'unavailable' });
    const text = await registry.text();
    expect(line(text, 'cic_call_events_accepted_total{type="call_started"}')).toMatch(/ 2$/);
    expect(line(text, 'cic_call_events_accepted_total{type="call_ended"}')).toMatch(/ 0$/);
    expect(line(text, 'cic_call_events_rejected_total{type="call_ended",reason="invalid"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_call_events_rejected_total{type="call_started",reason="forbidden"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_call_events_rejected_total{type="call_started",reason="unavailable"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_call_events_produce_duration_seconds_count{outcome="ok"}')).toMatch(/ 2$/);
    expect(line(text, 'cic_call_events_produce_duration_seconds_bucket{outcome="ok",le="0.005"}')).toMatch(/ 2$/);
    expect(line(text, 'cic_call_events_produce_duration_seconds_count{outcome="error"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_call_events_produce_pending')).toBe('cic_call_events_produce_pending 0');
  });

  it('counts recording commands and widget tokens by result', async () => {
    const { registry, service } = setup();
    await service.controlRecording(partner, { callId: 'CA1', action: 'pause', body: { tenantId: TENANT } });
    await expect(service.controlRecording(partner, { callId: 'CA1', action: 'explode', body: { tenantId: TENANT } })).rejects.toMatchObject({ kind: 'invalid' });
    await service.createWidgetToken(partner, { tenantId: TENANT, sellerId: 's1' });
    const text = await registry.text();
    expect(line(text, 'cic_call_events_recording_commands_total{action="pause",result="accepted"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_call_events_recording_commands_total{action="invalid",result="invalid"}')).toMatch(/ 1$/);
    expect(line(text, 'cic_call_events_widget_tokens_total{result="issued"}')).toMatch(/ 1$/);
  });

  it('counts 401s by credential, not an unavailable key store', async () => {
    const { registry, metrics } = setup();
    const keys = new FakeApiKeyStore();
    keys.add('cic_good', 'acme', '*');
    const auth = new MeteredPartnerAuthenticator(metrics, keys, [], 0);
    await auth.byApiKey('cic_good');
    await expect(auth.byApiKey('cic_bad')).rejects.toMatchObject({ kind: 'unauthenticated' });
    await expect(auth.byApiKey(undefined)).rejects.toMatchObject({ kind: 'unauthenticated' });
    expect(() => auth.byCertificate(undefined)).toThrow('a client certificate is required');
    keys.failing = true;
    await expect(auth.byApiKey('cic_other')).rejects.toMatchObject({ kind: 'unavailable' });
    const text = await registry.text();
    expect(line(text, 'cic_call_events_auth_failures_total{method="api_key"}')).toMatch(/ 2$/);
    expect(line(text, 'cic_call_events_auth_failures_total{method="certificate"}')).toMatch(/ 1$/);
  });
});
