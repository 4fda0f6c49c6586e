import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { Admin, Consumer, IHeaders, Kafka, Producer } from 'kafkajs';
import { deleteRedisKeys, freePort, stackEndpoints, waitFor } from '@ci-connector/platform-testing';
import { closeRedis, createRedisClient } from '@ci-connector/platform-redis';
import { createIdempotentProducer, createKafka, ensureTopics, produce } from '@ci-connector/platform-kafka';
import {
  callEventId,
  decodeRecordingControl,
  decodeWidgetEvent,
  encodeDialerCallEvent,
  encodeRecordingEvent,
  encodeWidgetEvent,
  signWidgetToken,
  widgetKey,
  type DialerCallEventV1,
  type RecordingControlV1,
  type RecordingEventV1,
  type WidgetEventV1,
} from '@ci-connector/events';
import { SseTestClient, type ReceivedEvent } from './testing/sse-client';

// Runs the BUILT gateway (nx builds it before this target) as an operator would,
// against the real Redis and Kafka of deploy/local. Every run has its own topics,
// consumer groups and Redis prefix. What is asserted is what a widget receives on
// the event stream and what lands on the Kafka topics.

const repo = join(__dirname, '../../..');
const dist = join(repo, 'dist/widget-gateway/apps/widget-gateway/src');
const run = randomBytes(4).toString('hex');
const stack = stackEndpoints();
const SECRET = `widget-gateway-int-spec-secret-${run}-0123456789`;
const prefix = `wg-${run}:`;
const topics = {
  callEvents: `wg-${run}.call-events`,
  recordingEvents: `wg-${run}.recording-events`,
  widgetEvents: `wg-${run}.widget-events`,
  deadLetter: `wg-${run}.dlq`,
  recordingControl: `wg-${run}.recording-control`,
};
const groups = { correlation: `wg-${run}.correlation`, delivery: `wg-${run}.delivery` };
const T1 = `1a1a1a1a-${run.slice(0, 4)}-4aaa-8aaa-000000000001`;
const T2 = `2b2b2b2b-${run.slice(0, 4)}-4bbb-8bbb-000000000002`;
const PARTNER = 'partner-key-1';

interface Gateway {
  child: ChildProcess;
  base: string;
  /** GET /metrics (METRICS_PORT): the Prometheus text. */
  metrics(): Promise<string>;
  output: () => string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let redis: Redis;
let gw: Gateway;
const clients: SseTestClient[] = [];
const deadLetters: { key: string | undefined; value: string | undefined; headers: Record<string, string> }[] = [];
const controls: { key: string | undefined; command: RecordingControlV1 }[] = [];
const widgetTopic: { key: string | undefined; eventId: string; headers: Record<string, string> }[] = [];
const readers: Consumer[] = [];

function token(tenantId: string, sellerId: string, expInSeconds = 3600): string {
  return signWidgetToken({ tid: tenantId, sub: sellerId, pid: PARTNER, exp: Math.floor(Date.now() / 1000) + expInSeconds }, SECRET);
}

function headerText(h: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v)]));
}

let seq = 0;
/** A dialer event as call-events produces it (eventId from the partner and idempotency key). */
function dialerEvent(type: 'call.started' | 'call.ended', tenantId: string, sellerId: string, callId: string, over: Partial<DialerCallEventV1> = {}): DialerCallEventV1 {
  const idempotencyKey = over.idempotencyKey ?? `${callId}-${type}-${++seq}`;
  const base = { eventId: callEventId(PARTNER, idempotencyKey), idempotencyKey, partnerId: PARTNER, tenantId, sellerId, callId, receivedAt: new Date().toISOString() };
  if (type === 'call.started') {
    return { ...base, type, started: { startTime: '2026-11-29T10:00:00.000Z', isIncomingCall: true, contactNumber: '+447700900123', contactName: 'Alice Jones' }, ...over };
  }
  return { ...base, type, ended: { callDurationInSeconds: 42, callTerminationReason: 'success', callEndTime: '2026-11-29T10:00:42.000Z', isCallStarted: true }, ...over };
}

