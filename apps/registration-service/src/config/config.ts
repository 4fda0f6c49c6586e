import { existsSync } from 'node:fs';
import { z } from 'zod';
import { TOPICS } from '@ci-connector/events';
import { envDurationMs, envInt, envList, envLogLevel, envPort, envUrl, loadConfig, loadConfigOrExit } from '@ci-connector/platform-config';

// The only place this app reads process.env. Every variable, its default and what
// it takes are listed in apps/registration-service/.env.example.
const file = (what: string) =>
  z
    .string()
    .trim()
    .refine((p) => existsSync(p), { message: 'no such file' })
    .optional()
    .describe(what);

const schema = z
  .object({
    HTTP_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address to bind the HTTP server to'),
    HTTP_PORT: envPort(8081),
    METRICS_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address of the Prometheus GET /metrics server'),
    METRICS_PORT: envInt({ min: 0, max: 65535, default: 9464 }).describe('a port for GET /metrics (0 = off)'),
    GRPC_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address to bind the gRPC server to'),
    GRPC_PORT: envPort(50051),
    MAX_BODY_SIZE: envInt({ min: 1024, max: 10 * 1024 * 1024, default: 65536 }).describe('bytes, 1024-10485760'),
    LOG_LEVEL: envLogLevel('info'),
    REGION: z.string().trim().regex(/^[a-z0-9-]+$/, 'not a region name').optional().describe('a recorder region name such as uksouth'),
    REDIS_URL: envUrl(['redis', 'rediss']),
    REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'not a key prefix').default('cic:').describe('letters, digits and : _ . -'),
    KAFKA_BROKERS: envList(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'not host:port')).describe('a comma-separated list of host:port'),
    KAFKA_TENANTS_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'not a topic name').default(TOPICS.tenants).describe('a Kafka topic name'),
    KAFKA_TOPIC_PARTITIONS: envInt({ min: 1, max: 1000, default: 6 }),
    KAFKA_REPLICATION_FACTOR: envInt({ min: 1, max: 7, default: 1 }),
    KAFKA_PRODUCE_DEADLINE: envDurationMs('10s'),
    OUTBOX_POLL_INTERVAL: envDurationMs('250ms'),
    OUTBOX_BATCH_SIZE: envInt({ min: 1, max: 10000, default: 100 }),
    OUTBOX_LOCK_TTL: envDurationMs('15s'),
    CI_API_BASE_URL: envUrl(['https', 'http'], 'https://api.media.recording.dynamics.com'),
    ENTRA_AUTHORITY_HOST: envUrl(['https'], 'https://login.microsoftonline.com'),
    CI_API_CA_FILE: file('a PEM file of CAs to trust for the CI API and the authority (the ci-emulator test CA)'),
    CI_API_TIMEOUT: envDurationMs('10s'),
    CI_APP_CLIENT_ID: z.string().trim().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'not a GUID').describe("the carrier's Entra app (client) id, a GUID"),
    CI_APP_CLIENT_SECRET: z.string().min(1).optional().describe("the Entra app's client secret (or CI_APP_CERT_FILE + CI_APP_KEY_FILE)"),
    CI_APP_CERT_FILE: file("a PEM file with the Entra app's certificate"),
    CI_APP_KEY_FILE: file("a PEM file with the certificate's private key"),
    REGISTER_MAX_ATTEMPTS: envInt({ min: 1, max: 100, default: 8 }),
    REGISTER_BACKOFF_BASE: envDurationMs('1s'),
    REGISTER_BACKOFF_MAX: envDurationMs('60s'),
    REGISTER_LOCK_TTL: envDurationMs('30s'),
    CI_API_RETRIES: envInt({ min: 0, max: 10, default: 2 }).describe('retries inside one registration attempt, 0-10'),
    ADMIN_API_KEY: z.string().min(24, 'too short (at least 24 characters)').optional().describe('a random string of at least 24 characters'),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envUrl(['http', 'https']).optional(),
    OTEL_TRACES_SAMPLE_RATIO: z.coerce.number().min(0, 'below 0').max(1, 'above 1').default(1).describe('a number from 0 to 1'),
    SHUTDOWN_TIMEOUT: envDurationMs('10s'),
  })
  .superRefine((e, ctx) => {
    if (e.METRICS_PORT !== 0 && e.METRICS_PORT === e.HTTP_PORT) ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from HTTP_PORT' });
    const cert = e.CI_APP_CERT_FILE !== undefined || e.CI_APP_KEY_FILE !== undefined;
    if (e.CI_APP_CLIENT_SECRET === undefined && !cert) {
      ctx.addIssue({ code: 'custom', path: ['CI_APP_CLIENT_SECRET'], message: 'missing: give CI_APP_CLIENT_SECRET or CI_APP_CERT_FILE and CI_APP_KEY_FILE' });
    }
    if (e.CI_APP_CLIENT_SECRET !== undefined && cert) {
      ctx.addIssue({ code: 'custom', path: ['CI_APP_CLIENT_SECRET'], message: 'give a secret or a certificate, not both' });
    }
    if (cert && (e.CI_APP_CERT_FILE === undefined || e.CI_APP_KEY_FILE === undefined)) {
      ctx.addIssue({ code: 'custom', path: [e.CI_APP_CERT_FILE === undefined ? 'CI_APP_CERT_FILE' : 'CI_APP_KEY_FILE'], message: 'missing: the certificate needs both files' });
    }
    if (e.REGISTER_BACKOFF_MAX < e.REGISTER_BACKOFF_BASE) ctx.addIssue({ code: 'custom', path: ['REGISTER_BACKOFF_MAX'], message: 'below REGISTER_BACKOFF_BASE' });
  });

