import { Controller, Get, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RegistrationStore, type Registration } from '../state/registrations';
import { Directory } from '../entra/directory';
import { EMULATOR_BASE_URL } from '../entra/entra.tokens';
import { FaultStore, type FaultKind } from '../entra/faults';
import type { RawBodyRequest } from '../entra/raw-body';
import { RequestLog, track, type TrackedRequest } from '../entra/request-log';
import { SigningKeys } from '../entra/signing-keys';
import { authenticate } from './access-token';
import { ApiError, parseJson, requireJsonContentType, validationError } from './api-error';
import { ApiErrorFilter } from './api-error.filter';
import { validateRegistration } from './registration-body';
import { planUsersPage, writeUsers } from './users-response';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A registration as the API answers it (the seed's casing); `status` says whether the call changed anything. */
export function registrationView(r: Registration, status?: 'created' | 'updated' | 'unchanged') {
  return {
    ...(status ? { status } : {}),
    tenantId: r.tenantId,
    clientId: r.clientId,
    orgId: r.orgId,
    Type: r.type,
    hosting: r.hosting,
    displayName: r.displayName,
    AuthenticationDetails: { AccountId: r.accountId, CertificateSubjectName: r.certificateSubjectName, CertificateIssuer: r.certificateIssuer, SourceIPNetwork: r.sourceIpNetwork },
    registeredAt: r.registeredAt,
    updatedAt: r.updatedAt,
  };
}

/**
 * The CI providers API (base https://api.media.recording.dynamics.com in
 * production): register the provider for the token's tenant, list that
 * tenant's users to record. Every request needs a token of the emulator's
 * token endpoint with the Users.Read.All role.
 */
@Controller('api/v1.0/providers')
@UseFilters(ApiErrorFilter)
export class ProvidersController {
  constructor(
    private readonly keys: SigningKeys,
    private readonly directory: Directory,
    private readonly registrations: RegistrationStore,
    private readonly faults: FaultStore,
    private readonly requests: RequestLog,
    @Inject(EMULATOR_BASE_URL) private readonly base: string,
  ) {}

  /**
   * 201 Created (+ Location) the first time for a tenant, 200 afterwards:
   * `status` is 'unchanged' when the body registers exactly what is stored
   * (nothing is written), 'updated' when it replaces it.
   */
  @Post('tenants')
  async register(@Req() req: Request & RawBodyRequest, @Res() res: Response): Promise<void> {
    const ctx = track(this.requests, 'register', req, res);
    const caller = await authenticate(req.header('authorization'), this.keys, this.directory, this.base);
    ctx.tenantId = caller.tenantId;
    ctx.clientId = caller.clientId;
    await this.fault('register', ctx);
    requireJsonContentType(req.header('content-type'));
    const body = parseJson(req.rawBody);
    const checked = validateRegistration(body);
    if (!checked.ok) throw validationError(checked.problems);
    const { registration, created, changed } = this.registrations.upsert({ tenantId: caller.tenantId, clientId: caller.clientId, ...checked.value, rawBody: body });
    if (created) res.status(201).set('location', `${this.base}/api/v1.0/providers/tenants/${caller.tenantId}`);
    else res.status(200);
    res.json(registrationView(registration, created ? 'created' : changed ? 'updated' : 'unchanged'));
  }

  @Get('users')
  async users(@Req() req: Request, @Res() res: Response): Promise<void> {
    const ctx = track(this.requests, 'users', req, res);
    const caller = await authenticate(req.header('authorization'), this.keys, this.directory, this.base);
    ctx.tenantId = caller.tenantId;
    ctx.clientId = caller.clientId;
    const tenant = this.directory.tenant(caller.tenantId);
    if (!tenant) throw new ApiError(401, 'InvalidToken', `tenant ${caller.tenantId} no longer exists`);
    const page = planUsersPage(tenant, req.query as Record<string, unknown>, this.base);
    ctx.firstPage = page.firstPage;
    await this.fault('users', ctx);
    await writeUsers(res, tenant, page);
  }

  private async fault(kind: FaultKind, ctx: TrackedRequest): Promise<void> {
    const f = this.faults.take(kind, ctx.tenantId);
    if (!f) return;
    ctx.fault = f.type;
    if (f.type === 'slow') {
      await delay(f.delayMs ?? 0);
      return;
    }
    if (f.type === '429') throw new ApiError(429, 'TooManyRequests', `too many requests (injected 429 fault); retry after ${f.retryAfter ?? 1} s`, [], { 'retry-after': String(f.retryAfter ?? 1) });
    throw new ApiError(500, 'InternalServerError', 'internal server error (injected 500 fault)');
  }
}
