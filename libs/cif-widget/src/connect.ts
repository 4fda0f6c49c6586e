import { backoffDelay, sleep } from './backoff';
import { CifWidgetError, messageOf } from './errors';
import { RememberedSet, RememberedValue, defaultStorage } from './memory';
import { CifRaiser, type RaiserOptions } from './raiser';
import { sendRecordingCommand, type FetchLike, type RecordingResult } from './recording';
import { WIDGET_CALL_ENDED, WIDGET_CALL_STARTED, type RaisedEvent, type RecordingAction, type WidgetStreamEvent } from './types';
import { toCallEnded, toCallStarted } from './validate';

/** The part of the browser's EventSource the widget uses. */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: { data?: unknown; lastEventId?: string }) => void): void;
  close(): void;
}
export type EventSourceCtor = new (url: string) => EventSourceLike;

export type WidgetStatus = 'waiting-for-cif' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ConnectOptions extends RaiserOptions {
  /** widget-gateway's base URL, e.g. https://events.carrier.example (a path prefix is kept). */
  url: string;
  /** The widget token call-events issued for this seller; a function is asked again when the stream needs a new one. */
  token: string | (() => string | Promise<string>);
  /** The seller this widget belongs to (the token's seller). */
  sellerId: string;
  /** Everything that went wrong, as CifWidgetError; `retrying` says whether the widget goes on by itself. */
  onError?: (err: CifWidgetError) => void;
  /** Each widget event, once CIF has it. */
  onRaised?: (event: RaisedEvent) => void;
  onStatus?: (status: WidgetStatus) => void;
  /** Delays between full reconnects when the stream is closed for good (default 1 s doubling to 30 s). */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** For tests and unusual hosts (default: the page's). */
  EventSource?: EventSourceCtor;
  fetch?: FetchLike;
}

export interface WidgetHandle {
  readonly status: WidgetStatus;
  /** Closes the stream and stops raising; events not raised yet are raised by the next connect() (it resumes where this one stopped). */
  close(): void;
  startRecording(callId: string): Promise<RecordingResult>;
  stopRecording(callId: string): Promise<RecordingResult>;
  pauseRecording(callId: string): Promise<RecordingResult>;
  resumeRecording(callId: string): Promise<RecordingResult>;
  recording(action: RecordingAction, callId: string): Promise<RecordingResult>;
}

const EVENT_SOURCE_CLOSED = 2;

/**
 * Connects the seller's widget: waits for CIF, opens widget-gateway's event stream
 * (GET <url>/v1/widget/stream?token=…; EventSource cannot send headers), and raises
 * each event through Microsoft.CIFramework.raiseEvent with the seed's fields, in
 * order, each event id once and each call's ended once. The place in the stream is
 * kept in sessionStorage, so a reload resumes after the last event raised.
 * Throws CifWidgetError('invalid-input') for bad options; everything later goes to onError.
 */
export function connect(options: ConnectOptions): WidgetHandle {
  const conn = new Connection(options);
  void conn.start();
  return {
    get status() {
      return conn.status;
    },
    close: () => conn.close(),
    startRecording: (callId) => conn.recording('start', callId),
    stopRecording: (callId) => conn.recording('stop', callId),
    pauseRecording: (callId) => conn.recording('pause', callId),
    resumeRecording: (callId) => conn.recording('resume', callId),
    recording: (action, callId) => conn.recording(action, callId),
  };
}

interface Received {
  id: string;
  data: unknown;
}

class Connection {
  status: WidgetStatus = 'waiting-for-cif';
  private readonly base: string;
  private readonly raiser: CifRaiser;
  private readonly ES: EventSourceCtor;
  private readonly fetchImpl: FetchLike;
  private readonly lastId: RememberedValue;
  private readonly seen: RememberedSet;
  private readonly abort = new AbortController();
  private es: EventSourceLike | undefined;
  private queue: Received[] = [];
  private pumping = false;
  private failures = 0;

  constructor(private readonly opts: ConnectOptions) {
    this.base = checkOptions(opts);
    const ES = opts.EventSource ?? (globalThis as { EventSource?: EventSourceCtor }).EventSource;
    const f = opts.fetch ?? (globalThis as { fetch?: FetchLike }).fetch?.bind(globalThis);
    if (!ES || !f) throw new CifWidgetError('invalid-input', 'this page has no EventSource or fetch: the widget needs a current browser');
    this.ES = ES;
    this.fetchImpl = f;
    const storage = opts.storage === null ? undefined : (opts.storage ?? defaultStorage());
    const key = `ci-connector/cif-widget/v1/${this.base}/${opts.sellerId}`;
    this.lastId = new RememberedValue(storage, `${key}/last-event-id`);
    this.seen = new RememberedSet(storage, `${key}/event-ids`, 1000);
    this.raiser = new CifRaiser({ ...opts, onError: (err) => this.report(err), onRetry: (err) => this.report(err) });
  }

  async start(): Promise<void> {
    this.opts.onStatus?.(this.status);
    await this.raiser.ready(this.abort.signal);
    if (!this.abort.signal.aborted) await this.open();
  }

  close(): void {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.es?.close();
    this.es = undefined;
    this.queue = [];
    this.setStatus('closed');
  }

  async recording(action: RecordingAction, callId: string): Promise<RecordingResult> {
    return sendRecordingCommand(this.fetchImpl, this.base, await this.token(), action, callId);
  }

  private setStatus(s: WidgetStatus): void {
    if (this.status === s) return;
    this.status = s;
    this.opts.onStatus?.(s);
  }

  private report(err: CifWidgetError): void {
    try {
      this.opts.onError?.(err);
    } catch (e) {
      // A throwing handler must not stop the widget; the browser console still shows it.
      console.error('cif-widget: onError threw', e);
    }
  }

  private async token(): Promise<string> {
    const t = typeof this.opts.token === 'function' ? await this.opts.token() : this.opts.token;
    if (typeof t !== 'string' || t === '') throw new CifWidgetError('invalid-input', 'token: the token function returned no token');
    return t;
  }

  private async open(): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.setStatus(this.failures > 0 ? 'reconnecting' : 'connecting');
    let token: string;
    try {
      token = await this.token();
    } catch (err) {
      return this.retryLater(err instanceof CifWidgetError ? err : new CifWidgetError('unauthorized', `could not get a widget token: ${messageOf(err)}`, { cause: err }));
    }
    const url = new URL(`${this.base}/v1/widget/stream`);
    url.searchParams.set('token', token);
    // A new EventSource does not know where the last one stopped: tell the server. (EventSource's own reconnects send Last-Event-ID.)
    const last = this.lastId.get();
    if (last !== undefined) url.searchParams.set('lastEventId', last);
    if (this.abort.signal.aborted) return;
    const es = new this.ES(url.toString());
    this.es = es;
    es.addEventListener('open', () => {
      this.failures = 0;
      this.setStatus('open');
    });
    const onEvent = (e: { data?: unknown; lastEventId?: string }) => {
      if (this.es !== es) return;
      this.queue.push({ id: e.lastEventId ?? '', data: e.data });
      void this.pump();
    };
    es.addEventListener(WIDGET_CALL_STARTED, onEvent);
    es.addEventListener(WIDGET_CALL_ENDED, onEvent);
    es.addEventListener('message', onEvent);
    es.addEventListener('error', () => {
      if (this.es !== es || this.abort.signal.aborted) return;
      if (es.readyState !== EVENT_SOURCE_CLOSED) return this.setStatus('reconnecting'); // EventSource retries by itself, with Last-Event-ID
      es.close();
      this.es = undefined;
      void this.diagnose(url.toString()).then((err) => this.retryLater(err));
    });
  }

  /** The stream closed for good (EventSource gives up on an HTTP error): ask the server why, for a message that says it. */
  private async diagnose(url: string): Promise<CifWidgetError> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), 10_000);
    try {
      const res = await this.fetchImpl(url, { method: 'GET', headers: { accept: 'text/event-stream' }, signal: ctrl.signal, credentials: 'omit' });
      if (res.status === 401 || res.status === 403) {
        return new CifWidgetError('unauthorized', `widget-gateway refused the widget token (${res.status}): it is expired, revoked or for another seller; get a new one from call-events (POST /v1/widget-tokens)`, { status: res.status });
      }
      return new CifWidgetError('stream', `widget-gateway's stream closed${res.ok ? '' : ` (${res.status})`}`, { status: res.status });
    } catch (err) {
      return new CifWidgetError('stream', `widget-gateway is unreachable at ${this.base}, or does not allow this page's origin (its CORS_ORIGINS) (${messageOf(err)})`, { cause: err });
    } finally {
      clearTimeout(timer);
      ctrl.abort();
    }
  }

  private async retryLater(err: CifWidgetError): Promise<void> {
    if (this.abort.signal.aborted) return;
    // A fixed token refused once will be refused again: stop, and say so.
    if (err.code === 'unauthorized' && typeof this.opts.token === 'string') {
      this.report(new CifWidgetError(err.code, `${err.message}; the widget stopped (pass token as a function to have it fetch a new one)`, { status: err.status }));
      this.close();
      return;
    }
    this.failures++;
    const delay = backoffDelay(this.failures, this.opts.reconnect?.initialDelayMs ?? 1_000, this.opts.reconnect?.maxDelayMs ?? 30_000, this.opts.random);
    this.setStatus('reconnecting');
    this.report(new CifWidgetError(err.code, `${err.message}; reconnecting in ${Math.round(delay / 100) / 10} s`, { retrying: true, status: err.status, cause: err }));
    await sleep(delay, this.abort.signal);
    await this.open();
  }

  /** Raises the received events one at a time, in the order they came. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let next = this.queue.shift(); next && !this.abort.signal.aborted; next = this.queue.shift()) await this.handle(next);
    } finally {
      this.pumping = false;
    }
  }

  private async handle(item: Received): Promise<void> {
    let event: WidgetStreamEvent;
    let payload: ReturnType<typeof toCallStarted> | ReturnType<typeof toCallEnded>;
    try {
      event = readStreamEvent(item.data);
      if (this.seen.has(event.eventId)) return this.advance(item.id); // delivered twice: CIF has it
      payload = event.name === WIDGET_CALL_STARTED ? toCallStarted(event.payload, false) : toCallEnded(event.payload, false);
    } catch (err) {
      const e = err instanceof CifWidgetError ? err : new CifWidgetError('invalid-event', messageOf(err));
      this.report(new CifWidgetError('invalid-event', `stream event ${item.id || '(no id)'} skipped: ${e.message}`, { problems: e.problems }));
      return this.advance(item.id);
    }
    try {
      const outcome = await this.raiser.raise(event.name, payload, this.abort.signal);
      this.seen.add(event.eventId);
      this.advance(item.id);
      const raised: RaisedEvent = { id: item.id, eventId: event.eventId, name: event.name, payload, raised: outcome === 'raised' };
      if (event.recording) raised.recording = event.recording;
      this.opts.onRaised?.(raised);
    } catch (err) {
      // Closed mid-raise: leave the place in the stream before this event, so the next connect() raises it.
      if (this.abort.signal.aborted) return;
      this.report(err instanceof CifWidgetError ? err : new CifWidgetError('cif-raise-failed', messageOf(err), { cause: err }));
      this.advance(item.id);
    }
  }

  private advance(id: string): void {
    if (id !== '') this.lastId.set(id);
  }
}

/** Reads one SSE `data:` as widget-gateway sends it: {eventId, name, payload, recording?}. */
export function readStreamEvent(data: unknown): WidgetStreamEvent {
  let v: unknown;
  try {
    v = typeof data === 'string' ? JSON.parse(data) : data;
  } catch (err) {
    throw new CifWidgetError('invalid-event', `data is not JSON (${messageOf(err)})`);
  }
  const o = (v ?? {}) as Partial<WidgetStreamEvent>;
  const problems = [];
  if (typeof o.eventId !== 'string' || o.eventId === '') problems.push({ field: 'eventId', message: 'eventId must be a non-empty string' });
  if (o.name !== WIDGET_CALL_STARTED && o.name !== WIDGET_CALL_ENDED) problems.push({ field: 'name', message: `name must be ${WIDGET_CALL_STARTED} or ${WIDGET_CALL_ENDED}` });
  if (!o.payload || typeof o.payload !== 'object' || Array.isArray(o.payload)) problems.push({ field: 'payload', message: 'payload must be an object' });
  if (problems.length > 0) throw new CifWidgetError('invalid-event', problems.map((p) => p.message).join('; '), { problems });
  return o as WidgetStreamEvent;
}

