import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Browser, Page } from 'playwright-core';
import { startEmulator, type EmulatorProcess } from '@ci-connector/ci-emulator-testing';
import { freePort, waitFor } from '@ci-connector/platform-testing';
import { CuttingProxy } from './testing/cutting-proxy';
import { GrpcDialer, RestDialer, type Dialer, type Posted } from './testing/dialer';
import { RealtimeRig } from './testing/rig';
import type { ServiceProcess } from './testing/services';
import { placeCall, sippOk } from './testing/sipp-call';
import { WidgetHost, launchChromium, openCifPage, widgetState } from './testing/widget-host';

// Issue 7's acceptance, end to end, everything real and BUILT: a partner dialer
// posts to call-events (REST, gRPC) → Kafka → widget-gateway (correlation with
// sip-signaling's recording events, delivery to the seller's Redis stream, SSE)
// → the BUILT cif-widget bundle in headless Chromium on the ci-emulator's CIF
// page → Microsoft.CIFramework.raiseEvent, recorded by the emulator. The call
// itself goes sipp → sip-signaling (rtpengine, Redis policy) → sipp, recorded
// over SIPREC by the emulator. What is asserted is what the CIF double and the
// recorder recorded.

const TENANT = randomUUID();
const SELLER_PHONE = '+442079460018'; // on the tenant's list: sip-signaling records the call (seller on the called side)
const CUSTOMER = '+15551234567';
const APP = '4d4d4d4d-4444-4444-8444-444444444444';

type CifCall = {
  eventName: string;
  callId: string;
  outcome: string;
  violations: Array<{ rule: string }>;
  warnings: Array<{ rule: string }>;
  payload: Record<string, unknown>;
  payloadForm: string;
  payloadTypes: Record<string, string>;
};
type Req = { method: string; headers: [string, string][] };

const rig = new RealtimeRig('rt-cif');
let work: string;
let emu: EmulatorProcess;
let callEvents: ServiceProcess & { grpc: string };
let gateway: ServiceProcess;
let sip: ServiceProcess & { sipPort: number };
let uasPort: number;
let partner: { key: string; partnerId: string };
let rest: RestDialer;
let browser: Browser;
let context: BrowserContext;
const host = new WidgetHost();
let page: Page | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'realtime-e2e-'));
  const accountId = `AC${randomBytes(10).toString('hex')}`;
  [emu] = await Promise.all([
    startEmulator({
      configFile: {
        apps: [{ clientId: APP, displayName: 'carrier connector', secrets: ['s3cret'] }],
        tenants: [{ tenantId: TENANT, displayName: 'Contoso', consents: [{ clientId: APP, roles: ['Users.Read.All'] }], users: { generate: { count: 1 } } }],
        registrations: [
          {
            tenantId: TENANT,
            clientId: APP,
            orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
            Type: 'custom',
            hosting: 'cloud',
            displayName: 'Example Carrier',
            AuthenticationDetails: { AccountId: accountId, CertificateSubjectName: 'sbc.carrier.example', CertificateIssuer: 'ci-emulator test CA', SourceIPNetwork: '127.0.0.1' },
          },
        ],
      },
    }),
    rig.createTopics(),
    rig.addTenant(TENANT, accountId).then(() => rig.recordSellers(TENANT, [SELLER_PHONE])),
    host.start(),
  ]);
  partner = await rig.apiKey('acme dialer', [TENANT]);
  uasPort = await freePort();
  [callEvents, gateway, sip] = await Promise.all([
    rig.startCallEvents(),
    // The CIF page's origin may open the stream; a call.started waits up to 3 s for its recording.
    rig.startWidgetGateway({ CORS_ORIGINS: emu.url, CORRELATION_WAIT: '3s' }),
    rig.startSipSignaling({ emulator: emu, tenantId: TENANT, uasPort, work }),
  ]);
  rest = new RestDialer(callEvents.http, partner.key);
  ({ browser, context } = await launchChromium());
}, 90_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await host.stop();
  await rig.cleanup();
  await emu?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

beforeEach(async () => {
  expect((await emu.request('DELETE', '/emulator/cif/calls')).status).toBe(204);
  expect((await emu.request('DELETE', '/emulator/recordings')).status).toBe(200);
});

afterEach(async () => {
  await page?.close();
  page = undefined;
});

async function raiseCalls(query = ''): Promise<CifCall[]> {
  const r = await emu.request('GET', `/emulator/cif/calls?method=raiseEvent${query}`);
  expect(r.status).toBe(200);
  return r.json.calls as CifCall[];
}

/** Runs a test body; a failure also tells what the widget said, what CIF recorded, and the services' last lines. */
function scenario(body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (err) {
      const state = page ? await widgetState(page).catch((e: unknown) => `unreadable: ${String(e)}`) : 'no page';
      const calls = await raiseCalls().catch((e: unknown) => `unreadable: ${String(e)}`);
      (err as Error).message += `\n--- widget: ${JSON.stringify(state)}\n--- CIF raiseEvent calls: ${JSON.stringify(calls)}\n${rig.outputs()}`;
      throw err;
    }
  };
}

