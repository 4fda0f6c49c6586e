import { Controller, Delete, Get, HttpCode, Param, Post, Put, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { buildApp, buildTenant, defaultDomain, generateBodySchema, type AppDef } from '../config/emulator-file';
import { ApiError, parseJson, requireJsonContentType, validationError, zodProblems, type FieldProblem } from '../providers/api-error';
import { ApiErrorFilter } from '../providers/api-error.filter';
import { GUID_RE } from '../providers/registration-body';
import { Directory, type DirectoryTenant } from './directory';
import type { RawBodyRequest } from './raw-body';
import { checkUser, checkUsers } from './users';

function guidParam(name: string, value: string): string {
  if (!GUID_RE.test(value)) throw new ApiError(400, 'InvalidPath', `${name} '${value}' in the path is not a GUID`, [{ field: name, message: 'not a GUID' }]);
  return value.toLowerCase();
}

function jsonBody(req: Request & RawBodyRequest): unknown {
  requireJsonContentType(req.header('content-type'));
  return parseJson(req.rawBody);
}

export function appView(a: AppDef) {
  return {
    clientId: a.clientId,
    displayName: a.displayName,
    secrets: a.secrets.map((s) => ({ hint: `${s.value.slice(0, 3)}…`, ...(s.expiresAt ? { expiresAt: s.expiresAt.toISOString() } : {}) })),
    certificates: a.certificates.map((c) => ({ subject: c.subject, thumbprintSha1: c.thumbprintSha1, thumbprintSha256: c.thumbprintSha256, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), source: c.source })),
  };
}

export function tenantView(t: DirectoryTenant) {
  return {
    tenantId: t.tenantId,
    displayName: t.displayName,
    consents: [...t.consents].map(([clientId, roles]) => ({ clientId, roles })),
    usersResponse: t.usersResponse,
    users: t.users.describe(),
  };
}

/** /emulator/ admin of the directory: app registrations, tenants (consent, users response shape) and their users. */
@Controller('emulator')
@UseFilters(ApiErrorFilter)
export class DirectoryAdminController {
  constructor(private readonly directory: Directory) {}

  /** `{ displayName?, secrets?: [string | { value, expiresAt? }], certificates?: [path | PEM | { file } | { pem }] }`; 201 new, 200 replaced. */
  @Put('apps/:clientId')
  putApp(@Param('clientId') clientIdParam: string, @Req() req: Request & RawBodyRequest, @Res({ passthrough: true }) res: Response) {
    const clientId = guidParam('clientId', clientIdParam);
    const built = buildApp(clientId, jsonBody(req), process.cwd());
    if (!built.ok) throw validationError(built.problems);
    const result = this.directory.putApp(built.value);
    res.status(result === 'created' ? 201 : 200);
    return { status: result, app: appView(built.value) };
  }

  @Get('apps')
  listApps() {
    return { apps: [...this.directory.apps.values()].map(appView) };
  }

  @Delete('apps/:clientId')
  @HttpCode(204)
  deleteApp(@Param('clientId') clientIdParam: string): void {
    const clientId = guidParam('clientId', clientIdParam);
    if (!this.directory.apps.delete(clientId)) throw new ApiError(404, 'AppNotFound', `no app ${clientId}`, [{ field: 'clientId', message: 'no such app' }]);
  }

  /** `{ displayName?, consents?: [{ clientId, roles }], usersResponse?: { shape, pageSize? }, users?: [...] | { generate } }`; users kept unless given. */
  @Put('tenants/:tenantId')
  putTenant(@Param('tenantId') tenantIdParam: string, @Req() req: Request & RawBodyRequest, @Res({ passthrough: true }) res: Response) {
    const tenantId = guidParam('tenantId', tenantIdParam);
    const built = buildTenant(tenantId, jsonBody(req));
    if (!built.ok) throw validationError(built.problems);
    const unknownApps: FieldProblem[] = built.value.consents.flatMap((c, i) => (this.directory.app(c.clientId) ? [] : [{ field: `consents[${i}].clientId`, message: `${c.clientId} is not an app (PUT /emulator/apps/${c.clientId} first)` }]));
    if (unknownApps.length > 0) throw validationError(unknownApps);
    const result = this.directory.putTenant(built.value);
    res.status(result === 'created' ? 201 : 200);
    return { status: result, tenant: tenantView(this.tenant(tenantId)) };
  }

