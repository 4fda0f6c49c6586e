import { existsSync } from 'node:fs';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, REGISTRATION_V1 } from './index';

describe('registration v1 proto', () => {
  it('exists where the module says and defines the TenantService with every operation', () => {
    expect(existsSync(REGISTRATION_V1.protoPath)).toBe(true);
    const def = loadSync(REGISTRATION_V1.protoPath, PROTO_LOADER_OPTIONS);
    const service = def[`${REGISTRATION_V1.package}.${REGISTRATION_V1.service}`] as Record<string, { path: string }>;
    expect(Object.keys(service).sort()).toEqual(
      ['CreateApiKey', 'CreateTenant', 'DeleteTenant', 'GetTenant', 'ListApiKeys', 'ListTenants', 'RegisterTenant', 'RevokeApiKey', 'SyncTenant', 'UpdateTenant'].sort(),
    );
    expect(service['CreateTenant']?.path).toBe('/ci_connector.registration.v1.TenantService/CreateTenant');
  });
});
