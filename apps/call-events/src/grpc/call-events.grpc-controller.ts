import { Controller } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import { PartnerAuthenticator, presentedKey, type Principal } from '../core/auth';
import { CallEventsService } from '../core/call-events-service';
import { ApiError, GRPC_STATUS } from '../core/errors';

/** Proto3 messages as @grpc/proto-loader hands them over (lowerCamelCase, unset fields absent). */
type Msg = Record<string, unknown>;

const SERVICE = 'CallEventService';

/** The gRPC twin of the REST API: ci_connector.call_events.v1.CallEventService (libs/proto). */
@Controller()
export class CallEventsGrpcController {
  constructor(
    private readonly events: CallEventsService,
    private readonly auth: PartnerAuthenticator,
  ) {}

  @GrpcMethod(SERVICE, 'CallStarted')
  callStarted(req: Msg, md: Metadata, call: ServerUnaryCall<unknown, unknown>) {
    const { idempotencyKey, callId, ...body } = defined(req);
    return this.call(md, call, (p) => this.events.postCallEvent(p, 'call.started', { callId, idempotencyKey, body, idempotencyKeyField: 'idempotencyKey' }));
  }

  @GrpcMethod(SERVICE, 'CallEnded')
  callEnded(req: Msg, md: Metadata, call: ServerUnaryCall<unknown, unknown>) {
    const { idempotencyKey, callId, ...body } = defined(req);
    return this.call(md, call, (p) => this.events.postCallEvent(p, 'call.ended', { callId, idempotencyKey, body, idempotencyKeyField: 'idempotencyKey' }));
  }

  @GrpcMethod(SERVICE, 'ControlRecording')
  controlRecording(req: Msg, md: Metadata, call: ServerUnaryCall<unknown, unknown>) {
    const { callId, action, ...body } = defined(req);
    return this.call(md, call, (p) => this.events.controlRecording(p, { callId, action, body }));
  }

  @GrpcMethod(SERVICE, 'CreateWidgetToken')
  createWidgetToken(req: Msg, md: Metadata, call: ServerUnaryCall<unknown, unknown>) {
    return this.call(md, call, (p) => this.events.createWidgetToken(p, defined(req)));
  }

  /**
   * Authenticates (the client certificate on the mutual-TLS port, else the API key
   * in the metadata), runs `fn`, turns ApiErrors into gRPC status codes.
   */
  private async call<T>(md: Metadata, call: ServerUnaryCall<unknown, unknown>, fn: (p: Principal) => Promise<T>): Promise<T> {
    try {
      const auth = typeof call?.getAuthContext === 'function' ? call.getAuthContext() : {};
      let principal: Principal;
      if (auth.transportSecurityType === 'ssl') {
        // grpc-js reports a certificate only when the TLS handshake verified it against MTLS_CA_FILE.
        const cert = auth.sslPeerCertificate;
        principal = this.auth.byCertificate(cert ? { authorized: true, subject: cert.subject as never } : undefined);
      } else {
        const first = (k: string) => {
          const v = md.get(k)[0];
          return v === undefined ? undefined : String(v);
        };
        principal = await this.auth.byApiKey(presentedKey(first('authorization'), first('x-api-key')));
      }
      return await fn(principal);
    } catch (err) {
      throw toRpcException(err);
    }
  }
}

export function toRpcException(err: unknown): RpcException {
  if (err instanceof ApiError) {
    const metadata = new Metadata();
    if (err.problems.length > 0) metadata.set('field-violations', JSON.stringify(err.problems));
    if (err.retryAfterSeconds !== undefined) metadata.set('retry-after', String(err.retryAfterSeconds));
    return new RpcException({ code: GRPC_STATUS[err.kind], message: err.message, details: err.message, metadata });
  }
  return new RpcException({ code: 13, message: 'internal error; see the service log', details: 'internal error; see the service log' });
}

/** Drops the fields proto3 left unset, so validation sees "required" where a field is missing. */
function defined(m: Msg): Msg {
  return Object.fromEntries(Object.entries(m ?? {}).filter(([, v]) => v !== undefined && v !== null));
}