async function postDialer(e: DialerCallEventV1): Promise<void> {
  await produce(producer, topics.callEvents, [{ key: e.callId, value: encodeDialerCallEvent(e) }], { deadlineMs: 10_000 });
}

async function postRecording(e: RecordingEventV1): Promise<void> {
  await produce(producer, topics.recordingEvents, [{ key: e.callId, value: encodeRecordingEvent(e) }], { deadlineMs: 10_000 });
}

async function openStream(tenantId: string, sellerId: string, opts: { lastEventId?: string; viaQuery?: boolean; headers?: Record<string, string> } = {}): Promise<SseTestClient> {
  const params = new URLSearchParams({ token: token(tenantId, sellerId) });
  if (opts.lastEventId && opts.viaQuery) params.set('lastEventId', opts.lastEventId);
  const headers = { ...(opts.lastEventId && !opts.viaQuery ? { 'Last-Event-ID': opts.lastEventId } : {}), ...opts.headers };
  const c = await SseTestClient.open(`${gw.base}/v1/widget/stream?${params.toString()}`, headers);
  expect(c.status).toBe(200);
  clients.push(c);
  return c;
}

interface WidgetData {
  eventId: string;
  name: string;
  payload: Record<string, unknown> & { callId: string };
  recording?: { callId: string; sipCallId: string; state: string; recorder?: string };
}
const dataOf = (e: ReceivedEvent) => JSON.parse(e.data) as WidgetData;
const eventIds = (c: SseTestClient) => c.events.map((e) => dataOf(e).eventId);

/** How much each series of GET /metrics grew since `before` (a series absent counts 0). */
function grown(before: string, after: string, series: string[]): Record<string, number> {
  const value = (text: string, name: string) => Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.slice(name.length + 1) ?? 0);
  return Object.fromEntries(series.map((name) => [name, value(after, name) - value(before, name)]));
}

async function startGateway(env: Record<string, string> = {}): Promise<Gateway> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--enable-source-maps', '--import', join(dist, 'instrumentation.js'), join(dist, 'main.js')], {
    cwd: repo,
    env: {
      PATH: process.env['PATH'] ?? '',
      HTTP_PORT: String(port),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
      REDIS_URL: stack.redisUrl,
      REDIS_KEY_PREFIX: prefix,
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      KAFKA_CALL_EVENTS_TOPIC: topics.callEvents,
      KAFKA_RECORDING_EVENTS_TOPIC: topics.recordingEvents,
      KAFKA_WIDGET_EVENTS_TOPIC: topics.widgetEvents,
      KAFKA_DEAD_LETTER_TOPIC: topics.deadLetter,
      KAFKA_RECORDING_CONTROL_TOPIC: topics.recordingControl,
      KAFKA_CORRELATION_GROUP: groups.correlation,
      KAFKA_DELIVERY_GROUP: groups.delivery,
      KAFKA_TOPIC_PARTITIONS: '3',
      WIDGET_TOKEN_SECRET: SECRET,
      SSE_HEARTBEAT: '1s',
      // Room for the test to see a call.started waiting before it sends the recording.
      CORRELATION_WAIT: '8s', // a loaded CI machine once took over 4 s to note a recording
      // A killed replica's partitions move on after this (the broker's minimum).
      KAFKA_SESSION_TIMEOUT: '6s',
      // Room in the seller's stream for the kill test's burst of 1,000 events to one seller: the widget's
      // stream reads lag the appends of a burst, and the default (200) keeps only a resume window.
      DELIVERY_STREAM_MAXLEN: '5000',
      CORS_ORIGINS: 'https://*.crm.dynamics.com,https://widget.dialer.example',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const g: Gateway = {
    child,
    base: `http://127.0.0.1:${port}`,
    metrics: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  await waitFor(
    'the gateway to be ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}`);
      const r = await fetch(`${g.base}/health/ready`).catch(() => undefined);
      return r?.status === 200;
    },
    60_000,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- gateway output ---\n${out}`);
  });
  return g;
}

async function readiness(): Promise<{ status: string; checks: Record<string, Record<string, unknown>> }> {
  const r = await fetch(`${gw.base}/health/ready`);
  return (await r.json()) as { status: string; checks: Record<string, Record<string, unknown>> };
}

/** waitFor, with the gateway's output in the failure message. */
async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  try {
    return await waitFor(what, check, timeoutMs, 50);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- gateway output (last 6000 characters) ---\n${gw?.output().slice(-6000)}`);
  }
}

