import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { W3CTraceContextPropagator, W3CBaggagePropagator, CompositePropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  serviceVersion?: string;
  /** Extra resource attributes, e.g. the region a release serves. */
  attributes?: Record<string, string>;
  /**
   * OTLP/HTTP traces endpoint (http://collector:4318/v1/traces). Unset (the
   * default): spans are still made and propagated (W3C), but exported nowhere.
   */
  otlpTracesEndpoint?: string;
  otlpHeaders?: Record<string, string>;
  /** Share of new traces sampled, 0–1; a sampled parent is always followed. */
  sampleRatio?: number;
  /** More span processors (tests pass an in-memory one). */
  spanProcessors?: SpanProcessor[];
}

export interface Telemetry {
  /** Flushes what is buffered and stops; bounded, never throws. */
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * The SDK configuration, built only from `opts`: the SDK's own reading of OTEL_*
 * variables is overridden (no exporter unless asked for; no metrics or logs
 * exporter), so nothing leaves the process by default.
 */
export function telemetrySdkConfig(opts: TelemetryOptions) {
  const spanProcessors: SpanProcessor[] = [...(opts.spanProcessors ?? [])];
  if (opts.otlpTracesEndpoint) {
    spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: opts.otlpTracesEndpoint, headers: opts.otlpHeaders ?? {}, timeoutMillis: 5000 }) }));
  }
  return {
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: opts.serviceName,
      ...(opts.serviceVersion ? { [ATTR_SERVICE_VERSION]: opts.serviceVersion } : {}),
      ...opts.attributes,
    }),
    autoDetectResources: false,
    spanProcessors,
    metricReaders: [],
    logRecordProcessors: [],
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.sampleRatio ?? 1) }),
    textMapPropagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    // Probes and Prometheus scrapes are not traced (a span per scrape would only be noise).
    instrumentations: [new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(health|metrics)(\/|\?|$)/.test(req.url ?? '') })],
  };
}

/** Starts OpenTelemetry. Call from instrumentation.ts, loaded with `node --import` before the app. */
export function startTelemetry(opts: TelemetryOptions): Telemetry {
  const sdk = new NodeSDK(telemetrySdkConfig(opts));
  sdk.start();
  return {
    async shutdown(timeoutMs = 5000) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([sdk.shutdown(), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      } catch (err) {
        process.stderr.write(`telemetry shutdown failed: ${String(err)}\n`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
