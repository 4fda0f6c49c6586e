import { performance } from 'node:perf_hooks';
import { CALL_EVENTS_METRICS as M, type Counter, type Histogram, type MetricsRegistry } from '@ci-connector/platform-observability';
import type { CallEventType } from '@ci-connector/events';
import { PartnerAuthenticator, type Principal } from './core/auth';
import { CallEventsService, type CallEventInput, type RecordingControlInput } from './core/call-events-service';
import { ApiError } from './core/errors';
import type { EventSink } from './core/event-sender';

// call-events' metrics (names and help in libs/platform/observability's
// catalogue). REST and gRPC share the service, so counting at the service and
// the authenticator counts both transports; the sink times each message from
// the producer to Kafka's acknowledgement (what a 202 waits for).

/** The rejection reason label of an error the API answers with. */
export function rejectionReason(err: unknown): string {
  return err instanceof ApiError ? err.kind.replace(/-/g, '_') : 'internal';
}

const typeLabel = (type: CallEventType) => type.replace('.', '_');

export class CallEventsMetrics {
  private readonly accepted: Counter<'type'>;
  private readonly rejected: Counter<'type' | 'reason'>;
  private readonly authFailures: Counter<'method'>;
  private readonly commands: Counter<'action' | 'result'>;
  private readonly tokens: Counter<'result'>;
  private readonly produce: Histogram<'outcome'>;

  constructor(
    readonly registry: MetricsRegistry,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.accepted = registry.counter(M.accepted);
    this.rejected = registry.counter(M.rejected);
    this.authFailures = registry.counter(M.authFailures);
    this.commands = registry.counter(M.recordingCommands);
    this.tokens = registry.counter(M.widgetTokens);
    this.produce = registry.histogram(M.produceDuration);
    for (const type of ['call_started', 'call_ended']) this.accepted.inc({ type }, 0);
  }

  /** Messages waiting for Kafka, read at scrape time. */
  observePending(sender: { readonly pending: number }): void {
    this.registry.observe(M.producePending, () => sender.pending);
  }

  event(type: CallEventType, err?: unknown): void {
    if (err === undefined) this.accepted.inc({ type: typeLabel(type) });
    else this.rejected.inc({ type: typeLabel(type), reason: rejectionReason(err) });
  }

  command(action: unknown, err?: unknown): void {
    const a = typeof action === 'string' && ['start', 'stop', 'pause', 'resume'].includes(action) ? action : 'invalid';
    this.commands.inc({ action: a, result: err === undefined ? 'accepted' : rejectionReason(err) });
  }

  token(err?: unknown): void {
    this.tokens.inc({ result: err === undefined ? 'issued' : rejectionReason(err) });
  }

  authFailed(method: 'api_key' | 'certificate', err: unknown): void {
    if (err instanceof ApiError && err.kind === 'unauthenticated') this.authFailures.inc({ method });
  }

  /** The sink the service sends through, timing each message to its acknowledgement (or its failure). */
  meteredSink(sink: EventSink): EventSink {
    return {
      send: async (message) => {
        const started = this.now();
        try {
          await sink.send(message);
          this.produce.record({ outcome: 'ok' }, (this.now() - started) / 1000);
        } catch (err) {
          this.produce.record({ outcome: 'error' }, (this.now() - started) / 1000);
          throw err;
        }
      },
    };
  }
}

/** The service, counting each event, recording command and widget token by result. */
export class MeteredCallEventsService extends CallEventsService {
  constructor(
    private readonly metrics: CallEventsMetrics,
    ...args: ConstructorParameters<typeof CallEventsService>
  ) {
    super(...args);
  }

  override async postCallEvent(p: Principal, type: CallEventType, input: CallEventInput): Promise<{ eventId: string }> {
    try {
      const r = await super.postCallEvent(p, type, input);
      this.metrics.event(type);
      return r;
    } catch (err) {
      this.metrics.event(type, err);
      throw err;
    }
  }

  override async controlRecording(p: Principal, input: RecordingControlInput): ReturnType<CallEventsService['controlRecording']> {
    try {
      const r = await super.controlRecording(p, input);
      this.metrics.command(r.action);
      return r;
    } catch (err) {
      this.metrics.command(input.action, err);
      throw err;
    }
  }

  override async createWidgetToken(p: Principal, body: unknown): ReturnType<CallEventsService['createWidgetToken']> {
    try {
      const r = await super.createWidgetToken(p, body);
      this.metrics.token();
      return r;
    } catch (err) {
      this.metrics.token(err);
      throw err;
    }
  }
}

/** The authenticator, counting the 401s by credential. */
export class MeteredPartnerAuthenticator extends PartnerAuthenticator {
  constructor(
    private readonly metrics: CallEventsMetrics,
    ...args: ConstructorParameters<typeof PartnerAuthenticator>
  ) {
    super(...args);
  }

  override async byApiKey(key: string | undefined): Promise<Principal> {
    try {
      return await super.byApiKey(key);
    } catch (err) {
      this.metrics.authFailed('api_key', err);
      throw err;
    }
  }

  override byCertificate(cert: Parameters<PartnerAuthenticator['byCertificate']>[0]): Principal {
    try {
      return super.byCertificate(cert);
    } catch (err) {
      this.metrics.authFailed('certificate', err);
      throw err;
    }
  }
}
