import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError, type ErrorBody } from '../core/errors';

/** Every REST error in one shape: `{ error: { code, message, details: [{ field, message }] } }`. */
@Catch()
export class RestErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('RestErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const res = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.toBody(exception);
    if (res.headersSent) return;
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="ci-connector registration"');
    res.status(status).json(body);
  }

  private toBody(exception: unknown): [number, ErrorBody] {
    if (exception instanceof ApiError) return [exception.status, exception.body()];
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = status === 404 ? 'route_not_found' : `http_${status}`;
      return [status, { error: { code, message: exception.message, details: [] } }];
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return [500, { error: { code: 'internal', message: 'internal error; see the service log', details: [] } }];
  }
}

/** Express error middleware after the JSON body parser: malformed or oversize bodies are 400/413/415, never 500. */
export function bodyErrorHandler(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  const e = err as { type?: string; status?: number; limit?: number; message?: string };
  if (!e || typeof e.type !== 'string') {
    next(err);
    return;
  }
  const reply = (status: number, code: string, message: string) => {
    res.status(status).json({ error: { code, message, details: [] } } satisfies ErrorBody);
  };
  if (e.type === 'entity.too.large') reply(413, 'body_too_large', `the body is larger than ${e.limit ?? ''} bytes`);
  else if (e.type === 'entity.parse.failed') reply(400, 'invalid_json', `the body is not valid JSON: ${e.message ?? ''}`);
  else if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') reply(415, 'unsupported_encoding', e.message ?? 'unsupported encoding');
  else reply(e.status && e.status >= 400 && e.status < 500 ? e.status : 400, 'bad_body', e.message ?? 'unreadable body');
}

/** A body that is not JSON (the only type this API takes) → 415 before the routes see an empty body. */
export function requireJsonBody(req: Request, res: Response, next: NextFunction): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && ['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is('application/json')) {
    res.status(415).json({ error: { code: 'unsupported_media_type', message: 'send the body as Content-Type: application/json', details: [] } } satisfies ErrorBody);
    return;
  }
  next();
}
