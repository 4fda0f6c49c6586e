import { CifWidgetError, type Problem } from './errors';
import type { CallEndedEvent, CallStartedEvent, WidgetEventName } from './types';

// Builds exactly the seed's payloads (ci-third-party-sp-integration.md, Step 3),
// field by field, so CIF never sees a field it does not expect, a time as a string
// where the seed says Date, or an ended event without callDurationInSeconds (the two
// mistakes of Microsoft's own Twilio sample). Limits follow libs/events/src/call-events.ts.

const ID_MAX = 256;
const TEXT_MAX = 256;
/** ISO 8601 date-time with an explicit offset: one without is ambiguous (local time of which machine?). */
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

const STARTED_FIELDS = ['callId', 'startTime', 'isIncomingCall', 'contactNumber', 'contactName'] as const;
const ENDED_FIELDS = ['callId', 'callDurationInSeconds', 'callTerminationReason', 'callEndTime', 'isCallStarted'] as const;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a Date';
  return typeof v;
}

class Reader {
  readonly problems: Problem[] = [];
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly what: string,
  ) {}

  private bad(field: string, message: string): undefined {
    this.problems.push({ field, message: `${field} ${message}` });
    return undefined;
  }

  private present(field: string, hint = ''): unknown {
    const v = this.obj[field];
    if (v === undefined) this.bad(field, `is missing (${this.what} requires it${hint})`);
    return v;
  }

  id(field: string): string {
    const v = this.present(field);
    if (v === undefined) return '';
    if (typeof v !== 'string') return this.bad(field, `must be a string, got ${typeName(v)}`) ?? '';
    if (v.trim() === '') return this.bad(field, 'must not be empty') ?? '';
    if (v.length > ID_MAX) return this.bad(field, `is longer than ${ID_MAX} characters`) ?? '';
    return v;
  }

  text(field: string): string {
    const v = this.present(field);
    if (v === undefined) return '';
    if (typeof v !== 'string') return this.bad(field, `must be a string, got ${typeName(v)}`) ?? '';
    if (v.length > TEXT_MAX) return this.bad(field, `is longer than ${TEXT_MAX} characters`) ?? '';
    return v;
  }

  bool(field: string): boolean {
    const v = this.present(field);
    if (v === undefined) return false;
    if (typeof v !== 'boolean') return this.bad(field, `must be true or false, got ${typeName(v)}${typeof v === 'string' ? ` "${v}"` : ''}`) ?? false;
    return v;
  }

  seconds(field: string): number {
    const v = this.present(field, ', always: 0 for a call that never connected');
    if (v === undefined) return 0;
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.bad(field, `must be a finite number of seconds, got ${typeof v === 'number' ? String(v) : typeName(v)}`) ?? 0;
    if (v < 0) return this.bad(field, `must not be negative, got ${v}`) ?? 0;
    return v;
  }

  reason(field: string): 'success' | 'error' {
    const v = this.present(field);
    if (v === undefined) return 'error';
    if (v !== 'success' && v !== 'error') return this.bad(field, `must be 'success' or 'error', got ${typeof v === 'string' ? `'${v}'` : typeName(v)}`) ?? 'error';
    return v;
  }

  date(field: string): Date {
    const v = this.present(field);
    const invalid = new Date(NaN);
    if (v === undefined) return invalid;
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? (this.bad(field, 'is an Invalid Date') ?? invalid) : new Date(v.getTime());
    if (typeof v === 'string') {
      const ms = Date.parse(v);
      if (!ISO_WITH_OFFSET.test(v) || Number.isNaN(ms)) return this.bad(field, `must be a Date or an ISO 8601 date-time with an offset (e.g. 2026-05-01T10:00:00Z), got "${v}"`) ?? invalid;
      return new Date(ms);
    }
    return this.bad(field, `must be a Date or an ISO 8601 date-time string, got ${typeName(v)}`) ?? invalid;
  }

  /** Strict mode (a dialer's own call): a field the seed does not have is a mistake worth naming. */
  noOthers(allowed: readonly string[]): void {
    for (const k of Object.keys(this.obj)) if (!allowed.includes(k)) this.bad(k, `is not a field of ${this.what} (it has exactly ${allowed.join(', ')})`);
  }

  done<T>(value: T, name: WidgetEventName): T {
    if (this.problems.length > 0) {
      throw new CifWidgetError('invalid-input', `${name}: ${this.problems.map((p) => p.message).join('; ')}`, { problems: this.problems });
    }
    return value;
  }
}

function asObject(input: unknown, name: WidgetEventName, what: string): Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new CifWidgetError('invalid-input', `${name}: the event must be a ${what} object, got ${typeName(input)}`, { problems: [{ field: '(event)', message: `must be a ${what} object` }] });
  }
  return input as Record<string, unknown>;
}

/**
 * The seed's CallStartedEvent from a dialer's event or a stream payload. `strict`
 * (a dialer's own call) also refuses fields the seed does not have; a stream payload
 * keeps only the seed's fields. Throws CifWidgetError('invalid-input') naming every bad field.
 */
export function toCallStarted(input: unknown, strict: boolean): CallStartedEvent {
  const r = new Reader(asObject(input, 'WIDGET_CALL_STARTED', 'CallStartedEvent'), 'CallStartedEvent');
  const event: CallStartedEvent = {
    callId: r.id('callId'),
    startTime: r.date('startTime'),
    isIncomingCall: r.bool('isIncomingCall'),
    contactNumber: r.text('contactNumber'),
    contactName: r.text('contactName'),
  };
  if (strict) r.noOthers(STARTED_FIELDS);
  return r.done(event, 'WIDGET_CALL_STARTED');
}

/** The seed's CallEndedEvent, as toCallStarted. `callDurationInSeconds` is required: 0 for a call that never connected. */
export function toCallEnded(input: unknown, strict: boolean): CallEndedEvent {
  const r = new Reader(asObject(input, 'WIDGET_CALL_ENDED', 'CallEndedEvent'), 'CallEndedEvent');
  const event: CallEndedEvent = {
    callId: r.id('callId'),
    callDurationInSeconds: r.seconds('callDurationInSeconds'),
    callTerminationReason: r.reason('callTerminationReason'),
    callEndTime: r.date('callEndTime'),
    isCallStarted: r.bool('isCallStarted'),
  };
  if (strict) r.noOthers(ENDED_FIELDS);
  return r.done(event, 'WIDGET_CALL_ENDED');
}
