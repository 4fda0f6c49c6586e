import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startEmulator, type EmulatorProcess } from '@ci-connector/ci-emulator-testing';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@ci-connector/platform-testing';

// Headless Debian Chromium (playwright-core, off the network: CHROMIUM_ARGS) against the
// built emulator: the CIF page, the library at its production path, the calls API.

const started = { callId: 'CA0001', startTime: 'DATE', isIncomingCall: true, contactNumber: '+15550100', contactName: 'Kenny Smith' };

describe('CIF double in headless Chromium', () => {
  let emu: EmulatorProcess;
  let browser: Browser;
  let context: BrowserContext;
  let widgetServer: Server;
  let widgetOrigin: string;
  const widgetFiles = new Map<string, { type: string; body: string }>();

  beforeAll(async () => {
    emu = await startEmulator();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
    // The emulator's certificate is from the test CA minted for this run.
    context = await browser.newContext({ ignoreHTTPSErrors: true });
    // A widget on its own loopback origin, plain HTTP, as a dialer's dev server would serve it.
    widgetServer = createServer((req, res) => {
      const file = widgetFiles.get(req.url ?? '');
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file.type }).end(file.body);
    });
    await new Promise<void>((r) => widgetServer.listen(0, '127.0.0.1', r));
    widgetOrigin = `http://127.0.0.1:${(widgetServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await new Promise((r) => widgetServer?.close(r));
    await emu?.stop();
  });

  beforeEach(async () => {
    expect((await emu.request('DELETE', '/emulator/cif/calls')).status).toBe(204);
    expect((await emu.request('DELETE', '/emulator/cif/settings')).status).toBe(200);
  });

  async function open(path: string): Promise<Page> {
    const page = await context.newPage();
    // Notes whether CIFInitDone has fired, from before any page script runs.
    await page.addInitScript(() => {
      (globalThis as unknown as { __cifInitDone: boolean }).__cifInitDone = false;
      (globalThis as unknown as { addEventListener: (name: string, f: () => void) => void }).addEventListener('CIFInitDone', () => ((globalThis as unknown as { __cifInitDone: boolean }).__cifInitDone = true));
    });
    const response = await page.goto(`${emu.url}${path}`);
    expect(response?.status()).toBe(200);
    return page;
  }

  const waitForInit = (page: Page) => page.waitForFunction(() => (globalThis as unknown as { __cifInitDone: boolean }).__cifInitDone === true);

  /** Runs raiseEvent in the page; dates given as 'DATE' become Date objects there. Returns how the Promise settled. */
  function raise(page: Page, eventName: string, payload: unknown, correlationId?: string) {
    return page.evaluate(
      async ([name, body, corr]) => {
        const revive = (o: unknown): unknown => {
          if (o && typeof o === 'object') return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === 'DATE' ? new Date() : v]));
          return o;
        };
        const cif = (globalThis as unknown as { Microsoft: { CIFramework: { raiseEvent: (...a: unknown[]) => Promise<unknown> } } }).Microsoft.CIFramework;
        const initialised = (globalThis as unknown as { __cifInitDone: boolean }).__cifInitDone;
        try {
          const value = await (corr === undefined ? cif.raiseEvent(name, revive(body)) : cif.raiseEvent(name, revive(body), corr));
          return { initialised, ok: true, value, message: '' };
        } catch (e) {
          return { initialised, ok: false, value: undefined, message: (e as Error).message };
        }
      },
      [eventName, payload, correlationId] as const,
    );
  }

  it('a widget script on the page: raiseEvent before CIFInitDone fails; after it, started and ended are recorded with their payloads', async () => {
    widgetFiles.set(
      '/dialer.js',
      {
        type: 'text/javascript',
        body: `
        window.__widget = { before: null, started: null, ended: null };
        Microsoft.CIFramework.raiseEvent('WIDGET_CALL_STARTED', { callId: 'W1', startTime: new Date(), isIncomingCall: false, contactNumber: '+15550199', contactName: 'Alex Baker' })
          .then(function (v) { window.__widget.before = 'resolved ' + v; }, function (e) { window.__widget.before = 'rejected: ' + e.message; });
        window.addEventListener('CIFInitDone', function () {
          Microsoft.CIFramework.raiseEvent('WIDGET_CALL_STARTED', { callId: 'W1', startTime: new Date(), isIncomingCall: false, contactNumber: '+15550199', contactName: 'Alex Baker' })
            .then(function (v) { window.__widget.started = v; return Microsoft.CIFramework.raiseEvent('WIDGET_CALL_ENDED', { callId: 'W1', callDurationInSeconds: 12, callTerminationReason: 'success', callEndTime: new Date(), isCallStarted: true }, '0f8fad5b-d9cb-469f-a165-70867728950e'); })
            .then(function (v) { window.__widget.ended = v; }, function (e) { window.__widget.ended = 'rejected: ' + e.message; });
        });`,
      },
    );
    const page = await open(`/emulator/cif?initDelayMs=1500&widget=${encodeURIComponent(`${widgetOrigin}/dialer.js`)}`);
    await page.waitForFunction(() => (globalThis as unknown as { __widget?: { ended: unknown } }).__widget?.ended != null);
    const widget = await page.evaluate(() => (globalThis as unknown as { __widget: Record<string, unknown> }).__widget);
    expect(widget['before']).toMatch(/^rejected: .*raiseEvent\('WIDGET_CALL_STARTED'\) failed: .*called before CIFInitDone/);
    expect(widget['started']).toBe(true);
    expect(widget['ended']).toBe(true);

    const r = await emu.request('GET', '/emulator/cif/calls?method=raiseEvent');
    expect(r.status).toBe(200);
    const calls = r.json.calls as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(calls.map((c) => [c['eventName'], c['outcome']])).toEqual([
      ['WIDGET_CALL_STARTED', 'rejected'],
      ['WIDGET_CALL_STARTED', 'resolved'],
      ['WIDGET_CALL_ENDED', 'resolved'],
    ]);
    expect(calls[0]!['violations'].map((v: { rule: string }) => v.rule)).toEqual(['cif.init']);
    expect(calls[1]).toMatchObject({ callId: 'W1', payloadForm: 'object', payloadTypes: { startTime: 'Date', isIncomingCall: 'boolean' }, payload: { callId: 'W1', isIncomingCall: false, contactNumber: '+15550199', contactName: 'Alex Baker' } });
    expect(calls[1]!['payload'].startTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(calls[2]).toMatchObject({ callId: 'W1', correlationId: '0f8fad5b-d9cb-469f-a165-70867728950e', payload: { callDurationInSeconds: 12, callTerminationReason: 'success', isCallStarted: true }, violations: [], warnings: [] });
    for (const c of calls) expect(Date.parse(c['time'])).not.toBeNaN();
    // The page itself shows the calls.
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll: (s: string) => { length: number } } }).document.querySelectorAll('#cif-calls tr').length >= 5);
    expect(await page.textContent('#cif-status')).toMatch(/CIFInitDone dispatched/);
    await page.close();
  });

  it('a script in the page: before init fails, after init succeeds; the API filters by callId', async () => {
    const page = await open('/emulator/cif?initDelayMs=1500');
    const before = await raise(page, 'WIDGET_CALL_STARTED', started);
    expect(before.initialised).toBe(false);
    expect(before.ok).toBe(false);
    expect(before.message).toMatch(/before CIFInitDone/);
    await waitForInit(page);
    expect(await raise(page, 'WIDGET_CALL_STARTED', started)).toMatchObject({ ok: true, value: true });
    expect(await raise(page, 'WIDGET_CALL_ENDED', { callId: 'CA0001', callDurationInSeconds: 30, callTerminationReason: 'error', callEndTime: 'DATE', isCallStarted: true })).toMatchObject({ ok: true, value: true });
    const r = await emu.request('GET', '/emulator/cif/calls?callId=CA0001&outcome=resolved');
    expect(r.json.calls.map((c: { eventName: string }) => c.eventName)).toEqual(['WIDGET_CALL_STARTED', 'WIDGET_CALL_ENDED']);
    await page.close();
  });

  it('an ended payload without callDurationInSeconds is a recorded violation and rejects the Promise', async () => {
    const page = await open('/emulator/cif?initDelayMs=0');
    await waitForInit(page);
    const r = await raise(page, 'WIDGET_CALL_ENDED', { callId: 'CA0002', callTerminationReason: 'success', callEndTime: 'DATE', isCallStarted: true });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/callDurationInSeconds is missing.*\[cif\.call-ended\.callDurationInSeconds\]/);
    const api = await emu.request('GET', '/emulator/cif/calls?violations=true');
    expect(api.json.calls).toHaveLength(1);
    expect(api.json.calls[0]).toMatchObject({ eventName: 'WIDGET_CALL_ENDED', outcome: 'rejected', violations: [{ rule: 'cif.call-ended.callDurationInSeconds', field: 'callDurationInSeconds' }] });
    await page.close();
  });

  it('WIDGET_CALL_ENDED raised twice for one callId: the second is a violation', async () => {
    const page = await open('/emulator/cif?initDelayMs=0');
    await waitForInit(page);
    const ended = { callId: 'CA0003', callDurationInSeconds: 5, callTerminationReason: 'success', callEndTime: 'DATE', isCallStarted: true };
    expect((await raise(page, 'WIDGET_CALL_STARTED', { ...started, callId: 'CA0003' })).ok).toBe(true);
    expect((await raise(page, 'WIDGET_CALL_ENDED', ended)).ok).toBe(true);
    const twice = await raise(page, 'WIDGET_CALL_ENDED', ended);
    expect(twice.ok).toBe(false);
    expect(twice.message).toMatch(/already raised for callId CA0003.*\[cif\.call-ended\.once\]/);
    const api = await emu.request('GET', '/emulator/cif/calls?eventName=WIDGET_CALL_ENDED');
    expect(api.json.calls.map((c: { outcome: string }) => c.outcome)).toEqual(['resolved', 'rejected']);
    await page.close();
  });

  it('a widget page on its own origin loads the library from the org path, like production', async () => {
    widgetFiles.set('/widget.html', {
      type: 'text/html',
      body: `<!doctype html><html><body>
      <script type="text/javascript" src="${emu.url}/webresources/Widget/msdyn_ciLibrary.js" data-crmurl="${emu.url}" data-cifid="CIFMainLibrary"></script>
      <script>
        window.__out = null;
        window.addEventListener('CIFInitDone', function () {
          Microsoft.CIFramework.raiseEvent('myWidgetEvent', JSON.stringify({ hello: 'world' })).then(function (v) { window.__out = v; }, function (e) { window.__out = e.message; });
        });
      </script></body></html>`,
    });
    const page = await context.newPage();
    await page.goto(`${widgetOrigin}/widget.html`);
    await page.waitForFunction(() => (globalThis as unknown as { __out: unknown }).__out !== null);
    expect(await page.evaluate(() => (globalThis as unknown as { __out: unknown }).__out)).toBe(true);
    const api = await emu.request('GET', '/emulator/cif/calls?eventName=myWidgetEvent');
    expect(api.json.calls[0]).toMatchObject({ outcome: 'resolved', payloadForm: 'json-string', payload: { hello: 'world' }, pageUrl: `${widgetOrigin}/widget.html` });
    const load = await emu.request('GET', '/emulator/cif/calls?method=load');
    expect(load.json.calls[0]).toMatchObject({ violations: [], library: { crmurl: emu.url, cifid: 'CIFMainLibrary' } });
    await page.close();
  });

  it('fault neverInit: CIFInitDone never comes and calls fail as before-init', async () => {
    const page = await open('/emulator/cif?neverInit=true');
    const r = await raise(page, 'WIDGET_CALL_STARTED', started);
    expect(r).toMatchObject({ initialised: false, ok: false });
    expect(r.message).toMatch(/before CIFInitDone/);
    expect((await emu.request('GET', '/emulator/cif/calls?method=CIFInitDone')).json.count).toBe(0);
    await page.close();
  });

  it('fault raiseEventTimeout (set through /emulator/cif/settings): the Promise rejects with CIF’s 10 s time-out', async () => {
    expect((await emu.request('PUT', '/emulator/cif/settings', { json: { raiseEventTimeout: true, initDelayMs: 0 } })).json).toEqual({ initDelayMs: 0, neverInit: false, raiseEventTimeout: true });
    const page = await open('/emulator/cif');
    await waitForInit(page);
    const r = await raise(page, 'WIDGET_CALL_STARTED', { ...started, callId: 'CA0004' });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/timed out after 10 s/);
    expect((await emu.request('GET', '/emulator/cif/calls?callId=CA0004')).json.calls[0].outcome).toBe('timed-out');
    await page.close();
  });

  it('refuses a widget script that is not on loopback, with the reason on the page', async () => {
    const page = await context.newPage();
    const res = await page.goto(`${emu.url}/emulator/cif?widget=${encodeURIComponent('https://cdn.example.com/dialer.js')}`);
    expect(res?.status()).toBe(400);
    expect(await page.textContent('#cif-error')).toMatch(/^widget: refused to load the widget script: cdn\.example\.com is not a loopback address/);
    await page.close();
  });

  it('serves the page with a strict CSP: only self and loopback, nothing inline', async () => {
    const r = await emu.request('GET', '/emulator/cif');
    expect(r.status).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self' https:\/\/127\.0\.0\.1:\* http:\/\/127\.0\.0\.1:\* https:\/\/localhost:\* http:\/\/localhost:\*;/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\s\*\s|https:\s|http:\s/);
    expect(r.text).toContain('src="/webresources/Widget/msdyn_ciLibrary.js" data-crmurl="https://127.0.0.1:');
    expect(r.text).toContain('data-cifid="CIFMainLibrary"');
    const lib = await emu.request('GET', '/webresources/Widget/msdyn_ciLibrary.js');
    expect(lib.status).toBe(200);
    expect(lib.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it.each([
    ['GET', '/emulator/cif/calls?outcome=maybe', 'outcome', undefined],
    ['GET', '/emulator/cif/calls?limit=0', 'limit', undefined],
    ['GET', '/emulator/cif/calls?since=yesterday', 'since', undefined],
    ['GET', '/emulator/cif/calls?colour=red', 'colour', undefined],
    ['POST', '/emulator/cif/calls', 'time', { pageId: 'p', time: 'now', method: 'raiseEvent', args: [], initialised: true }],
    ['POST', '/emulator/cif/calls', 'args', { pageId: 'p', time: '2024-05-01T10:00:00Z', method: 'raiseEvent', args: 'x', initialised: true }],
    ['POST', '/emulator/cif/calls', 'method', { pageId: 'p', time: '2024-05-01T10:00:00Z', method: 'raise Event', args: [], initialised: true }],
    ['POST', '/emulator/cif/calls', 'pageId', { time: '2024-05-01T10:00:00Z', method: 'raiseEvent', args: [], initialised: true }],
    ['POST', '/emulator/cif/calls', 'body', [1, 2]],
    ['PUT', '/emulator/cif/settings', 'initDelayMs', { initDelayMs: -5 }],
    ['PUT', '/emulator/cif/settings', 'neverInit', { neverInit: 'yes' }],
    ['PUT', '/emulator/cif/settings', 'raiseEventTimout', { raiseEventTimout: true }],
  ])('%s %s with bad input → 400 naming %s', async (method, path, field, json) => {
    const r = await emu.request(method, path, json === undefined ? {} : { json });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: 'invalid_request', field });
    expect(r.json.message).toContain(field);
  });

  it('answers 400 naming the parameter for a bad page query, 415 for a non-JSON call record, 404 for an unknown call id, and keeps running', async () => {
    const page = await emu.request('GET', '/emulator/cif?initDelayMs=soon');
    expect(page.status).toBe(400);
    expect(page.text).toMatch(/data-field="initDelayMs"/);
    const junk = await emu.request('POST', '/emulator/cif/calls', { body: '{not json', headers: { 'content-type': 'application/json' } });
    expect(junk.status).toBe(400);
    const form = await emu.request('POST', '/emulator/cif/calls', { form: { pageId: 'p' } });
    expect(form.status).toBe(415);
    expect(form.json).toMatchObject({ field: 'content-type' });
    const missing = await emu.request('GET', '/emulator/cif/calls/nope');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ field: 'id' });
    expect((await emu.request('GET', '/health/ready')).status).toBe(200);
  });
});
