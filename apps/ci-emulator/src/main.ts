import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { telemetry } from './instrumentation';
import { emulatorConfig } from './config/config';
import { createLogger } from '@ci-connector/platform-logging';
import { GracefulShutdown } from '@ci-connector/platform-shutdown';
import { bootstrapNestService, type ReadinessCheck } from '@ci-connector/platform-nest';
import { AppModule } from './app.module';

async function main() {
  const config = emulatorConfig();
  const logger = createLogger({ name: config.service.name, level: config.log.level });
  const shutdown = new GracefulShutdown({ logger, timeoutMs: 10_000 });
  shutdown.onShutdown('telemetry', () => telemetry.shutdown());
  shutdown.listen();

  const readPem = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${what} ${path} cannot be read (${(err as Error).message}); run apps/ci-emulator/scripts/mint-certs.sh <dir> and set CERTS_DIR`);
    }
  };
  const https = { cert: readPem('HTTPS certificate', config.https.cert), key: readPem('HTTPS key', config.https.key) };
  const checks: ReadinessCheck[] = [{ name: 'accepting', check: () => (shutdown.isShuttingDown ? { ok: false, error: 'shutting down' } : { ok: true }) }];
  await bootstrapNestService({ name: config.service.name, module: AppModule.forRoot(config, logger, checks), http: { host: config.https.host, port: config.https.port }, https, logger, shutdown });
}

main().catch((err: unknown) => {
  process.stderr.write(`ci-emulator failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
