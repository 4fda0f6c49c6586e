import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';

export interface MtlsListenerOptions {
  host: string;
  port: number;
  cert: Buffer;
  key: Buffer;
  /** The CA(s) that issue partners' client certificates. */
  ca: Buffer;
}

export interface MtlsListener {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * The REST API a second time, over HTTPS with client certificates, for partners
 * that authenticate by mutual TLS. The handshake asks for a certificate but does
 * not refuse one that is missing or untrusted: PartnerGuard answers 401 saying
 * which (a refused handshake would tell the partner nothing).
 */
export async function listenMtls(app: INestApplication, opts: MtlsListenerOptions): Promise<MtlsListener> {
  const server = createServer({ cert: opts.cert, key: opts.key, ca: opts.ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, app.getHttpAdapter().getInstance());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    server,
    url: `https://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
