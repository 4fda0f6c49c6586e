import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type Redis from 'ioredis';
import { waitFor } from '@ci-connector/platform-testing';
import type { StreamEntry, StreamReader } from '../delivery/seller-streams';
import type { WidgetPrincipal } from '../http/widget-auth';
import { SseHub, SseUnavailableError, type SseHubOptions } from './sse-hub';
import { StreamNotifier } from './stream-notifier';

/** A seller's stream in memory, ids `<n>-0`; `reads` counts the reads (a failing Redis throws). */
class MemoryStreams implements StreamReader {
  readonly entries = new Map<string, StreamEntry[]>();
  readonly keys = { streamNotify: (t: string, s: string) => `notify:${t}/${s}` };
  failing = false;
  private n = 0;

  append(tenantId: string, sellerId: string, eventId: string): string {
    const id = `${1000 + ++this.n}-0`;
    const list = this.entries.get(`${tenantId}/${sellerId}`) ?? [];
    list.push({ id, event: 'WIDGET_CALL_ENDED', data: JSON.stringify({ eventId }) });
    this.entries.set(`${tenantId}/${sellerId}`, list);
    return id;
  }
  read(tenantId: string, sellerId: string, afterId: string, count: number, inclusive = false): Promise<StreamEntry[]> {
    if (this.failing) return Promise.reject(new Error('Connection is closed.'));
    const n = (id: string) => Number(id.split('-')[0]);
    return Promise.resolve((this.entries.get(`${tenantId}/${sellerId}`) ?? []).filter((e) => (inclusive ? n(e.id) >= n(afterId) : n(e.id) > n(afterId))).slice(0, count));
  }
  lastId(tenantId: string, sellerId: string): Promise<string | undefined> {
    if (this.failing) return Promise.reject(new Error('Connection is closed.'));
    return Promise.resolve(this.entries.get(`${tenantId}/${sellerId}`)?.at(-1)?.id);
  }
}

/** A subscriber connection: subscribe/unsubscribe resolve, `publish` emits like Redis would. */
class FakeSubscriber extends EventEmitter {
  readonly subscribed = new Set<string>();
  subscribe(channel: string) {
    this.subscribed.add(channel);
    return Promise.resolve(1);
  }
  unsubscribe(channel: string) {
    this.subscribed.delete(channel);
    return Promise.resolve(0);
  }
  publish(channel: string) {
    if (this.subscribed.has(channel)) this.emit('message', channel, 'x');
  }
}

/** An HTTP response that records what is written; `stalled` never takes bytes (a client that stopped reading). */
class FakeResponse extends Writable {
  status = 0;
  headers: Record<string, string> = {};
  text = '';
  readonly socket = null;
  constructor(stalled = false) {
    super({
      highWaterMark: 64,
      write: (chunk: Buffer, _enc, cb) => {
        this.text += chunk.toString();
        if (!stalled) cb();
      },
    });
  }
  writeHead(status: number, headers: Record<string, string>) {
    this.status = status;
    this.headers = headers;
    return this;
  }
  get ids(): string[] {
    return [...this.text.matchAll(/^id: (.+)$/gm)].map((m) => m[1] ?? '');
  }
  get eventIds(): string[] {
    return [...this.text.matchAll(/^data: (.+)$/gm)].map((m) => (JSON.parse(m[1] ?? '{}') as { eventId: string }).eventId);
  }
}

const who = (sellerId = 's1', expiresAt = Date.now() + 3600_000): WidgetPrincipal => ({ tenantId: 't1', sellerId, partnerId: 'p', expiresAt });
const silent = { info: () => undefined, warn: () => undefined };

function setup(over: Partial<SseHubOptions> = {}) {
  const streams = new MemoryStreams();
  const sub = new FakeSubscriber();
  const notifier = new StreamNotifier(sub as unknown as Redis, silent);
  const hub = new SseHub(streams, notifier, { heartbeatMs: 60_000, retryMs: 1500, replayWindowMs: 0, maxClients: 100, maxClientsPerSeller: 5, readBatch: 2, ...over }, silent);
  const publish = (sellerId = 's1') => sub.publish(`notify:t1/${sellerId}`);
  return { streams, sub, hub, publish };
}

async function open(hub: SseHub, opts: { lastEventId?: string; res?: FakeResponse; sellerId?: string; expiresAt?: number } = {}): Promise<FakeResponse> {
  const res = opts.res ?? new FakeResponse();
  await hub.open(res as unknown as ServerResponse, who(opts.sellerId, opts.expiresAt), opts.lastEventId);
  return res;
}

