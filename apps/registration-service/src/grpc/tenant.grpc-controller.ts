import { Controller } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { Metadata } from '@grpc/grpc-js';
import type { ApiKeyRecord } from '@ci-connector/recording-policy';
import { ApiKeyAuthenticator, presentedKey, type Principal } from '../core/auth';
import { ApiError, GRPC_STATUS } from '../core/errors';
import { TenantService } from '../core/tenant-service';
import { tenantView } from '../http/views';

/** Proto3 messages as @grpc/proto-loader hands them over (lowerCamelCase, unset fields absent). */
type Msg = Record<string, unknown>;

const SERVICE = 'TenantService';

/** The gRPC twin of the REST API: ci_connector.registration.v1.TenantService (libs/proto). */
@Controller()
export class TenantGrpcController {
  constructor(
    private readonly tenants: TenantService,
    private readonly auth: ApiKeyAuthenticator,
  ) {}

  @GrpcMethod(SERVICE, 'CreateTenant')
  createTenant(req: Msg, md: Metadata) {
    return this.call(md, async (p) => tenantView(await this.tenants.create(p, defined(req))));
  }

  @GrpcMethod(SERVICE, 'GetTenant')
  getTenant(req: Msg, md: Metadata) {
    return this.call(md, async (p) => tenantView(await this.tenants.get(p, str(req['id']))));
  }

  @GrpcMethod(SERVICE, 'ListTenants')
  listTenants(_req: Msg, md: Metadata) {
    return this.call(md, async (p) => ({ tenants: (await this.tenants.list(p)).map(tenantView) }));
  }

  @GrpcMethod(SERVICE, 'UpdateTenant')
  updateTenant(req: Msg, md: Metadata) {
    const { id, expectedVersion, ...change } = req;
    return this.call(md, async (p) => tenantView(await this.tenants.update(p, str(id), defined(change), typeof expectedVersion === 'number' ? expectedVersion : undefined)));
  }

  @GrpcMethod(SERVICE, 'DeleteTenant')
  deleteTenant(req: Msg, md: Metadata) {
    return this.call(md, async (p) => {
      await this.tenants.delete(p, str(req['id']));
      return { deleted: true };
    });
  }

  @GrpcMethod(SERVICE, 'RegisterTenant')
  registerTenant(req: Msg, md: Metadata) {
    return this.call(md, async (p) => {
      const r = await this.tenants.register(p, str(req['id']));
      return { outcome: r.outcome, tenant: tenantView(r.tenant) };
    });
  }

  @GrpcMethod(SERVICE, 'SyncTenant')
  syncTenant(req: Msg, md: Metadata) {
    return this.call(md, (p) => this.tenants.sync(p, str(req['id'])));
  }

  @GrpcMethod(SERVICE, 'CreateApiKey')
  createApiKey(req: Msg, md: Metadata) {
    const body: Msg = {};
    if (req['name'] !== undefined) body['name'] = req['name'];
    if (req['allTenants'] === true) body['tenants'] = '*';
    else if (Array.isArray(req['tenants']) && req['tenants'].length > 0) body['tenants'] = req['tenants'];
    return this.call(md, async (p) => {
      const { key, record } = await this.tenants.createApiKey(p, body);
      return { key, apiKey: apiKeyMessage(record) };
    });
  }

  @GrpcMethod(SERVICE, 'ListApiKeys')
  listApiKeys(_req: Msg, md: Metadata) {
    return this.call(md, async (p) => ({ apiKeys: (await this.tenants.listApiKeys(p)).map(apiKeyMessage) }));
  }

  @GrpcMethod(SERVICE, 'RevokeApiKey')
  revokeApiKey(req: Msg, md: Metadata) {
    return this.call(md, async (p) => {
      await this.tenants.revokeApiKey(p, str(req['id']));
      return { revoked: true };
    });
  }

  /** Authenticates from the metadata, runs `fn`, turns ApiErrors into gRPC status codes with the fields in `field-violations`. */
  private async call<T>(md: Metadata, fn: (p: Principal) => Promise<T>): Promise<T> {
    try {
      const first = (k: string) => {
        const v = md.get(k)[0];
        return v === undefined ? undefined : String(v);
      };
      const principal = await this.auth.authenticate(presentedKey(first('authorization'), first('x-api-key')));
      return await fn(principal);
    } catch (err) {
      throw toRpcException(err);
    }
  }
}

export function toRpcException(err: unknown): RpcException {
  if (err instanceof ApiError) {
    const metadata = new Metadata();
    metadata.set('error-code', err.code);
    if (err.details.length > 0) metadata.set('field-violations', JSON.stringify(err.details));
    return new RpcException({ code: GRPC_STATUS[err.kind], message: err.message, details: err.message, metadata });
  }
  return new RpcException({ code: 13, message: 'internal error; see the service log', details: 'internal error; see the service log' });
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Drops the fields proto3 left unset, so validation sees "required" where a field is missing. */
function defined(m: Msg): Msg {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined && v !== null));
}

function apiKeyMessage(r: ApiKeyRecord) {
  return { id: r.id, name: r.name, allTenants: r.tenants === '*', tenants: r.tenants === '*' ? [] : r.tenants, createdAt: r.createdAt };
}
