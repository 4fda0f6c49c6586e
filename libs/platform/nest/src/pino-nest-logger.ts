import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

/** Nest's own log lines (module init, routes, errors) go through the service's pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private ctx(params: unknown[]): { context?: unknown } {
    const last = params[params.length - 1];
    return typeof last === 'string' ? { context: last } : {};
  }

  log(message: unknown, ...params: unknown[]) {
    this.logger.info(this.ctx(params), String(message));
  }
  error(message: unknown, ...params: unknown[]) {
    const [trace] = params;
    this.logger.error({ ...this.ctx(params), ...(typeof trace === 'string' && params.length > 1 ? { stack: trace } : {}) }, String(message));
  }
  warn(message: unknown, ...params: unknown[]) {
    this.logger.warn(this.ctx(params), String(message));
  }
  debug(message: unknown, ...params: unknown[]) {
    this.logger.debug(this.ctx(params), String(message));
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.logger.trace(this.ctx(params), String(message));
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.logger.fatal(this.ctx(params), String(message));
  }
}
