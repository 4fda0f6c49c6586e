import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTelemetry, telemetrySdkConfig } from './telemetry';

describe('telemetry', () => {
  it('exports nowhere unless an OTLP endpoint is configured', () => {
    expect(telemetrySdkConfig({ serviceName: 's' }).spanProcessors).toHaveLength(0);
    expect(telemetrySdkConfig({ serviceName: 's', otlpTracesEndpoint: 'http://127.0.0.1:4318/v1/traces' }).spanProcessors).toHaveLength(1);
  });

  it('records spans with the service resource and propagates W3C trace context', async () => {
    const exporter = new InMemorySpanExporter();
    const t = startTelemetry({ serviceName: 'svc-under-test', serviceVersion: '1.2.3', attributes: { 'ci.region': 'uksouth' }, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    try {
      const headers: Record<string, string> = {};
      const span = trace.getTracer('t').startSpan('call');
      context.with(trace.setSpan(context.active(), span), () => propagation.inject(context.active(), headers));
      span.end();
      expect(headers['traceparent']).toMatch(new RegExp(`^00-${span.spanContext().traceId}-${span.spanContext().spanId}-01$`));
      const [done] = exporter.getFinishedSpans();
      expect(done?.name).toBe('call');
      expect(done?.resource.attributes).toMatchObject({ 'service.name': 'svc-under-test', 'service.version': '1.2.3', 'ci.region': 'uksouth' });
    } finally {
      await t.shutdown();
    }
  });
});
