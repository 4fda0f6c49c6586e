import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { SseUnavailableError } from '../sse/sse-hub';
import { ApiError, type ErrorBody } from './api-error';

/** Every HTTP error in one shape; nothing unexpected leaks (a 500 says to look at the log). */
@Catch()
export class GatewayErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('GatewayErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      res.end();
      return;
    }
    const err = this.toApiError(exception);
    for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    res.status(err.status).json(err.body() satisfies ErrorBody);
  }

  private toApiError(exception: unknown): ApiError {
    if (exception instanceof ApiError) return exception;
    if (exception instanceof SseUnavailableError) return new ApiError(503, 'unavailable', exception.message, [], { 'Retry-After': String(exception.retryAfterSeconds) });
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return new ApiError(status, status === 404 ? 'route_not_found' : `http_${status}`, exception.message);
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return new ApiError(500, 'internal', 'internal error; see the service log');
  }
}
