import { Agent, request } from 'node:https';
import { getCACertificates } from 'node:tls';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { CapturedFailure } from './aadsts';
import { parseRetryAfter } from './retry';

/**
 * msal-node's `system.networkClient`, for two reasons:
 * - TLS: msal-node 7 uses the global fetch, which trusts only Node's CA store and
 *   NODE_EXTRA_CA_CERTS; this client takes a `ca` (the ci-emulator's test CA, a
 *   corporate proxy's CA) and keeps connections alive (one Agent per provider).
 * - Diagnosis: msal swallows a failed OpenID discovery (an unknown tenant answers
 *   it with AADSTS90002) into a bare `openid_config_error`, and drops Retry-After.
 *   Every failing answer is remembered per tenant (the authority's first path
 *   segment) until that tenant's next success, so the TokenError can name it.
 */
export interface CapturingNetworkClient extends INetworkModule {
  /** What the last failing request for this tenant got; undefined after a success. */
  lastFailure(tenantId: string): CapturedFailure | undefined;
  close(): void;
}

const tenantOf = (url: string): string => {
  try {
    return (new URL(url).pathname.split('/')[1] ?? '').toLowerCase();
  } catch {
    return '';
  }
};

function headerDict(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Wraps `inner` (the library's https client, or one the caller gives) to remember failures. */
export function capturingNetworkClient(inner: INetworkModule, close: () => void = () => undefined): CapturingNetworkClient {
  const failures = new Map<string, CapturedFailure>();
  const observe = async <T>(url: string, run: () => Promise<NetworkResponse<T>>): Promise<NetworkResponse<T>> => {
    const tenant = tenantOf(url);
    try {
      const res = await run();
      if (res.status >= 200 && res.status < 300) failures.delete(tenant);
      else {
        const retryAfterMs = parseRetryAfter(res.headers['retry-after'] ?? res.headers['Retry-After'], Date.now());
        failures.set(tenant, { status: res.status, body: res.body, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
      }
      return res;
    } catch (err) {
      failures.set(tenant, { status: 0, transportError: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  };
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) => observe(url, () => inner.sendGetRequestAsync<T>(url, options, timeout)),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => observe(url, () => inner.sendPostRequestAsync<T>(url, options)),
    lastFailure: (tenantId) => failures.get(tenantId.toLowerCase()),
    close: () => {
      failures.clear();
      close();
    },
  };
}

export interface HttpsNetworkClientOptions {
  /** Extra CA certificate(s) to trust besides Node's store (PEM). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Per request, unless msal passes its own. */
  timeoutMs?: number;
}

/** msal network client on node:https (keep-alive), trusting Node's CAs plus `ca`. */
export function httpsNetworkClient(opts: HttpsNetworkClientOptions = {}): CapturingNetworkClient {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const agent = new Agent({ keepAlive: true, maxSockets: 32, ...(opts.ca !== undefined ? { ca: withSystemCas(opts.ca) } : {}) });
  const send = <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> =>
    new Promise((resolve, reject) => {
      const body = method === 'POST' ? Buffer.from(options?.body ?? '') : undefined;
      const headers: Record<string, string> = { ...(options?.headers ?? {}) };
      if (body) headers['content-length'] = String(body.length);
      const limit = timeout ?? timeoutMs;
      const req = request(url, { method, headers, agent, timeout: limit }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > 1024 * 1024) req.destroy(new Error(`${method} ${url}: answer larger than 1 MiB`));
          else chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            if (status >= 200 && status < 300) {
              reject(new Error(`${method} ${url}: HTTP ${status} with a body that is not JSON: ${text.slice(0, 200)}`));
              return;
            }
            // A proxy's HTML error page: give msal an OAuth-shaped error so it reports the status.
            parsed = { error: 'invalid_response', error_description: `HTTP ${status} from ${new URL(url).host}: ${text.replace(/\s+/g, ' ').slice(0, 200)}` };
          }
          if (status >= 400 && parsed !== null && typeof parsed === 'object' && !('status' in parsed)) (parsed as Record<string, unknown>)['status'] = status;
          resolve({ headers: headerDict(res.headers), body: parsed as T, status });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in ${limit} ms`)));
      req.on('error', reject);
      if (body) req.write(body);
      req.end();
    });
  return capturingNetworkClient(
    {
      sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) => send<T>('GET', url, options, timeout),
      sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>('POST', url, options),
    },
    () => agent.destroy(),
  );
}

/**
 * A `ca` option replaces Node's CA store in TLS options: add the default store
 * back (Node's bundled CAs, NODE_EXTRA_CA_CERTS, and the system's with
 * --use-system-ca) so public endpoints still verify.
 */
export function withSystemCas(ca: string | Buffer | Array<string | Buffer>): Array<string | Buffer> {
  return [...getCACertificates('default'), ...(Array.isArray(ca) ? ca : [ca])];
}
