// Loaded before the app with `node --import ./instrumentation.js main.js`, so
// OpenTelemetry patches http (and later clients) before anything requires them.
import './check-node';
import { startTelemetry } from '@ci-connector/platform-observability';
import { gatewayConfig } from './config/config';

const config = gatewayConfig();

export const telemetry = startTelemetry({
  serviceName: config.service.name,
  serviceVersion: config.service.version,
  ...(config.service.region ? { attributes: { 'ci.region': config.service.region } } : {}),
  ...(config.telemetry.otlpTracesEndpoint ? { otlpTracesEndpoint: config.telemetry.otlpTracesEndpoint } : {}),
  sampleRatio: config.telemetry.sampleRatio,
});
