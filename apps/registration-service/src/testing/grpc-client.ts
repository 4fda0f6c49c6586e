import { credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, REGISTRATION_V1 } from '@ci-connector/proto';

type Unary = (req: object, md: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => void;
export type GrpcResult = { ok: true; value: any } | { ok: false; code: number; message: string; violations?: Array<{ field: string; message: string }> }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A TenantService client for tests: `call('CreateTenant', req, key)` → the answer or the status with its field violations. */
export function registrationGrpcClient(address: string) {
  const def = loadPackageDefinition(loadSync(REGISTRATION_V1.protoPath, PROTO_LOADER_OPTIONS)) as unknown as {
    ci_connector: { registration: { v1: { TenantService: new (addr: string, creds: ReturnType<typeof credentials.createInsecure>) => Record<string, Unary> & { close(): void } } } };
  };
  const client = new def.ci_connector.registration.v1.TenantService(address, credentials.createInsecure());
  return {
    call(method: string, req: object, key?: string, header: 'authorization' | 'x-api-key' = 'authorization'): Promise<GrpcResult> {
      const md = new Metadata();
      if (key !== undefined) md.set(header, header === 'authorization' ? `Bearer ${key}` : key);
      const fn = client[method];
      if (!fn) throw new Error(`no method ${method}`);
      return new Promise((resolve) =>
        fn.call(client, req, md, (err, res) => {
          if (!err) return resolve({ ok: true, value: res });
          const v = err.metadata?.get('field-violations')[0];
          resolve({ ok: false, code: err.code, message: err.details, ...(v !== undefined ? { violations: JSON.parse(String(v)) } : {}) });
        }),
      );
    },
    close: () => client.close(),
  };
}