function checkOptions(opts: ConnectOptions): string {
  const problems: Array<{ field: string; message: string }> = [];
  let base = '';
  if (typeof opts?.url !== 'string') problems.push({ field: 'url', message: "url must be widget-gateway's base URL (a string)" });
  else {
    try {
      const u = new URL(opts.url);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') problems.push({ field: 'url', message: `url must be http(s), got ${u.protocol}` });
      else if (u.search || u.hash) problems.push({ field: 'url', message: 'url must be a base URL without query or fragment' });
      base = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
    } catch {
      problems.push({ field: 'url', message: `url is not an absolute URL: "${opts.url}"` });
    }
  }
  if (typeof opts?.sellerId !== 'string' || opts.sellerId.trim() === '') problems.push({ field: 'sellerId', message: 'sellerId must be a non-empty string' });
  if (typeof opts?.token === 'string') {
    if (opts.token === '') problems.push({ field: 'token', message: 'token must not be empty' });
    else {
      const sub = tokenSeller(opts.token);
      if (sub !== undefined && typeof opts.sellerId === 'string' && opts.sellerId.trim() !== '' && sub !== opts.sellerId) problems.push({ field: 'token', message: `the token was issued for seller "${sub}", not "${opts.sellerId}"` });
    }
  } else if (typeof opts?.token !== 'function') problems.push({ field: 'token', message: 'token must be the widget token (a string) or a function returning one' });
  if (problems.length > 0) throw new CifWidgetError('invalid-input', `connect(): ${problems.map((p) => p.message).join('; ')}`, { problems });
  return base;
}

/** The seller a widget token names (its claims are readable base64url JSON; only widget-gateway can check the signature). */
function tokenSeller(token: string): string | undefined {
  try {
    const body = token.split('.')[0] ?? '';
    const bytes = Uint8Array.from(atob(body.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (body.length % 4)) % 4)), (c) => c.charCodeAt(0));
    const json = new TextDecoder().decode(bytes);
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    // Not our token format (another issuer in front of widget-gateway): nothing to check here.
    return undefined;
  }
}
