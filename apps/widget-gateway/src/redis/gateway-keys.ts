import { widgetKey } from '@ci-connector/events';

/**
 * Every Redis key widget-gateway uses, under the shared prefix (`cic:`):
 *
 * | key | what |
 * |---|---|
 * | `widget:<tenant>/<seller>` | the seller's delivery stream (XADD, MAXLEN ~ N, expires when idle) |
 * | `widget-notify:<tenant>/<seller>` | pub/sub channel: an entry was added to that stream |
 * | `widget-seen:<tenant>/<seller>:<eventId>` | the event was delivered (dedupe, with a TTL) |
 * | `widget-corr:rec:{<tenant>}:cid:<callId>` | hash: the recording of a call, by call id |
 * | `widget-corr:rec:{<tenant>}:sip:<sipCallId>` | the same, by the A leg's SIP Call-ID |
 * | `widget-corr:recorded` | pub/sub channel: a recording was noted (wakes waiting call.started events) |
 * | `widget-corr:call:{<tenant>}:<dialerCallId>` | the call id the widget got for a dialer call |
 * | `widget-call:{<tenant>}:<widgetCallId>` | the seller a widget call id was delivered to (widget control) |
 *
 * Ids inside correlation keys are URI-encoded, so no id can pose as another's
 * key (`:` and `/` are escaped); the stream key is the contract's `widgetKey`.
 */
export class GatewayKeys {
  constructor(readonly prefix: string) {}

  stream(tenantId: string, sellerId: string): string {
    return `${this.prefix}widget:${widgetKey(tenantId, sellerId)}`;
  }
  streamNotify(tenantId: string, sellerId: string): string {
    return `${this.prefix}widget-notify:${widgetKey(tenantId, sellerId)}`;
  }
  seen(tenantId: string, sellerId: string, eventId: string): string {
    return `${this.prefix}widget-seen:${widgetKey(tenantId, sellerId)}:${eventId}`;
  }
  recordingByCallId(tenantId: string, callId: string): string {
    return `${this.prefix}widget-corr:rec:{${enc(tenantId)}}:cid:${enc(callId)}`;
  }
  recordingBySipCallId(tenantId: string, sipCallId: string): string {
    return `${this.prefix}widget-corr:rec:{${enc(tenantId)}}:sip:${enc(sipCallId)}`;
  }
  get recordedChannel(): string {
    return `${this.prefix}widget-corr:recorded`;
  }
  widgetCallId(tenantId: string, dialerCallId: string): string {
    return `${this.prefix}widget-corr:call:{${enc(tenantId)}}:${enc(dialerCallId)}`;
  }
  callOwner(tenantId: string, widgetCallId: string): string {
    return `${this.prefix}widget-call:{${enc(tenantId)}}:${enc(widgetCallId)}`;
  }
}

const enc = (s: string) => encodeURIComponent(s);
