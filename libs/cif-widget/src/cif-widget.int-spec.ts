import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
// Specs are not part of the bundle: the buildable-library rule (a build must not pull in
// unbuilt libraries) does not concern them, and these are the workspace's test helpers.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startEmulator, type EmulatorProcess } from '@ci-connector/ci-emulator-testing';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { CHROMIUM_ARGS, CHROMIUM_PATH, waitFor } from '@ci-connector/platform-testing';

// The BUILT widget (dist/cif-widget/cif-widget.min.js, `nx build cif-widget`) in headless
// Chromium, on the BUILT ci-emulator's CIF page (/emulator/cif?widget=…), against a small
// SSE server written here that speaks widget-gateway's stream protocol (GET
// /v1/widget/stream?token=…, `id:` / `event:` / `data:` {eventId, name, payload}, resume
// after Last-Event-ID or ?lastEventId=). What is asserted is what the CIF double recorded.

const root = resolve(__dirname, '../../..');
const bundleDir = join(root, 'dist/cif-widget');


const SELLER = 'seller-int-1';
// Shaped like call-events' widget tokens (base64url claims . signature); the SSE double compares it whole.
const TOKEN = `${Buffer.from(JSON.stringify({ tid: 'tenant-int', sub: SELLER, pid: 'partner-int', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.dGVzdA`;

interface Entry {
  id: string;
  event: string;
  data: string;
}

/** widget-gateway's stream, as little of it as the widget needs, plus the recording command endpoint. */
class GatewayDouble {
  readonly entries: Entry[] = [];
  /** How each stream request asked to resume. */
  readonly streams: Array<{ header?: string; query?: string; token?: string }> = [];
  /** When each stream request arrived (ms since the epoch). */
  readonly streamTimes: number[] = [];
  readonly commands: Array<{ method: string; path: string; authorization?: string }> = [];
  /** Replay from the start, ignoring Last-Event-ID (a gateway that lost its place). */
  ignoreResume = false;
  private readonly clients = new Set<ServerResponse>();
  private seq = 0;
  private server!: Server;
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.cut();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  reset(): void {
    this.cut();
    this.entries.length = 0;
    this.streams.length = 0;
    this.streamTimes.length = 0;
    this.commands.length = 0;
    this.ignoreResume = false;
  }

  get connected(): number {
    return this.clients.size;
  }

  /** Appends an event to the seller's stream and sends it to the connected widgets. */
  push(data: { eventId: string; name: string; payload: Record<string, unknown> }): Entry {
    const entry = { id: `${Date.now()}-${++this.seq}`, event: data.name, data: JSON.stringify(data) };
    this.entries.push(entry);
    for (const c of this.clients) c.write(frame(entry));
    return entry;
  }

  /** Appends an event, sends only the first part of its frame, and cuts every connection. */
  pushCutMidFrame(data: { eventId: string; name: string; payload: Record<string, unknown> }): Entry {
    const entry = { id: `${Date.now()}-${++this.seq}`, event: data.name, data: JSON.stringify(data) };
    this.entries.push(entry);
    const f = frame(entry);
    for (const c of this.clients) c.write(f.slice(0, Math.floor(f.length / 2)));
    this.cut();
    return entry;
  }

