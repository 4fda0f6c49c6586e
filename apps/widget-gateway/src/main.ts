import 'reflect-metadata';
import { hostname } from 'node:os';
import type { Admin } from 'kafkajs';
import { telemetry } from './instrumentation';
import { gatewayConfig, type GatewayConfig } from './config/config';
import { encodeRecordingControl } from '@ci-connector/events';
import { createLogger } from '@ci-connector/platform-logging';
import { createMetricsRegistry, serveMetrics } from '@ci-connector/platform-observability';
import { GracefulShutdown } from '@ci-connector/platform-shutdown';
import { closeRedis, createRedisClient, redisHealth } from '@ci-connector/platform-redis';
import { createIdempotentProducer, createKafka, ensureTopics, kafkaHealth, kafkaConnectionSecurity } from '@ci-connector/platform-kafka';
import { PinoNestLogger, type ReadinessCheck } from '@ci-connector/platform-nest';
import { createGatewayApp } from './app';
import { BatchingProducer } from './kafka/batching-producer';
import { KafkaDeadLetterSink } from './kafka/dead-letter';
import { retryDelay } from './kafka/keyed-consumer';
import { GatewayKeys } from './redis/gateway-keys';
import { Correlator } from './correlation/correlator';
import { CorrelationService, StreamSink, TopicSink } from './correlation/correlation-service';
import { RedisRecordingIndex } from './correlation/recording-index';
import { RedisCorrelationStore } from './correlation/correlation-store';
import { DeliveryService } from './delivery/delivery-service';
import { MeteredSellerStreams, WidgetGatewayMetrics } from './metrics';
import { SseHub } from './sse/sse-hub';
import { StreamNotifier } from './sse/stream-notifier';
import { WidgetAuthenticator } from './http/widget-auth';