async function reader(topic: string, onMessage: (m: { key: string | undefined; value: Buffer | null; headers: IHeaders | undefined }) => void): Promise<void> {
  const c = kafka.consumer({ groupId: `wg-${run}.test-reader.${topic}` });
  readers.push(c);
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({ eachMessage: async ({ message }) => onMessage({ key: message.key?.toString(), value: message.value, headers: message.headers }) });
}

beforeAll(async () => {
  kafka = createKafka({ clientId: `wg-int-${run}`, brokers: stack.kafkaBrokers });
  admin = kafka.admin();
  await admin.connect();
  await ensureTopics(
    admin,
    Object.values(topics).map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
  );
  producer = createIdempotentProducer(kafka);
  await producer.connect();
  redis = createRedisClient({ url: stack.redisUrl, connectionName: `wg-int-${run}`, commandTimeoutMs: 5000 });
  await reader(topics.deadLetter, (m) => deadLetters.push({ key: m.key, value: m.value?.toString(), headers: headerText(m.headers) }));
  await reader(topics.recordingControl, (m) => controls.push({ key: m.key, command: decodeRecordingControl(m.value) }));
  // The poison test puts undecodable messages there too.
  const eventIdOf = (value: Buffer | null) => {
    try {
      return decodeWidgetEvent(value).eventId;
    } catch {
      return '(undecodable)';
    }
  };
  await reader(topics.widgetEvents, (m) => widgetTopic.push({ key: m.key, eventId: eventIdOf(m.value), headers: headerText(m.headers) }));
  gw = await startGateway();
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await gw?.stop();
  for (const r of readers) await r.disconnect().catch(() => undefined);
  await producer?.disconnect();
  await admin
    ?.deleteGroups([groups.correlation, `${groups.correlation}.recordings`, groups.delivery, ...Object.values(topics).map((t) => `wg-${run}.test-reader.${t}`)])
    .catch(() => undefined);
  await admin?.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin?.disconnect();
  if (redis) {
    await deleteRedisKeys(redis, prefix);
    await closeRedis(redis);
  }
}, 60_000);

