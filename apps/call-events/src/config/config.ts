import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { CALL_EVENT_TOPICS, TOPICS } from '@ci-connector/events';
import { envBool, envDurationMs, envInt, envList, envLogLevel, envPort, envUrl, loadConfig, loadConfigOrExit } from '@ci-connector/platform-config';
import { parsePartners, PartnersFileError, type MtlsPartner } from '../core/partners';

// The only place this app reads process.env. Every variable, its default and what
// it takes are listed in apps/call-events/.env.example and docs/configuration.md.
const file = (what: string) =>
  z
    .string()
    .trim()
    .refine((p) => existsSync(p), { message: 'no such file' })
    .optional()
    .describe(what);

const topic = (name: string) => z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'not a topic name').default(name).describe('a Kafka topic name');
const seconds = (ms: number) => Math.ceil(ms / 1000);

const schema = z
  .object({
    HTTP_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address to bind the HTTP server to'),
    HTTP_PORT: envPort(8082),
    METRICS_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address of the Prometheus GET /metrics server'),
    METRICS_PORT: envInt({ min: 0, max: 65535, default: 9464 }).describe('a port for GET /metrics (0 = off)'),
    GRPC_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address to bind the gRPC server to'),
    GRPC_PORT: envPort(50052),
    MAX_BODY_SIZE: envInt({ min: 1024, max: 1024 * 1024, default: 16384 }).describe('bytes, 1024-1048576'),
    LOG_LEVEL: envLogLevel('info'),
    REGION: z.string().trim().regex(/^[a-z0-9-]+$/, 'not a region name').optional().describe('a recorder region name such as uksouth'),
    REDIS_URL: envUrl(['redis', 'rediss']),
    REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'not a key prefix').default('cic:').describe('letters, digits and : _ . -'),
    AUTH_CACHE_TTL: envDurationMs('5s').describe('how long an API key check and a tenant lookup are remembered (a duration; 0 = ask Redis every time)'),
    KAFKA_BROKERS: envList(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'not host:port')).describe('a comma-separated list of host:port'),
    KAFKA_CALL_EVENTS_TOPIC: topic(CALL_EVENT_TOPICS.callEvents),
    KAFKA_RECORDING_CONTROL_TOPIC: topic(TOPICS.recordingControl),
    KAFKA_ENSURE_TOPICS: envBool(true),
    KAFKA_TOPIC_PARTITIONS: envInt({ min: 1, max: 1000, default: 6 }),
    KAFKA_REPLICATION_FACTOR: envInt({ min: 1, max: 7, default: 1 }),
    KAFKA_PRODUCE_DEADLINE: envDurationMs('5s'),
    KAFKA_MAX_PENDING: envInt({ min: 1, max: 1_000_000, default: 20_000 }),
    KAFKA_MAX_BATCH: envInt({ min: 1, max: 10_000, default: 500 }),
    KAFKA_LINGER: envDurationMs('5ms').describe('how long the first event after an idle spell waits for others before its produce request goes (Kafka linger.ms; 0 = none)'),
    RETRY_AFTER: envDurationMs('2s').describe('the Retry-After of a 503 (a duration, rounded up to seconds)'),
    WIDGET_TOKEN_SECRET: z
      .string()
      .refine((s) => Buffer.byteLength(s, 'utf8') >= 32, { message: 'too short (at least 32 bytes)' })
      .describe('a random string of at least 32 bytes, the same as widget-gateway'),
    WIDGET_TOKEN_DEFAULT_TTL: envDurationMs('1h'),
    WIDGET_TOKEN_MAX_TTL: envDurationMs('12h'),
    MTLS_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address of the mutual-TLS listeners'),
    MTLS_HTTPS_PORT: envPort().optional().describe('a port: serve the REST API over HTTPS with client certificates (off when unset)'),
    MTLS_GRPC_PORT: envPort().optional().describe('a port: serve the gRPC API over TLS with client certificates (off when unset)'),
    MTLS_CERT_FILE: file("a PEM file with the listeners' server certificate (chain)"),
    MTLS_KEY_FILE: file("a PEM file with the server certificate's private key"),
    MTLS_CA_FILE: file("a PEM file with the CA(s) that issue partners' client certificates"),
    MTLS_PARTNERS_FILE: z
      .string()
      .trim()
      .superRefine((p, ctx) => {
        if (!existsSync(p)) {
          ctx.addIssue({ code: 'custom', message: 'no such file' });
          return;
        }
        try {
          parsePartners(readFileSync(p, 'utf8'));
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: err instanceof PartnersFileError ? err.message : `cannot read it (${(err as Error).message})` });
        }
      })
      .optional()
      .describe('a JSON file: client certificate subject → partner id and tenants'),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envUrl(['http', 'https']).optional(),
    OTEL_TRACES_SAMPLE_RATIO: z.coerce.number().min(0, 'below 0').max(1, 'above 1').default(1).describe('a number from 0 to 1'),
    SHUTDOWN_TIMEOUT: envDurationMs('10s'),
  })
  .superRefine((e, ctx) => {
    if (e.METRICS_PORT !== 0 && e.METRICS_PORT === e.HTTP_PORT) ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from HTTP_PORT' });
    if (e.WIDGET_TOKEN_MAX_TTL < 60_000) ctx.addIssue({ code: 'custom', path: ['WIDGET_TOKEN_MAX_TTL'], message: 'below 60s' });
    if (e.WIDGET_TOKEN_DEFAULT_TTL < 60_000 || e.WIDGET_TOKEN_DEFAULT_TTL > e.WIDGET_TOKEN_MAX_TTL) {
      ctx.addIssue({ code: 'custom', path: ['WIDGET_TOKEN_DEFAULT_TTL'], message: 'must be from 60s to WIDGET_TOKEN_MAX_TTL' });
    }
    if (e.KAFKA_PRODUCE_DEADLINE < 100) ctx.addIssue({ code: 'custom', path: ['KAFKA_PRODUCE_DEADLINE'], message: 'below 100ms' });
    if (e.MTLS_HTTPS_PORT === undefined && e.MTLS_GRPC_PORT === undefined) return;
    for (const v of ['MTLS_CERT_FILE', 'MTLS_KEY_FILE', 'MTLS_CA_FILE', 'MTLS_PARTNERS_FILE'] as const) {
      if (e[v] === undefined) ctx.addIssue({ code: 'custom', path: [v], message: 'missing: required with MTLS_HTTPS_PORT or MTLS_GRPC_PORT' });
    }
  });

