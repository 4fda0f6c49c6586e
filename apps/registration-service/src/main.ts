import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { telemetry } from './instrumentation';
import { registrationConfig } from './config/config';
import { createLogger } from '@ci-connector/platform-logging';
import { createMetricsRegistry, serveMetrics } from '@ci-connector/platform-observability';
import { GracefulShutdown } from '@ci-connector/platform-shutdown';
import { closeRedis, createRedisClient, redisHealth } from '@ci-connector/platform-redis';
import { createIdempotentProducer, createKafka, ensureTopics, kafkaHealth, kafkaConnectionSecurity } from '@ci-connector/platform-kafka';
import { PinoNestLogger, type ReadinessCheck } from '@ci-connector/platform-nest';
import { createApiKeyStore, createSyncScheduler, createTenantStore } from '@ci-connector/recording-policy';
import { createRegistrationApp } from './app';
import { createCiApiRegistrar } from './core/ci-api-registrar';
import { OutboxRelay } from './core/outbox-relay';
import { RedisLocks } from './core/redis-locks';
import { RegistrationMetrics } from './metrics';

async function main() {
  const config = registrationConfig();
  const logger = createLogger({ name: config.service.name, level: config.log.level, base: config.service.region ? { region: config.service.region } : {} });
  const shutdown = new GracefulShutdown({ logger, timeoutMs: config.shutdownTimeoutMs });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());
  shutdown.listen();
  const metrics = new RegistrationMetrics(
    createMetricsRegistry({ serviceName: config.service.name, serviceVersion: config.service.version, ...(config.service.region ? { region: config.service.region } : {}), ...config.metrics }, logger),
  );
  shutdown.onShutdown('metrics', () => metrics.registry.shutdown());
  await serveMetrics(metrics.registry, logger);
  const instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const prefix = config.redis.prefix;

  const redis = createRedisClient({ url: config.redis.url, connectionName: config.service.name, onError: (err) => logger.warn({ err: err.message }, 'redis connection error') });
  shutdown.onShutdown('redis', () => closeRedis(redis));

  const kafka = createKafka({ clientId: config.service.name, brokers: config.kafka.brokers, logger, ...kafkaConnectionSecurity(logger) });
  const admin = kafka.admin();
  const producer = createIdempotentProducer(kafka);
  admin.connect().catch((err: Error) => logger.warn({ err: err.message }, 'kafka not reachable yet'));
  shutdown.onShutdown('kafka', async () => {
    await producer.disconnect();
    await admin.disconnect();
  });

  const ciApi = createCiApiRegistrar(config.ciApi, logger);
  shutdown.onShutdown('ci-api', () => ciApi.close());
  const registrar = metrics.meteredRegistrar(ciApi);

  const tenantStore = createTenantStore(redis, { prefix });
  shutdown.onShutdown('tenant store', () => tenantStore.close());
  metrics.observeTenants(tenantStore);
  const locks = new RedisLocks(redis);
  const relay = new OutboxRelay(
    tenantStore,
    producer,
    locks,
    {
      topic: config.kafka.tenantsTopic,
      lockKey: `${prefix}outbox:tenants:relay`,
      owner: instanceId,
      lockTtlMs: config.outbox.lockTtlMs,
      pollIntervalMs: config.outbox.pollIntervalMs,
      batchSize: config.outbox.batchSize,
      produceDeadlineMs: config.kafka.produceDeadlineMs,
      prepare: async () => {
        await admin.connect();
        await ensureTopics(admin, [
          {
            topic: config.kafka.tenantsTopic,
            numPartitions: config.kafka.partitions,
            replicationFactor: config.kafka.replicationFactor,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ]);
        await producer.connect();
      },
    },
    logger,
  );

  const checks: ReadinessCheck[] = [
    { name: 'accepting', check: () => (shutdown.isShuttingDown ? { ok: false, error: 'shutting down' } : { ok: true }) },
    { name: 'redis', check: () => redisHealth(redis) },
    { name: 'kafka', check: () => kafkaHealth(admin) },
    { name: 'metrics', check: () => metrics.registry.health() },
  ];
  const { app } = await createRegistrationApp(
    {
      tenantStore,
      apiKeyStore: createApiKeyStore(redis, { prefix }),
      syncScheduler: createSyncScheduler(redis, { prefix }),
      registrar,
      locks,
      options: { prefix, instanceId, register: config.register },
      ...(config.adminApiKey ? { adminApiKey: config.adminApiKey } : {}),
      checks,
    },
    { grpc: config.grpc, maxBodyBytes: config.http.maxBodyBytes, logger: new PinoNestLogger(logger) },
  );
  if (!config.adminApiKey) logger.warn('ADMIN_API_KEY is not set: only keys already in Redis can call the API');

  // Stopped in reverse: HTTP and gRPC stop taking calls and running registrations end first,
  // then the relay publishes what they wrote, then the clients close.
  shutdown.onShutdown('outbox relay', () => relay.stop({ drain: true }));
  await app.startAllMicroservices();
  await app.listen(config.http.port, config.http.host);
  shutdown.onShutdown('http+grpc', () => app.close());
  relay.start();
  const url = await app.getUrl();
  logger.info({ url: url.replace('[::1]', '127.0.0.1'), grpc: `${config.grpc.host}:${config.grpc.port}`, pid: process.pid, instanceId }, 'registration-service listening');
}

main().catch((err: unknown) => {
  process.stderr.write(`registration-service failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
