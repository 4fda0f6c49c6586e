import { credentials, loadPackageDefinition, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { CALL_EVENTS_V1, PROTO_LOADER_OPTIONS } from '@ci-connector/proto';

type Unary = (req: object, md: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => void;
export type GrpcResult =
  | { ok: true; value: any } // eslint-disable-line @typescript-eslint/no-explicit-any
  | { ok: false; code: number; message: string; violations?: Array<{ field: string; message: string }>; retryAfter?: string };

/** A CallEventService client for tests: `call('CallStarted', req, key)` → the answer or the status with its field violations. */
export function callEventsGrpcClient(address: string, creds: ChannelCredentials = credentials.createInsecure()) {
  const def = loadPackageDefinition(loadSync(CALL_EVENTS_V1.protoPath, PROTO_LOADER_OPTIONS)) as unknown as {
    ci_connector: { call_events: { v1: { CallEventService: new (addr: string, creds: ChannelCredentials) => Record<string, Unary> & { close(): void } } } };
  };
  const client = new def.ci_connector.call_events.v1.CallEventService(address, creds);
  return {
    call(method: string, req: object, key?: string): Promise<GrpcResult> {
      const md = new Metadata();
      if (key !== undefined) md.set('authorization', `Bearer ${key}`);
      const fn = client[method];
      if (!fn) throw new Error(`no method ${method}`);
      return new Promise((resolve) =>
        fn.call(client, req, md, (err, res) => {
          if (!err) return resolve({ ok: true, value: res });
          const v = err.metadata?.get('field-violations')[0];
          const ra = err.metadata?.get('retry-after')[0];
          resolve({ ok: false, code: err.code, message: err.details, ...(v !== undefined ? { violations: JSON.parse(String(v)) } : {}), ...(ra !== undefined ? { retryAfter: String(ra) } : {}) });
        }),
      );
    },
    close: () => client.close(),
  };
}
