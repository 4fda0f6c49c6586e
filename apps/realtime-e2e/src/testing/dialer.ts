import { credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { CALL_EVENTS_V1, PROTO_LOADER_OPTIONS } from '@ci-connector/proto';

// A partner dialer talking to call-events, as a dialer's developer would write it:
// REST (POST /v1/calls/{callId}/started|ended with an Idempotency-Key) or gRPC
// (CallEventService), authenticated with the partner's API key.

export interface CallStarted {
  tenantId: string;
  sellerId: string;
  sipCallId?: string;
  startTime: string;
  isIncomingCall: boolean;
  contactNumber: string;
  contactName: string;
}

export interface CallEnded {
  tenantId: string;
  sellerId: string;
  sipCallId?: string;
  callDurationInSeconds: number;
  callTerminationReason: 'success' | 'error';
  callEndTime: string;
  isCallStarted: boolean;
}

/** An answer: the status (HTTP, or gRPC's mapped to HTTP's: 0 → 202, 14 → 503, …), the event id when accepted. */
export interface Posted {
  status: number;
  eventId?: string;
  retryAfterSeconds?: number;
  body?: unknown;
}

export interface Dialer {
  started(callId: string, body: CallStarted, idempotencyKey: string): Promise<Posted>;
  ended(callId: string, body: CallEnded, idempotencyKey: string): Promise<Posted>;
  close(): void;
}

export class RestDialer implements Dialer {
  constructor(
    readonly base: string,
    private readonly apiKey: string,
  ) {}

  started(callId: string, body: CallStarted, idempotencyKey: string): Promise<Posted> {
    return this.post(`/v1/calls/${encodeURIComponent(callId)}/started`, body, idempotencyKey);
  }

  ended(callId: string, body: CallEnded, idempotencyKey: string): Promise<Posted> {
    return this.post(`/v1/calls/${encodeURIComponent(callId)}/ended`, body, idempotencyKey);
  }

  /** POST /v1/widget-tokens: the seller's widget token. */
  async widgetToken(tenantId: string, sellerId: string): Promise<string> {
    const r = await fetch(`${this.base}/v1/widget-tokens`, { method: 'POST', headers: this.headers(), body: JSON.stringify({ tenantId, sellerId }) });
    const body = (await r.json()) as { token?: string };
    if (r.status !== 201 || !body.token) throw new Error(`POST /v1/widget-tokens answered ${r.status}: ${JSON.stringify(body)}`);
    return body.token;
  }

  /** Nothing to close: fetch keeps no connection of ours. */
  close(): void {
    return undefined;
  }

  private headers(idempotencyKey?: string): Record<string, string> {
    return { authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) };
  }

  private async post(path: string, body: unknown, idempotencyKey: string): Promise<Posted> {
    const r = await fetch(`${this.base}${path}`, { method: 'POST', headers: this.headers(idempotencyKey), body: JSON.stringify(body) });
    const text = await r.text();
    const json = text ? (JSON.parse(text) as { eventId?: string }) : undefined;
    const retryAfter = r.headers.get('retry-after');
    return { status: r.status, ...(json?.eventId ? { eventId: json.eventId } : {}), ...(retryAfter ? { retryAfterSeconds: Number(retryAfter) } : {}), body: json };
  }
}

type Unary = (req: object, md: Metadata, cb: (err: ServiceError | null, res: { eventId?: string }) => void) => void;
// gRPC status → the HTTP status REST answers in the same case.
const HTTP_OF: Record<number, number> = { 3: 400, 7: 403, 8: 413, 14: 503, 16: 401 };

export class GrpcDialer implements Dialer {
  private readonly client: Record<string, Unary> & { close(): void };

  constructor(
    address: string,
    private readonly apiKey: string,
  ) {
    const def = loadPackageDefinition(loadSync(CALL_EVENTS_V1.protoPath, PROTO_LOADER_OPTIONS)) as unknown as {
      ci_connector: { call_events: { v1: { CallEventService: new (addr: string, creds: ReturnType<typeof credentials.createInsecure>) => Record<string, Unary> & { close(): void } } } };
    };
    this.client = new def.ci_connector.call_events.v1.CallEventService(address, credentials.createInsecure());
  }

  started(callId: string, body: CallStarted, idempotencyKey: string): Promise<Posted> {
    return this.call('CallStarted', { idempotencyKey, callId, ...body });
  }

  ended(callId: string, body: CallEnded, idempotencyKey: string): Promise<Posted> {
    return this.call('CallEnded', { idempotencyKey, callId, ...body });
  }

  close(): void {
    this.client.close();
  }

  private call(method: string, req: object): Promise<Posted> {
    const md = new Metadata();
    md.set('authorization', `Bearer ${this.apiKey}`);
    const fn = this.client[method] as Unary;
    return new Promise((resolve) =>
      fn.call(this.client, req, md, (err, res) => {
        if (!err) return resolve({ status: 202, ...(res.eventId ? { eventId: res.eventId } : {}) });
        const retryAfter = err.metadata?.get('retry-after')[0];
        resolve({ status: HTTP_OF[err.code] ?? 500, ...(retryAfter !== undefined ? { retryAfterSeconds: Number(retryAfter) } : {}), body: { code: err.code, details: err.details } });
      }),
    );
  }
}
