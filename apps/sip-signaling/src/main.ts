import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { telemetry } from './instrumentation';
import { sipSignalingConfig, type SipSignalingConfig } from './config/config';
import { createLogger, type Logger } from '@ci-connector/platform-logging';
import { createMetricsRegistry, serveMetrics } from '@ci-connector/platform-observability';
import { GracefulShutdown } from '@ci-connector/platform-shutdown';
import { closeRedis, createRedisClient, redisHealth } from '@ci-connector/platform-redis';
import { bootstrapNestService, type CheckResult, type ReadinessCheck } from '@ci-connector/platform-nest';
import { createRecordingPolicy, createTenantStore } from '@ci-connector/recording-policy';
import { createRtpengine, type Rtpengine } from '@ci-connector/rtpengine';
import { createSipStack, type SipStackOptions } from '@ci-connector/sip';
import type { RecorderRegion } from '@ci-connector/tenancy';
import { AppModule } from './app.module';
import { CallManager } from './calls/call-manager';
import { createPassthroughAnchor, createRtpengineAnchor, type MediaAnchor } from './media/media-anchor';
import { DecisionLoggingHook, SafeRecordingHook, type RecordingHook } from './recording/recording-hook';
import { createIdempotentProducer, createKafka, kafkaConnectionSecurity } from '@ci-connector/platform-kafka';
import { ensureRecordingTopics, KafkaRecordingControlSource, KafkaRecordingEventPublisher, LoggingRecordingEventPublisher, type RecordingEventPublisher } from './events';
import { createOptionsPinger, RecorderPool, regionTargets } from './recorders';
import { SiprecRecordingHook } from './recording/siprec-hook';
import { SrsClient } from './recording/srs-client';
import { parseTenantRules, TenantRulesError, type TenantRules } from './tenants/tenant-rules';
import { SipSignalingMetrics } from './metrics';

/** Stops the start with exit 78 (bad configuration), naming the variable and what is wrong. */
function configProblem(variable: string, problem: string): never {
  process.stderr.write(`sip-signaling: invalid configuration, 1 bad variable:\n  - ${variable}: ${problem}\n`);
  process.exit(78);
}

