export { startTelemetry, telemetrySdkConfig, type TelemetryOptions, type Telemetry } from './telemetry';
export { metric, seriesNames, type MetricDef, type Labels } from './metrics/metric-def';
export { MetricsRegistry, MetricsServerError, type MetricsOptions, type Counter, type Gauge, type Histogram, type Observation } from './metrics/metrics-registry';
export { createMetricsRegistry, serveMetrics, type MetricsLogger } from './metrics/serve-metrics';
export { registerProcessMetrics } from './metrics/process-metrics';
export {
  METRIC_CATALOGUE,
  PROCESS_METRICS,
  SIP_SIGNALING_METRICS,
  POLICY_SYNC_METRICS,
  CALL_EVENTS_METRICS,
  WIDGET_GATEWAY_METRICS,
  REGISTRATION_METRICS,
  RTPENGINE_METRICS,
} from './metrics/catalogue';
