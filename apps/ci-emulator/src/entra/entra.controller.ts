import { ArgumentsHost, Catch, Controller, Get, Inject, Param, Post, Query, Req, Res, UseFilters, type ExceptionFilter } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { EMULATOR_LOGGER } from '../state/tokens';
import { aad, aadstsBody, AadstsError } from './aadsts';
import { EMULATOR_BASE_URL } from './entra.tokens';
import { Directory } from './directory';
import { FaultStore } from './faults';
import type { RawBodyRequest } from './raw-body';
import { RequestLog, track } from './request-log';
import { SigningKeys } from './signing-keys';
import { TokenService } from './token-service';
import { GUID_RE } from '../providers/registration-body';

/** Anything thrown on an Entra route comes out as Entra-style JSON (never a 500 page). */
@Catch()
export class EntraErrorFilter implements ExceptionFilter {
  constructor(@Inject(EMULATOR_LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      res.end();
      return;
    }
    const e = exception instanceof AadstsError ? exception : new AadstsError(500, 'server_error', 50000, `There was an error issuing a token or an issue with our sign-in service. (emulator: ${(exception as Error)?.message ?? String(exception)})`);
    if (!(exception instanceof AadstsError)) this.logger.error({ err: exception }, 'entra route failed');
    res.status(e.status).json(aadstsBody(e));
  }
}

const PSEUDO_TENANTS = new Set(['common', 'organizations']);

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Entra ID as msal-node and curl see it: the v2 token endpoint (client
 * credentials), the OpenID configuration, the signing keys and instance
 * discovery. See README.md in this folder for the msal-node recipe.
 */
@Controller()
@UseFilters(EntraErrorFilter)
export class EntraController {
  constructor(
    private readonly tokens: TokenService,
    private readonly directory: Directory,
    private readonly keys: SigningKeys,
    private readonly faults: FaultStore,
    private readonly requests: RequestLog,
    @Inject(EMULATOR_BASE_URL) private readonly base: string,
  ) {}

  @Post(':tenant/oauth2/v2.0/token')
  async token(@Param('tenant') tenant: string, @Req() req: Request & RawBodyRequest, @Res() res: Response): Promise<void> {
    const ctx = track(this.requests, 'token', req, res);
    const segment = tenant.toLowerCase();
    if (GUID_RE.test(segment)) ctx.tenantId = segment;
    const requestId = req.header('client-request-id');
    const correlationId = requestId && GUID_RE.test(requestId) ? requestId : randomUUID();
    const traceId = randomUUID();
    res.set({ 'cache-control': 'no-store, no-cache', pragma: 'no-cache', 'x-ms-request-id': traceId, 'client-request-id': correlationId });

    const fault = this.faults.take('token', ctx.tenantId);
    if (fault) {
      ctx.fault = fault.type;
      if (fault.type === 'slow') await delay(fault.delayMs ?? 0);
      else if (fault.type === '429') {
        res.status(429).set('retry-after', String(fault.retryAfter ?? 1)).json(aadstsBody(aad.throttled(fault.retryAfter ?? 1), correlationId, new Date(), traceId));
        return;
      } else {
        res.status(500).json(aadstsBody(aad.serverError(), correlationId, new Date(), traceId));
        return;
      }
    }
    const outcome = await this.tokens.handle({ tenantSegment: tenant, contentType: req.header('content-type'), body: req.rawBody, requestOrigin: req.header('host') ? `https://${req.header('host')}` : undefined });
    if (outcome.clientId) ctx.clientId = outcome.clientId;
    if (outcome.ok) {
      res.status(200).json(outcome.body);
      return;
    }
    res.status(outcome.error.status).json(aadstsBody(outcome.error, correlationId, new Date(), traceId));
  }

  @Get(':tenant/v2.0/.well-known/openid-configuration')
  openidConfiguration(@Param('tenant') tenant: string, @Req() req: Request, @Res() res: Response): void {
    const ctx = track(this.requests, 'discovery', req, res);
    const t = this.knownTenantSegment(tenant);
    if (GUID_RE.test(t)) ctx.tenantId = t;
    const issuerTenant = PSEUDO_TENANTS.has(t) ? '{tenantid}' : t;
    const b = this.base;
    res.json({
      token_endpoint: `${b}/${t}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${b}/${t}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${b}/${issuerTenant}/v2.0`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${b}/${t}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${b}/${t}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${b}/${t}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid', 'roles', 'appid', 'azp', 'ver'],
      tenant_region_scope: null,
      cloud_instance_name: 'ci-emulator',
      cloud_graph_host_name: 'graph.invalid',
      msgraph_host: 'graph.invalid',
      rbac_url: 'https://rbac.invalid',
    });
  }

  @Get(':tenant/discovery/v2.0/keys')
  signingKeys(@Param('tenant') tenant: string, @Req() req: Request, @Res() res: Response): void {
    const ctx = track(this.requests, 'discovery', req, res);
    const t = this.knownTenantSegment(tenant);
    if (GUID_RE.test(t)) ctx.tenantId = t;
    res.json(this.keys.jwks());
  }

  /** What login.microsoftonline.com/common/discovery/instance answers; msal-node never asks the emulator for it when configured as README.md says. */
  @Get('common/discovery/instance')
  instanceDiscovery(@Query('authorization_endpoint') authorizationEndpoint: string | undefined, @Req() req: Request, @Res() res: Response): void {
    track(this.requests, 'discovery', req, res);
    const host = new URL(this.base).host;
    let tenant = 'common';
    if (authorizationEndpoint) {
      let url: URL;
      try {
        url = new URL(authorizationEndpoint);
      } catch {
        throw aad.malformed(`authorization_endpoint '${authorizationEndpoint}' is not a URL`);
      }
      tenant = url.pathname.split('/')[1] || 'common';
    }
    res.json({
      tenant_discovery_endpoint: `${this.base}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  private knownTenantSegment(tenant: string): string {
    const t = tenant.toLowerCase();
    if (PSEUDO_TENANTS.has(t) || (GUID_RE.test(t) && this.directory.tenant(t))) return t;
    throw aad.tenantNotFound(tenant);
  }
}
