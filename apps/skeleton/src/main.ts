import 'reflect-metadata';
import { telemetry } from './instrumentation';
import { skeletonConfig } from './config/config';
import { createLogger } from '@ci-connector/platform-logging';
import { GracefulShutdown } from '@ci-connector/platform-shutdown';
import { closeRedis, createRedisClient, redisHealth } from '@ci-connector/platform-redis';
import { createKafka, kafkaHealth, kafkaConnectionSecurity } from '@ci-connector/platform-kafka';
import { bootstrapNestService, type ReadinessCheck } from '@ci-connector/platform-nest';
import { AppModule } from './app.module';

async function main() {
  const config = skeletonConfig();
  const logger = createLogger({ name: config.service.name, level: config.log.level, base: config.service.region ? { region: config.service.region } : {} });
  const shutdown = new GracefulShutdown({ logger, timeoutMs: config.shutdownTimeoutMs });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());
  shutdown.listen();

  const checks: ReadinessCheck[] = [{ name: 'accepting', check: () => (shutdown.isShuttingDown ? { ok: false, error: 'shutting down' } : { ok: true }) }];
  if (config.redis) {
    const redis = createRedisClient({ url: config.redis.url, connectionName: config.service.name, onError: (err) => logger.warn({ err: err.message }, 'redis connection error') });
    shutdown.onShutdown('redis', () => closeRedis(redis));
    checks.push({ name: 'redis', check: () => redisHealth(redis) });
  }
  if (config.kafka) {
    const admin = createKafka({ clientId: config.service.name, brokers: config.kafka.brokers, logger, ...kafkaConnectionSecurity(logger) }).admin();
    admin.connect().catch((err: Error) => logger.warn({ err: err.message }, 'kafka not reachable yet'));
    shutdown.onShutdown('kafka', () => admin.disconnect());
    checks.push({ name: 'kafka', check: () => kafkaHealth(admin) });
  }

  await bootstrapNestService({ name: config.service.name, module: AppModule.forRoot(checks), http: config.http, logger, shutdown });
}

main().catch((err: unknown) => {
  process.stderr.write(`skeleton failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
