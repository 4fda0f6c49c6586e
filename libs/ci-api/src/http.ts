import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ProvidersApiError } from './errors';
import { withSystemCas } from './msal-network';

/**
 * HTTP for the providers client: node:https with a keep-alive Agent that trusts
 * `ca` (global fetch takes a CA only through undici's dispatcher, and undici is
 * not a dependency), streaming bodies, an idle timeout per request.
 */
export interface HttpTransport {
  send(req: HttpRequest): Promise<IncomingMessage>;
  close(): void;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
  /** No byte for this long (connecting, waiting for the answer, or between body chunks) → 'timeout'. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** For error messages: `POST /api/v1.0/providers/tenants`. */
  operation: string;
  tenantId?: string;
}

export function createHttpTransport(opts: { ca?: string | Buffer | Array<string | Buffer>; maxSockets?: number }): HttpTransport {
  const https = new HttpsAgent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64, ...(opts.ca !== undefined ? { ca: withSystemCas(opts.ca) } : {}) });
  const http = new HttpAgent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
  return {
    send: (r) =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const isHttps = r.url.protocol === 'https:';
        const headers = { ...r.headers, ...(r.body ? { 'content-length': String(r.body.length) } : {}) };
        const options = { method: r.method, headers, agent: isHttps ? https : http, ...(r.signal ? { signal: r.signal } : {}) };
        const req = isHttps ? httpsRequest(r.url, options) : httpRequest(r.url, options);
        req.setTimeout(r.timeoutMs, () => {
          req.destroy(
            new ProvidersApiError({
              code: 'timeout',
              message: `${r.operation}${r.tenantId ? ` for tenant ${r.tenantId}` : ''}: no answer from ${r.url.host} in ${r.timeoutMs} ms`,
              operation: r.operation,
              ...(r.tenantId ? { tenantId: r.tenantId } : {}),
              retryable: true,
            }),
          );
        });
        req.once('response', resolve);
        req.once('error', reject);
        req.end(r.body);
      }),
    close() {
      https.destroy();
      http.destroy();
    },
  };
}

/** The body as text, at most `maxBytes` (the rest is read and dropped). */
export async function readText(res: IncomingMessage, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (size >= maxBytes) {
      truncated = true;
      continue;
    }
    const part = size + chunk.length > maxBytes ? chunk.subarray(0, maxBytes - size) : chunk;
    if (part.length < chunk.length) truncated = true;
    chunks.push(part);
    size += part.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

export const headerValue = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};