export interface RegistrationConfig {
  service: { name: string; version: string; region?: string };
  http: { host: string; port: number; maxBodyBytes: number };
  /** GET /metrics (Prometheus); port 0 = off. */
  metrics: { host: string; port: number };
  grpc: { host: string; port: number };
  log: { level: string };
  redis: { url: string; prefix: string };
  kafka: { brokers: string[]; tenantsTopic: string; partitions: number; replicationFactor: number; produceDeadlineMs: number };
  outbox: { pollIntervalMs: number; batchSize: number; lockTtlMs: number };
  ciApi: {
    baseUrl: string;
    authorityHost: string;
    caFile?: string;
    timeoutMs: number;
    retries: number;
    clientId: string;
    credential: { kind: 'secret'; secret: string } | { kind: 'certificate'; certFile: string; keyFile: string };
  };
  register: { maxAttempts: number; backoffBaseMs: number; backoffMaxMs: number; lockTtlMs: number };
  adminApiKey?: string;
  telemetry: { otlpTracesEndpoint?: string; sampleRatio: number };
  shutdownTimeoutMs: number;
}

let loaded: RegistrationConfig | undefined;

/** Parses the environment once (instrumentation.ts and main.ts share it); exits 78 listing every bad variable. */
export function registrationConfig(env: Record<string, string | undefined> = process.env): RegistrationConfig {
  loaded ??= loadConfigOrExit('registration-service', schema, env, toConfig);
  return loaded;
}

/** The same, throwing ConfigError (tests). */
export function parseRegistrationConfig(env: Record<string, string | undefined>): RegistrationConfig {
  return loadConfig('registration-service', schema, env, toConfig);
}

function toConfig(e: z.output<typeof schema>): RegistrationConfig {
  return {
    service: { name: 'registration-service', version: '0.1.0', ...(e.REGION ? { region: e.REGION } : {}) },
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT, maxBodyBytes: e.MAX_BODY_SIZE },
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    grpc: { host: e.GRPC_HOST, port: e.GRPC_PORT },
    log: { level: e.LOG_LEVEL },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_KEY_PREFIX },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      tenantsTopic: e.KAFKA_TENANTS_TOPIC,
      partitions: e.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
      produceDeadlineMs: e.KAFKA_PRODUCE_DEADLINE,
    },
    outbox: { pollIntervalMs: e.OUTBOX_POLL_INTERVAL, batchSize: e.OUTBOX_BATCH_SIZE, lockTtlMs: e.OUTBOX_LOCK_TTL },
    ciApi: {
      baseUrl: e.CI_API_BASE_URL.replace(/\/+$/, ''),
      authorityHost: e.ENTRA_AUTHORITY_HOST.replace(/\/+$/, ''),
      ...(e.CI_API_CA_FILE ? { caFile: e.CI_API_CA_FILE } : {}),
      timeoutMs: e.CI_API_TIMEOUT,
      retries: e.CI_API_RETRIES,
      clientId: e.CI_APP_CLIENT_ID.toLowerCase(),
      credential:
        e.CI_APP_CLIENT_SECRET !== undefined
          ? { kind: 'secret', secret: e.CI_APP_CLIENT_SECRET }
          : { kind: 'certificate', certFile: e.CI_APP_CERT_FILE ?? '', keyFile: e.CI_APP_KEY_FILE ?? '' },
    },
    register: { maxAttempts: e.REGISTER_MAX_ATTEMPTS, backoffBaseMs: e.REGISTER_BACKOFF_BASE, backoffMaxMs: e.REGISTER_BACKOFF_MAX, lockTtlMs: e.REGISTER_LOCK_TTL },
    ...(e.ADMIN_API_KEY ? { adminApiKey: e.ADMIN_API_KEY } : {}),
    telemetry: { ...(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? { otlpTracesEndpoint: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT } : {}), sampleRatio: e.OTEL_TRACES_SAMPLE_RATIO },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
  };
}
