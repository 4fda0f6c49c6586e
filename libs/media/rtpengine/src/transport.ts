import { RtpengineError } from './errors';

/** The rtpengine-client methods this adapter uses, by their client name. */
export type NgMethod = 'offer' | 'answer' | 'delete' | 'query' | 'ping' | 'subscribeRequest' | 'subscribeAnswer' | 'unsubscribe';

/** The ng command names rtpengine knows them by. */
export const NG_COMMAND: Record<NgMethod, string> = {
  offer: 'offer',
  answer: 'answer',
  delete: 'delete',
  query: 'query',
  ping: 'ping',
  subscribeRequest: 'subscribe request',
  subscribeAnswer: 'subscribe answer',
  unsubscribe: 'unsubscribe',
};

/** One ng request → its decoded reply dictionary. Rejects with RtpengineError (timeout, transport, closed). */
export interface NgTransport {
  request(method: NgMethod, dict: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

export interface UdpTransportOptions {
  host: string;
  port: number;
  timeoutMs: number;
  /** where the control socket binds; 127.0.0.1 unless told */
  localAddress?: string;
  onError?: (err: unknown) => void;
}

interface RtpengineClientLike {
  on(event: 'error', listener: (err: unknown) => void): unknown;
  close(): void;
  timers?: unknown;
  [method: string]: unknown;
}

/**
 * The ng protocol over UDP through rtpengine-client 0.4.12 (one socket for every
 * call). That client has no types, rejects with bare strings when `rejectOnError`
 * is set (we do not set it: replies are checked by the caller) and emits `error`
 * for late or uncorrelated replies, which would crash the process without a listener.
 */
export function createUdpTransport(o: UdpTransportOptions): NgTransport {
  const { Client } = require('rtpengine-client') as { Client: new (opts: Record<string, unknown>) => RtpengineClientLike };
  const client = new Client({ localAddress: o.localAddress ?? '127.0.0.1', timeout: o.timeoutMs });
  client.on('error', (err) => o.onError?.(err));
  const dest = { host: o.host, port: o.port };
  const pending = new Set<(e: RtpengineError) => void>();
  let closed = false;

  return {
    request(method, dict) {
      const command = NG_COMMAND[method];
      const callId = typeof dict['call-id'] === 'string' ? dict['call-id'] : undefined;
      if (closed) return Promise.reject(new RtpengineError({ code: 'closed', command, callId, reason: 'the rtpengine client is closed' }));
      const fn = client[method];
      if (typeof fn !== 'function') return Promise.reject(new RtpengineError({ code: 'transport', command, callId, reason: `rtpengine-client has no method ${method}` }));
      return new Promise<unknown>((resolve, reject) => {
        const abort = (e: RtpengineError) => reject(e);
        pending.add(abort);
        const settle = () => pending.delete(abort);
        (fn.call(client, dest, dict) as Promise<unknown>).then(
          (reply) => {
            settle();
            resolve(reply);
          },
          (err: unknown) => {
            settle();
            const text = err instanceof Error ? err.message : String(err);
            const code = /timeout/i.test(text) ? 'timeout' : 'transport';
            const reason = code === 'timeout' ? `no answer from ${o.host}:${o.port} within ${o.timeoutMs} ms` : text;
            reject(new RtpengineError({ code, command, callId, reason, cause: err }));
          },
        );
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const abort of pending) abort(new RtpengineError({ code: 'closed', command: 'close', reason: 'the rtpengine client was closed while the command was pending' }));
      pending.clear();
      // rtpengine-client keeps one timer per pending request in `timers`; clear them so nothing outlives close().
      if (client.timers instanceof Map) {
        for (const t of client.timers.values()) clearTimeout(t as NodeJS.Timeout);
        client.timers.clear();
      }
      await new Promise<void>((resolve) => {
        try {
          const socket = (client as { socket?: { close(cb: () => void): void } }).socket;
          if (socket) socket.close(() => resolve());
          else {
            client.close();
            resolve();
          }
        } catch {
          resolve(); // already closed
        }
      });
    },
  };
}
