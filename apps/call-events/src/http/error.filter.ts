import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError, type ErrorBody } from '../core/errors';

function send(res: Response, status: number, body: ErrorBody, retryAfterSeconds?: number): void {
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="ci-connector call-events"');
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
  res.status(status).json(body);
}

/** Every REST error in one shape: `{ error, problems: [{ field, message }] }`. */
@Catch()
export class RestErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('RestErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (exception instanceof ApiError) {
      send(res, exception.status, exception.body(), exception.retryAfterSeconds);
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      send(res, status, { error: status === 404 ? `no route ${host.switchToHttp().getRequest<Request>().method} ${host.switchToHttp().getRequest<Request>().path}` : exception.message, problems: [] });
      return;
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    send(res, 500, { error: 'internal error; see the service log', problems: [] });
  }
}

/** Express error middleware after the JSON body parser: malformed or oversize bodies are 400/413/415, never 500. */
export function bodyErrorHandler(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  const e = err as { type?: string; status?: number; limit?: number; message?: string };
  if (!e || typeof e.type !== 'string') {
    next(err);
    return;
  }
  const reply = (status: number, message: string) => send(res, status, { error: message, problems: [] });
  if (e.type === 'entity.too.large') reply(413, `the body is larger than ${e.limit ?? ''} bytes`);
  else if (e.type === 'entity.parse.failed') reply(400, `the body is not valid JSON: ${e.message ?? ''}`);
  else if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') reply(415, e.message ?? 'unsupported encoding');
  else reply(e.status && e.status >= 400 && e.status < 500 ? e.status : 400, e.message ?? 'unreadable body');
}

/** A body that is not JSON (the only type this API takes) → 415 before the routes see an empty body. */
export function requireJsonBody(req: Request, res: Response, next: NextFunction): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && ['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is(['application/json', 'application/*+json'])) {
    send(res, 415, { error: 'send the body as Content-Type: application/json', problems: [] });
    return;
  }
  next();
}