  @Get('tenants')
  listTenants() {
    return { tenants: [...this.directory.tenants.values()].map(tenantView) };
  }

  @Delete('tenants/:tenantId')
  @HttpCode(204)
  deleteTenant(@Param('tenantId') tenantIdParam: string): void {
    const tenantId = guidParam('tenantId', tenantIdParam);
    if (!this.directory.tenants.delete(tenantId)) throw new ApiError(404, 'TenantNotFound', `no tenant ${tenantId}`, [{ field: 'tenantId', message: 'no such tenant' }]);
  }

  /** Replaces the tenant's users with a JSON array (up to 1,000,000; this route alone takes bodies up to 512 MiB). */
  @Put('tenants/:tenantId/users')
  putUsers(@Param('tenantId') tenantIdParam: string, @Req() req: Request & RawBodyRequest) {
    const tenant = this.tenant(guidParam('tenantId', tenantIdParam));
    const checked = checkUsers(jsonBody(req));
    if (!checked.ok) throw validationError(checked.problems, 'the users');
    tenant.users.replace(checked.users);
    return { tenantId: tenant.tenantId, users: tenant.users.describe() };
  }

  /** `{ count, seed?, domain? }`: deterministic synthetic users (id, UPN, mail, E.164 phones, display name). */
  @Post('tenants/:tenantId/users/generate')
  @HttpCode(200)
  generateUsers(@Param('tenantId') tenantIdParam: string, @Req() req: Request & RawBodyRequest) {
    const tenant = this.tenant(guidParam('tenantId', tenantIdParam));
    const parsed = generateBodySchema.safeParse(jsonBody(req));
    if (!parsed.success) throw validationError(zodProblems(parsed.error.issues));
    tenant.users.generate({ count: parsed.data.count, seed: parsed.data.seed, domain: parsed.data.domain ?? defaultDomain(tenant.tenantId) });
    return { tenantId: tenant.tenantId, users: tenant.users.describe() };
  }

  /** Adds one user at the end (201; 409 if its id/UPN/mail is there already). */
  @Post('tenants/:tenantId/users')
  @HttpCode(201)
  addUser(@Param('tenantId') tenantIdParam: string, @Req() req: Request & RawBodyRequest) {
    const tenant = this.tenant(guidParam('tenantId', tenantIdParam));
    const user = jsonBody(req);
    const problems: FieldProblem[] = [];
    if (!checkUser(user, '(body)', problems)) throw validationError(problems, 'the user');
    const result = tenant.users.add(user);
    if (result === 'duplicate') throw new ApiError(409, 'DuplicateUser', 'a user with this id/userPrincipalName/mail is already in the list', [{ field: '(body)', message: 'duplicate' }]);
    if (result === 'full') throw new ApiError(400, 'TooManyUsers', 'the tenant has 1,000,000 users already', [{ field: '(body)', message: 'list full' }]);
    return { tenantId: tenant.tenantId, users: tenant.users.describe() };
  }

  /** Removes the user whose id, userPrincipalName, mail or phone is `key`. */
  @Delete('tenants/:tenantId/users/:key')
  @HttpCode(204)
  removeUser(@Param('tenantId') tenantIdParam: string, @Param('key') key: string): void {
    const tenant = this.tenant(guidParam('tenantId', tenantIdParam));
    if (!tenant.users.remove(key)) throw new ApiError(404, 'UserNotFound', `no user '${key}' in tenant ${tenant.tenantId}`, [{ field: 'key', message: 'no user with this id, userPrincipalName, mail or phone' }]);
  }

  private tenant(tenantId: string): DirectoryTenant {
    const t = this.directory.tenant(tenantId);
    if (!t) throw new ApiError(404, 'TenantNotFound', `no tenant ${tenantId} (PUT /emulator/tenants/${tenantId} first)`, [{ field: 'tenantId', message: 'no such tenant' }]);
    return t;
  }
}
