import { randomUUID } from 'node:crypto';
import { stackComponentPid, stackUp, waitFor } from '@ci-connector/platform-testing';
import { runBounded } from './testing/bounded';
import { RestDialer, type Posted } from './testing/dialer';
import { RealtimeRig } from './testing/rig';
import type { ServiceProcess } from './testing/services';
import { SseStream } from './testing/sse-stream';

// Issue 7's acceptance: the Kafka broker (the shared one of deploy/local) is
// restarted during a burst of 10,000 events posted to the BUILT call-events by
// two partners for two tenants, whose sellers share ids. Each seller's stream is
// read through the BUILT widget-gateway's SSE endpoint as a widget reads it (no
// browser: Node's fetch, resuming with Last-Event-ID). Every event that got a
// 202 must arrive exactly once, on its own tenant's seller stream only.

const EVENTS = 10_000;
const CONCURRENCY = 32;
const RESTART_AFTER = 2_500; // accepted events before the broker is stopped
const TENANTS = [randomUUID(), randomUUID()] as const;
const SELLERS = ['seller-1@contoso.example', 'seller-2@contoso.example'] as const; // the same ids in both tenants

interface Sent {
  eventId: string;
  stream: string;
  callId: string;
  name: 'WIDGET_CALL_STARTED' | 'WIDGET_CALL_ENDED';
}

const rig = new RealtimeRig('rt-kafka');
let callEvents: ServiceProcess;
let gateway: ServiceProcess;
const dialers = new Map<string, RestDialer>();
const streams = new Map<string, SseStream>();
const streamKey = (tenantId: string, sellerId: string) => `${tenantId}/${sellerId}`;

beforeAll(async () => {
  await rig.createTopics();
  await Promise.all(TENANTS.map((t) => rig.addTenant(t)));
  [callEvents, gateway] = await Promise.all([
    rig.startCallEvents(),
    // No recordings here: a call.started does not wait for one. Room for every event in the sellers' streams.
    rig.startWidgetGateway({ CORRELATION_WAIT: '0', DELIVERY_STREAM_MAXLEN: '20000' }),
  ]);
  for (const tenantId of TENANTS) {
    // One partner per tenant, each with a key scoped to its own tenant.
    const { key } = await rig.apiKey(`dialer of ${tenantId.slice(0, 8)}`, [tenantId]);
    const dialer = new RestDialer(callEvents.http, key);
    dialers.set(tenantId, dialer);
    for (const sellerId of SELLERS) {
      const token = await dialer.widgetToken(tenantId, sellerId);
      const s = new SseStream(`${gateway.http}/v1/widget/stream?token=${encodeURIComponent(token)}`);
      streams.set(streamKey(tenantId, sellerId), s);
      expect(await s.opened()).toBe(200);
    }
  }
}, 90_000);

afterAll(async () => {
  await Promise.all([...streams.values()].map((s) => s.close()));
  await rig.cleanup();
}, 60_000);

/** Posts until accepted, retrying a 503 after its Retry-After with the same Idempotency-Key (as call-events asks), until `deadline`. */
async function postUntilAccepted(post: () => Promise<Posted>, deadline: number, unavailable: { n: number }): Promise<Posted> {
  for (;;) {
    const r = await post().catch((err: unknown) => ({ status: 0, body: String(err) }) as Posted);
    if (r.status !== 503 && r.status !== 0) return r;
    unavailable.n++;
    if (Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, Math.max(200, (r.retryAfterSeconds ?? 1) * 1000)));
  }
}

