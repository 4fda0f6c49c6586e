import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, waitFor } from '@ci-connector/platform-testing';
import { repoRoot } from './services';

// The dialer's widget as a carrier would host it: a page on its own loopback
// origin serving the BUILT cif-widget bundle (dist/cif-widget, `nx build
// cif-widget`) and a small script that imports it and connect()s to
// widget-gateway. The ci-emulator's CIF page loads that script with ?widget=.

const bundleDir = join(repoRoot, 'dist/cif-widget');

/** How one widget connects: the gateway's base URL, the seller's widget token and id. */
export interface WidgetConfig {
  gatewayUrl: string;
  token: string;
  sellerId: string;
}

/** What the widget script reports on the page (window.__widget). */
export interface WidgetState {
  raised: string[];
  errors: string[];
  status: string[];
  loadError: string | null;
}

export class WidgetHost {
  private server: Server | undefined;
  private readonly widgets = new Map<string, WidgetConfig>();
  origin = '';

  async start(): Promise<void> {
    if (!existsSync(join(bundleDir, 'cif-widget.min.js'))) throw new Error(`no ${bundleDir}/cif-widget.min.js: build it first (nx build cif-widget)`);
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Registers a widget; returns the URL of its script (for /emulator/cif?widget=). */
  widget(name: string, config: WidgetConfig): string {
    this.widgets.set(name, config);
    return `${this.origin}/widgets/${encodeURIComponent(name)}.js`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.origin);
    // The CIF page (another origin) imports the module: it needs CORS.
    const cors = { 'access-control-allow-origin': req.headers.origin ?? '*' };
    if (req.method === 'GET' && (url.pathname === '/cif-widget.min.js' || url.pathname === '/cif-widget.min.js.map')) {
      return void res.writeHead(200, { ...cors, 'content-type': 'text/javascript; charset=utf-8' }).end(readFileSync(join(bundleDir, url.pathname)));
    }
    const m = /^\/widgets\/([^/]+)\.js$/.exec(url.pathname);
    const config = m?.[1] !== undefined ? this.widgets.get(decodeURIComponent(m[1])) : undefined;
    if (req.method === 'GET' && config) {
      return void res.writeHead(200, { ...cors, 'content-type': 'text/javascript; charset=utf-8' }).end(loaderScript(`${this.origin}/cif-widget.min.js`, config));
    }
    res.writeHead(404, cors).end();
  }
}

/** A classic script (the CIF page's tag) that imports the ES module bundle and connects, reporting on window.__widget. */
function loaderScript(bundleUrl: string, c: WidgetConfig): string {
  return `(function () {
  'use strict';
  var w = (window.__widget = { raised: [], errors: [], status: [], handle: null, loadError: null });
  import(${JSON.stringify(bundleUrl)}).then(function (m) {
    w.handle = m.connect({
      url: ${JSON.stringify(c.gatewayUrl)},
      token: ${JSON.stringify(c.token)},
      sellerId: ${JSON.stringify(c.sellerId)},
      reconnect: { initialDelayMs: 300, maxDelayMs: 1000 },
      onRaised: function (e) { w.raised.push(e.eventId + (e.raised ? '' : ' (already raised)')); },
      onError: function (e) { w.errors.push(e.code + ': ' + e.message); },
      onStatus: function (s) { w.status.push(s); },
    });
  }, function (e) { w.loadError = String((e && e.message) || e); });
})();
`;
}


export async function launchChromium(): Promise<{ browser: Browser; context: BrowserContext }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
  // The emulator's HTTPS certificate is from the test CA minted for the run.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  return { browser, context };
}

export const widgetState = (page: Page): Promise<WidgetState> => page.evaluate(() => (globalThis as unknown as { __widget: WidgetState }).__widget);

/** Opens the CIF page hosting the widget script; resolves once the widget's event stream is open. */
export async function openCifPage(context: BrowserContext, emulatorUrl: string, widgetScript: string): Promise<Page> {
  const page = await context.newPage();
  const res = await page.goto(`${emulatorUrl}/emulator/cif?initDelayMs=200&widget=${encodeURIComponent(widgetScript)}`);
  if (res?.status() !== 200) throw new Error(`the CIF page answered ${res?.status()}: ${await res?.text()}`);
  const state = await waitFor(
    'the widget to open its event stream',
    async () => {
      const s = await widgetState(page).catch(() => undefined);
      return s && (s.loadError !== null || s.status.includes('open')) ? s : undefined;
    },
    20_000,
    50,
  );
  if (state.loadError !== null) throw new Error(`the widget did not load: ${state.loadError}`);
  return page;
}