/** The seller's widget on the CIF page, with a widget token call-events issued, its stream open (directly or through `via`). */
async function sellerWidget(name: string, sellerId: string, via?: string): Promise<Page> {
  const token = await rest.widgetToken(TENANT, sellerId);
  page = await openCifPage(context, emu.url, host.widget(`${name}-${rig.run}`, { gatewayUrl: via ?? gateway.http, token, sellerId }));
  return page;
}

const accepted = (p: Posted) => (p.status === 202 && p.eventId ? 'accepted' : JSON.stringify(p));

/**
 * One recorded call and the dialer's two events for it: the widget must raise
 * exactly one WIDGET_CALL_STARTED and one WIDGET_CALL_ENDED, with the seed's
 * fields and types, and the SIPREC Call-ID of the recording as `callId`.
 */
async function recordedCallAtCif(dialer: Dialer, label: string, passDialerId: boolean): Promise<void> {
  const sellerId = `seller-${label}-${rig.run}@contoso.example`;
  await sellerWidget(label, sellerId);
  const dialerId = `CA-${label}-${rig.run}`;
  const sipCallId = `${label}-${rig.run}@127.0.0.1`;
  const call = await placeCall({
    sipPort: sip.sipPort,
    uasPort,
    caller: CUSTOMER,
    callerName: 'Ada Customer',
    callee: SELLER_PHONE,
    sipCallId,
    // Without X-Dialer-Call-Id sip-signaling mints the call id; the dialer then gives its leg's SIP Call-ID.
    dialerHeader: passDialerId ? 'X-Dialer-Call-Id' : 'X-Dialer-Reference',
    dialerId,
    talkMs: 2000,
  });
  // The dialer sees its call answered and posts call started (the SIPREC INVITE goes out at the same moment).
  await waitFor(
    'the call answered at sip-signaling',
    async () => ((await (await fetch(`${sip.http}/calls`)).json()) as { calls: { sipCallId: string; state: string }[] }).calls.some((c) => c.sipCallId === sipCallId && c.state === 'answered') || undefined,
    10_000,
    20,
  );
  const startTime = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
  const link = passDialerId ? {} : { sipCallId };
  const started = await dialer.started(dialerId, { tenantId: TENANT, sellerId, ...link, startTime, isIncomingCall: true, contactNumber: CUSTOMER, contactName: 'Ada Customer' }, `${dialerId}-started`);
  expect(accepted(started)).toBe('accepted');
  const { uac, uas } = await call.done;
  expect(sippOk(uac)).toBe('ok');
  expect(sippOk(uas)).toBe('ok');
  const callEndTime = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
  const ended = await dialer.ended(dialerId, { tenantId: TENANT, sellerId, ...link, callDurationInSeconds: 2, callTerminationReason: 'success', callEndTime, isCallStarted: true }, `${dialerId}-ended`);
  expect(accepted(ended)).toBe('accepted');

  // The recording this call made: one session at the recorder, its Call-ID the call id end to end.
  const recordings = await waitFor(
    'the recording ended at the emulator',
    async () => {
      const list = (await emu.request('GET', '/emulator/recordings')).json.recordings as { callId: string; tenantId: string; state: string }[];
      return list.length > 0 && list.every((r) => r.state === 'ended') ? list : undefined;
    },
    15_000,
    50,
  );
  expect(recordings).toHaveLength(1);
  const siprecCallId = recordings[0]!.callId;
  expect(recordings[0]).toMatchObject({ tenantId: TENANT });
  const invite = ((await emu.request('GET', `/emulator/recordings/${encodeURIComponent(siprecCallId)}`)).json.requests as Req[])[0]!;
  expect(invite.method).toBe('INVITE');
  expect(invite.headers.find(([n]) => n.toLowerCase() === 'call-id')?.[1]).toBe(siprecCallId);
  if (passDialerId) expect(siprecCallId).toBe(dialerId);
  else {
    // sip-signaling minted the call id: neither the dialer's id nor its leg's SIP Call-ID.
    expect(siprecCallId).toMatch(/^[0-9a-f]{32}$/);
  }

  // The widget raised both, each once; CIF holds exactly these two calls.
  await waitFor('the widget to raise both events', async () => ((await widgetState(page!)).raised.length >= 2 ? true : undefined), 20_000, 50);
  const state = await widgetState(page!);
  expect(state.raised).toEqual([started.eventId, ended.eventId]);
  expect(state.errors).toEqual([]);
  const calls = await raiseCalls();
  expect(calls.map((c) => [c.eventName, c.callId, c.outcome])).toEqual([
    ['WIDGET_CALL_STARTED', siprecCallId, 'resolved'],
    ['WIDGET_CALL_ENDED', siprecCallId, 'resolved'],
  ]);
  const [s, e] = calls as [CifCall, CifCall];
  expect(s.payloadForm).toBe('object');
  expect(s.payloadTypes).toEqual({ callId: 'string', startTime: 'Date', isIncomingCall: 'boolean', contactNumber: 'string', contactName: 'string' });
  expect(s.payload).toEqual({ callId: siprecCallId, startTime: new Date(startTime).toISOString(), isIncomingCall: true, contactNumber: CUSTOMER, contactName: 'Ada Customer' });
  expect(e.payloadForm).toBe('object');
  expect(e.payloadTypes).toEqual({ callId: 'string', callDurationInSeconds: 'number', callTerminationReason: 'string', callEndTime: 'Date', isCallStarted: 'boolean' });
  expect(e.payload).toEqual({ callId: siprecCallId, callDurationInSeconds: 2, callTerminationReason: 'success', callEndTime: new Date(callEndTime).toISOString(), isCallStarted: true });
  for (const c of calls) expect([c.violations, c.warnings]).toEqual([[], []]);
  expect((await emu.request('GET', '/emulator/cif/calls?violations=true')).json.calls).toEqual([]);
}