async function kafkaAlive(): Promise<boolean> {
  const pid = stackComponentPid('kafka');
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('the broker restarts during a burst of 10,000 events: every accepted event reaches its seller’s stream exactly once, none another tenant’s', async () => {
  const sent: Sent[] = [];
  const refused: Posted[] = [];
  const unavailable = { n: 0 };
  let accepted = 0;
  let restart: Promise<void> | undefined;
  let restartError: unknown;
  const timeline: Record<string, number> = {};
  const t0 = Date.now();
  const deadline = t0 + 100_000;
  const calls = Array.from({ length: EVENTS / 2 }, (_, i) => {
    const tenantId = TENANTS[i % 2]!;
    const sellerId = SELLERS[Math.floor(i / 2) % 2]!;
    return { i, tenantId, sellerId, callId: `CA-burst-${rig.run}-${i}` };
  });

  const restartBroker = async () => {
    const pid = stackComponentPid('kafka');
    if (pid === undefined) throw new Error('the local stack has no Kafka PID file');
    timeline['brokerStopped'] = Date.now() - t0;
    process.kill(pid, 'SIGTERM');
    await waitFor('the broker to exit', async () => !(await kafkaAlive()), 60_000, 100);
    timeline['brokerExited'] = Date.now() - t0;
    await stackUp();
    timeline['brokerBack'] = Date.now() - t0;
  };

  try {
    await runBounded(calls, CONCURRENCY, async ({ tenantId, sellerId, callId }) => {
      const dialer = dialers.get(tenantId)!;
      const base = { tenantId, sellerId };
      const steps = [
        ['WIDGET_CALL_STARTED', () => dialer.started(callId, { ...base, startTime: new Date().toISOString(), isIncomingCall: true, contactNumber: '+442079460000', contactName: 'Ada Customer' }, `${callId}-started`)],
        ['WIDGET_CALL_ENDED', () => dialer.ended(callId, { ...base, callDurationInSeconds: 30, callTerminationReason: 'success', callEndTime: new Date().toISOString(), isCallStarted: true }, `${callId}-ended`)],
      ] as const;
      for (const [name, post] of steps) {
        const r = await postUntilAccepted(post, deadline, unavailable);
        if (r.status !== 202 || !r.eventId) {
          refused.push(r);
          return; // a dialer does not post ended for a call whose started never got in
        }
        sent.push({ eventId: r.eventId, stream: streamKey(tenantId, sellerId), callId, name });
        if (++accepted === RESTART_AFTER) restart = restartBroker().catch((err: unknown) => void (restartError = err));
        if (timeline['brokerExited'] !== undefined) timeline['firstAcceptedAfterStop'] ??= Date.now() - t0;
      }
    });
    timeline['burstDone'] = Date.now() - t0;
    await restart;
  } finally {
    await restart?.catch(() => undefined);
    // Whatever happened, the shared broker is up again when this test ends.
    if (!(await kafkaAlive())) await stackUp();
  }

  // The burst went on across the restart, and events were accepted again once the broker was back.
  expect(restartError).toBeUndefined();
  expect(restart).toBeDefined();
  expect(timeline['firstAcceptedAfterStop']).toBeGreaterThan(timeline['brokerExited']!);
  expect(unavailable.n).toBeGreaterThan(0);
  // A dialer retrying with the same key got every event in.
  expect({ refused: refused.slice(0, 5), accepted }).toEqual({ refused: [], accepted: EVENTS });

  const byStream = new Map<string, Sent[]>();
  for (const s of sent) byStream.set(s.stream, [...(byStream.get(s.stream) ?? []), s]);
  const sentById = new Map(sent.map((s) => [s.eventId, s]));
  expect(sentById.size).toBe(EVENTS);

  type Data = { eventId: string; name: string; payload: { callId: string } };
  const received = (key: string) => streams.get(key)!.events.map((e) => JSON.parse(e.data) as Data);
  await waitFor(
    'every accepted event on its seller’s stream',
    () => [...byStream].every(([key, list]) => new Set(received(key).map((d) => d.eventId)).size >= list.length) || undefined,
    90_000,
    250,
  ).catch((err: unknown) => {
    const counts = [...byStream].map(([key, list]) => `${key}: ${new Set(received(key).map((d) => d.eventId)).size}/${list.length}`);
    throw new Error(`${(err as Error).message}\n${counts.join('\n')}\n${JSON.stringify(timeline)}\n${rig.outputs(40)}`);
  });
  // A late duplicate would come now.
  await new Promise((r) => setTimeout(r, 1500));

  for (const [key, list] of byStream) {
    const got = received(key);
    const ids = got.map((d) => d.eventId);
    // Exactly once each: as many as were accepted for this seller, no id twice, no id of another stream.
    const foreign = got.filter((d) => sentById.get(d.eventId)?.stream !== key);
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect({ key, count: got.length, foreign: foreign.slice(0, 3), twice: twice.slice(0, 3) }).toEqual({ key, count: list.length, foreign: [], twice: [] });
    expect(new Set(ids)).toEqual(new Set(list.map((s) => s.eventId)));
    for (const d of got) {
      const s = sentById.get(d.eventId)!;
      expect([d.name, d.payload.callId]).toEqual([s.name, s.callId]);
    }
    // Each call's ended comes after its started.
    const startedAt = new Map<string, number>();
    got.forEach((d, i) => d.name === 'WIDGET_CALL_STARTED' && startedAt.set(d.payload.callId, i));
    const misordered = got.filter((d, i) => d.name === 'WIDGET_CALL_ENDED' && !((startedAt.get(d.payload.callId) ?? Infinity) < i));
    expect(misordered.slice(0, 3)).toEqual([]);
  }
  // No event was given up on: the dead-letter topic is empty.
  const admin = rig.kafka.admin();
  await admin.connect();
  try {
    expect((await admin.fetchTopicOffsets(rig.topics.deadLetter)).reduce((n, p) => n + Number(p.high), 0)).toBe(0);
  } finally {
    await admin.disconnect();
  }
  process.stdout.write(`kafka restart burst: ${JSON.stringify({ timeline, unavailable: unavailable.n, reconnects: [...streams.values()].map((s) => s.connections) })}\n`);
}, 180_000);