describe('widget-gateway against the real Kafka and Redis', () => {
  const SIPREC_ID = `siprec-${run}-1@src.carrier.example`;

  it('turns a recorded call\'s call.started and call.ended into exactly two widget events carrying the SIPREC Call-ID, for that seller only', async () => {
    const seller = 'alice@fabrikam.example';
    const metricsBefore = await gw.metrics();
    const alice = await openStream(T1, seller);
    const bob = await openStream(T1, 'bob@fabrikam.example');
    const otherTenant = await openStream(T2, seller);

    // The dialer knows the A leg's SIP Call-ID; sip-signaling minted the call id (the SIPREC Call-ID).
    const aLeg = `a-leg-${run}@pbx.carrier.example`;
    const dialerCallId = `CA-${run}-1`;
    // Another tenant's recording with the same A-leg Call-ID must not be taken for this one.
    await postRecording({ type: 'recording.started', callId: `siprec-${run}-other@src`, sipCallId: aLeg, tenantId: T2, seller: '+15550000000', at: new Date().toISOString() });

    const started = dialerEvent('call.started', T1, seller, dialerCallId, { sipCallId: aLeg });
    await postDialer(started);
    // The recording lags the dialer's call.started: sent once the call.started is seen waiting for it (up to CORRELATION_WAIT).
    await until('the call.started waiting for its recording', async () => ((await readiness()).checks['correlation']?.['waiting'] as number) >= 1);
    await postRecording({ type: 'recording.started', callId: SIPREC_ID, sipCallId: aLeg, tenantId: T1, seller: '+447700900999', recorder: 'sip:SRS@127.0.0.1:15061;transport=tls', at: new Date().toISOString() });
    const ended = dialerEvent('call.ended', T1, seller, dialerCallId, { sipCallId: aLeg });
    await postDialer(ended);

    await until('both events at the widget', () => alice.events.length >= 2);
    // Sentinels for the other two widgets: once each got its own, anything meant for alice would have shown up before it.
    await postDialer(dialerEvent('call.ended', T1, 'bob@fabrikam.example', `CA-${run}-bob`));
    await postDialer(dialerEvent('call.ended', T2, seller, `CA-${run}-t2`));
    await until('the sentinels', () => bob.events.length >= 1 && otherTenant.events.length >= 1);
    await until('a heartbeat', () => alice.comments.includes('heartbeat'));

    expect(alice.events.map((e) => e.event)).toEqual(['WIDGET_CALL_STARTED', 'WIDGET_CALL_ENDED']);
    const [s, e] = alice.events.map(dataOf);
    expect(s).toEqual({
      eventId: started.eventId,
      name: 'WIDGET_CALL_STARTED',
      payload: { callId: SIPREC_ID, startTime: '2026-11-29T10:00:00.000Z', isIncomingCall: true, contactNumber: '+447700900123', contactName: 'Alice Jones' },
      recording: { callId: SIPREC_ID, sipCallId: aLeg, state: 'started', recorder: 'sip:SRS@127.0.0.1:15061;transport=tls' },
    });
    expect(e).toEqual({
      eventId: ended.eventId,
      name: 'WIDGET_CALL_ENDED',
      payload: { callId: SIPREC_ID, callDurationInSeconds: 42, callTerminationReason: 'success', callEndTime: '2026-11-29T10:00:42.000Z', isCallStarted: true },
      recording: { callId: SIPREC_ID, sipCallId: aLeg, state: 'started', recorder: 'sip:SRS@127.0.0.1:15061;transport=tls' },
    });
    expect(alice.events.every((x) => /^\d+-\d+$/.test(x.id ?? ''))).toBe(true);
    expect(alice.retryMs).toBe(2000);
    expect(bob.events.map((x) => dataOf(x).payload.callId)).toEqual([`CA-${run}-bob`]);
    expect(otherTenant.events.map((x) => dataOf(x).payload.callId)).toEqual([`CA-${run}-t2`]);
    expect((await readiness()).checks['correlation']).toMatchObject({ ok: true, waiting: 0, waited: 1, correlated: 2 });
    // GET /metrics: the four deliveries (alice's two, the sentinels), each with its ingest→delivery lag; the three streams open.
    const counted = ['cic_widget_events_delivered_total{name="WIDGET_CALL_STARTED"}', 'cic_widget_events_delivered_total{name="WIDGET_CALL_ENDED"}', 'cic_widget_delivery_lag_seconds_count', 'cic_widget_events_correlated_total'];
    const metricsAfter = await gw.metrics();
    expect(grown(metricsBefore, metricsAfter, counted)).toEqual({ [counted[0]!]: 1, [counted[1]!]: 3, [counted[2]!]: 4, [counted[3]!]: 2 });
    expect(Number(/^cic_widget_sse_connections (\d+)$/m.exec(metricsAfter)?.[1])).toBeGreaterThanOrEqual(3);
  });

  it('uses the call id the dialer passed to sip-signaling as is, and the dialer\'s own id when no recording turns up', async () => {
    const seller = 'carol@fabrikam.example';
    const carol = await openStream(T1, seller);
    const passed = `CA-${run}-passed`;
    const noted = async () => (await readiness()).checks['correlation']?.['recordingsNoted'] as number;
    const notedBefore = await noted();
    await postRecording({ type: 'recording.started', callId: passed, sipCallId: `a-${run}-2@pbx`, tenantId: T1, seller: '+447700900998', at: new Date().toISOString() });
    // Such a call.started does not wait for its recording (its call id is the SIPREC Call-ID either way): the recording is noted first
    // so that the event also carries its state.
    await until('the recording noted', async () => (await noted()) > notedBefore);
    await postDialer(dialerEvent('call.started', T1, seller, passed));
    await postDialer(dialerEvent('call.started', T1, seller, `CA-${run}-unrecorded`));
    await until('both', () => carol.events.length >= 2);
    const byCall = Object.fromEntries(carol.events.map(dataOf).map((d) => [d.payload.callId, d.recording?.state ?? 'none']));
    expect(byCall).toEqual({ [passed]: 'started', [`CA-${run}-unrecorded`]: 'none' });
  });

  it('resumes after Last-Event-ID (header or ?lastEventId=): nothing lost, nothing twice', async () => {
    const seller = 'dave@fabrikam.example';
    const watcher = await openStream(T1, seller);
    const first = await openStream(T1, seller);
    const events = Array.from({ length: 6 }, (_, i) => dialerEvent('call.ended', T1, seller, `CA-${run}-r${i}`));
    for (const ev of events.slice(0, 2)) await postDialer(ev);
    await until('two events at the first connection', () => first.events.length >= 2);
    first.close();
    await first.done;
    const resumeFrom = first.lastEventId;
    expect(resumeFrom).toBeDefined();

    // While it is away, more events arrive.
    for (const ev of events.slice(2, 4)) await postDialer(ev);
    await until('four events at the watcher', () => watcher.events.length >= 4);

    const again = await openStream(T1, seller, { lastEventId: resumeFrom! });
    await until('the two missed events after the reconnect', () => again.events.length >= 2);
    for (const ev of events.slice(4)) await postDialer(ev);
    await until('six events at the watcher', () => watcher.events.length >= 6);
    await until('the later events at the resumed connection', () => again.events.length >= 4);

    // Events of different calls may be delivered in any order (they are ordered per call); the stream's order is the watcher's.
    const stream = eventIds(watcher);
    expect([...stream].sort()).toEqual(events.map((x) => x.eventId).sort());
    expect([...eventIds(first), ...eventIds(again)]).toEqual(stream);
    // A fresh EventSource resumes with ?lastEventId= (it cannot set the header): after the first event.
    const viaQuery = await openStream(T1, seller, { lastEventId: watcher.events[0]!.id!, viaQuery: true });
    await until('five events after the first', () => viaQuery.events.length >= 5);
    expect(eventIds(viaQuery)).toEqual(stream.slice(1));
    expect(viaQuery.events.map((x) => x.id)).toEqual(watcher.events.slice(1).map((x) => x.id));
  });

  it('delivers the same dialer event produced twice (and a widget event produced twice) once', async () => {
    const seller = 'erin@fabrikam.example';
    const erin = await openStream(T1, seller);
    const twice = dialerEvent('call.ended', T1, seller, `CA-${run}-dup`);
    await postDialer(twice);
    await postDialer(twice);
    const widgetEvent: WidgetEventV1 = {
      type: 'widget.event',
      eventId: callEventId(PARTNER, `direct-${run}`),
      tenantId: T1,
      sellerId: seller,
      name: 'WIDGET_CALL_ENDED',
      payload: { callId: `CA-${run}-direct`, callDurationInSeconds: 0, callTerminationReason: 'error', callEndTime: '2026-11-29T10:01:00.000Z', isCallStarted: false },
      dialerCallId: `CA-${run}-direct`,
      at: new Date().toISOString(),
    };
    const wm = { key: widgetKey(T1, seller), value: encodeWidgetEvent(widgetEvent) };
    await produce(producer, topics.widgetEvents, [wm, wm], { deadlineMs: 10_000 });
    const sentinel = dialerEvent('call.ended', T1, seller, `CA-${run}-dup-sentinel`);
    await postDialer(sentinel);
    // The widget event produced to the topic comes through the delivery consumer, the dialer events straight from correlation: either may be first.
    await until('the sentinel and the widget event', () => eventIds(erin).includes(sentinel.eventId) && eventIds(erin).includes(widgetEvent.eventId));
    await until('the widget event read twice from its topic', () => widgetTopic.filter((m) => m.eventId === widgetEvent.eventId).length === 2);
    const ids = eventIds(erin);
    expect(ids.filter((x) => x === twice.eventId)).toHaveLength(1);
    expect(ids.filter((x) => x === widgetEvent.eventId)).toHaveLength(1);
    expect(ids).toHaveLength(3);
  });

  it('sends poison messages to the dead-letter topic with their origin and error, and goes on', async () => {
    const seller = 'frank@fabrikam.example';
    const metricsBefore = await gw.metrics();
    const frank = await openStream(T1, seller);
    const badJson = Buffer.from('{"type":"call.started", not json');
    const incomplete = Buffer.from(JSON.stringify({ type: 'call.started', callId: `CA-${run}-incomplete` }));
    await produce(producer, topics.callEvents, [
      { key: `CA-${run}-poison`, value: badJson },
      { key: `CA-${run}-incomplete`, value: incomplete },
    ]);
    await produce(producer, topics.recordingEvents, [{ key: 'rec-poison', value: Buffer.from('nope') }]);
    await produce(producer, topics.widgetEvents, [{ key: widgetKey(T1, seller), value: Buffer.from('[]') }]);
    const after = dialerEvent('call.ended', T1, seller, `CA-${run}-after-poison`);
    await postDialer(after);

    await until('the event after the poison', () => eventIds(frank).includes(after.eventId));
    await until('four dead letters', () => deadLetters.length >= 4);
    const byKey = Object.fromEntries(deadLetters.map((d) => [d.key, d]));
    expect(byKey[`CA-${run}-poison`]).toMatchObject({ value: badJson.toString(), headers: { 'x-source-topic': topics.callEvents, 'x-consumer': groups.correlation } });
    expect(byKey[`CA-${run}-poison`]!.headers['x-error']).toContain('not JSON');
    expect(byKey[`CA-${run}-incomplete`]!.headers).toMatchObject({ 'x-source-topic': topics.callEvents, 'x-consumer': groups.correlation });
    expect(byKey[`CA-${run}-incomplete`]!.headers['x-error']).toMatch(/eventId/);
    expect(byKey['rec-poison']!.headers).toMatchObject({ 'x-source-topic': topics.recordingEvents, 'x-consumer': `${groups.correlation}.recordings` });
    expect(byKey[widgetKey(T1, seller)]!.headers).toMatchObject({ 'x-source-topic': topics.widgetEvents, 'x-consumer': groups.delivery });
    expect(eventIds(frank)).toEqual([after.eventId]);
    // GET /metrics: the dead letters by consumer group.
    const counted = [`cic_widget_dead_letters_total{consumer="${groups.correlation}"}`, `cic_widget_dead_letters_total{consumer="${groups.correlation}.recordings"}`, `cic_widget_dead_letters_total{consumer="${groups.delivery}"}`];
    const metricsAfter = await until('the dead letters counted', async () => {
      const text = await gw.metrics();
      return Object.values(grown(metricsBefore, text, counted)).reduce((a, b) => a + b, 0) >= 4 ? text : undefined;
    });
    expect(grown(metricsBefore, metricsAfter, counted)).toEqual({ [counted[0]!]: 2, [counted[1]!]: 1, [counted[2]!]: 1 });
  });

  it('takes recording commands from the widget of the call\'s seller only, onto recording.control', async () => {
    const seller = 'alice@fabrikam.example';
    const post = (callId: string, action: string, bearer?: string) =>
      fetch(`${gw.base}/v1/widget/calls/${encodeURIComponent(callId)}/recording/${action}`, { method: 'POST', headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} });

    const ok = await post(SIPREC_ID, 'pause', token(T1, seller));
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ callId: SIPREC_ID, action: 'pause', tenantId: T1, requestedBy: seller });
    await until('the command on the control topic', () => controls.length >= 1);
    expect(controls).toEqual([{ key: SIPREC_ID, command: { type: 'recording.control', action: 'pause', callId: SIPREC_ID, tenantId: T1, requestedBy: seller, at: expect.any(String) } }]);

    const otherSeller = await post(SIPREC_ID, 'stop', token(T1, 'bob@fabrikam.example'));
    expect(otherSeller.status).toBe(403);
    const otherTenant = await post(SIPREC_ID, 'stop', token(T2, seller));
    expect(otherTenant.status).toBe(404);
    const badAction = await post(SIPREC_ID, 'explode', token(T1, seller));
    expect(badAction.status).toBe(400);
    expect(await badAction.json()).toMatchObject({ error: { code: 'invalid_request', details: [{ field: 'action', message: 'must be one of start, stop, pause, resume' }] } });
    const noToken = await post(SIPREC_ID, 'stop');
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer /);
    // Nothing but the one allowed command reached Kafka.
    const sentinel = await post(SIPREC_ID, 'resume', token(T1, seller));
    expect(sentinel.status).toBe(202);
    await until('the second command', () => controls.length >= 2);
    expect(controls.map((c) => c.command.action)).toEqual(['pause', 'resume']);
  });

  it('refuses streams without a valid token or with a bad Last-Event-ID, and answers CORS for the configured origins only', async () => {
    const url = `${gw.base}/v1/widget/stream`;
    const none = await SseTestClient.open(url);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.errorBody ?? '{}')).toMatchObject({ error: { code: 'invalid_token' } });
    const expired = await SseTestClient.open(`${url}?token=${encodeURIComponent(token(T1, 'x', -10))}`);
    expect(expired.status).toBe(401);
    expect(expired.errorBody).toContain('expired');
    const forged = await SseTestClient.open(url, { Authorization: `Bearer ${signWidgetToken({ tid: T1, sub: 'x', pid: PARTNER, exp: Math.floor(Date.now() / 1000) + 60 }, 'another-secret-of-at-least-32-bytes!!')}` });
    expect(forged.status).toBe(401);
    expect(forged.errorBody).toContain('signature');
    const badResume = await SseTestClient.open(url, { Authorization: `Bearer ${token(T1, 'x')}`, 'Last-Event-ID': 'abc' });
    expect(badResume.status).toBe(400);
    expect(JSON.parse(badResume.errorBody ?? '{}')).toMatchObject({ error: { code: 'invalid_last_event_id', details: [{ field: 'Last-Event-ID' }] } });

    const preflight = await fetch(`${gw.base}/v1/widget/calls/x/recording/stop`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://org42.crm.dynamics.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://org42.crm.dynamics.com');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const allowed = await openStream(T1, 'x', { headers: { Origin: 'https://widget.dialer.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://widget.dialer.example');
    const foreign = await openStream(T1, 'x', { headers: { Origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('loses nothing and repeats nothing when the gateway is killed mid-burst and another takes over', async () => {
    const seller = 'hank@fabrikam.example';
    const n = 1000;
    const events = Array.from({ length: n }, (_, i) => dialerEvent('call.ended', T1, seller, `CA-${run}-k${i}`));
    const before = await openStream(T1, seller);
    const sending = (async () => {
      for (let i = 0; i < n; i += 50) {
        await produce(producer, topics.callEvents, events.slice(i, i + 50).map((e) => ({ key: e.callId, value: encodeDialerCallEvent(e) })), { deadlineMs: 10_000 });
      }
    })();
    await until('a part of the burst at the widget', () => before.events.length >= 100);
    gw.child.kill('SIGKILL');
    await gw.exited;
    await before.waitForEnd();
    await sending;

    gw = await startGateway();
    const after = await openStream(T1, seller, { lastEventId: before.lastEventId! });
    await until(`all ${n} events`, () => before.events.length + after.events.length >= n, 90_000);
    // A late duplicate would be delivered with the rest of the redelivered batch: a sentinel behind it closes the window.
    const sentinel = dialerEvent('call.ended', T1, seller, `CA-${run}-k-sentinel`);
    await postDialer(sentinel);
    await until('the sentinel', () => eventIds(after).includes(sentinel.eventId));
    const got = [...eventIds(before), ...eventIds(after)];
    expect(got).toHaveLength(n + 1);
    expect(new Set(got).size).toBe(n + 1);
    expect(got.filter((id) => id !== sentinel.eventId).sort()).toEqual(events.map((e) => e.eventId).sort());
  }, 120_000);

  it('with WIDGET_DELIVERY=direct writes nothing to the widget-events topic; with =topic goes through it, keyed <tenant>/<seller>, each event once', async () => {
    // Everything so far went straight to the streams: the topic holds only what the tests produced to it themselves.
    expect(widgetTopic.length).toBeGreaterThan(0);
    expect(widgetTopic.map((m) => m.eventId).every((id) => id === callEventId(PARTNER, `direct-${run}`) || id === '(undecodable)')).toBe(true);
    expect(await gw.stop()).toBe(0);
    gw = await startGateway({ WIDGET_DELIVERY: 'topic' });
    const seller = 'ivan@fabrikam.example';
    const ivan = await openStream(T1, seller);
    const started = dialerEvent('call.started', T1, seller, `CA-${run}-topic`);
    const ended = dialerEvent('call.ended', T1, seller, `CA-${run}-topic`);
    await postDialer(started);
    await postDialer(ended);
    await postDialer(ended);
    const sentinel = dialerEvent('call.ended', T1, seller, `CA-${run}-topic-sentinel`);
    await postDialer(sentinel);
    // The dialer event produced twice is two messages on the topic (correlation ran twice); the stream takes it once.
    const mine = [started.eventId, ended.eventId, sentinel.eventId];
    const onTopic = () => widgetTopic.filter((m) => mine.includes(m.eventId));
    await until('the four widget events on their topic', () => onTopic().length >= 4);
    await until('the sentinel at the widget', () => eventIds(ivan).includes(sentinel.eventId) && eventIds(ivan).includes(ended.eventId));
    // The second copy of the call.ended may reach the delivery consumer after the sentinel (another call, maybe another partition upstream).
    await until('the duplicate dropped at delivery', async () => ((await readiness()).checks['delivery']?.['duplicates'] as number) >= 1);
    // The call's own events in order (one partition); the sentinel, another call, may come before or after them.
    expect(eventIds(ivan).filter((id) => id !== sentinel.eventId)).toEqual([started.eventId, ended.eventId]);
    expect(eventIds(ivan).filter((id) => id === sentinel.eventId)).toHaveLength(1);
    expect(onTopic().map((m) => m.eventId).filter((id) => id !== sentinel.eventId)).toEqual([started.eventId, ended.eventId, ended.eventId]);
    expect(onTopic().every((m) => m.key === widgetKey(T1, seller) && m.headers['x-event-id'] === m.eventId)).toBe(true);
    expect((await readiness()).checks['delivery']).toMatchObject({ ok: true, duplicates: 1 });
  });

  it('on SIGTERM ends the event streams and exits 0', async () => {
    const open = await openStream(T1, 'gina@fabrikam.example');
    expect(open.ended).toBe(false);
    const code = await gw.stop();
    await open.waitForEnd();
    expect(code).toBe(0);
    expect(open.comments).toContain('server shutting down: reconnect');
  });

  it('refuses a bad configuration with exit code 78, naming each bad variable', async () => {
    const child = spawn(process.execPath, [join(dist, 'main.js')], {
      cwd: repo,
      env: { PATH: process.env['PATH'] ?? '', REDIS_URL: 'http://wrong', KAFKA_BROKERS: stack.kafkaBrokers.join(','), WIDGET_TOKEN_SECRET: 'short', CORS_ORIGINS: 'not an origin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(78);
    expect(err).toContain('widget-gateway: invalid configuration, 3 bad variables');
    expect(err).toMatch(/REDIS_URL: not a valid URL/);
    expect(err).toMatch(/WIDGET_TOKEN_SECRET: too short/);
    expect(err).not.toContain('"short"');
    expect(err).toMatch(/CORS_ORIGINS: not an origin/);
  });
});
