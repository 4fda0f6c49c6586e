// Test doubles at the widget's own interfaces (CIFrameworkLike, EventSourceLike,
// StorageLike, FetchLike): the unit specs run in Node, without a browser.
import type { CIFrameworkLike, EventSourceLike, FetchLike, StorageLike } from '../src/index';

export interface RaisedCall {
  name: string;
  payload: Record<string, unknown>;
}

/** A CIFramework whose raiseEvent answers with `answer(n)` for the n-th call (1-based): resolve by default. */
export function fakeCif(answer: (n: number, call: RaisedCall) => Promise<unknown> = () => Promise.resolve(true)): CIFrameworkLike & { calls: RaisedCall[] } {
  const calls: RaisedCall[] = [];
  return {
    calls,
    raiseEvent(name: string, payload: unknown) {
      const call = { name, payload: payload as Record<string, unknown> };
      calls.push(call);
      return answer(calls.length, call);
    },
  };
}

export function memoryStorage(): StorageLike & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

type Listener = (e: { data?: unknown; lastEventId?: string }) => void;

/** An EventSource driven by the test: open(), send(), drop() (EventSource reconnects itself) and refuse() (closed for good). */
export class FakeEventSource implements EventSourceLike {
  readyState = 0;
  closed = false;
  private readonly listeners = new Map<string, Listener[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.readyState = 2;
    this.closed = true;
  }
  private emit(type: string, e: { data?: unknown; lastEventId?: string }): void {
    for (const l of this.listeners.get(type) ?? []) l(e);
  }
  open(): void {
    this.readyState = 1;
    this.emit('open', {});
  }
  send(id: string, data: unknown, event = typeof data === 'object' && data && 'name' in data ? String((data as { name: unknown }).name) : 'message'): void {
    this.emit(event, { data: typeof data === 'string' ? data : JSON.stringify(data), lastEventId: id });
  }
  drop(): void {
    this.readyState = 0;
    this.emit('error', {});
  }
  refuse(): void {
    this.readyState = 2;
    this.emit('error', {});
  }
  param(name: string): string | null {
    return new URL(this.url).searchParams.get(name);
  }
}

/** An EventSource constructor whose instances the test can reach. */
export function eventSources(): { ES: new (url: string) => FakeEventSource; all: FakeEventSource[]; last(): FakeEventSource } {
  const all: FakeEventSource[] = [];
  class ES extends FakeEventSource {
    constructor(url: string) {
      super(url);
      all.push(this);
    }
  }
  return {
    ES,
    all,
    last() {
      const es = all[all.length - 1];
      if (!es) throw new Error('no EventSource was opened');
      return es;
    },
  };
}

export interface FetchCall {
  url: string;
  method: string;
  headers: Record<string, string>;
}

/** A fetch answering `status` and `body` to everything, recording the requests. */
export function fakeFetch(answer: (call: FetchCall) => { status: number; body?: string } = () => ({ status: 202, body: '{}' })): FetchLike & { calls: FetchCall[] } {
  const calls: FetchCall[] = [];
  const f = (async (url: string, init: { method: string; headers: Record<string, string> }) => {
    const call = { url, method: init.method, headers: init.headers };
    calls.push(call);
    const { status, body = '' } = answer(call);
    return { ok: status >= 200 && status < 300, status, text: async () => body };
  }) as FetchLike & { calls: FetchCall[] };
  f.calls = calls;
  return f;
}

/** Polls `check` until it returns a value (not undefined/false), or fails after `ms`. */
export async function until<T>(what: string, check: () => T | undefined | false, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A widget token as call-events signs it (the signature is not checked by the widget). */
export function tokenFor(sellerId: string): string {
  const claims = Buffer.from(JSON.stringify({ tid: 'tenant-1', sub: sellerId, pid: 'partner-1', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
  return `${claims}.c2lnbmF0dXJl`;
}