  /** Cuts every stream connection (the socket, not a clean end of the response). */
  cut(): void {
    for (const c of this.clients) c.socket?.destroy();
    this.clients.clear();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.origin);
    const cors = { 'access-control-allow-origin': req.headers.origin ?? '*', 'access-control-allow-headers': 'authorization, last-event-id', 'access-control-allow-methods': 'GET, POST' };
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
    if (req.method === 'GET' && (url.pathname === '/cif-widget.min.js' || url.pathname === '/cif-widget.min.js.map')) {
      return void res.writeHead(200, { ...cors, 'content-type': 'text/javascript; charset=utf-8' }).end(readFileSync(join(bundleDir, url.pathname)));
    }
    if (req.method === 'GET' && url.pathname === '/widget.js') {
      return void res.writeHead(200, { ...cors, 'content-type': 'text/javascript; charset=utf-8' }).end(loaderScript(this.origin));
    }
    if (req.method === 'GET' && url.pathname === '/v1/widget/stream') {
      const header = req.headers['last-event-id'] as string | undefined;
      const query = url.searchParams.get('lastEventId') ?? undefined;
      const token = url.searchParams.get('token') ?? undefined;
      this.streamTimes.push(Date.now());
      this.streams.push({ ...(header !== undefined ? { header } : {}), ...(query !== undefined ? { query } : {}), ...(token !== undefined ? { token } : {}) });
      if (token !== TOKEN) return void res.writeHead(401, { ...cors, 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      const after = this.ignoreResume ? undefined : (header ?? query);
      const from = after === undefined ? 0 : this.entries.findIndex((e) => e.id === after) + 1;
      res.writeHead(200, { ...cors, 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      // EventSource's own reconnect delay: short, for the test.
      res.write('retry: 300\n\n');
      for (const e of this.entries.slice(from)) res.write(frame(e));
      this.clients.add(res);
      res.on('close', () => this.clients.delete(res));
      return;
    }
    const control = /^\/v1\/widget\/calls\/([^/]+)\/recording\/(start|stop|pause|resume)$/.exec(url.pathname);
    if (req.method === 'POST' && control) {
      this.commands.push({ method: req.method, path: url.pathname, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      return void res.writeHead(202, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ accepted: true, callId: decodeURIComponent(control[1]!), action: control[2] }));
    }
    res.writeHead(404, cors).end();
  }
}

function frame(e: Entry): string {
  return `id: ${e.id}\nevent: ${e.event}\ndata: ${e.data}\n\n`;
}

/** The script the CIF page loads with ?widget=: a classic script (the page's tag) that imports the ES module bundle and connects. */
function loaderScript(origin: string): string {
  return `(function () {
  'use strict';
  var w = (window.__widget = { raised: [], errors: [], status: [], handle: null, loadError: null });
  import(${JSON.stringify(`${origin}/cif-widget.min.js`)}).then(function (m) {
    w.handle = m.connect({
      url: ${JSON.stringify(origin)},
      token: ${JSON.stringify(TOKEN)},
      sellerId: ${JSON.stringify(SELLER)},
      reconnect: { initialDelayMs: 300, maxDelayMs: 1000 },
      onRaised: function (e) { w.raised.push(e.eventId + (e.raised ? '' : ' (already raised)')); },
      onError: function (e) { w.errors.push(e.code + ': ' + e.message); },
      onStatus: function (s) { w.status.push(s); },
    });
  }, function (e) { w.loadError = String(e && e.message || e); });
})();
`;
}

interface WidgetState {
  raised: string[];
  errors: string[];
  status: string[];
  loadError: string | null;
}

const started = (eventId: string, callId: string, contactName = 'Kenny Smith') => ({
  eventId,
  name: 'WIDGET_CALL_STARTED',
  payload: { callId, startTime: '2026-05-01T10:00:00.000Z', isIncomingCall: true, contactNumber: '+15550100', contactName },
  recording: { callId, sipCallId: `sip-${callId}`, state: 'started' },
});
const ended = (eventId: string, callId: string, seconds = 42) => ({
  eventId,
  name: 'WIDGET_CALL_ENDED',
  payload: { callId, callDurationInSeconds: seconds, callTerminationReason: 'success', callEndTime: '2026-05-01T10:00:42.000Z', isCallStarted: true },
});

type CifCall = { eventName: string; callId: string; outcome: string; violations: Array<{ rule: string }>; warnings: Array<{ rule: string }>; payload: Record<string, unknown>; payloadForm: string; payloadTypes: Record<string, string> };

describe('cif-widget in headless Chromium on the ci-emulator CIF page', () => {
  let emu: EmulatorProcess;
  let browser: Browser;
  let context: BrowserContext;
  const gateway = new GatewayDouble();
  let page: Page | undefined;

  beforeAll(async () => {
    await gateway.start();
    emu = await startEmulator();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
    // The emulator's certificate comes from the test CA minted for this run.
    context = await browser.newContext({ ignoreHTTPSErrors: true });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await gateway.stop();
    await emu?.stop();
  });

  beforeEach(async () => {
    gateway.reset();
    expect((await emu.request('DELETE', '/emulator/cif/calls')).status).toBe(204);
    expect((await emu.request('DELETE', '/emulator/cif/settings')).status).toBe(200);
  });

  afterEach(async () => {
    await page?.close();
    page = undefined;
  });

  /** The CIF page hosting the widget; resolves once the widget's stream is connected. */
  async function openWidget(query = ''): Promise<Page> {
    const p = await context.newPage();
    const res = await p.goto(`${emu.url}/emulator/cif?${query}widget=${encodeURIComponent(`${gateway.origin}/widget.js`)}`);
    expect(res?.status()).toBe(200);
    await waitFor('the widget to connect to the stream', async () => gateway.connected > 0 || (await widget(p)).loadError, 20_000);
    expect((await widget(p)).loadError).toBeNull();
    return p;
  }

  const widget = (p: Page) => p.evaluate(() => (window as unknown as { __widget: WidgetState }).__widget);

  async function raiseCalls(): Promise<CifCall[]> {
    const r = await emu.request('GET', '/emulator/cif/calls?method=raiseEvent');
    expect(r.status).toBe(200);
    return r.json.calls as CifCall[];
  }

  const waitForCalls = (n: number) => waitFor(`${n} raiseEvent calls at the CIF double`, async () => ((await raiseCalls()).length >= n ? true : undefined), 30_000);

  async function expectNoViolations(): Promise<void> {
    const v = await emu.request('GET', '/emulator/cif/calls?violations=true');
    expect(v.json.calls).toEqual([]);
  }

  /** Runs a test body; when it fails, the error also tells what the gateway saw, what the widget said and what CIF recorded. */
  function scenario(body: () => Promise<void>): () => Promise<void> {
    return async () => {
      try {
        await body();
      } catch (err) {
        const state = page ? await widget(page).catch((e: unknown) => `unreadable: ${String(e)}`) : 'no page';
        const calls = await raiseCalls().catch((e: unknown) => `unreadable: ${String(e)}`);
        (err as Error).message += `\n--- stream requests: ${JSON.stringify(gateway.streams)}\n--- widget: ${JSON.stringify(state)}\n--- CIF raiseEvent calls: ${JSON.stringify(calls)}`;
        throw err;
      }
    };
  }

  it('raises one WIDGET_CALL_STARTED and one WIDGET_CALL_ENDED with exactly the seed fields and types, after CIFInitDone', scenario(async () => {
    page = await openWidget('initDelayMs=1000&');
    gateway.push(started('ev-1', 'CA-int-1'));
    gateway.push(ended('ev-2', 'CA-int-1'));
    await waitForCalls(2);
    // Nothing more comes.
    await waitFor('the widget to report both', async () => ((await widget(page!)).raised.length === 2 ? true : undefined));

    const calls = await raiseCalls();
    expect(calls.map((c) => [c.eventName, c.callId, c.outcome])).toEqual([
      ['WIDGET_CALL_STARTED', 'CA-int-1', 'resolved'],
      ['WIDGET_CALL_ENDED', 'CA-int-1', 'resolved'],
    ]);
    const [s, e] = calls as [CifCall, CifCall];
    expect(s.payloadForm).toBe('object');
    expect(s.payloadTypes).toEqual({ callId: 'string', startTime: 'Date', isIncomingCall: 'boolean', contactNumber: 'string', contactName: 'string' });
    expect(s.payload).toEqual({ callId: 'CA-int-1', startTime: '2026-05-01T10:00:00.000Z', isIncomingCall: true, contactNumber: '+15550100', contactName: 'Kenny Smith' });
    expect(e.payloadTypes).toEqual({ callId: 'string', callDurationInSeconds: 'number', callTerminationReason: 'string', callEndTime: 'Date', isCallStarted: 'boolean' });
    expect(e.payload).toEqual({ callId: 'CA-int-1', callDurationInSeconds: 42, callTerminationReason: 'success', callEndTime: '2026-05-01T10:00:42.000Z', isCallStarted: true });
    for (const c of calls) expect([c.violations, c.warnings]).toEqual([[], []]);
    await expectNoViolations();

    const w = await widget(page);
    expect(w.raised).toEqual(['ev-1', 'ev-2']);
    expect(w.errors).toEqual([]);
    // It waited for CIF before it opened the stream: the page stamped CIFInitDone before the stream was asked for.
    expect(w.status).toEqual(['waiting-for-cif', 'connecting', 'open']);
    expect(gateway.streams).toEqual([{ token: TOKEN }]);
    const init = await emu.request('GET', '/emulator/cif/calls?method=CIFInitDone');
    expect(init.json.count).toBe(1);
    expect(Date.parse(init.json.calls[0].time)).toBeLessThanOrEqual(gateway.streamTimes[0]!);
  }));

  it('the connection is cut mid-stream (half an event frame sent): after EventSource reconnects with Last-Event-ID, nothing is lost or repeated', scenario(async () => {
    page = await openWidget();
    const first = gateway.push(started('ev-10', 'CA-int-2'));
    await waitForCalls(1);
    // The ended event is cut half-way through its frame: the browser discards it.
    gateway.pushCutMidFrame(ended('ev-11', 'CA-int-2', 7));
    // While the widget is away, another call starts and ends.
    gateway.push(started('ev-12', 'CA-int-3', 'Alex Baker'));
    gateway.push(ended('ev-13', 'CA-int-3', 3));
    await waitForCalls(4);
    await waitFor('the widget to report all four', async () => ((await widget(page!)).raised.length === 4 ? true : undefined));

    const calls = await raiseCalls();
    expect(calls.map((c) => `${c.eventName} ${c.callId} ${c.outcome}`)).toEqual([
      'WIDGET_CALL_STARTED CA-int-2 resolved',
      'WIDGET_CALL_ENDED CA-int-2 resolved',
      'WIDGET_CALL_STARTED CA-int-3 resolved',
      'WIDGET_CALL_ENDED CA-int-3 resolved',
    ]);
    expect(calls[1]!.payload['callDurationInSeconds']).toBe(7);
    await expectNoViolations();
    // EventSource reconnected by itself, from the last event it had whole.
    expect(gateway.streams.length).toBeGreaterThanOrEqual(2);
    expect(gateway.streams[1]).toMatchObject({ header: first.id });
    expect((await widget(page)).raised).toEqual(['ev-10', 'ev-11', 'ev-12', 'ev-13']);
  }));

  it('a gateway that replays from the start after a cut: the widget drops every event id it already raised', scenario(async () => {
    page = await openWidget();
    gateway.push(started('ev-20', 'CA-int-4'));
    gateway.push(ended('ev-21', 'CA-int-4'));
    await waitForCalls(2);
    await waitFor('both reported', async () => ((await widget(page!)).raised.length === 2 ? true : undefined));
    gateway.ignoreResume = true;
    gateway.cut();
    await waitFor('the widget to reconnect', () => (gateway.streams.length >= 2 && gateway.connected > 0 ? true : undefined), 20_000);
    gateway.push(started('ev-22', 'CA-int-5'));
    await waitForCalls(3);
    await waitFor('the third reported', async () => ((await widget(page!)).raised.length === 3 ? true : undefined));

    expect((await raiseCalls()).map((c) => `${c.eventName} ${c.callId}`)).toEqual(['WIDGET_CALL_STARTED CA-int-4', 'WIDGET_CALL_ENDED CA-int-4', 'WIDGET_CALL_STARTED CA-int-5']);
    await expectNoViolations();
  }));

  it('a reload of the widget page (a full restart) resumes with ?lastEventId= from sessionStorage: nothing raised twice', scenario(async () => {
    page = await openWidget();
    const last = gateway.push(started('ev-30', 'CA-int-6'));
    await waitForCalls(1);
    await waitFor('reported', async () => ((await widget(page!)).raised.length === 1 ? true : undefined));
    await page.reload();
    // A new EventSource knows no Last-Event-ID: the widget passes its own, kept in sessionStorage.
    // (The old page may still have asked once more while unloading: its EventSource failed, and the widget asked the server why.)
    const resumed = await waitFor('the reloaded widget to connect with ?lastEventId=', () => gateway.streams.find((s) => s.query !== undefined), 20_000);
    expect(resumed).toEqual({ query: last.id, token: TOKEN });
    await waitFor('the stream to be open', async () => ((await widget(page!)).status.includes('open') ? true : undefined));
    gateway.push(ended('ev-31', 'CA-int-6'));
    await waitForCalls(2);
    await waitFor('reported after the reload', async () => ((await widget(page!)).raised.length === 1 ? true : undefined));

    expect((await raiseCalls()).map((c) => `${c.eventName} ${c.callId}`)).toEqual(['WIDGET_CALL_STARTED CA-int-6', 'WIDGET_CALL_ENDED CA-int-6']);
    await expectNoViolations();
  }));

  it('recording commands from the page reach the gateway as POST /v1/widget/calls/{callId}/recording/{action} with the widget token', scenario(async () => {
    page = await openWidget();
    const results = await page.evaluate(async () => {
      const h = (window as unknown as { __widget: { handle: { startRecording(id: string): Promise<unknown>; pauseRecording(id: string): Promise<unknown> } } }).__widget.handle;
      return [await h.startRecording('CA-int-7'), await h.pauseRecording('CA-int-7')];
    });
    expect(results).toEqual([
      { status: 202, body: { accepted: true, callId: 'CA-int-7', action: 'start' } },
      { status: 202, body: { accepted: true, callId: 'CA-int-7', action: 'pause' } },
    ]);
    expect(gateway.commands).toEqual([
      { method: 'POST', path: '/v1/widget/calls/CA-int-7/recording/start', authorization: `Bearer ${TOKEN}` },
      { method: 'POST', path: '/v1/widget/calls/CA-int-7/recording/pause', authorization: `Bearer ${TOKEN}` },
    ]);
  }));
});
