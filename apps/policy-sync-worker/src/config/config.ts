import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, envBool, envDurationMs, envInt, envList, envLogLevel, envPort, envUrl, loadConfig, loadConfigOrExit, type ConfigProblem } from '@ci-connector/platform-config';
import { TOPICS } from '@ci-connector/events';

// The only place this app reads process.env. Every variable, its default and what
// it takes are listed in apps/policy-sync-worker/.env.example.
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const file = (what: string) => z.string().trim().min(1).optional().describe(what);
const topic = (def: string) =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'not a Kafka topic name')
    .default(def)
    .describe('a Kafka topic name (letters, digits, . _ -)');

const schema = z.object({
  HTTP_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address to bind the HTTP server to'),
  HTTP_PORT: envPort(8083),
  METRICS_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address of the Prometheus GET /metrics server'),
  METRICS_PORT: envInt({ min: 0, max: 65535, default: 9464 }).describe('a port for GET /metrics (0 = off)'),
  LOG_LEVEL: envLogLevel('info'),
  REGION: z.string().trim().regex(/^[a-z0-9-]+$/, 'not a region name').optional().describe('a recorder region name such as uksouth'),
  WORKER_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'not a worker id')
    .optional()
    .describe('this replica\'s lease owner id (letters, digits, . _ : -); default <hostname>-<pid>'),

  REDIS_URL: envUrl(['redis', 'rediss']),
  REDIS_KEY_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'not a key prefix')
    .default('cic:')
    .describe('the key prefix of the recording-policy Redis layout (letters, digits, : _ . -)'),

  KAFKA_BROKERS: envList(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'not host:port')).describe('a comma-separated list of host:port'),
  KAFKA_GROUP_ID: z.string().trim().min(1).default('policy-sync-worker').describe('the consumer group every replica shares (the partitions are split among them)'),
  KAFKA_TENANTS_TOPIC: topic(TOPICS.tenants),
  KAFKA_POLICY_TOPIC: topic(TOPICS.policyUpdated),
  KAFKA_ENSURE_TOPICS: envBool(true),
  KAFKA_TOPIC_PARTITIONS: envInt({ min: 1, max: 1000, default: 6 }),
  KAFKA_REPLICATION_FACTOR: envInt({ min: 1, max: 10, default: 1 }),
  KAFKA_PUBLISH_DEADLINE: envDurationMs('10s'),

  CI_API_BASE_URL: envUrl(['https', 'http'], 'https://api.media.recording.dynamics.com'),
  ENTRA_AUTHORITY_HOST: envUrl(['https'], 'https://login.microsoftonline.com'),
  CI_API_CA_FILE: file('a PEM file of extra CA certificates trusted for the authority and the providers API'),
  CI_APP_CLIENT_ID: z
    .string({ error: 'missing' })
    .trim()
    .regex(GUID_RE, 'not a GUID')
    .transform((s) => s.toLowerCase())
    .describe("the carrier's Entra app (client) id, a GUID"),
  CI_APP_CLIENT_SECRET: z.string().min(1).optional().describe("the app's client secret (or CI_APP_CERT_FILE and CI_APP_KEY_FILE)"),
  CI_APP_CERT_FILE: file("a PEM file of the app's certificate credential (with CI_APP_KEY_FILE)"),
  CI_APP_KEY_FILE: file("a PEM file of the certificate's private key (with CI_APP_CERT_FILE)"),
  CI_API_TIMEOUT: envDurationMs('30s'),
  CI_RETRY_MAX_ATTEMPTS: envInt({ min: 1, max: 20, default: 4 }),
  CI_RETRY_DEADLINE: envDurationMs('60s'),

  SYNC_INTERVAL: envDurationMs('5m'),
  SYNC_JITTER: envDurationMs('30s'),
  SYNC_POLL: envDurationMs('1s'),
  SYNC_LEASE: envDurationMs('2m'),
  SYNC_CONCURRENCY: envInt({ min: 1, max: 256, default: 4 }),
  SYNC_RETRY_MIN: envDurationMs('15s'),
  SYNC_RETRY_MAX: envDurationMs('5m'),
  SYNC_DRAIN_TIMEOUT: envDurationMs('5s'),
  DEGRADED_AFTER: envDurationMs('15m'),

  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envUrl(['http', 'https']).optional(),
  OTEL_TRACES_SAMPLE_RATIO: z.coerce.number().min(0, 'below 0').max(1, 'above 1').default(1).describe('a number from 0 to 1'),
  SHUTDOWN_TIMEOUT: envDurationMs('15s'),
});

