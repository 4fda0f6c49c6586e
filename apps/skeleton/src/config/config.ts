import { z } from 'zod';
import { envDurationMs, envList, envLogLevel, envPort, envUrl, loadConfigOrExit } from '@ci-connector/platform-config';

// The only place this app reads process.env. Every variable, its default and what
// it takes are listed in apps/skeleton/.env.example.
const schema = z.object({
  HTTP_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address to bind the HTTP server to'),
  HTTP_PORT: envPort(8080),
  LOG_LEVEL: envLogLevel('info'),
  REGION: z.string().trim().regex(/^[a-z0-9-]+$/, 'not a region name').optional().describe('a recorder region name such as uksouth'),
  REDIS_URL: envUrl(['redis', 'rediss']).optional(),
  KAFKA_BROKERS: envList(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'not host:port')).optional().describe('a comma-separated list of host:port'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envUrl(['http', 'https']).optional(),
  OTEL_TRACES_SAMPLE_RATIO: z.coerce.number().min(0, 'below 0').max(1, 'above 1').default(1).describe('a number from 0 to 1'),
  SHUTDOWN_TIMEOUT: envDurationMs('10s'),
});

export interface SkeletonConfig {
  service: { name: string; version: string; region?: string };
  http: { host: string; port: number };
  log: { level: string };
  redis?: { url: string };
  kafka?: { brokers: string[] };
  telemetry: { otlpTracesEndpoint?: string; sampleRatio: number };
  shutdownTimeoutMs: number;
}

let loaded: SkeletonConfig | undefined;

/** Parses the environment once (instrumentation.ts and main.ts share it); exits 78 listing every bad variable. */
export function skeletonConfig(env: Record<string, string | undefined> = process.env): SkeletonConfig {
  loaded ??= loadConfigOrExit('skeleton', schema, env, (e) => ({
    service: { name: 'skeleton', version: '0.1.0', ...(e.REGION ? { region: e.REGION } : {}) },
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    log: { level: e.LOG_LEVEL },
    ...(e.REDIS_URL ? { redis: { url: e.REDIS_URL } } : {}),
    ...(e.KAFKA_BROKERS ? { kafka: { brokers: e.KAFKA_BROKERS } } : {}),
    telemetry: { ...(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? { otlpTracesEndpoint: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT } : {}), sampleRatio: e.OTEL_TRACES_SAMPLE_RATIO },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
  }));
  return loaded;
}
