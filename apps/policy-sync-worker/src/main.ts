import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { telemetry } from './instrumentation';
import { workerConfig, type WorkerConfig } from './config/config';
import { createLogger } from '@ci-connector/platform-logging';
import { createMetricsRegistry, serveMetrics } from '@ci-connector/platform-observability';
import { GracefulShutdown } from '@ci-connector/platform-shutdown';
import { closeRedis, createRedisClient, redisHealth } from '@ci-connector/platform-redis';
import { createIdempotentProducer, createKafka, ensureTopics, kafkaHealth, produce, kafkaConnectionSecurity } from '@ci-connector/platform-kafka';
import { bootstrapNestService, type ReadinessCheck } from '@ci-connector/platform-nest';
import { encodeEvent } from '@ci-connector/events';
import { createPolicyStore, createSyncScheduler, createTenantStore, identitiesOfUser } from '@ci-connector/recording-policy';
import { createProvidersClient, createTokenProvider, type AppCredential } from '@ci-connector/ci-api';
import { AppModule } from './app.module';
import { SyncRunner } from './sync/sync-runner';
import { usersSourceOf } from './sync/providers-users';
import { retryDelay } from './sync/schedule-policy';
import { systemClock } from './sync/ports';
import { TenantFollower } from './tenants/tenant-follower';
import { TenantConsumer } from './tenants/tenant-consumer';
import { StatusService } from './status/status-service';
import { PolicySyncMetrics } from './metrics';

/** Reads a file the configuration names; exits 78 (bad configuration) naming the variable when it cannot. */
function readConfigured(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`policy-sync-worker: invalid configuration, 1 bad variable:\n  - ${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})\n`);
    process.exit(78);
  }
}

function appCredential(config: WorkerConfig): AppCredential {
  const c = config.ci.credential;
  if (c.kind === 'secret') return { clientId: config.ci.clientId, clientSecret: c.secret };
  return { clientId: config.ci.clientId, certificatePem: readConfigured('CI_APP_CERT_FILE', c.certFile), privateKeyPem: readConfigured('CI_APP_KEY_FILE', c.keyFile) };
}

