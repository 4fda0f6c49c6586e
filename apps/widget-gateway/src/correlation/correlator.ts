import type { DialerCallEventV1, WidgetEventV1, WidgetRecordingV1 } from '@ci-connector/events';
import { correlationDeadline, widgetEventOf } from './widget-event';

/** The recordings sip-signaling reported, by the call id and by the A leg's SIP Call-ID (per tenant). */
export interface RecordingLookup {
  /** Waits until `deadline` (ms since the epoch) for a recording that is not known yet. */
  wait(tenantId: string, callId: string, sipCallId: string | undefined, deadline: number): Promise<WidgetRecordingV1 | undefined>;
}

/** What correlation keeps per call: the call id each dialer call was given for the widget (its first event decides). */
export interface CorrelationStore {
  /** The id already decided for the dialer call, and its recording as known now. */
  lookup(tenantId: string, dialerCallId: string, sipCallId?: string): Promise<{ decided?: string; recording?: WidgetRecordingV1 }>;
  /** Keeps `widgetCallId` unless an id was decided already; returns the one in force. Also notes the seller owning it (widget control). */
  decide(tenantId: string, dialerCallId: string, widgetCallId: string, sellerId: string): Promise<string>;
}

export interface CorrelatorOptions {
  recordings: RecordingLookup;
  store: CorrelationStore;
  /** How long a call.started waits for a recording that lags it (0 = not at all). */
  waitMs: number;
  now?: () => number;
}

export interface Correlation {
  event: WidgetEventV1;
  /** Whether the widget's call id came from a recording (the SIPREC Call-ID). */
  correlated: boolean;
  /** Whether this event waited for the recording. */
  waited: boolean;
}

/**
 * Joins a dialer event with the recording of its call.
 *
 * The widget's `callId` must be the SIPREC Call-ID when the call is recorded
 * (CI correlates the seller's actions with the recording by it): the recording
 * is looked up by the dialer's call id (sip-signaling used it as the call id)
 * and then by the A leg's SIP Call-ID (sip-signaling minted the call id). A
 * call.started that names a SIP Call-ID and for which no recording is known yet
 * waits a bounded time for a `recording.started` that lags it (one without it
 * goes out at once: its call id is the call id end to end). With no recording
 * the dialer's call id is used.
 *
 * The first event of a call decides its id and every later event of that call
 * (call.ended, a redelivery) uses the same one: CIF must see one id per call,
 * even when a recording turns up after the call.started went out without it.
 */
export class Correlator {
  private readonly now: () => number;

  constructor(private readonly opts: CorrelatorOptions) {
    this.now = opts.now ?? Date.now;
  }

  async correlate(dialer: DialerCallEventV1): Promise<Correlation> {
    const { recordings, store } = this.opts;
    const { tenantId, callId, sipCallId } = dialer;
    const known = await store.lookup(tenantId, callId, sipCallId);
    let recording = known.recording;
    let waited = false;
    // Only a dialer that names the A leg's SIP Call-ID has a call id of its own that differs from the
    // recording's: one that passed its call id to sip-signaling (X-Dialer-Call-Id) already has the
    // SIPREC Call-ID, recorded or not, so its events go out at once.
    if (known.decided === undefined && recording === undefined && dialer.type === 'call.started' && sipCallId !== undefined && this.opts.waitMs > 0) {
      const deadline = correlationDeadline(dialer.receivedAt, this.opts.waitMs, this.now());
      if (deadline > this.now()) {
        waited = true;
        recording = await recordings.wait(tenantId, callId, sipCallId, deadline);
      }
    }
    const widgetCallId = known.decided ?? (await store.decide(tenantId, callId, recording?.callId ?? callId, dialer.sellerId));
    return {
      event: widgetEventOf(dialer, widgetCallId, recording, new Date(this.now())),
      correlated: recording !== undefined && recording.callId === widgetCallId,
      waited,
    };
  }
}
