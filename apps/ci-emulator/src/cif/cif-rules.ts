// The rules the CIF double checks on what a widget calls, as pure functions.
//
// CIF 1.0 (Microsoft Learn, "raiseEvent (JavaScript API Reference)"):
// `Microsoft.CIFramework.raiseEvent(eventName, eventInputParameters, correlationId?)`
// returns a Promise of a Boolean; eventName is a String, eventInputParameters a
// "JSON String" (the seed's own sample passes an object, so both are accepted),
// correlationId a GUID. Calls made before the CIFInitDone event fail; calls time
// out after 10 s. The seed (ci-third-party-sp-integration.md) defines the two
// events conversation intelligence listens to, with exactly these fields:
//   CallStartedEvent { callId: string; startTime: Date; isIncomingCall: boolean; contactNumber: string; contactName: string }
//   CallEndedEvent   { callId: string; callDurationInSeconds: number; callTerminationReason: 'success'|'error'; callEndTime: Date; isCallStarted: boolean }
// Unknown event names are allowed (CIF lets widgets raise their own events).

/** How the page described one argument (the page's library runs in the browser and cannot send a Date as such). */
export interface WireArg {
  /** string | number | boolean | undefined | null | Date | InvalidDate | array | object | function | bigint | symbol */
  type: string;
  /** A JSON-safe copy (Dates as ISO strings); absent for undefined. */
  value?: unknown;
  /** For an object: each own field's type, as above (a field set to undefined still shows up here). */
  fields?: Record<string, string>;
}

export interface Finding {
  /** The rule's stable name, e.g. `cif.call-ended.callDurationInSeconds`. */
  rule: string;
  /** The payload field concerned, when there is one. */
  field?: string;
  message: string;
}

export const CIF_TIMEOUT_SECONDS = 10;
export const CALL_STARTED = 'WIDGET_CALL_STARTED';
export const CALL_ENDED = 'WIDGET_CALL_ENDED';

/** The Microsoft.CIFramework methods the double emulates (CIF 1.0 names). Others reject, named. */
export const EMULATED_METHODS = ['raiseEvent', 'addHandler', 'removeHandler', 'setClickToAct', 'getClickToAct', 'setMode', 'getMode', 'setWidth', 'getWidth', 'getEnvironment'] as const;
/** Entries the library records about itself (not API calls). */
export const LIFECYCLE_METHODS = ['load', 'CIFInitDone'] as const;

const GUID = /^[{(]?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[)}]?$/i;
/** ISO 8601 date-time with an explicit offset (a time without one is ambiguous). */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

type FieldRule = { type: 'string'; nonEmpty?: boolean } | { type: 'boolean' } | { type: 'number' } | { type: 'date' } | { type: 'enum'; values: string[] };

const CALL_STARTED_FIELDS: Record<string, FieldRule> = {
  callId: { type: 'string', nonEmpty: true },
  startTime: { type: 'date' },
  isIncomingCall: { type: 'boolean' },
  contactNumber: { type: 'string' },
  contactName: { type: 'string' },
};

const CALL_ENDED_FIELDS: Record<string, FieldRule> = {
  callId: { type: 'string', nonEmpty: true },
  callDurationInSeconds: { type: 'number' },
  callTerminationReason: { type: 'enum', values: ['success', 'error'] },
  callEndTime: { type: 'date' },
  isCallStarted: { type: 'boolean' },
};

export interface ReadPayload {
  /** object (as the seed passes it), json-string (as the CIF reference types it), or what else came. */
  form: string;
  /** The payload as a plain value (a JSON string parsed). */
  value?: unknown;
  /** Field → type, for an object payload. */
  fields?: Record<string, string>;
}

/** Reads eventInputParameters: an object, or a JSON string of one (its fields then typed from JSON). */
export function readPayload(arg: WireArg | undefined): ReadPayload {
  if (!arg || arg.type === 'undefined') return { form: 'undefined' };
  if (arg.type === 'object') return { form: 'object', value: arg.value, fields: arg.fields ?? fieldsOfJson(arg.value) };
  if (arg.type === 'string' && typeof arg.value === 'string') {
    try {
      const parsed: unknown = JSON.parse(arg.value);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return { form: 'json-string', value: parsed, fields: fieldsOfJson(parsed) };
      return { form: 'string', value: arg.value };
    } catch {
      return { form: 'string', value: arg.value };
    }
  }
  return { form: arg.type, value: arg.value };
}

function fieldsOfJson(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) out[k] = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  return out;
}

/** Checks raiseEvent's own arguments: eventName a non-empty string, eventInputParameters given, correlationId a GUID. */
export function checkRaiseEventArgs(eventName: WireArg | undefined, payload: ReadPayload, correlationId: WireArg | undefined): Finding[] {
  const out: Finding[] = [];
  if (eventName?.type !== 'string' || typeof eventName.value !== 'string' || eventName.value.trim() === '') {
    out.push({ rule: 'cif.raiseEvent.eventName', message: `raiseEvent's eventName must be a non-empty String, got ${eventName ? describe(eventName) : 'nothing'}` });
  }
  if (payload.form === 'undefined') out.push({ rule: 'cif.raiseEvent.eventInputParameters', message: 'raiseEvent needs eventInputParameters (required by CIF 1.0), got undefined' });
  if (correlationId && correlationId.type !== 'undefined') {
    if (correlationId.type !== 'string' || typeof correlationId.value !== 'string' || !GUID.test(correlationId.value)) {
      out.push({ rule: 'cif.raiseEvent.correlationId', message: `raiseEvent's correlationId, when given, must be a GUID (CIF 1.0), got ${describe(correlationId)}` });
    }
  }
  return out;
}

