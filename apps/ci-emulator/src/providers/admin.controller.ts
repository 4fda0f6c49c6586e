import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { RegistrationStore } from '../state/registrations';
import { Directory } from '../entra/directory';
import { faultBodySchema, FaultStore } from '../entra/faults';
import type { RawBodyRequest } from '../entra/raw-body';
import { REQUEST_LOG_CAPACITY, RequestLog } from '../entra/request-log';
import { ApiError, parseJson, requireJsonContentType, validationError, zodProblems } from './api-error';
import { ApiErrorFilter } from './api-error.filter';
import { registrationView } from './providers.controller';

/** /emulator/ admin: faults, the request log and counters, what the providers API stored, reset. */
@Controller('emulator')
@UseFilters(ApiErrorFilter)
export class ProvidersAdminController {
  constructor(
    private readonly faults: FaultStore,
    private readonly requests: RequestLog,
    private readonly registrations: RegistrationStore,
    private readonly directory: Directory,
  ) {}

  /** `{ kind: token|register|users, tenantId?, type: '429'|'500'|'slow', retryAfter? (s), delayMs?, count? }` */
  @Post('faults')
  @HttpCode(201)
  addFault(@Req() req: Request & RawBodyRequest) {
    requireJsonContentType(req.header('content-type'));
    const parsed = faultBodySchema.safeParse(parseJson(req.rawBody));
    if (!parsed.success) throw validationError(zodProblems(parsed.error.issues));
    return this.faults.add(parsed.data);
  }

  @Get('faults')
  listFaults() {
    return { faults: this.faults.list() };
  }

  @Delete('faults')
  @HttpCode(204)
  clearFaults(): void {
    this.faults.clear();
  }

  @Delete('faults/:id')
  @HttpCode(204)
  removeFault(@Param('id') id: string): void {
    if (!this.faults.remove(id)) throw new ApiError(404, 'NotFound', `no fault ${id}`, [{ field: 'id', message: 'no such fault' }]);
  }

  /** Counters per kind/tenant/client/status, syncs per tenant, and the last requests (?kind=&tenantId=&limit=, oldest first). */
  @Get('requests')
  listRequests(@Query() query: Record<string, unknown>) {
    const problems: Array<{ field: string; message: string }> = [];
    for (const k of Object.keys(query)) if (!['kind', 'tenantId', 'limit'].includes(k)) problems.push({ field: k, message: 'unknown query parameter (accepted: kind, tenantId, limit)' });
    const kind = query['kind'];
    if (kind !== undefined && !['token', 'discovery', 'register', 'users'].includes(String(kind))) problems.push({ field: 'kind', message: "must be 'token', 'discovery', 'register' or 'users'" });
    const limitText = query['limit'];
    let limit = 100;
    if (limitText !== undefined) {
      if (typeof limitText !== 'string' || !/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > REQUEST_LOG_CAPACITY) problems.push({ field: 'limit', message: `must be an integer from 1 to ${REQUEST_LOG_CAPACITY}` });
      else limit = Number(limitText);
    }
    const tenantId = query['tenantId'];
    if (tenantId !== undefined && typeof tenantId !== 'string') problems.push({ field: 'tenantId', message: 'given more than once' });
    if (problems.length > 0) throw new ApiError(400, 'InvalidQuery', `bad query: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
    return this.requests.snapshot({ ...(typeof kind === 'string' ? { kind } : {}), ...(typeof tenantId === 'string' ? { tenantId: tenantId.toLowerCase() } : {}), limit });
  }

  @Delete('requests')
  @HttpCode(204)
  resetRequests(): void {
    this.requests.reset();
  }

  /** Everything the providers API stored, with the raw body as received. */
  @Get('registrations')
  listRegistrations() {
    return { registrations: this.registrations.list().map((r) => ({ ...registrationView(r), rawBody: r.rawBody })) };
  }

  /** Back to the emulator file: apps, tenants, users, registrations; faults and the request log cleared. */
  @Post('reset')
  @HttpCode(200)
  reset() {
    this.directory.reset();
    this.faults.clear();
    this.requests.reset();
    return { reset: true, apps: this.directory.apps.size, tenants: this.directory.tenants.size, registrations: this.registrations.list().length };
  }
}
