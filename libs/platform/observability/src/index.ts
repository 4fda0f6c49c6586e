export { startTelemetry, telemetrySdkConfig, type TelemetryOptions, type Telemetry } from './telemetry';