describe('SseHub', () => {
  let hubs: SseHub[] = [];
  afterEach(() => {
    for (const h of hubs) h.close();
    hubs = [];
  });
  const make = (over: Partial<SseHubOptions> = {}) => {
    const s = setup(over);
    hubs.push(s.hub);
    return s;
  };

  it('opens an event stream with the retry delay, a first comment and its resume point (an id without data: EventSource resumes there even before the first event)', async () => {
    const { hub } = make();
    const res = await open(hub);
    expect(res.status).toBe(200);
    expect(res.headers['Content-Type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['Cache-Control']).toContain('no-cache');
    expect(res.text).toBe('retry: 1500\n\n: connected\n\nid: 0-0\n\n');
  });

  it('resumes after Last-Event-ID: the entries after it, in order, then the new ones, each once', async () => {
    const { hub, streams, publish } = make();
    const ids = ['e1', 'e2', 'e3', 'e4', 'e5'].map((e) => streams.append('t1', 's1', e));
    const res = await open(hub, { lastEventId: ids[1] });
    await waitFor('the three after e2', () => res.eventIds.length >= 3);
    streams.append('t1', 's1', 'e6');
    publish();
    publish();
    publish();
    await waitFor('e6', () => res.eventIds.includes('e6'));
    await new Promise((r) => setTimeout(r, 20));
    expect(res.eventIds).toEqual(['e3', 'e4', 'e5', 'e6']);
    // The resume point first (an id line with no event), then each entry's id.
    expect(res.ids).toEqual([ids[1], ids[2], ids[3], ids[4], '1006-0']);
    expect(res.text).toContain(`id: ${ids[2]}\nevent: WIDGET_CALL_ENDED\ndata: {"eventId":"e3"}\n\n`);
  });

  it('without Last-Event-ID sends only what comes next, or the replay window when one is set', async () => {
    const { hub, streams, publish } = make();
    streams.append('t1', 's1', 'old');
    const res = await open(hub);
    streams.append('t1', 's1', 'new');
    publish();
    await waitFor('the new one', () => res.eventIds.length >= 1);
    expect(res.eventIds).toEqual(['new']);

    const windowed = make({ replayWindowMs: 60_000 });
    const now = Date.now();
    // Ids are milliseconds: one inside the window, one before it.
    windowed.streams.entries.set('t1/s1', [
      { id: `${now - 120_000}-0`, event: 'WIDGET_CALL_ENDED', data: '{"eventId":"too-old"}' },
      { id: `${now - 1000}-0`, event: 'WIDGET_CALL_ENDED', data: '{"eventId":"recent"}' },
    ]);
    const replayed = await open(windowed.hub);
    await waitFor('the recent one', () => replayed.eventIds.length >= 1);
    expect(replayed.eventIds).toEqual(['recent']);
  });

  it('clamps a Last-Event-ID beyond the stream\'s end, so new entries still arrive', async () => {
    const { hub, streams, publish } = make();
    streams.append('t1', 's1', 'a');
    const res = await open(hub, { lastEventId: '99999999-0' });
    streams.append('t1', 's1', 'b');
    publish();
    await waitFor('b', () => res.eventIds.length >= 1);
    expect(res.eventIds).toEqual(['b']);
  });

  it('reads again on each heartbeat (a missed notification costs one heartbeat at most) and survives a Redis outage', async () => {
    const { hub, streams } = make({ heartbeatMs: 20 });
    const res = await open(hub);
    streams.failing = true;
    await waitFor('a heartbeat', () => res.text.includes(': heartbeat\n\n'));
    streams.append('t1', 's1', 'during');
    await new Promise((r) => setTimeout(r, 50));
    streams.failing = false;
    await waitFor('the entry once Redis is back', () => res.eventIds.length >= 1);
    expect(res.eventIds).toEqual(['during']);
    expect(res.writableEnded).toBe(false);
  });

  it('keeps at most maxClientsPerSeller streams per seller: the oldest is replaced', async () => {
    const { hub } = make({ maxClientsPerSeller: 2 });
    const first = await open(hub);
    const second = await open(hub);
    const other = await open(hub, { sellerId: 's2' });
    const third = await open(hub);
    expect(first.writableEnded).toBe(true);
    expect(first.text).toContain(': replaced by a newer connection of this seller\n\n');
    expect([second, third, other].map((r) => r.writableEnded)).toEqual([false, false, false]);
    expect(hub.stats).toMatchObject({ clients: 3, sellers: 2, replaced: 1 });
  });

  it('refuses streams beyond maxClients, and all once closing, before sending anything', async () => {
    const { hub } = make({ maxClients: 1 });
    const open1 = await open(hub);
    const refused = new FakeResponse();
    await expect(open(hub, { sellerId: 's2', res: refused })).rejects.toBeInstanceOf(SseUnavailableError);
    expect(refused.status).toBe(0);
    hub.close();
    expect(open1.writableEnded).toBe(true);
    expect(open1.text).toContain(': server shutting down: reconnect\n\n');
    await expect(open(hub)).rejects.toThrow('shutting down');
  });

  it('answers 503 (SseUnavailableError) when Redis cannot say where the stream stands', async () => {
    const { hub, streams } = make();
    streams.failing = true;
    const res = new FakeResponse();
    await expect(open(hub, { res })).rejects.toThrow('cannot read the event stream now (Connection is closed.)');
    expect(res.status).toBe(0);
    expect(hub.size).toBe(0);
  });

  it('drops a client that does not take what is sent within two heartbeats (it resumes later)', async () => {
    const { hub, streams, publish } = make({ heartbeatMs: 20, readBatch: 10 });
    const res = await open(hub, { res: new FakeResponse(true) });
    for (let i = 0; i < 100; i++) streams.append('t1', 's1', `bulk-${i}-${'x'.repeat(40)}`);
    publish();
    await waitFor('the slow client to be dropped', () => hub.size === 0);
    expect(hub.stats.slowDropped).toBe(1);
    expect(res.writableEnded).toBe(true);
  });

  it('ends the stream when the widget token expires', async () => {
    const { hub } = make();
    const res = await open(hub, { expiresAt: Date.now() + 30 });
    await waitFor('the end', () => res.writableEnded);
    expect(res.text).toContain(': widget token expired: reconnect with a new token\n\n');
    expect(hub.stats.expired).toBe(1);
  });

  it('subscribes a seller\'s channel while a stream watches it', async () => {
    const { hub, sub } = make();
    const res = await open(hub);
    expect([...sub.subscribed]).toEqual(['notify:t1/s1']);
    res.destroy();
    await waitFor('unsubscribed', () => sub.subscribed.size === 0);
    expect(hub.size).toBe(0);
  });
});