describe('a recorded call: the dialer posts started and ended, the seller widget raises them through CIF with the SIPREC Call-ID', () => {
  it(
    'REST, the dialer passing its call id to sip-signaling (X-Dialer-Call-Id)',
    scenario(() => recordedCallAtCif(rest, 'rest', true)),
  );

  it(
    'gRPC, the dialer passing its call id to sip-signaling (X-Dialer-Call-Id)',
    scenario(async () => {
      const grpc = new GrpcDialer(callEvents.grpc, partner.key);
      try {
        await recordedCallAtCif(grpc, 'grpc', true);
      } finally {
        grpc.close();
      }
    }),
  );

  it(
    'REST, sip-signaling minting the call id: the dialer gives its leg’s SIP Call-ID and the widget raises the minted id',
    scenario(() => recordedCallAtCif(rest, 'minted', false)),
  );
});

describe('the widget’s connection is cut mid-stream', () => {
  it(
    'cut six times while 20 calls’ events are posted: after each reconnect nothing is lost or repeated at CIF',
    scenario(async () => {
      const proxy = new CuttingProxy({ host: '127.0.0.1', port: gateway.httpPort });
      await proxy.start();
      try {
        const sellerId = `seller-cut-${rig.run}@contoso.example`;
        await sellerWidget('cut', sellerId, proxy.url);
        const calls = Array.from({ length: 20 }, (_, i) => `CA-cut-${rig.run}-${String(i).padStart(2, '0')}`);
        const eventIds: string[] = [];
        const post = async (callId: string) => {
          const base = { tenantId: TENANT, sellerId };
          const s = await rest.started(callId, { ...base, startTime: new Date().toISOString(), isIncomingCall: false, contactNumber: CUSTOMER, contactName: 'Ada Customer' }, `${callId}-s`);
          const e = await rest.ended(callId, { ...base, callDurationInSeconds: 5, callTerminationReason: 'success', callEndTime: new Date().toISOString(), isCallStarted: true }, `${callId}-e`);
          expect([accepted(s), accepted(e)]).toEqual(['accepted', 'accepted']);
          eventIds.push(s.eventId!, e.eventId!);
        };
        // The stream is flowing: the first call's events reached CIF.
        await post(calls[0]!);
        await waitFor('the first call at CIF', async () => ((await widgetState(page!)).raised.length >= 2 ? true : undefined), 20_000, 50);
        // From now on the connection drops after every third call posted (both sockets destroyed,
        // wherever the stream is, the last events still on their way) and new connections are
        // refused for 250 ms: the widget reconnects into a stream that moved on.
        let cuts = 0;
        for (const [i, callId] of calls.slice(1).entries()) {
          await post(callId);
          if (i % 3 === 2) {
            cuts++;
            proxy.cut(250);
          }
          await new Promise((r) => setTimeout(r, 200));
        }
        await waitFor('the widget to raise all 40 events', async () => ((await widgetState(page!)).raised.length >= 40 ? true : undefined), 60_000, 100);
        // Anything repeated would come now.
        await new Promise((r) => setTimeout(r, 1000));

        const cif = await raiseCalls();
        expect(cif).toHaveLength(40);
        for (const callId of calls) {
          expect({ callId, raised: cif.filter((c) => c.callId === callId).map((c) => `${c.eventName} ${c.outcome}`) }).toEqual({ callId, raised: ['WIDGET_CALL_STARTED resolved', 'WIDGET_CALL_ENDED resolved'] });
        }
        for (const c of cif) expect([c.violations, c.warnings]).toEqual([[], []]);
        const state = await widgetState(page!);
        expect([...state.raised].sort()).toEqual([...eventIds].sort());
        // The cuts happened while events flowed, and every stream after the first resumed from an event id.
        expect(cuts).toBe(6);
        const streams = proxy.connections.filter((c) => /^GET \/v1\/widget\/stream/.test(c.head));
        expect(streams.length).toBeGreaterThanOrEqual(5);
        const resumedFrom = (head: string) => /\r\nlast-event-id: *(\S+)/i.exec(head)?.[1] ?? /[?&]lastEventId=([^&\s]+)/.exec(head.split('\r\n')[0] ?? '')?.[1];
        expect(streams.slice(1).map((c) => (resumedFrom(c.head) ? 'resumed' : c.head))).toEqual(streams.slice(1).map(() => 'resumed'));
      } finally {
        await proxy.stop();
      }
    }),
    90_000,
  );
});
