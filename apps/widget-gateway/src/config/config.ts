import { z } from 'zod';
import { CALL_EVENT_TOPICS, TOPICS } from '@ci-connector/events';
import { envBool, envDurationMs, envInt, envList, envLogLevel, envPort, envUrl, loadConfig, loadConfigOrExit } from '@ci-connector/platform-config';

// The only place this app reads process.env. Every variable, its default and what
// it takes are listed in apps/widget-gateway/.env.example and docs/configuration.md.
const topic = (dflt: string) => z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'not a topic name').default(dflt).describe('a Kafka topic name');
const group = (dflt: string) => z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'not a consumer group id').default(dflt).describe('a Kafka consumer group id (letters, digits, . _ -)');

/** An origin (`https://host[:port]`) or a wildcard over a domain's subdomains (`https://*.dynamics.com`). */
const originPattern = z
  .string()
  .regex(/^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$/, 'not an origin (scheme://host[:port], or scheme://*.domain)');

const schema = z
  .object({
    HTTP_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address to bind the HTTP server to'),
    HTTP_PORT: envPort(8086),
    METRICS_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address of the Prometheus GET /metrics server'),
    METRICS_PORT: envInt({ min: 0, max: 65535, default: 9464 }).describe('a port for GET /metrics (0 = off)'),
    LOG_LEVEL: envLogLevel('info'),
    REGION: z.string().trim().regex(/^[a-z0-9-]+$/, 'not a region name').optional().describe('a recorder region name such as uksouth'),
    REDIS_URL: envUrl(['redis', 'rediss']),
    REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'not a key prefix').default('cic:').describe('letters, digits and : _ . -'),
    KAFKA_BROKERS: envList(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'not host:port')).describe('a comma-separated list of host:port'),
    KAFKA_CALL_EVENTS_TOPIC: topic(CALL_EVENT_TOPICS.callEvents),
    KAFKA_RECORDING_EVENTS_TOPIC: topic(TOPICS.recordingEvents),
    KAFKA_WIDGET_EVENTS_TOPIC: topic(CALL_EVENT_TOPICS.widgetEvents),
    KAFKA_DEAD_LETTER_TOPIC: topic(CALL_EVENT_TOPICS.deadLetter),
    KAFKA_RECORDING_CONTROL_TOPIC: topic(TOPICS.recordingControl),
    KAFKA_CORRELATION_GROUP: group('widget-gateway.correlation'),
    KAFKA_DELIVERY_GROUP: group('widget-gateway.delivery'),
    KAFKA_ENSURE_TOPICS: envBool(true),
    KAFKA_TOPIC_PARTITIONS: envInt({ min: 1, max: 1000, default: 6 }),
    KAFKA_REPLICATION_FACTOR: envInt({ min: 1, max: 7, default: 1 }),
    KAFKA_PRODUCE_DEADLINE: envDurationMs('10s'),
    KAFKA_LINGER: envDurationMs('5ms').describe('how long the first message after an idle spell waits for others before its produce request goes (Kafka linger.ms; 0 = none)'),
    KAFKA_SESSION_TIMEOUT: envDurationMs('30s'),
    KAFKA_FETCH_MIN_BYTES: envInt({ min: 1, max: 10_000_000, default: 1 }).describe('bytes a consumer fetch waits for before the broker answers (1 = answer as soon as anything arrived)'),
    KAFKA_FETCH_MAX_WAIT: envDurationMs('500ms').describe('longest the broker holds a consumer fetch waiting for KAFKA_FETCH_MIN_BYTES'),
    WIDGET_TOKEN_SECRET: z.string().refine((s) => Buffer.byteLength(s, 'utf8') >= 32, 'too short (at least 32 bytes)').describe('the secret shared with call-events, at least 32 bytes'),
    WIDGET_DELIVERY: z
      .enum(['direct', 'topic'], { message: "not 'direct' or 'topic'" })
      .default('direct')
      .describe("direct: correlation appends each widget event to the seller's stream itself (one Kafka hop); topic: through KAFKA_WIDGET_EVENTS_TOPIC and the delivery consumer (two hops)"),
    CORRELATION_WAIT: envDurationMs('2s'),
    CORRELATION_TTL: envDurationMs('6h'),
    EVENT_MAX_AGE: envDurationMs('10m'),
    PROCESSING_MAX_ATTEMPTS: envInt({ min: 1, max: 100, default: 3 }).describe('attempts at one message before it goes to the dead-letter topic, 1-100'),
    RETRY_BACKOFF_MAX: envDurationMs('5s'),
    DELIVERY_STREAM_MAXLEN: envInt({ min: 10, max: 100_000, default: 200 }).describe('entries kept per seller stream (approximate), 10-100000'),
    DELIVERY_STREAM_TTL: envDurationMs('1h'),
    DELIVERY_DEDUPE_TTL: envDurationMs('1h'),
    SSE_HEARTBEAT: envDurationMs('15s'),
    SSE_RETRY: envDurationMs('2s'),
    SSE_REPLAY_WINDOW: envDurationMs('30s'),
    SSE_MAX_CLIENTS: envInt({ min: 1, max: 1_000_000, default: 10_000 }),
    SSE_MAX_CLIENTS_PER_SELLER: envInt({ min: 1, max: 1000, default: 5 }),
    CORS_ORIGINS: envList(originPattern).optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envUrl(['http', 'https']).optional(),
    OTEL_TRACES_SAMPLE_RATIO: z.coerce.number().min(0, 'below 0').max(1, 'above 1').default(1).describe('a number from 0 to 1'),
    SHUTDOWN_TIMEOUT: envDurationMs('10s'),
  })
  .superRefine((e, ctx) => {
    if (e.METRICS_PORT !== 0 && e.METRICS_PORT === e.HTTP_PORT) ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from HTTP_PORT' });
    const min = (name: keyof typeof e, value: number, least: number, what: string) => {
      if (value < least) ctx.addIssue({ code: 'custom', path: [name], message: `below ${what}` });
    };
    min('CORRELATION_TTL', e.CORRELATION_TTL, 60_000, '1m');
    min('DELIVERY_DEDUPE_TTL', e.DELIVERY_DEDUPE_TTL, 60_000, '1m');
    min('DELIVERY_STREAM_TTL', e.DELIVERY_STREAM_TTL, 60_000, '1m');
    min('SSE_HEARTBEAT', e.SSE_HEARTBEAT, 1000, '1s');
    min('RETRY_BACKOFF_MAX', e.RETRY_BACKOFF_MAX, 100, '100ms');
    // The broker's group.min.session.timeout.ms is 6 s by default.
    min('KAFKA_SESSION_TIMEOUT', e.KAFKA_SESSION_TIMEOUT, 6000, '6s');
    min('EVENT_MAX_AGE', e.EVENT_MAX_AGE, 1000, '1s');
    // An event replayed after its dedupe marker expired would reach the widget again: older ones must be skipped.
    if (e.EVENT_MAX_AGE > e.DELIVERY_DEDUPE_TTL) ctx.addIssue({ code: 'custom', path: ['EVENT_MAX_AGE'], message: 'above DELIVERY_DEDUPE_TTL' });
    if (e.CORRELATION_WAIT > 60_000) ctx.addIssue({ code: 'custom', path: ['CORRELATION_WAIT'], message: 'above 60s' });
    if (e.SSE_MAX_CLIENTS_PER_SELLER > e.SSE_MAX_CLIENTS) ctx.addIssue({ code: 'custom', path: ['SSE_MAX_CLIENTS_PER_SELLER'], message: 'above SSE_MAX_CLIENTS' });
  });

