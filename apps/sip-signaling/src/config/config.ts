import { resolve } from 'node:path';
import { z } from 'zod';
import { recordingEventsConfig, recordingEventsEnv, type RecordingEventsConfig } from '../events/config';
import { recorderPoolConfig, recorderPoolEnv, type RecorderPoolConfig } from '../recorders/config';
import { ConfigError, envBool, envDurationMs, envInt, envList, envLogLevel, envPort, envUrl, loadConfig, loadConfigOrExit, type ConfigProblem } from '@ci-connector/platform-config';

// The only place this app reads process.env. Every variable, its default and what
// it takes are listed in apps/sip-signaling/.env.example.

const HEADER_NAME_RE = /^[A-Za-z0-9!%*_+`'~.-]{1,64}$/;
const file = (what: string) => z.string().trim().min(1).optional().describe(what);
const headerName = (what: string) => z.string().trim().regex(HEADER_NAME_RE, 'not a SIP header name').optional().describe(what);
const sipUri = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^sips?:[^\s<>"]+$/i, 'not a sip: or sips: URI')
    .optional()
    .describe(what);

const schema = z.object({
  HTTP_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address to bind the health/admin HTTP server to'),
  HTTP_PORT: envPort(8084),
  METRICS_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address of the Prometheus GET /metrics server'),
  METRICS_PORT: envInt({ min: 0, max: 65535, default: 9464 }).describe('a port for GET /metrics (0 = off)'),
  LOG_LEVEL: envLogLevel('info'),
  REGION: z.string().trim().regex(/^[a-z0-9-]+$/, 'not a region name').optional().describe('a recorder region name such as uksouth'),

  SIP_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address the SIP listeners bind to'),
  SIP_ADVERTISED_HOST: z.string().trim().min(1).optional().describe('the address peers reach us at (Via/Contact), when not the bound one'),
  SIP_UDP_PORT: envInt({ min: 0, max: 65535, default: 5060 }).describe('a port (0 picks one), or unset with SIP_UDP=false'),
  SIP_TCP_PORT: envInt({ min: 0, max: 65535, default: 5060 }).describe('a port (0 picks one)'),
  SIP_TLS_PORT: envInt({ min: 0, max: 65535, default: 5061 }).describe('a port (0 picks one)'),
  SIP_UDP: envBool(true),
  SIP_TCP: envBool(true),
  SIP_TLS: envBool(false),
  SIP_TLS_CERT_FILE: file('a PEM file: our TLS server certificate (chain) for the trunk'),
  SIP_TLS_KEY_FILE: file('a PEM file: its private key'),
  SIP_TLS_CA_FILE: file('a PEM file of the CAs trunk peers\' client certificates and servers must chain to'),
  SIP_TLS_REQUIRE_CLIENT_CERT: envBool(false),
  SIP_USER_AGENT: z.string().trim().min(1).max(100).default('ci-connector sip-signaling').describe('the User-Agent/Server header value'),
  SIP_T1: envDurationMs('500ms'),
  SIP_SESSION_TIMER: envDurationMs('0').describe('RFC 4028 session interval per leg (e.g. 30m); 0 turns session timers off'),
  SIP_OUTBOUND_PROXY: sipUri('a sip: URI of the default next hop for calls whose tenant names none'),
  SIP_TENANTS_FILE: file('a JSON file: tenant id → match rules, next hop, seller header, dialer call-id header'),
  SIP_UNKNOWN_TENANT: z.enum(['relay', 'reject-403', 'reject-404']).default('relay').describe('relay (unrecorded), reject-403 or reject-404'),
  SIP_DIALER_CALL_ID_HEADER: headerName('a header carrying the dialer\'s call id (the tenant file may name another)'),
  SIP_COPY_HEADERS: envList(z.string().regex(HEADER_NAME_RE, 'not a SIP header name'), 'P-Asserted-Identity,Privacy,Diversion,User-to-User').describe('a comma-separated list of header names copied from A\'s INVITE to B\'s'),
  SIP_MAX_CALLS: envInt({ min: 1, max: 1_000_000, default: 10_000 }),

  RTPENGINE_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address of rtpengine\'s ng control socket'),
  RTPENGINE_PORT: envPort(22222),
  RTPENGINE_TIMEOUT: envDurationMs('1s'),
  RTPENGINE_ENABLED: envBool(true),

  REDIS_URL: envUrl(['redis', 'rediss']).optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'not a key prefix')
    .default('cic:')
    .describe('the key prefix of the recording-policy Redis layout (letters, digits, : _ . -)'),
  RECORDING_DECISION_TIMEOUT: envDurationMs('500ms'),
  RECORDING_HOOK_MAX_PENDING: envInt({ min: 1, max: 100_000, default: 1000 }),

  // --- Recording (SIPREC client): the recording session in the call path ---
  RECORDING_SIPREC: envBool(true).describe('run the SIPREC recording session (needs RECORDING_TLS_CERT_FILE/KEY_FILE and Redis); false = decide and log only'),
  RECORDING_TLS_CERT_FILE: file('a PEM file: the carrier\'s TLS client certificate presented to the recorders (registered as CertificateSubjectName/Issuer)'),
  RECORDING_TLS_KEY_FILE: file('a PEM file: its private key'),
  RECORDING_TLS_CA_FILE: file('a PEM file of the CAs the recorders\' certificates must chain to (default: Node\'s root CAs)'),
  RECORDING_SRC_DOMAIN: z.string().trim().regex(/^[A-Za-z0-9.-]{1,253}$/, 'not a domain name').optional().describe('the host of From: <sip:SRC@<domain>> (the carrier\'s SIP domain); default SIP_ADVERTISED_HOST or SIP_HOST'),
  RECORDING_CONTACT_HOST: z.string().trim().min(1).optional().describe('the host of Contact: <sip:SRC@<host>;transport=tls>;+sip.src; default SIP_ADVERTISED_HOST or SIP_HOST'),
  RECORDING_POLICY_UNAVAILABLE: z.enum(['skip', 'record']).default('skip').describe('skip (do not record, default) or record when Redis cannot answer'),
  RECORDING_ATTEMPT_TIMEOUT: envDurationMs('1500ms'),
  RECORDING_FAILOVER_BUDGET: envDurationMs('8s'),
  RECORDING_NO_FAILOVER_STATUSES: envList(z.string().regex(/^[3-6]\d\d$/, 'not a SIP status 300-699'), '400,403,404,415,420,421,488').describe('comma-separated SIP statuses after which no other recorder is tried'),
  RECORDING_EXTENSION_NAMESPACE: z.string().trim().min(1).optional().describe('the xmlns of the metadata\'s ExtensionParameters (default http://provider.com/siprec)'),
  // Recorders (RECORDER_HOST_OVERRIDES, RECORDER_GLOBAL_FALLBACK, OPTIONS pings, circuit breakers): src/recorders/config.ts.
  ...recorderPoolEnv,
  // Recording events and recording.control on Kafka (KAFKA_*): src/events/config.ts.
  ...recordingEventsEnv,

  READINESS_STRICT: envBool(false),
  DRAIN_GRACE: envDurationMs('2m'),
  DRAIN_RETRY_AFTER: envInt({ min: 0, max: 86_400, default: 30 }).describe('seconds, the Retry-After of a 503 while draining'),

  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envUrl(['http', 'https']).optional(),
  OTEL_TRACES_SAMPLE_RATIO: z.coerce.number().min(0, 'below 0').max(1, 'above 1').default(1).describe('a number from 0 to 1'),
  SHUTDOWN_TIMEOUT: envDurationMs('150s').describe('a duration (longer than DRAIN_GRACE + 10s)'),
});

export type UnknownTenantAction = 'relay' | 'reject-403' | 'reject-404';

export interface SipSignalingConfig {
  service: { name: string; version: string; region?: string };
  http: { host: string; port: number };
  /** GET /metrics (Prometheus); port 0 = off. */
  metrics: { host: string; port: number };
  log: { level: string };
  sip: {
    listen: { protocol: 'udp' | 'tcp' | 'tls'; host: string; port: number }[];
    advertisedHost?: string;
    tls?: { certFile: string; keyFile: string; caFile?: string; requireClientCert: boolean };
    userAgent: string;
    t1Ms: number;
    /** Seconds; 0 = off. */
    sessionTimerSeconds: number;
    outboundProxy?: string;
    tenantsFile?: string;
    unknownTenant: UnknownTenantAction;
    dialerCallIdHeader?: string;
    copyHeaders: string[];
    maxCalls: number;
  };
  rtpengine: { enabled: boolean; host: string; port: number; timeoutMs: number };
  redis?: { url: string; prefix: string };
  recording: {
    decisionTimeoutMs: number;
    maxPending: number;
    /** The SIPREC client; absent = decide and log only (RECORDING_SIPREC=false). */
    siprec?: {
      tls: { certFile: string; keyFile: string; caFile?: string };
      srcDomain: string;
      contactHost: string;
      hostOverrides: Record<string, string>;
      globalFallback: boolean;
      whenPolicyUnavailable: 'skip' | 'record';
      attemptTimeoutMs: number;
      failoverBudgetMs: number;
      noFailoverStatuses: number[];
      extensionNamespace?: string;
    };
    /** The recorder pool: failover order, OPTIONS pings, circuit breakers (src/recorders). */
    recorders: RecorderPoolConfig;
    /** Recording events and control commands (src/events); no `kafka` = events logged, no control. */
    events: RecordingEventsConfig;
  };
  readinessStrict: boolean;
  drain: { graceMs: number; retryAfterSeconds: number };
  telemetry: { otlpTracesEndpoint?: string; sampleRatio: number };
  shutdownTimeoutMs: number;
}

type Env = z.output<typeof schema>;

function build(e: Env): SipSignalingConfig {
  const problems: ConfigProblem[] = [];
  if (e.METRICS_PORT !== 0 && e.METRICS_PORT === e.HTTP_PORT) problems.push({ variable: 'METRICS_PORT', problem: 'must differ from HTTP_PORT', received: String(e.METRICS_PORT) });
  const listen: SipSignalingConfig['sip']['listen'] = [];
  if (e.SIP_UDP) listen.push({ protocol: 'udp', host: e.SIP_HOST, port: e.SIP_UDP_PORT });
  if (e.SIP_TCP) listen.push({ protocol: 'tcp', host: e.SIP_HOST, port: e.SIP_TCP_PORT });
  if (e.SIP_TLS) listen.push({ protocol: 'tls', host: e.SIP_HOST, port: e.SIP_TLS_PORT });
  if (listen.length === 0) problems.push({ variable: 'SIP_UDP', problem: 'no SIP listener: enable at least one of SIP_UDP, SIP_TCP, SIP_TLS', received: 'false' });
  if (e.SIP_TLS && !e.SIP_TLS_CERT_FILE) problems.push({ variable: 'SIP_TLS_CERT_FILE', problem: 'missing (SIP_TLS=true)', expects: 'a PEM file of the TLS server certificate' });
  if (e.SIP_TLS && !e.SIP_TLS_KEY_FILE) problems.push({ variable: 'SIP_TLS_KEY_FILE', problem: 'missing (SIP_TLS=true)', expects: 'a PEM file of its private key' });
  if (e.SIP_TLS_REQUIRE_CLIENT_CERT && !e.SIP_TLS_CA_FILE) problems.push({ variable: 'SIP_TLS_CA_FILE', problem: 'missing (SIP_TLS_REQUIRE_CLIENT_CERT=true)', expects: 'a PEM file of the CAs client certificates chain to' });
  const samePort = (a: boolean, pa: number, b: boolean, pb: number) => a && b && pa !== 0 && pa === pb;
  if (samePort(e.SIP_TLS, e.SIP_TLS_PORT, e.SIP_TCP, e.SIP_TCP_PORT)) problems.push({ variable: 'SIP_TLS_PORT', problem: 'must differ from SIP_TCP_PORT', received: String(e.SIP_TLS_PORT) });
  if (e.SIP_SESSION_TIMER !== 0 && e.SIP_SESSION_TIMER < 90_000) problems.push({ variable: 'SIP_SESSION_TIMER', problem: 'below the RFC 4028 minimum of 90s (or 0 for off)', received: `${e.SIP_SESSION_TIMER}ms` });
  if (e.SHUTDOWN_TIMEOUT < e.DRAIN_GRACE + 10_000) problems.push({ variable: 'SHUTDOWN_TIMEOUT', problem: 'must be at least DRAIN_GRACE + 10s (the drain, then closing)', received: `${e.SHUTDOWN_TIMEOUT}ms` });
  const recorders = recorderPoolConfig(e);
  problems.push(...recorders.problems);
  const hostOverrides: Record<string, string> = { ...recorders.config.hostOverrides };
  if (e.RECORDING_SIPREC && (e.RECORDING_TLS_CERT_FILE || e.RECORDING_TLS_KEY_FILE) && !(e.RECORDING_TLS_CERT_FILE && e.RECORDING_TLS_KEY_FILE)) {
    problems.push({ variable: e.RECORDING_TLS_CERT_FILE ? 'RECORDING_TLS_KEY_FILE' : 'RECORDING_TLS_CERT_FILE', problem: 'missing (both the client certificate and its key are needed)', expects: 'a PEM file' });
  }
  if (problems.length > 0) throw new ConfigError('sip-signaling', problems);
  const ourHost = e.SIP_ADVERTISED_HOST ?? e.SIP_HOST;

  return {
    service: { name: 'sip-signaling', version: '0.1.0', ...(e.REGION ? { region: e.REGION } : {}) },
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    log: { level: e.LOG_LEVEL },
    sip: {
      listen,
      ...(e.SIP_ADVERTISED_HOST ? { advertisedHost: e.SIP_ADVERTISED_HOST } : {}),
      ...(e.SIP_TLS && e.SIP_TLS_CERT_FILE && e.SIP_TLS_KEY_FILE
        ? { tls: { certFile: resolve(e.SIP_TLS_CERT_FILE), keyFile: resolve(e.SIP_TLS_KEY_FILE), ...(e.SIP_TLS_CA_FILE ? { caFile: resolve(e.SIP_TLS_CA_FILE) } : {}), requireClientCert: e.SIP_TLS_REQUIRE_CLIENT_CERT } }
        : {}),
      userAgent: e.SIP_USER_AGENT,
      t1Ms: e.SIP_T1,
      sessionTimerSeconds: Math.round(e.SIP_SESSION_TIMER / 1000),
      ...(e.SIP_OUTBOUND_PROXY ? { outboundProxy: e.SIP_OUTBOUND_PROXY } : {}),
      ...(e.SIP_TENANTS_FILE ? { tenantsFile: resolve(e.SIP_TENANTS_FILE) } : {}),
      unknownTenant: e.SIP_UNKNOWN_TENANT,
      ...(e.SIP_DIALER_CALL_ID_HEADER ? { dialerCallIdHeader: e.SIP_DIALER_CALL_ID_HEADER } : {}),
      copyHeaders: e.SIP_COPY_HEADERS,
      maxCalls: e.SIP_MAX_CALLS,
    },
    rtpengine: { enabled: e.RTPENGINE_ENABLED, host: e.RTPENGINE_HOST, port: e.RTPENGINE_PORT, timeoutMs: e.RTPENGINE_TIMEOUT },
    ...(e.REDIS_URL ? { redis: { url: e.REDIS_URL, prefix: e.REDIS_KEY_PREFIX } } : {}),
    recording: {
      decisionTimeoutMs: e.RECORDING_DECISION_TIMEOUT,
      maxPending: e.RECORDING_HOOK_MAX_PENDING,
      recorders: recorders.config,
      events: recordingEventsConfig(e),
      ...(e.RECORDING_SIPREC && e.RECORDING_TLS_CERT_FILE && e.RECORDING_TLS_KEY_FILE
        ? {
            siprec: {
              tls: { certFile: resolve(e.RECORDING_TLS_CERT_FILE), keyFile: resolve(e.RECORDING_TLS_KEY_FILE), ...(e.RECORDING_TLS_CA_FILE ? { caFile: resolve(e.RECORDING_TLS_CA_FILE) } : {}) },
              srcDomain: e.RECORDING_SRC_DOMAIN ?? ourHost,
              contactHost: e.RECORDING_CONTACT_HOST ?? ourHost,
              hostOverrides,
              globalFallback: e.RECORDER_GLOBAL_FALLBACK,
              whenPolicyUnavailable: e.RECORDING_POLICY_UNAVAILABLE,
              attemptTimeoutMs: e.RECORDING_ATTEMPT_TIMEOUT,
              failoverBudgetMs: e.RECORDING_FAILOVER_BUDGET,
              noFailoverStatuses: e.RECORDING_NO_FAILOVER_STATUSES.map(Number),
              ...(e.RECORDING_EXTENSION_NAMESPACE ? { extensionNamespace: e.RECORDING_EXTENSION_NAMESPACE } : {}),
            },
          }
        : {}),
    },
    readinessStrict: e.READINESS_STRICT,
    drain: { graceMs: e.DRAIN_GRACE, retryAfterSeconds: e.DRAIN_RETRY_AFTER },
    telemetry: { ...(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? { otlpTracesEndpoint: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT } : {}), sampleRatio: e.OTEL_TRACES_SAMPLE_RATIO },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
  };
}

/** Every variable the app reads (for the .env.example check). */
export const SIP_SIGNALING_VARIABLES: readonly string[] = Object.keys(schema.shape);

let cached: SipSignalingConfig | undefined;

/** The app's configuration from process.env, parsed once; exits 78 with every bad variable listed. */
export function sipSignalingConfig(): SipSignalingConfig {
  cached ??= loadConfigOrExit('sip-signaling', schema, process.env, build);
  return cached;
}

/** Like sipSignalingConfig() but never cached, throwing ConfigError instead of exiting (tests). */
export function parseSipSignalingConfig(env: Record<string, string | undefined>): SipSignalingConfig {
  return loadConfig('sip-signaling', schema, env, build);
}
