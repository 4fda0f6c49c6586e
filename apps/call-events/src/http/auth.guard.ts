import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { TLSSocket } from 'node:tls';
import { PartnerAuthenticator, presentedKey, type Principal } from '../core/auth';

export type AuthedRequest = Request & { principal?: Principal };

/**
 * Every /v1 route. On the mutual-TLS listener (the only TLS socket this app
 * serves) the client certificate authenticates; on the plain listener an API key
 * in `Authorization: Bearer` (or `x-api-key`).
 */
@Injectable()
export class PartnerGuard implements CanActivate {
  constructor(private readonly auth: PartnerAuthenticator) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const socket = req.socket as Partial<TLSSocket>;
    if (socket.encrypted === true && typeof socket.getPeerCertificate === 'function') {
      const cert = socket.getPeerCertificate();
      const present = cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
      req.principal = this.auth.byCertificate(
        present ? { authorized: socket.authorized === true, ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}), subject: cert.subject as never } : undefined,
      );
      return true;
    }
    const xApiKey = req.headers['x-api-key'];
    req.principal = await this.auth.byApiKey(presentedKey(req.headers.authorization, Array.isArray(xApiKey) ? xApiKey[0] : xApiKey));
    return true;
  }
}

export function principalOf(req: AuthedRequest): Principal {
  if (!req.principal) throw new Error('no principal: the PartnerGuard did not run');
  return req.principal;
}
