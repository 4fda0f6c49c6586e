import type { IncomingMessage, ServerResponse } from 'node:http';
import { aad, aadstsBody } from './aadsts';
import { ApiError } from '../providers/api-error';

/**
 * Reads the body of this part's routes ourselves, before Nest's global JSON and
 * urlencoded parsers (which then skip a request whose body is already read), so
 * that: each route has its own size limit (the users upload takes up to 512 MiB,
 * everything else a little); malformed JSON, a wrong content type and oversize
 * bodies come out as this part's JSON 4xx errors, never Nest's default or a 500;
 * and the token endpoint sees the form exactly as sent (repeated parameters too).
 * The body is left on `req.rawBody` (a Buffer; empty when there is none).
 */
export interface RawBodyRequest extends IncomingMessage {
  rawBody?: Buffer;
}

interface RouteLimit {
  method?: string;
  re: RegExp;
  limit: number;
  style: 'entra' | 'api';
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const BODY_LIMITS: RouteLimit[] = [
  { method: 'PUT', re: /^\/emulator\/tenants\/[^/]+\/users\/?$/, limit: 512 * MiB, style: 'api' },
  { re: /^\/[^/]+\/oauth2\/v2\.0\/token\/?$/, limit: 64 * KiB, style: 'entra' },
  { re: /^\/api\/v1\.0\/providers(\/|$)/i, limit: 64 * KiB, style: 'api' },
  { re: /^\/emulator\/(apps|tenants|faults|requests|registrations|reset)(\/|$)/, limit: 4 * MiB, style: 'api' },
];

const human = (n: number) => (n >= MiB ? `${n / MiB} MiB` : `${n / KiB} KiB`);

function tooLarge(res: ServerResponse, route: RouteLimit): void {
  const message = `the request body is larger than ${human(route.limit)}, the limit of this endpoint`;
  const body =
    route.style === 'entra'
      ? aadstsBody(aad.malformed(message))
      : new ApiError(413, 'PayloadTooLarge', message, [{ field: '(body)', message: `larger than ${human(route.limit)}` }]).body();
  const text = JSON.stringify(body);
  res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.end(text);
}

function unsupportedEncoding(res: ServerResponse, route: RouteLimit, encoding: string): void {
  const message = `Content-Encoding '${encoding}' is not accepted; send the body uncompressed`;
  const body = route.style === 'entra' ? aadstsBody(aad.malformed(message)) : new ApiError(415, 'UnsupportedMediaType', message, [{ field: 'Content-Encoding', message: 'not accepted' }]).body();
  const text = JSON.stringify(body);
  res.writeHead(415, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.end(text);
}

/** Express middleware (named so Nest's "is the JSON parser applied" check never mistakes it). */
export function emulatorRawBody(req: RawBodyRequest, res: ServerResponse, next: (err?: unknown) => void): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const route = BODY_LIMITS.find((r) => (!r.method || r.method === req.method) && r.re.test(path));
  if (!route || req.method === 'GET' || req.method === 'HEAD') {
    next();
    return;
  }
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') {
    unsupportedEncoding(res, route, encoding);
    return;
  }
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > route.limit) {
    tooLarge(res, route);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  req.on('data', (c: Buffer) => {
    if (failed) return;
    size += c.length;
    if (size > route.limit) {
      failed = true;
      chunks.length = 0;
      tooLarge(res, route);
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (failed) return;
    req.rawBody = Buffer.concat(chunks, size);
    next();
  });
  req.on('error', (err) => {
    if (!failed) next(err);
    failed = true;
  });
}