export interface GatewayConfig {
  service: { name: string; version: string; region?: string };
  http: { host: string; port: number };
  /** GET /metrics (Prometheus); port 0 = off. */
  metrics: { host: string; port: number };
  log: { level: string };
  redis: { url: string; prefix: string };
  kafka: {
    brokers: string[];
    topics: { callEvents: string; recordingEvents: string; widgetEvents: string; deadLetter: string; recordingControl: string };
    correlationGroup: string;
    deliveryGroup: string;
    ensureTopics: boolean;
    partitions: number;
    replicationFactor: number;
    produceDeadlineMs: number;
    lingerMs: number;
    sessionTimeoutMs: number;
    fetch: { minBytes: number; maxWaitMs: number };
  };
  widgetTokenSecret: string;
  correlation: { waitMs: number; ttlMs: number };
  processing: { maxAttempts: number; backoffMaxMs: number; maxAgeMs: number };
  delivery: {
    /** direct: correlation appends to the seller's stream; topic: correlation → ci.widget-events.v1 → the delivery consumer. */
    route: 'direct' | 'topic';
    maxLen: number;
    streamTtlMs: number;
    dedupeTtlMs: number;
  };
  sse: { heartbeatMs: number; retryMs: number; replayWindowMs: number; maxClients: number; maxClientsPerSeller: number };
  corsOrigins: string[];
  telemetry: { otlpTracesEndpoint?: string; sampleRatio: number };
  shutdownTimeoutMs: number;
}

