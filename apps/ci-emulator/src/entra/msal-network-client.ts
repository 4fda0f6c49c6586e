import { request } from 'node:https';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

/**
 * An msal-node `system.networkClient` that trusts the given CA(s) — the
 * emulator's test CA — for every request msal makes (OpenID configuration,
 * token endpoint). Use it when the process cannot be started with
 * NODE_EXTRA_CA_CERTS (a test runner, for instance). msal-node's own client
 * uses the global fetch, which only trusts the system CAs and NODE_EXTRA_CA_CERTS.
 */
export function caTrustingNetworkClient(ca: string | Buffer, timeoutMs = 30_000): INetworkModule {
  const send = <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> =>
    new Promise((resolve, reject) => {
      const body = method === 'POST' ? Buffer.from(options?.body ?? '') : undefined;
      const headers: Record<string, string> = { ...(options?.headers ?? {}) };
      if (body) headers['content-length'] = String(body.length);
      const req = request(url, { method, headers, ca, timeout: timeout ?? timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            reject(new Error(`${method} ${url}: ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
            return;
          }
          const headerDict: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headerDict[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ headers: headerDict, body: parsed as T, status: res.statusCode ?? 0 });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in ${timeout ?? timeoutMs} ms`)));
      req.on('error', reject);
      if (body) req.write(body);
      req.end();
    });
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) => send<T>('GET', url, options, timeout),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>('POST', url, options),
  };
}