async function main() {
  const config = workerConfig();
  const logger = createLogger({ name: config.service.name, level: config.log.level, base: { workerId: config.workerId, ...(config.service.region ? { region: config.service.region } : {}) } });
  const shutdown = new GracefulShutdown({ logger, timeoutMs: config.shutdownTimeoutMs });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());
  shutdown.listen();
  const metrics = new PolicySyncMetrics(
    createMetricsRegistry({ serviceName: config.service.name, serviceVersion: config.service.version, ...(config.service.region ? { region: config.service.region } : {}), ...config.metrics }, logger),
  );
  shutdown.onShutdown('metrics', () => metrics.registry.shutdown());
  await serveMetrics(metrics.registry, logger);

  // Outside world: Redis (tenants, policies, schedule), Kafka (tenant changes in, policy updates out), Entra ID + providers API.
  const redis = createRedisClient({ url: config.redis.url, connectionName: `${config.service.name}:${config.workerId}`, commandTimeoutMs: 5000, onError: (err) => logger.warn({ err: err.message }, 'redis connection error') });
  shutdown.onShutdown('redis', () => closeRedis(redis));
  const storeOpts = { prefix: config.redis.prefix };
  const tenants = createTenantStore(redis, storeOpts);
  shutdown.onShutdown('tenant store', () => tenants.close());
  const policies = createPolicyStore(redis, storeOpts);
  const scheduler = createSyncScheduler(redis, storeOpts);

  const ca = config.ci.caFile ? readConfigured('CI_API_CA_FILE', config.ci.caFile) : undefined;
  const tokens = createTokenProvider({
    authorityHost: config.ci.authorityHost,
    credentials: { app: appCredential(config) },
    ...(ca ? { ca } : {}),
    requestTimeoutMs: config.ci.requestTimeoutMs,
    logger,
  });
  shutdown.onShutdown('token provider', () => tokens.close());
  const providers = createProvidersClient({
    baseUrl: config.ci.apiBaseUrl,
    tokens,
    ...(ca ? { ca } : {}),
    timeoutMs: config.ci.requestTimeoutMs,
    retry: { maxAttempts: config.ci.retryMaxAttempts, deadlineMs: config.ci.retryDeadlineMs },
    onRetry: (r) => logger.info({ tenantId: r.tenantId, operation: r.operation, attempt: r.attempt, delayMs: r.delayMs, err: r.error.message }, 'providers API call retried'),
    logger,
  });
  shutdown.onShutdown('providers client', () => providers.close());

  const kafka = createKafka({ clientId: `${config.service.name}-${config.workerId}`, brokers: config.kafka.brokers, logger, ...kafkaConnectionSecurity(logger) });
  const admin = kafka.admin();
  shutdown.onShutdown('kafka admin', () => admin.disconnect());
  const producer = createIdempotentProducer(kafka);
  shutdown.onShutdown('kafka producer', () => producer.disconnect());

  const runner = new SyncRunner(
    {
      users: metrics.meteredUsers(usersSourceOf(providers)),
      normalise: (user, country) => identitiesOfUser(user, country).identities,
      policies: metrics.meteredPolicies(policies),
      scheduler,
      tenants,
      clock: systemClock,
      logger,
      publish: async (event) => {
        await produce(producer, config.kafka.policyTopic, [{ key: event.tenantId, value: encodeEvent(event) }], { deadlineMs: config.kafka.publishDeadlineMs });
      },
    },
    { owner: config.workerId, ...config.sync },
  );
  const follower = new TenantFollower({
    tenants,
    policies,
    scheduler,
    syncNow: (id, trigger) => runner.requestSync(id, trigger),
    forget: (id) => runner.forget(id),
    clock: systemClock,
    logger,
    intervalMs: config.sync.intervalMs,
  });
  const consumer = new TenantConsumer({ kafka, groupId: config.kafka.groupId, topic: config.kafka.tenantsTopic, follower, logger });
  const status = new StatusService({
    workerId: config.workerId,
    tenants,
    policies,
    scheduler,
    runner,
    clock: systemClock,
    intervalMs: config.sync.intervalMs,
    degradedAfterMs: config.sync.degradedAfterMs,
  });

  const checks: ReadinessCheck[] = [
    { name: 'accepting', check: () => (shutdown.isShuttingDown ? { ok: false, error: 'shutting down' } : { ok: true }) },
    { name: 'redis', check: () => redisHealth(redis) },
    { name: 'kafka', check: () => kafkaHealth(admin) },
    { name: 'tenants-consumer', check: () => consumer.health() },
    // Stays ok while lists are stale — the worker itself works — but says `degraded: true` and which tenants.
    { name: 'policies', check: () => status.readiness() },
    { name: 'metrics', check: () => metrics.registry.health() },
  ];
  metrics.observe(status, runner);

  await bootstrapNestService({ name: config.service.name, module: AppModule.forRoot({ checks, status, runner, tenants }), http: config.http, logger, shutdown });

  // Registered last, so it runs first at shutdown: stop claiming, drain or abort the syncs, leave the group.
  shutdown.onShutdown('sync loop', async () => {
    await Promise.allSettled([runner.stop(), consumer.stop()]);
  });

  // Kafka or Redis unreachable at start: stay up (live, not ready, saying why) and keep trying.
  let startError: string | undefined = 'starting';
  checks.push({ name: 'sync-loop', check: () => (startError === undefined ? { ok: true, syncing: runner.inFlight } : { ok: false, error: startError }) });
  for (let attempt = 1; !shutdown.isShuttingDown; attempt++) {
    try {
      await admin.connect();
      await producer.connect();
      if (config.kafka.ensureTopics) await ensureTopicsTolerant(admin, config);
      await follower.reconcile();
      // Sync what is due at once; joining the consumer group can wait for a rebalance.
      runner.start();
      await consumer.start();
      startError = undefined;
      logger.info({ intervalMs: config.sync.intervalMs, concurrency: config.sync.concurrency, tenantsTopic: config.kafka.tenantsTopic }, 'policy sync started');
      return;
    } catch (err) {
      startError = `not started yet: ${err instanceof Error ? err.message : String(err)}`;
      const delay = retryDelay(attempt, { intervalMs: 0, jitterMs: 0, retryMinMs: 500, retryMaxMs: 10_000 }, { retryable: true });
      logger.warn({ err: startError, attempt, retryInMs: delay }, 'could not start the sync loop; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** Creates the topics when missing; another service creating them at the same moment is fine. */
async function ensureTopicsTolerant(admin: ReturnType<ReturnType<typeof createKafka>['admin']>, config: WorkerConfig): Promise<void> {
  const topics = [
    { topic: config.kafka.tenantsTopic, numPartitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    { topic: config.kafka.policyTopic, numPartitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor },
  ];
  try {
    await ensureTopics(admin, topics);
  } catch (err) {
    if (!/already exists/i.test(err instanceof Error ? err.message : String(err))) throw err;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`policy-sync-worker failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