export type AppCredential = { kind: 'secret'; secret: string } | { kind: 'certificate'; certFile: string; keyFile: string };

export interface SyncSettings {
  intervalMs: number;
  jitterMs: number;
  pollMs: number;
  leaseMs: number;
  concurrency: number;
  retryMinMs: number;
  retryMaxMs: number;
  drainTimeoutMs: number;
  degradedAfterMs: number;
}

export interface WorkerConfig {
  service: { name: string; version: string; region?: string };
  workerId: string;
  http: { host: string; port: number };
  /** GET /metrics (Prometheus); port 0 = off. */
  metrics: { host: string; port: number };
  log: { level: string };
  redis: { url: string; prefix: string };
  kafka: {
    brokers: string[];
    groupId: string;
    tenantsTopic: string;
    policyTopic: string;
    ensureTopics: boolean;
    partitions: number;
    replicationFactor: number;
    publishDeadlineMs: number;
  };
  ci: {
    apiBaseUrl: string;
    authorityHost: string;
    caFile?: string;
    clientId: string;
    credential: AppCredential;
    requestTimeoutMs: number;
    /** Requests per providers API call (within one sync), the first included, and the longest such a call may take. */
    retryMaxAttempts: number;
    retryDeadlineMs: number;
  };
  sync: SyncSettings;
  telemetry: { otlpTracesEndpoint?: string; sampleRatio: number };
  shutdownTimeoutMs: number;
}

let loaded: WorkerConfig | undefined;

/** Parses the environment once (instrumentation.ts and main.ts share it); exits 78 listing every bad variable. */
export function workerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  loaded ??= loadConfigOrExit('policy-sync-worker', schema, env, build);
  return loaded;
}

