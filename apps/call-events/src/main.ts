import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { telemetry } from './instrumentation';
import { callEventsConfig } from './config/config';
import { createLogger } from '@ci-connector/platform-logging';
import { createMetricsRegistry, serveMetrics } from '@ci-connector/platform-observability';
import { GracefulShutdown } from '@ci-connector/platform-shutdown';
import { closeRedis, createRedisClient, redisHealth } from '@ci-connector/platform-redis';
import { createIdempotentProducer, createKafka, kafkaConnectionSecurity } from '@ci-connector/platform-kafka';
import { PinoNestLogger, type ReadinessCheck } from '@ci-connector/platform-nest';
import { createApiKeyStore, createTenantStore } from '@ci-connector/recording-policy';
import { createCallEventsApp } from './app';
import { BatchingSender } from './core/event-sender';
import { CachedTenantDirectory } from './core/tenant-access';
import { listenMtls, type MtlsListener } from './http/mtls-listener';
import { KafkaLink } from './kafka-link';
import { CallEventsMetrics, MeteredCallEventsService, MeteredPartnerAuthenticator } from './metrics';

async function main() {
  const config = callEventsConfig();
  const logger = createLogger({ name: config.service.name, level: config.log.level, base: config.service.region ? { region: config.service.region } : {} });
  const shutdown = new GracefulShutdown({ logger, timeoutMs: config.shutdownTimeoutMs });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());
  shutdown.listen();
  const metrics = new CallEventsMetrics(
    createMetricsRegistry({ serviceName: config.service.name, serviceVersion: config.service.version, ...(config.service.region ? { region: config.service.region } : {}), ...config.metrics }, logger),
  );
  shutdown.onShutdown('metrics', () => metrics.registry.shutdown());
  await serveMetrics(metrics.registry, logger);
  const prefix = config.redis.prefix;

  const redis = createRedisClient({ url: config.redis.url, connectionName: config.service.name, autoPipelining: true, onError: (err) => logger.warn({ err: err.message }, 'redis connection error') });
  shutdown.onShutdown('redis', () => closeRedis(redis));
  const tenantStore = createTenantStore(redis, { prefix });
  shutdown.onShutdown('tenant store', () => tenantStore.close());

  const kafka = createKafka({ clientId: config.service.name, brokers: config.kafka.brokers, logger, ...kafkaConnectionSecurity(logger) });
  const topics = config.kafka.topics;
  const producer = createIdempotentProducer(kafka);
  const link = new KafkaLink(
    kafka.admin(),
    producer,
    { topics: [topics.callEvents, topics.recordingControl], createTopics: config.kafka.createTopics, partitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor },
    logger,
  );
  shutdown.onShutdown('kafka', () => link.stop());
  const sender = new BatchingSender(
    producer,
    { deadlineMs: config.kafka.produceDeadlineMs, maxPending: config.kafka.maxPending, maxBatch: config.kafka.maxBatch, lingerMs: config.kafka.lingerMs, retryAfterSeconds: config.retryAfterSeconds },
    () => link.ready,
    (err, messages) => logger.error({ err: err.message, messages }, 'kafka send failed'),
  );
  // Runs before the Kafka clients close: every accepted message gets its answer.
  shutdown.onShutdown('pending events', () => sender.close());

  const auth = new MeteredPartnerAuthenticator(metrics, createApiKeyStore(redis, { prefix }), config.mtls?.partners ?? [], config.authCacheTtlMs);
  const events = new MeteredCallEventsService(metrics, metrics.meteredSink(sender), new CachedTenantDirectory(tenantStore, config.authCacheTtlMs), { topics, widgetToken: config.widgetToken }, logger);
  metrics.observePending(sender);
  const checks: ReadinessCheck[] = [
    { name: 'accepting', check: () => (shutdown.isShuttingDown ? { ok: false, error: 'shutting down' } : { ok: true }) },
    { name: 'redis', check: () => redisHealth(redis) },
    { name: 'kafka', check: async () => ({ ...(await link.health()), pending: sender.pending }) },
    { name: 'metrics', check: () => metrics.registry.health() },
  ];

  const mtls = config.mtls;
  const pem = mtls ? { cert: readFileSync(mtls.certFile), key: readFileSync(mtls.keyFile), ca: readFileSync(mtls.caFile) } : undefined;
  const app = await createCallEventsApp(
    { auth, events, checks },
    {
      grpc: config.grpc,
      ...(mtls?.grpcPort !== undefined && pem ? { grpcTls: { host: mtls.host, port: mtls.grpcPort, ...pem } } : {}),
      maxBodyBytes: config.http.maxBodyBytes,
      widgetTokenMaxTtlSeconds: config.widgetToken.maxTtlSeconds,
      logger: new PinoNestLogger(logger),
    },
  );

  link.start();
  await app.startAllMicroservices();
  await app.listen(config.http.port, config.http.host);
  shutdown.onShutdown('http+grpc', () => app.close());
  let https: MtlsListener | undefined;
  if (mtls?.httpsPort !== undefined && pem) {
    https = await listenMtls(app, { host: mtls.host, port: mtls.httpsPort, ...pem });
    shutdown.onShutdown('https (mutual TLS)', () => https?.close());
  }
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  logger.info(
    {
      url,
      grpc: `${config.grpc.host}:${config.grpc.port}`,
      ...(https ? { mtlsUrl: https.url } : {}),
      ...(mtls?.grpcPort !== undefined ? { mtlsGrpc: `${mtls.host}:${mtls.grpcPort}`, partners: mtls.partners.length } : {}),
      topics,
      pid: process.pid,
    },
    'call-events listening',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`call-events failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