export interface CallEventsConfig {
  service: { name: string; version: string; region?: string };
  http: { host: string; port: number; maxBodyBytes: number };
  /** GET /metrics (Prometheus); port 0 = off. */
  metrics: { host: string; port: number };
  grpc: { host: string; port: number };
  log: { level: string };
  redis: { url: string; prefix: string };
  authCacheTtlMs: number;
  kafka: {
    brokers: string[];
    topics: { callEvents: string; recordingControl: string };
    createTopics: boolean;
    partitions: number;
    replicationFactor: number;
    produceDeadlineMs: number;
    maxPending: number;
    maxBatch: number;
    lingerMs: number;
  };
  retryAfterSeconds: number;
  widgetToken: { secret: string; defaultTtlSeconds: number; maxTtlSeconds: number };
  /** Set when at least one mutual-TLS listener is configured. */
  mtls?: {
    host: string;
    httpsPort?: number;
    grpcPort?: number;
    certFile: string;
    keyFile: string;
    caFile: string;
    partnersFile: string;
    partners: MtlsPartner[];
  };
  telemetry: { otlpTracesEndpoint?: string; sampleRatio: number };
  shutdownTimeoutMs: number;
}

let loaded: CallEventsConfig | undefined;

/** Parses the environment once (instrumentation.ts and main.ts share it); exits 78 listing every bad variable. */
export function callEventsConfig(env: Record<string, string | undefined> = process.env): CallEventsConfig {
  loaded ??= loadConfigOrExit('call-events', schema, env, toConfig);
  return loaded;
}

/** The same, throwing ConfigError (tests). */
export function parseCallEventsConfig(env: Record<string, string | undefined>): CallEventsConfig {
  return loadConfig('call-events', schema, env, toConfig);
}

function toConfig(e: z.output<typeof schema>): CallEventsConfig {
  const mtlsOn = e.MTLS_HTTPS_PORT !== undefined || e.MTLS_GRPC_PORT !== undefined;
  return {
    service: { name: 'call-events', version: '0.1.0', ...(e.REGION ? { region: e.REGION } : {}) },
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT, maxBodyBytes: e.MAX_BODY_SIZE },
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    grpc: { host: e.GRPC_HOST, port: e.GRPC_PORT },
    log: { level: e.LOG_LEVEL },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_KEY_PREFIX },
    authCacheTtlMs: e.AUTH_CACHE_TTL,
    kafka: {
      brokers: e.KAFKA_BROKERS,
      topics: { callEvents: e.KAFKA_CALL_EVENTS_TOPIC, recordingControl: e.KAFKA_RECORDING_CONTROL_TOPIC },
      createTopics: e.KAFKA_ENSURE_TOPICS,
      partitions: e.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
      produceDeadlineMs: e.KAFKA_PRODUCE_DEADLINE,
      maxPending: e.KAFKA_MAX_PENDING,
      maxBatch: e.KAFKA_MAX_BATCH,
      lingerMs: e.KAFKA_LINGER,
    },
    retryAfterSeconds: Math.max(1, seconds(e.RETRY_AFTER)),
    widgetToken: { secret: e.WIDGET_TOKEN_SECRET, defaultTtlSeconds: seconds(e.WIDGET_TOKEN_DEFAULT_TTL), maxTtlSeconds: Math.floor(e.WIDGET_TOKEN_MAX_TTL / 1000) },
    ...(mtlsOn && e.MTLS_CERT_FILE && e.MTLS_KEY_FILE && e.MTLS_CA_FILE && e.MTLS_PARTNERS_FILE
      ? {
          mtls: {
            host: e.MTLS_HOST,
            ...(e.MTLS_HTTPS_PORT !== undefined ? { httpsPort: e.MTLS_HTTPS_PORT } : {}),
            ...(e.MTLS_GRPC_PORT !== undefined ? { grpcPort: e.MTLS_GRPC_PORT } : {}),
            certFile: resolve(e.MTLS_CERT_FILE),
            keyFile: resolve(e.MTLS_KEY_FILE),
            caFile: resolve(e.MTLS_CA_FILE),
            partnersFile: resolve(e.MTLS_PARTNERS_FILE),
            partners: parsePartners(readFileSync(e.MTLS_PARTNERS_FILE, 'utf8')),
          },
        }
      : {}),
    telemetry: { ...(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? { otlpTracesEndpoint: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT } : {}), sampleRatio: e.OTEL_TRACES_SAMPLE_RATIO },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
  };
}