/** Checks a WIDGET_CALL_STARTED / WIDGET_CALL_ENDED payload against the seed's interface: exactly its fields, each of its type. */
export function checkCallEventPayload(eventName: string, payload: ReadPayload): Finding[] {
  const spec = eventName === CALL_STARTED ? CALL_STARTED_FIELDS : eventName === CALL_ENDED ? CALL_ENDED_FIELDS : undefined;
  if (!spec) return [];
  const prefix = eventName === CALL_STARTED ? 'cif.call-started' : 'cif.call-ended';
  const iface = eventName === CALL_STARTED ? 'CallStartedEvent' : 'CallEndedEvent';
  if (payload.form !== 'object' && payload.form !== 'json-string') {
    return [{ rule: `${prefix}.payload`, message: `${eventName} needs a ${iface} object (or a JSON string of one), got ${payload.form}` }];
  }
  const value = (payload.value ?? {}) as Record<string, unknown>;
  const fields = payload.fields ?? {};
  const out: Finding[] = [];
  for (const [name, rule] of Object.entries(spec)) {
    const type = fields[name];
    const v = value[name];
    if (type === undefined || type === 'undefined') {
      out.push({ rule: `${prefix}.${name}`, field: name, message: `${eventName} payload: ${name} is missing (${iface} requires it${name === 'callDurationInSeconds' ? ', always, even for a call that never connected' : ''})` });
      continue;
    }
    const problem = checkField(rule, type, v, payload.form === 'json-string');
    if (problem) out.push({ rule: `${prefix}.${name}`, field: name, message: `${eventName} payload: ${name} ${problem}` });
  }
  for (const name of Object.keys(fields)) {
    if (!(name in spec)) out.push({ rule: `${prefix}.fields`, field: name, message: `${eventName} payload: unexpected field ${name} (${iface} has exactly ${Object.keys(spec).join(', ')})` });
  }
  return out;
}

function checkField(rule: FieldRule, type: string, value: unknown, fromJsonString: boolean): string | undefined {
  switch (rule.type) {
    case 'string':
      if (type !== 'string' || typeof value !== 'string') return `must be a string, got ${type}`;
      if (rule.nonEmpty && value.trim() === '') return 'must not be empty';
      return undefined;
    case 'boolean':
      return type === 'boolean' ? undefined : `must be a boolean, got ${type}${type === 'string' ? ` "${String(value)}"` : ''}`;
    case 'number':
      if (type !== 'number' || typeof value !== 'number') return `must be a number, got ${type}${type === 'string' ? ` "${String(value)}"` : ''}`;
      if (!Number.isFinite(value) || value < 0) return `must be a finite number of seconds ≥ 0, got ${String(value)}`;
      return undefined;
    case 'enum':
      return typeof value === 'string' && rule.values.includes(value) ? undefined : `must be one of ${rule.values.map((v) => `'${v}'`).join(' | ')}, got ${type === 'string' ? `'${String(value)}'` : type}`;
    case 'date':
      if (type === 'InvalidDate') return 'is an Invalid Date';
      if (type === 'Date') return undefined;
      if (type === 'string' && typeof value === 'string') {
        if (ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) return undefined;
        return `must be a Date or an ISO 8601 date-time with an offset (e.g. 2024-05-01T10:00:00.000Z), got "${value}"`;
      }
      return `must be a Date${fromJsonString ? ' (as an ISO 8601 string inside a JSON string)' : ''} or an ISO 8601 string, got ${type}`;
  }
}

function describe(arg: WireArg): string {
  if (arg.type === 'string') return `"${String(arg.value)}"`;
  if (arg.type === 'number' || arg.type === 'boolean') return `${arg.type} ${String(arg.value)}`;
  return arg.type;
}

/** The callId of a call event payload, when it has a usable one. */
export function callIdOf(payload: ReadPayload): string | undefined {
  const v = payload.value as Record<string, unknown> | undefined;
  const id = v && typeof v === 'object' ? v['callId'] : undefined;
  return typeof id === 'string' && id.trim() !== '' ? id : undefined;
}

/** True for http(s) URLs whose host is loopback that a CSP source can name (127.0.0.0/8 or localhost). */
export function loopbackUrl(raw: string): { ok: true; url: URL } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: `"${raw}" is not an absolute URL` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: `${url.protocol} is not http: or https:` };
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are not allowed' };
  const host = url.hostname;
  if (host === 'localhost') return { ok: true, url };
  if (host === '[::1]') return { ok: false, reason: 'IPv6 loopback ([::1]) cannot be allowed by a Content-Security-Policy source: use 127.0.0.1' };
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (m && m.slice(1).every((o) => Number(o) <= 255)) return { ok: true, url };
  return { ok: false, reason: `${host} is not a loopback address (127.0.0.0/8 or localhost): the CIF page loads widgets from this machine only` };
}
