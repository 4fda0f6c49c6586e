import { NestFactory } from '@nestjs/core';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { AppModule, type AppDeps } from './app.module';
import { GatewayErrorFilter } from './http/error.filter';
import { originAllowed } from './http/cors';

export interface AppOptions {
  corsOrigins: string[];
  logger?: LoggerService | false;
}

/**
 * The Nest app: the SSE stream, widget control, health. CORS answers the
 * configured origins only (the widget's page; none by default), for GET/POST
 * with `Authorization` and `Last-Event-ID`. Not yet listening.
 */
export async function createGatewayApp(deps: AppDeps, opts: AppOptions): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(deps), { abortOnError: false, logger: opts.logger ?? false });
  app.useGlobalFilters(new GatewayErrorFilter());
  app.enableCors({
    origin: (origin: string | undefined, cb: (err: Error | null, allow?: boolean) => void) => cb(null, origin !== undefined && originAllowed(origin, opts.corsOrigins)),
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'],
    credentials: false,
    maxAge: 600,
  });
  return app;
}
