import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiError } from '../core/errors';
import { TenantService } from '../core/tenant-service';
import { ApiKeyGuard, principalOf, type AuthedRequest } from './auth.guard';
import { tenantView } from './views';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errors = [
  ApiResponse({ status: 401, description: 'No API key, or an unknown one', schema: ref('Error') }),
  ApiResponse({ status: 503, description: 'Redis is not reachable', schema: ref('Error') }),
];
const apply = (...ds: Array<MethodDecorator>) => (t: object, k: string | symbol, d: PropertyDescriptor) => ds.forEach((x) => x(t, k, d));

/** The version an `If-Match` header asks for (`3` or `"3"`, weak or not), or undefined. */
function ifMatchVersion(h: string | undefined): number | undefined {
  if (h === undefined || h.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(h);
  if (!m) throw ApiError.invalid([{ field: 'If-Match', message: 'must be the tenant version as an ETag, e.g. "3"' }], 'request');
  return Number(m[1]);
}

@ApiTags('tenants')
@ApiSecurity('apiKey')
@ApiSecurity('bearer')
@Controller('tenants')
@UseGuards(ApiKeyGuard)
export class TenantsController {
  constructor(private readonly tenants: TenantService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant', description: 'Validates every field (400 lists each bad one). The key must cover the tenant id (403 otherwise).' })
  @ApiBody({ schema: ref('TenantCreate') })
  @ApiResponse({ status: 201, description: 'Created (status unregistered)', schema: ref('Tenant') })
  @ApiResponse({ status: 400, description: 'Invalid tenant: `details` names each field', schema: ref('Error') })
  @ApiResponse({ status: 403, description: 'The tenant id is outside the key scope', schema: ref('Error') })
  @ApiResponse({ status: 409, description: 'A tenant with this id exists', schema: ref('Error') })
  @ApiResponse({ status: 413, description: 'Body too large', schema: ref('Error') })
  @apply(...errors)
  async create(@Req() req: AuthedRequest, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const t = await this.tenants.create(principalOf(req), body);
    res.setHeader('Location', `/tenants/${t.id}`).setHeader('ETag', `"${t.version}"`);
    return tenantView(t);
  }

  @Get()
  @ApiOperation({ summary: 'List the tenants the key may see' })
  @ApiResponse({ status: 200, schema: ref('TenantList') })
  @apply(...errors)
  async list(@Req() req: AuthedRequest) {
    return { tenants: (await this.tenants.list(principalOf(req))).map(tenantView) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a tenant', description: 'The registration status included. 404 also for tenants outside the key scope.' })
  @ApiResponse({ status: 200, schema: ref('Tenant') })
  @ApiResponse({ status: 404, schema: ref('Error') })
  @apply(...errors)
  async get(@Req() req: AuthedRequest, @Param('id') id: string, @Res({ passthrough: true }) res: Response) {
    const t = await this.tenants.get(principalOf(req), id);
    res.setHeader('ETag', `"${t.version}"`);
    return tenantView(t);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change some fields of a tenant',
    description:
      'Partial update: the fields given replace the stored ones. A change to what is registered (org, name, account, certificate, network, hosting) sends a registered tenant back to `unregistered`: register it again. With `If-Match: "<version>"` the change applies only to that version (412 otherwise).',
  })
  @ApiHeader({ name: 'If-Match', required: false, description: 'the tenant version (ETag) the change is based on' })
  @ApiBody({ schema: ref('TenantUpdate') })
  @ApiResponse({ status: 200, schema: ref('Tenant') })
  @ApiResponse({ status: 400, schema: ref('Error') })
  @ApiResponse({ status: 404, schema: ref('Error') })
  @ApiResponse({ status: 409, description: 'Changed concurrently: read it again', schema: ref('Error') })
  @ApiResponse({ status: 412, description: 'If-Match did not match the version', schema: ref('Error') })
  @apply(...errors)
  async update(@Req() req: AuthedRequest, @Param('id') id: string, @Body() body: unknown, @Headers('if-match') ifMatch: string | undefined, @Res({ passthrough: true }) res: Response) {
    const t = await this.tenants.update(principalOf(req), id, body, ifMatchVersion(ifMatch));
    res.setHeader('ETag', `"${t.version}"`);
    return tenantView(t);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a tenant', description: 'Published to Kafka as a tombstone; the worker drops its users.' })
  @ApiResponse({ status: 204 })
  @ApiResponse({ status: 404, schema: ref('Error') })
  @apply(...errors)
  async delete(@Req() req: AuthedRequest, @Param('id') id: string): Promise<void> {
    await this.tenants.delete(principalOf(req), id);
  }

  @Post(':id/register')
  @ApiOperation({
    summary: 'Register the provider for the tenant at the CI providers API',
    description:
      'Idempotent. Already registered with the same details: 200 `unchanged`, no API call. Otherwise 202 `accepted`: the tenant is `pending` and a background job registers it, retrying with back-off (`status.attempts`, `status.lastError` show progress), ending `registered` or `failed` with the last error. A registration already running is not started twice.',
  })
  @ApiResponse({ status: 200, description: 'unchanged', schema: ref('RegisterResult') })
  @ApiResponse({ status: 202, description: 'accepted: poll GET /tenants/{id}', schema: ref('RegisterResult') })
  @ApiResponse({ status: 404, schema: ref('Error') })
  @apply(...errors)
  async register(@Req() req: AuthedRequest, @Param('id') id: string, @Res({ passthrough: true }) res: Response) {
    const r = await this.tenants.register(principalOf(req), id);
    res.status(r.outcome === 'unchanged' ? 200 : 202);
    return { outcome: r.outcome, tenant: tenantView(r.tenant) };
  }

  @Post(':id/sync')
  @HttpCode(202)
  @ApiOperation({ summary: 'Ask the policy-sync-worker to pull the users to record now', description: 'The tenant must be registered (409 otherwise).' })
  @ApiResponse({ status: 202, schema: ref('SyncRequested') })
  @ApiResponse({ status: 404, schema: ref('Error') })
  @ApiResponse({ status: 409, description: 'not registered yet', schema: ref('Error') })
  @apply(...errors)
  async sync(@Req() req: AuthedRequest, @Param('id') id: string) {
    return this.tenants.sync(principalOf(req), id);
  }
}