async function main() {
  const config = gatewayConfig();
  const logger = createLogger({ name: config.service.name, level: config.log.level, base: config.service.region ? { region: config.service.region } : {} });
  const shutdown = new GracefulShutdown({ logger, timeoutMs: config.shutdownTimeoutMs });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());
  shutdown.listen();
  const metrics = new WidgetGatewayMetrics(
    createMetricsRegistry({ serviceName: config.service.name, serviceVersion: config.service.version, ...(config.service.region ? { region: config.service.region } : {}), ...config.metrics }, logger),
  );
  shutdown.onShutdown('metrics', () => metrics.registry.shutdown());
  await serveMetrics(metrics.registry, logger);
  const keys = new GatewayKeys(config.redis.prefix);

  // Redis: one connection for commands, one subscriber (recordings noted, sellers' streams appended).
  const redis = createRedisClient({ url: config.redis.url, connectionName: config.service.name, autoPipelining: true, onError: (err) => logger.warn({ err: err.message }, 'redis connection error') });
  const subscriber = createRedisClient({ url: config.redis.url, connectionName: `${config.service.name}:subscriber`, commandTimeoutMs: 5000, onError: (err) => logger.warn({ err: err.message }, 'redis subscriber connection error') });
  shutdown.onShutdown('redis', async () => {
    await closeRedis(subscriber);
    await closeRedis(redis);
  });

  const kafka = createKafka({ clientId: `${config.service.name}-${hostname()}`, brokers: config.kafka.brokers, logger, ...kafkaConnectionSecurity(logger) });
  const admin = kafka.admin();
  const producer = createIdempotentProducer(kafka);
  const batching = new BatchingProducer(producer, { deadlineMs: config.kafka.produceDeadlineMs, lingerMs: config.kafka.lingerMs });
  let producerConnected = false;
  shutdown.onShutdown('kafka', async () => {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  });

  const { topics } = config.kafka;
  const deadLetters = new KafkaDeadLetterSink(batching, topics.deadLetter);
  const processing = {
    deadLetters,
    maxAttempts: config.processing.maxAttempts,
    backoffMaxMs: config.processing.backoffMaxMs,
    maxAgeMs: config.processing.maxAgeMs,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    fetch: config.kafka.fetch,
    logger,
  };
  const recordings = new RedisRecordingIndex(redis, keys, { ttlMs: config.correlation.ttlMs, subscriber });
  const store = new RedisCorrelationStore(redis, keys, config.correlation.ttlMs);
  const streams = new MeteredSellerStreams(metrics, redis, keys, config.delivery);
  const correlation = new CorrelationService({
    ...processing,
    kafka,
    groupId: config.kafka.correlationGroup,
    topics,
    correlator: new Correlator({ recordings, store, waitMs: config.correlation.waitMs }),
    recordings,
    sink: config.delivery.route === 'direct' ? new StreamSink(streams) : new TopicSink(batching, topics.widgetEvents),
    recordingTtlMs: config.correlation.ttlMs,
  });
  // Runs in both routes: with WIDGET_DELIVERY=direct it delivers what other producers put on the widget-events topic.
  const delivery = new DeliveryService({ ...processing, kafka, groupId: config.kafka.deliveryGroup, topic: topics.widgetEvents, streams });
  const hub = new SseHub(streams, new StreamNotifier(subscriber, logger), config.sse, logger);
  metrics.observe({ correlation, delivery, hub });

  let startError: string | undefined = 'starting';
  const checks: ReadinessCheck[] = [
    { name: 'accepting', check: () => (shutdown.isShuttingDown ? { ok: false, error: 'shutting down' } : { ok: true }) },
    { name: 'redis', check: () => redisHealth(redis) },
    // A Kafka outage degrades (no new events; the streams serve what Redis holds; everything resumes) rather than unreadies.
    {
      name: 'kafka',
      check: async () => {
        const h = await kafkaHealth(admin);
        return { ...h, ok: true, ...(h.ok ? {} : { degraded: true }) };
      },
    },
    { name: 'consumers', check: () => (startError === undefined ? { ok: true } : { ok: false, error: startError }) },
    { name: 'correlation', check: () => correlation.health() },
    { name: 'delivery', check: () => delivery.health() },
    { name: 'sse', check: () => ({ ok: true, ...hub.stats }) },
    { name: 'metrics', check: () => metrics.registry.health() },
  ];
  const app = await createGatewayApp(
    {
      hub,
      auth: new WidgetAuthenticator(config.widgetTokenSecret),
      owners: store,
      commands: metrics.meteredCommands({
        send: async (command) => {
          if (!producerConnected) throw new Error('not connected to Kafka yet');
          await batching.send(topics.recordingControl, { key: command.callId, value: encodeRecordingControl(command) });
        },
      }),
      checks,
    },
    { corsOrigins: config.corsOrigins, logger: new PinoNestLogger(logger) },
  );
  await app.listen(config.http.port, config.http.host);
  shutdown.onShutdown('http', () => app.close());
  // Stopped before HTTP closes: the batches in flight finish and commit…
  shutdown.onShutdown('consumers', async () => {
    await Promise.allSettled([correlation.stop(), delivery.stop()]);
  });
  // …and first of all the event streams end (the widgets reconnect to another replica; an open stream would hold the server's close).
  shutdown.onShutdown('event streams', () => hub.close());
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  logger.info({ url, pid: process.pid }, 'widget-gateway listening');

  // Kafka unreachable at start: stay up (live, not ready, saying why; the streams already serve what Redis holds) and keep trying.
  for (let attempt = 1; !shutdown.isShuttingDown; attempt++) {
    try {
      await admin.connect();
      await producer.connect();
      producerConnected = true;
      if (config.kafka.ensureTopics) await ensureGatewayTopics(admin, config);
      await correlation.start();
      await delivery.start();
      startError = undefined;
      logger.info({ topics, widgetDelivery: config.delivery.route, correlationGroup: config.kafka.correlationGroup, deliveryGroup: config.kafka.deliveryGroup }, 'consumers started');
      return;
    } catch (err) {
      startError = `not started yet: ${err instanceof Error ? err.message : String(err)}`;
      const delay = retryDelay(attempt, 10_000);
      logger.warn({ err: startError, attempt, retryInMs: delay }, 'could not start the consumers; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** Creates the topics this service reads and writes when missing; another service creating them at the same moment is fine. */
async function ensureGatewayTopics(admin: Admin, config: GatewayConfig): Promise<void> {
  const { topics, partitions, replicationFactor } = config.kafka;
  try {
    await ensureTopics(
      admin,
      Object.values(topics).map((topic) => ({ topic, numPartitions: partitions, replicationFactor })),
    );
  } catch (err) {
    if (!/already exists/i.test(err instanceof Error ? err.message : String(err))) throw err;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`widget-gateway failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
