import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { GracefulShutdown } from '@ci-connector/platform-shutdown';
import { PinoNestLogger } from './pino-nest-logger';

export interface NestServiceOptions {
  name: string;
  /** The root module (already configured from the parsed config). */
  module: unknown;
  http: { host: string; port: number };
  /** Serve HTTPS instead of HTTP with this key and certificate (PEM). */
  https?: { key: string | Buffer; cert: string | Buffer };
  logger: Logger;
  shutdown: GracefulShutdown;
}

export interface RunningService {
  app: INestApplication;
  /** The address the HTTP server really bound (port 0 picks a free one). */
  url: string;
}

/**
 * Creates the Nest app with the service's logger, listens on the configured host
 * (127.0.0.1 unless told otherwise) and registers its close as a shutdown step:
 * on SIGTERM readiness turns 503 first, then the HTTP server stops, then the
 * steps registered before it (clients, telemetry) run.
 */
export async function bootstrapNestService(opts: NestServiceOptions): Promise<RunningService> {
  const app = await NestFactory.create(opts.module as never, {
    logger: new PinoNestLogger(opts.logger),
    abortOnError: false,
    ...(opts.https ? { httpsOptions: { key: opts.https.key, cert: opts.https.cert } } : {}),
  });
  await app.listen(opts.http.port, opts.http.host);
  const address = app.getHttpServer().address() as AddressInfo;
  const url = `${opts.https ? 'https' : 'http'}://${address.address}:${address.port}`;
  opts.shutdown.onShutdown('http', () => app.close());
  opts.logger.info({ url, pid: process.pid }, `${opts.name} listening`);
  return { app, url };
}