/** Maps the parsed variables; the rules between variables are checked here, all reported at once. */
function build(e: z.output<typeof schema>): WorkerConfig {
  const problems: ConfigProblem[] = [];
  if (e.METRICS_PORT !== 0 && e.METRICS_PORT === e.HTTP_PORT) problems.push({ variable: 'METRICS_PORT', problem: 'must differ from HTTP_PORT', received: String(e.METRICS_PORT) });
  let credential: AppCredential | undefined;
  const hasCert = e.CI_APP_CERT_FILE !== undefined || e.CI_APP_KEY_FILE !== undefined;
  if (e.CI_APP_CLIENT_SECRET !== undefined && hasCert) {
    problems.push({ variable: 'CI_APP_CLIENT_SECRET', problem: 'give either a client secret or a certificate (CI_APP_CERT_FILE, CI_APP_KEY_FILE), not both' });
  } else if (e.CI_APP_CLIENT_SECRET !== undefined) {
    credential = { kind: 'secret', secret: e.CI_APP_CLIENT_SECRET };
  } else if (e.CI_APP_CERT_FILE !== undefined && e.CI_APP_KEY_FILE !== undefined) {
    credential = { kind: 'certificate', certFile: resolve(e.CI_APP_CERT_FILE), keyFile: resolve(e.CI_APP_KEY_FILE) };
  } else if (hasCert) {
    const missing = e.CI_APP_CERT_FILE === undefined ? 'CI_APP_CERT_FILE' : 'CI_APP_KEY_FILE';
    problems.push({ variable: missing, problem: 'missing', expects: 'a certificate credential needs both CI_APP_CERT_FILE and CI_APP_KEY_FILE' });
  } else {
    problems.push({ variable: 'CI_APP_CLIENT_SECRET', problem: 'missing', expects: 'an app credential: CI_APP_CLIENT_SECRET, or CI_APP_CERT_FILE and CI_APP_KEY_FILE' });
  }
  if (e.SYNC_INTERVAL < 1000) problems.push({ variable: 'SYNC_INTERVAL', problem: 'below 1s', received: String(e.SYNC_INTERVAL) + 'ms', expects: 'a duration of at least 1s' });
  if (e.SYNC_JITTER >= e.SYNC_INTERVAL) problems.push({ variable: 'SYNC_JITTER', problem: 'must be shorter than SYNC_INTERVAL', received: `${e.SYNC_JITTER}ms` });
  if (e.SYNC_POLL < 10) problems.push({ variable: 'SYNC_POLL', problem: 'below 10ms', received: `${e.SYNC_POLL}ms` });
  if (e.SYNC_LEASE < 1000) problems.push({ variable: 'SYNC_LEASE', problem: 'below 1s', received: `${e.SYNC_LEASE}ms` });
  if (e.SYNC_RETRY_MIN < 100) problems.push({ variable: 'SYNC_RETRY_MIN', problem: 'below 100ms', received: `${e.SYNC_RETRY_MIN}ms` });
  if (e.SYNC_RETRY_MAX < e.SYNC_RETRY_MIN) problems.push({ variable: 'SYNC_RETRY_MAX', problem: 'must not be shorter than SYNC_RETRY_MIN', received: `${e.SYNC_RETRY_MAX}ms` });
  if (e.SYNC_DRAIN_TIMEOUT >= e.SHUTDOWN_TIMEOUT) problems.push({ variable: 'SYNC_DRAIN_TIMEOUT', problem: 'must be shorter than SHUTDOWN_TIMEOUT', received: `${e.SYNC_DRAIN_TIMEOUT}ms` });
  if (e.DEGRADED_AFTER <= e.SYNC_INTERVAL) problems.push({ variable: 'DEGRADED_AFTER', problem: 'must be longer than SYNC_INTERVAL', received: `${e.DEGRADED_AFTER}ms` });
  if (e.KAFKA_TENANTS_TOPIC === e.KAFKA_POLICY_TOPIC) problems.push({ variable: 'KAFKA_POLICY_TOPIC', problem: 'must differ from KAFKA_TENANTS_TOPIC', received: e.KAFKA_POLICY_TOPIC });
  if (problems.length > 0 || credential === undefined) throw new ConfigError('policy-sync-worker', problems);

  return {
    service: { name: 'policy-sync-worker', version: '0.1.0', ...(e.REGION ? { region: e.REGION } : {}) },
    workerId: e.WORKER_ID ?? `${hostname()}-${process.pid}`,
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    log: { level: e.LOG_LEVEL },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_KEY_PREFIX },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      groupId: e.KAFKA_GROUP_ID,
      tenantsTopic: e.KAFKA_TENANTS_TOPIC,
      policyTopic: e.KAFKA_POLICY_TOPIC,
      ensureTopics: e.KAFKA_ENSURE_TOPICS,
      partitions: e.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
      publishDeadlineMs: e.KAFKA_PUBLISH_DEADLINE,
    },
    ci: {
      apiBaseUrl: e.CI_API_BASE_URL.replace(/\/+$/, ''),
      authorityHost: e.ENTRA_AUTHORITY_HOST.replace(/\/+$/, ''),
      ...(e.CI_API_CA_FILE ? { caFile: resolve(e.CI_API_CA_FILE) } : {}),
      clientId: e.CI_APP_CLIENT_ID,
      credential,
      requestTimeoutMs: e.CI_API_TIMEOUT,
      retryMaxAttempts: e.CI_RETRY_MAX_ATTEMPTS,
      retryDeadlineMs: e.CI_RETRY_DEADLINE,
    },
    sync: {
      intervalMs: e.SYNC_INTERVAL,
      jitterMs: e.SYNC_JITTER,
      pollMs: e.SYNC_POLL,
      leaseMs: e.SYNC_LEASE,
      concurrency: e.SYNC_CONCURRENCY,
      retryMinMs: e.SYNC_RETRY_MIN,
      retryMaxMs: e.SYNC_RETRY_MAX,
      drainTimeoutMs: e.SYNC_DRAIN_TIMEOUT,
      degradedAfterMs: e.DEGRADED_AFTER,
    },
    telemetry: { ...(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? { otlpTracesEndpoint: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT } : {}), sampleRatio: e.OTEL_TRACES_SAMPLE_RATIO },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
  };
}

/** Like workerConfig() but never cached, throwing ConfigError instead of exiting (tests). */
export function parseWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  return loadConfig('policy-sync-worker', schema, env, build);
}
