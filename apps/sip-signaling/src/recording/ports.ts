import type { Tenant } from '@ci-connector/tenancy';
import { recorderTargets, type RecorderTarget, type RecorderTargetOptions } from '@ci-connector/siprec';

// The interfaces the recording session uses from the events and recorders parts
// of sip-signaling (src/events/**, src/recorders/**, written in parallel). They
// are declared here with the same shapes so this part builds on its own; the
// no-op/static implementations below stand in until those parts are wired.

export type RecordingEventType = 'recording.started' | 'recording.failed' | 'recording.stopped' | 'recording.paused' | 'recording.resumed';

export interface RecordingEventMessage {
  type: RecordingEventType;
  callId: string;
  sipCallId: string;
  tenantId: string;
  seller: string;
  recorder?: string;
  reason?: string;
  at: string;
}

/** src/events/recording-events.ts: never throws, never blocks the call. */
export interface RecordingEventPublisher {
  publish(e: RecordingEventMessage): void;
}

export interface RecordingControlCommand {
  action: 'start' | 'stop' | 'pause' | 'resume';
  callId: string;
  tenantId?: string;
  requestedBy?: string;
}

/** src/events/recording-control.ts: recording.control commands by call id. */
export interface RecordingControlSource {
  onCommand(handler: (c: RecordingControlCommand) => void): void;
}

export type RecorderOutcome = 'ok' | { status?: number; error?: string; retryAfterMs?: number };

/** src/recorders/recorder-pool.ts: ordered targets (unhealthy/open-circuit ones last or skipped) and outcome reports. */
export interface RecorderPool {
  targetsFor(tenant: Tenant): RecorderTarget[];
  report(target: RecorderTarget, outcome: RecorderOutcome): void;
}

/** Publishes nothing (until the Kafka publisher is wired); logs at debug through `log` when given. */
export class NoopEventPublisher implements RecordingEventPublisher {
  constructor(private readonly log?: (e: RecordingEventMessage) => void) {}
  publish(e: RecordingEventMessage): void {
    try {
      this.log?.(e);
    } catch {
      // never throws
    }
  }
}

/** A control source that never sends a command. */
export class NoControlSource implements RecordingControlSource {
  onCommand(): void {
    // no commands
  }
}

/** recorderTargets() for the tenant (region, then global; or the tenant's own list), with the configured host overrides; ignores reports. */
export class StaticRecorderPool implements RecorderPool {
  constructor(private readonly options: RecorderTargetOptions = {}) {}
  targetsFor(tenant: Tenant): RecorderTarget[] {
    return recorderTargets({ region: tenant.region }, this.options);
  }
  report(): void {
    // no health state here
  }
}
