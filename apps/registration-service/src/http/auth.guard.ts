import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ApiKeyAuthenticator, presentedKey, type Principal } from '../core/auth';

export type AuthedRequest = Request & { principal?: Principal };

/** Every REST call but health and the docs: an API key in `Authorization: Bearer` or `x-api-key`. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly auth: ApiKeyAuthenticator) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const xApiKey = req.headers['x-api-key'];
    req.principal = await this.auth.authenticate(presentedKey(req.headers.authorization, Array.isArray(xApiKey) ? xApiKey[0] : xApiKey));
    return true;
  }
}

export function principalOf(req: AuthedRequest): Principal {
  if (!req.principal) throw new Error('no principal: the ApiKeyGuard did not run');
  return req.principal;
}
