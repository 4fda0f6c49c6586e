import { ArgumentsHost, Catch, HttpException, Inject, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { EMULATOR_LOGGER } from '../state/tokens';
import { ApiError } from './api-error';

/**
 * Scoped to the providers API and this part's /emulator/ routes: ApiError as
 * its JSON, Nest's HttpExceptions in the same shape, anything else a logged
 * 500 in the same shape (the process keeps serving).
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(@Inject(EMULATOR_LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      res.end();
      return;
    }
    let err: ApiError;
    if (exception instanceof ApiError) err = exception;
    else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      err = new ApiError(status, status === 404 ? 'NotFound' : status === 413 ? 'PayloadTooLarge' : status < 500 ? 'BadRequest' : 'InternalServerError', exception.message);
    } else {
      this.logger.error({ err: exception }, 'emulator route failed');
      err = new ApiError(500, 'InternalServerError', `the emulator failed: ${(exception as Error)?.message ?? String(exception)}`);
    }
    res.status(err.status).set(err.headers).json(err.body());
  }
}