let loaded: GatewayConfig | undefined;

/** Parses the environment once (instrumentation.ts and main.ts share it); exits 78 listing every bad variable. */
export function gatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  loaded ??= loadConfigOrExit('widget-gateway', schema, env, toConfig);
  return loaded;
}

/** The same, throwing ConfigError (tests). */
export function parseGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  return loadConfig('widget-gateway', schema, env, toConfig);
}

function toConfig(e: z.output<typeof schema>): GatewayConfig {
  return {
    service: { name: 'widget-gateway', version: '0.1.0', ...(e.REGION ? { region: e.REGION } : {}) },
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    log: { level: e.LOG_LEVEL },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_KEY_PREFIX },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      topics: {
        callEvents: e.KAFKA_CALL_EVENTS_TOPIC,
        recordingEvents: e.KAFKA_RECORDING_EVENTS_TOPIC,
        widgetEvents: e.KAFKA_WIDGET_EVENTS_TOPIC,
        deadLetter: e.KAFKA_DEAD_LETTER_TOPIC,
        recordingControl: e.KAFKA_RECORDING_CONTROL_TOPIC,
      },
      correlationGroup: e.KAFKA_CORRELATION_GROUP,
      deliveryGroup: e.KAFKA_DELIVERY_GROUP,
      ensureTopics: e.KAFKA_ENSURE_TOPICS,
      partitions: e.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
      produceDeadlineMs: e.KAFKA_PRODUCE_DEADLINE,
      lingerMs: e.KAFKA_LINGER,
      sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT,
      fetch: { minBytes: e.KAFKA_FETCH_MIN_BYTES, maxWaitMs: e.KAFKA_FETCH_MAX_WAIT },
    },
    widgetTokenSecret: e.WIDGET_TOKEN_SECRET,
    correlation: { waitMs: e.CORRELATION_WAIT, ttlMs: e.CORRELATION_TTL },
    processing: { maxAttempts: e.PROCESSING_MAX_ATTEMPTS, backoffMaxMs: e.RETRY_BACKOFF_MAX, maxAgeMs: e.EVENT_MAX_AGE },
    delivery: { route: e.WIDGET_DELIVERY, maxLen: e.DELIVERY_STREAM_MAXLEN, streamTtlMs: e.DELIVERY_STREAM_TTL, dedupeTtlMs: e.DELIVERY_DEDUPE_TTL },
    sse: {
      heartbeatMs: e.SSE_HEARTBEAT,
      retryMs: e.SSE_RETRY,
      replayWindowMs: e.SSE_REPLAY_WINDOW,
      maxClients: e.SSE_MAX_CLIENTS,
      maxClientsPerSeller: e.SSE_MAX_CLIENTS_PER_SELLER,
    },
    corsOrigins: e.CORS_ORIGINS ?? [],
    telemetry: { ...(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? { otlpTracesEndpoint: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT } : {}), sampleRatio: e.OTEL_TRACES_SAMPLE_RATIO },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
  };
}
