import { existsSync } from 'node:fs';
import { loadSync } from '@grpc/proto-loader';
import { CALL_EVENTS_V1, PROTO_LOADER_OPTIONS, REGISTRATION_V1 } from './index';

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

describe('call events v1 proto', () => {
  it('exists where the module says and defines the CallEventService with every operation', () => {
    expect(existsSync(CALL_EVENTS_V1.protoPath)).toBe(true);
    const def = loadSync(CALL_EVENTS_V1.protoPath, PROTO_LOADER_OPTIONS);
    const service = def[`${CALL_EVENTS_V1.package}.${CALL_EVENTS_V1.service}`] as Record<string, { path: string }>;
    expect(Object.keys(service).sort()).toEqual(['CallEnded', 'CallStarted', 'ControlRecording', 'CreateWidgetToken']);
    expect(service['CallStarted']?.path).toBe('/ci_connector.call_events.v1.CallEventService/CallStarted');
  });
});