function readConfigured(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    return configProblem(variable, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function loadRules(config: SipSignalingConfig): TenantRules {
  const file = config.sip.tenantsFile;
  if (!file) return { tenants: [] };
  try {
    return parseTenantRules(readConfigured('SIP_TENANTS_FILE', file), file);
  } catch (err) {
    if (err instanceof TenantRulesError) return configProblem('SIP_TENANTS_FILE', err.message);
    throw err;
  }
}

function transportOptions(config: SipSignalingConfig): SipStackOptions['transport'] {
  const tls = config.sip.tls;
  if (!tls) return {};
  const ca = tls.caFile ? readConfigured('SIP_TLS_CA_FILE', tls.caFile) : undefined;
  const cert = readConfigured('SIP_TLS_CERT_FILE', tls.certFile);
  const key = readConfigured('SIP_TLS_KEY_FILE', tls.keyFile);
  return {
    tlsServer: { cert, key, ...(ca ? { ca } : {}), requestCert: tls.requireClientCert, rejectUnauthorized: true },
    // Our own TLS connections to trunk peers (a BYE after the peer's connection dropped) present the same
    // certificate: a peer that demands client certificates accepts them (it needs the clientAuth usage).
    tlsClient: { ...(ca ? { ca } : {}), identities: { trunk: { cert, key } }, defaultIdentity: 'trunk' },
  };
}

/** A dependency whose outage does not stop calls (they go on unanchored / unrecorded): degraded, not unready, unless READINESS_STRICT. */
function soft(strict: boolean, check: () => Promise<CheckResult & Record<string, unknown>>): () => Promise<CheckResult> {
  return async () => {
    const r = await check();
    return r.ok || strict ? r : { ...r, ok: true, degraded: true };
  };
}

async function main() {
  const config = sipSignalingConfig();
  const logger: Logger = createLogger({ name: config.service.name, level: config.log.level, base: config.service.region ? { region: config.service.region } : {} });
  const shutdown = new GracefulShutdown({ logger, timeoutMs: config.shutdownTimeoutMs });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());
  shutdown.listen();
  // GET /metrics from the start; stopped second to last (a drain stays visible to the scraper).
  const metrics = new SipSignalingMetrics(
    createMetricsRegistry({ serviceName: config.service.name, serviceVersion: config.service.version, ...(config.service.region ? { region: config.service.region } : {}), ...config.metrics }, logger),
  );
  shutdown.onShutdown('metrics', () => metrics.registry.shutdown());
  await serveMetrics(metrics.registry, logger);

  const rules = loadRules(config);
  const transport = transportOptions(config);

  // Recording policy (Redis): optional; without it nothing is recorded.
  let policy: ReturnType<typeof createRecordingPolicy> | undefined;
  let tenantStore: ReturnType<typeof createTenantStore> | undefined;
  const checks: ReadinessCheck[] = [];
  if (config.redis) {
    const redis = createRedisClient({ url: config.redis.url, connectionName: config.service.name, commandTimeoutMs: config.recording.decisionTimeoutMs, onError: (err) => logger.warn({ err: err.message }, 'redis connection error') });
    shutdown.onShutdown('redis', () => closeRedis(redis));
    policy = createRecordingPolicy(redis, { prefix: config.redis.prefix });
    tenantStore = createTenantStore(redis, { prefix: config.redis.prefix });
    const store = tenantStore;
    shutdown.onShutdown('tenant store', () => store.close());
    checks.push({ name: 'redis', check: soft(config.readinessStrict, async () => ({ ...(await redisHealth(redis)) })) });
  }

  // Media anchoring in rtpengine.
  let anchor: MediaAnchor;
  let rtpengine: Rtpengine | undefined;
  if (config.rtpengine.enabled) {
    rtpengine = createRtpengine({ host: config.rtpengine.host, port: config.rtpengine.port, timeoutMs: config.rtpengine.timeoutMs, logger });
    anchor = createRtpengineAnchor(rtpengine, {
      timeoutMs: config.rtpengine.timeoutMs,
      onError: (err, c) => logger.warn({ ...c, err: err instanceof Error ? err.message : String(err) }, 'rtpengine command failed'),
    });
  } else {
    anchor = createPassthroughAnchor();
  }
  shutdown.onShutdown('rtpengine', () => anchor.close());
  checks.push({ name: 'rtpengine', check: soft(config.readinessStrict, () => anchor.health()) });

  // SIP.
  const stack = await createSipStack({
    listen: config.sip.listen,
    transport,
    transactions: { t1: config.sip.t1Ms },
    sessionTimer: config.sip.sessionTimerSeconds > 0 ? { interval: config.sip.sessionTimerSeconds } : false,
    userAgent: config.sip.userAgent,
    ...(config.sip.advertisedHost ? { advertisedHost: config.sip.advertisedHost } : {}),
    events: {
      onMalformed: (err, from, answered) => logger.info({ code: err.code, err: err.message, from: `${from.protocol}:${from.remote.address}:${from.remote.port}`, answered }, 'malformed SIP message'),
      onSendError: (err, dest) => logger.warn({ err: err instanceof Error ? err.message : String(err), dest }, 'SIP send failed'),
      onError: (err, context) => logger.error({ err: err instanceof Error ? (err.stack ?? err.message) : String(err), context }, 'SIP stack error'),
    },
  }).catch((err: unknown) => configProblem('SIP_HOST', `cannot open the SIP listeners: ${err instanceof Error ? err.message : String(err)}`));
  shutdown.onShutdown('sip', () => stack.close());
  // Refused TLS clients, framing errors, resets: one line each (nothing else would show them).
  stack.transport.onError((e) => logger.warn({ code: e.code, remote: e.remote, err: e.message }, 'SIP transport error'));

  // --- Recording (SIPREC client) ---
  const recordingHook: RecordingHook = await createRecordingHook(config, { policy, tenantStore, rtpengine, logger, shutdown, checks, metrics });
  const hook = new SafeRecordingHook(recordingHook, {
    logger,
    timeoutMs: config.recording.decisionTimeoutMs * 4,
    maxPending: config.recording.maxPending,
  });
  const calls = new CallManager({
    ua: stack.ua,
    resolve: (uri) => stack.resolve(uri),
    listeners: () => stack.addresses(),
    ...(config.sip.advertisedHost ? { advertisedHost: config.sip.advertisedHost } : {}),
    rules: () => rules,
    anchor,
    hook: metrics.meteredHook(hook),
    onRefused: (reason) => metrics.callRefused(reason),
    logger,
    ...(config.sip.outboundProxy ? { outboundProxy: config.sip.outboundProxy } : {}),
    unknownTenant: config.sip.unknownTenant,
    ...(config.sip.dialerCallIdHeader ? { dialerCallIdHeader: config.sip.dialerCallIdHeader } : {}),
    copyHeaders: config.sip.copyHeaders,
    maxCalls: config.sip.maxCalls,
    retryAfterSeconds: config.drain.retryAfterSeconds,
  });
  calls.start();
  metrics.observeCalls(calls, () => shutdown.isShuttingDown);
  metrics.observeHook(hook);

  checks.unshift(
    { name: 'accepting', check: () => (shutdown.isShuttingDown || calls.isDraining ? { ok: false, error: 'draining' } : { ok: true, activeCalls: calls.size }) },
    {
      name: 'sip',
      check: () => {
        const bound = stack.addresses();
        return bound.length === config.sip.listen.length ? { ok: true, listeners: bound.map((l) => `${l.protocol}:${l.address}:${l.port}`) } : { ok: false, error: `${bound.length} of ${config.sip.listen.length} listeners bound` };
      },
    },
    { name: 'recording-hook', check: () => ({ ok: true, ...hook.stats }) },
    { name: 'metrics', check: () => metrics.registry.health() },
  );

  await bootstrapNestService({ name: config.service.name, module: AppModule.forRoot({ checks, calls, ...(recordingHook instanceof SiprecRecordingHook ? { recordings: recordingHook } : {}) }), http: config.http, logger, shutdown });

  // Registered last, so it runs first at shutdown: refuse new calls, let the calls in progress end (or end them after the grace period).
  shutdown.onShutdown('drain calls', async () => {
    await calls.drain(config.drain.graceMs);
  });

  logger.info(
    { listeners: stack.addresses().map((l) => `${l.protocol}:${l.address}:${l.port}`), tenants: rules.tenants.length, rtpengine: config.rtpengine.enabled ? `${config.rtpengine.host}:${config.rtpengine.port}` : 'disabled', recordingPolicy: policy ? 'redis' : 'none' },
    'sip-signaling listening',
  );
}

/**
 * The SIPREC recording hook when it is configured (client certificate, Redis,
 * rtpengine), else the decision-logging hook. With KAFKA_BROKERS: recording
 * events on Kafka (idempotent producer) and recording.control commands read by
 * a consumer group of this replica's own; without: events logged, no control.
 * Recorders come from the RecorderPool (failover order, circuit breakers,
 * OPTIONS pings on the SIPREC stack, which keep its TLS connections warm).
 *
 * Shutdown order (the last registered runs first): 'drain calls' (main) →
 * 'recording control' (no new commands) → 'siprec' (the ended calls' BYEs, the
 * pings, then the SIPREC stack) → 'recording events' (flush what the BYEs
 * published, then disconnect the producer).
 */
async function createRecordingHook(
  config: SipSignalingConfig,
  d: {
    policy?: ReturnType<typeof createRecordingPolicy>;
    tenantStore?: ReturnType<typeof createTenantStore>;
    rtpengine?: Rtpengine;
    logger: Logger;
    shutdown: GracefulShutdown;
    checks: ReadinessCheck[];
    metrics: SipSignalingMetrics;
  },
): Promise<RecordingHook> {
  const { logger } = d;
  const siprec = config.recording.siprec;
  const logging = () => new DecisionLoggingHook({ ...(d.policy ? { policy: d.policy } : {}), logger, timeoutMs: config.recording.decisionTimeoutMs });
  if (!siprec || !d.rtpengine || !d.policy || !d.tenantStore) {
    logger.info({ siprec: !!siprec, rtpengine: !!d.rtpengine, redis: !!d.policy }, 'SIPREC recording off (needs RECORDING_TLS_CERT_FILE/KEY_FILE, rtpengine and REDIS_URL): decisions are logged only');
    return logging();
  }
  const ca = siprec.tls.caFile ? readConfigured('RECORDING_TLS_CA_FILE', siprec.tls.caFile) : undefined;
  const identity = { cert: readConfigured('RECORDING_TLS_CERT_FILE', siprec.tls.certFile), key: readConfigured('RECORDING_TLS_KEY_FILE', siprec.tls.keyFile) };
  const srsStack = await createSipStack({
    listen: [],
    transport: { tlsClient: { ...(ca ? { ca } : {}), identities: { carrier: identity }, defaultIdentity: 'carrier' }, connectTimeoutMs: siprec.attemptTimeoutMs, localAddress: config.sip.listen[0]?.host ?? '127.0.0.1' },
    transactions: { t1: config.sip.t1Ms },
    sessionTimer: false,
    userAgent: config.sip.userAgent,
    contactUser: 'SRC',
    contactParams: ';+sip.src',
    advertisedHost: siprec.contactHost,
    supported: ['siprec'],
    events: {
      onSendError: (err, dest) => logger.warn({ err: err instanceof Error ? err.message : String(err), dest }, 'SIPREC send failed'),
      onError: (err, context) => logger.warn({ err: err instanceof Error ? err.message : String(err), context }, 'SIPREC stack error'),
    },
  }).catch((err: unknown) => configProblem('RECORDING_TLS_CERT_FILE', `cannot set up the SIPREC client: ${err instanceof Error ? err.message : String(err)}`));

  // Recording events and control (Kafka). An outage never stops the start: the producer connects and the consumer joins in the background.
  const ev = config.recording.events;
  let events: RecordingEventPublisher;
  let publisherStats: KafkaRecordingEventPublisher | undefined;
  let control: KafkaRecordingControlSource | undefined;
  let stopControl: (() => Promise<void>) | undefined;
  if (ev.kafka) {
    const k = ev.kafka;
    const kafka = createKafka({ clientId: `${config.service.name}-recording`, brokers: k.brokers, logger, ...kafkaConnectionSecurity(logger) });
    const publisher = new KafkaRecordingEventPublisher({ producer: createIdempotentProducer(kafka), logger, topic: k.eventsTopic, maxQueue: ev.maxQueue });
    publisher.start();
    events = publisher;
    publisherStats = publisher;
    // Registered first of the recording parts: runs after the sessions sent their BYEs and published recording.stopped.
    d.shutdown.onShutdown('recording events', () => publisher.close(ev.flushDeadlineMs));
    d.checks.push({ name: 'recording-events', check: () => publisher.health() });
    const source = new KafkaRecordingControlSource({ kafka, logger, topic: k.controlTopic, groupIdPrefix: k.controlGroupPrefix, maxAgeMs: ev.controlMaxAgeMs });
    control = source;
    d.checks.push({ name: 'recording-control', check: () => source.health() });
    let stopping = false;
    const retry = { timer: undefined as NodeJS.Timeout | undefined };
    const startControl = async (): Promise<void> => {
      if (k.ensureTopics) {
        const admin = kafka.admin();
        try {
          await admin.connect();
          await ensureRecordingTopics(admin, { eventsTopic: k.eventsTopic, controlTopic: k.controlTopic, partitions: k.partitions, replicationFactor: k.replicationFactor });
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      }
      await source.start();
      logger.info({ groupId: source.groupId, topic: k.controlTopic }, 'recording control: consuming');
    };
    const attempt = (): void => {
      startControl().catch(async (err: unknown) => {
        logger.warn({ err: err instanceof Error ? err.message : String(err), brokers: k.brokers }, 'recording control: Kafka unavailable, retrying in 5 s (calls go on; recording events queue)');
        await source.stop().catch(() => undefined);
        if (stopping) return;
        retry.timer = setTimeout(attempt, 5_000);
        retry.timer.unref();
      });
    };
    attempt();
    stopControl = async () => {
      stopping = true;
      clearTimeout(retry.timer);
      await source.stop();
    };
  } else {
    events = new LoggingRecordingEventPublisher(logger);
    logger.info('KAFKA_BROKERS unset: recording events are logged only, no recording.control commands');
  }

  // The recorders: failover order, circuit breakers, OPTIONS pings over the SIPREC stack (its client certificate, its warm TLS connections).
  const rc = config.recording.recorders;
  const hostOverrides: Partial<Record<RecorderRegion, string>> = siprec.hostOverrides;
  const pool = new RecorderPool({
    logger,
    hostOverrides,
    globalFallback: siprec.globalFallback,
    health: { pingIntervalMs: rc.pingIntervalMs, breaker: rc.breaker },
    pinger: createOptionsPinger({ stack: srsStack, timeoutMs: rc.pingTimeoutMs, from: `<sip:SRC@${siprec.srcDomain}>` }),
    openCircuits: rc.openCircuits,
    initialTargets: regionTargets(rc.pingRegions, hostOverrides),
  });
  pool.start();
  d.checks.push({ name: 'recorders', check: () => pool.readiness() });

  const hook = new SiprecRecordingHook({
    policy: d.policy,
    tenants: d.tenantStore,
    pool: d.metrics.meteredPool(pool),
    ...(control ? { control } : {}),
    session: {
      rtpengine: d.rtpengine,
      srs: new SrsClient({ ua: srsStack.ua, fromDomain: siprec.srcDomain, attemptTimeoutMs: siprec.attemptTimeoutMs }),
      events: d.metrics.meteredPublisher(events),
      rtpengineTimeoutMs: config.rtpengine.timeoutMs,
      ...(siprec.extensionNamespace ? { extensionNamespace: siprec.extensionNamespace } : {}),
    },
    logger,
    decisionTimeoutMs: config.recording.decisionTimeoutMs,
    whenPolicyUnavailable: siprec.whenPolicyUnavailable,
    failover: { attemptTimeoutMs: siprec.attemptTimeoutMs, totalBudgetMs: siprec.failoverBudgetMs, noFailoverStatuses: siprec.noFailoverStatuses },
    connections: srsStack.transport,
  });
  // Registered before 'drain calls' (so it runs after it): the ended calls' BYEs go out, the pings stop, then the SIPREC stack closes.
  d.shutdown.onShutdown('siprec', async () => {
    await hook.settle(3_000);
    await pool.stop();
    await srsStack.close();
  });
  // Registered after 'siprec' (so it runs before it, right after the drain): no more commands while the sessions end.
  if (stopControl) d.shutdown.onShutdown('recording control', stopControl);
  d.checks.push({ name: 'siprec', check: () => ({ ok: true, activeSessions: hook.activeSessions, connections: srsStack.transport.connections().length }) });
  d.metrics.observeRecording({ sessions: hook, pool, ...(publisherStats ? { publisher: publisherStats } : {}) });
  logger.info({ srcDomain: siprec.srcDomain, hostOverrides: siprec.hostOverrides, kafka: ev.kafka ? ev.kafka.brokers : 'off', pingRegions: rc.pingRegions }, 'SIPREC recording on');
  return hook;
}

main().catch((err: unknown) => {
  process.stderr.write(`sip-signaling failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
