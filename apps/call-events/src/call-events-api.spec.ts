import { callEventId, decodeDialerCallEvent, decodeRecordingControl, verifyWidgetToken } from '@ci-connector/events';
import { SECRET, startTestApp, TOPICS, type TestApp } from './testing/test-app';
import { callEventsGrpcClient } from './testing/grpc-client';

const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const UNKNOWN = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
const KEY_A = 'cic_partner-a';
const KEY_ALL = 'cic_partner-all';

const started = (over: Record<string, unknown> = {}) => ({
  tenantId: A,
  sellerId: 'seller-1@contoso.example',
  startTime: '2026-11-29T10:00:00Z',
  isIncomingCall: true,
  contactNumber: '+442079460000',
  contactName: 'Ada Customer',
  ...over,
});
const ended = (over: Record<string, unknown> = {}) => ({
  tenantId: A,
  sellerId: 'seller-1@contoso.example',
  callDurationInSeconds: 42,
  callTerminationReason: 'success',
  callEndTime: '2026-11-29T10:00:42+01:00',
  isCallStarted: true,
  ...over,
});

describe('call-events API (unit: fakes at our interfaces, the real sender)', () => {
  let t: TestApp;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const h: Record<string, string> = { 'content-type': 'application/json', ...headers };
    const r = await fetch(`${t.url}${path}`, { method: 'POST', headers: h, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : undefined };
  };
  const auth = (key: string, idem?: string) => ({ authorization: `Bearer ${key}`, ...(idem ? { 'idempotency-key': idem } : {}) });

  beforeEach(async () => {
    t = await startTestApp();
    t.keys.add(KEY_A, 'partner-a', [A]);
    t.keys.add(KEY_ALL, 'partner-all', '*');
    t.tenants.known.add(A);
    t.tenants.known.add(B);
  });
  afterEach(() => t.close());

  describe('REST ingest', () => {
    it('answers 202 with the event id of (partner, idempotency key), and the topic holds the contract message keyed by call id', async () => {
      const r = await post('/v1/calls/CA-1001/started', started({ sipCallId: 'a84b4c76e66710@pc33.carrier.example' }), auth(KEY_A, 'idem-1'));
      expect(r.status).toBe(202);
      expect(r.body).toEqual({ eventId: callEventId('partner-a', 'idem-1') });
      const [m] = t.producer.messages();
      expect(m).toMatchObject({ topic: TOPICS.callEvents, key: 'CA-1001' });
      expect(decodeDialerCallEvent(m!.value)).toEqual({
        type: 'call.started',
        eventId: r.body.eventId,
        idempotencyKey: 'idem-1',
        partnerId: 'partner-a',
        tenantId: A,
        sellerId: 'seller-1@contoso.example',
        callId: 'CA-1001',
        sipCallId: 'a84b4c76e66710@pc33.carrier.example',
        started: { startTime: '2026-11-29T10:00:00Z', isIncomingCall: true, contactNumber: '+442079460000', contactName: 'Ada Customer' },
        receivedAt: expect.any(String),
      });
      // Every produce request asks for acknowledgement by all in-sync replicas.
      expect(t.producer.batches.every((b) => b.acks === -1)).toBe(true);
    });

    it('takes call ended with its fields, a URL-encoded call id, and the same id again for the same idempotency key', async () => {
      const first = await post(`/v1/calls/${encodeURIComponent('a84b/4c76@pc33')}/ended`, ended({ callDurationInSeconds: 0, isCallStarted: false, callTerminationReason: 'error' }), auth(KEY_A, 'idem-2'));
      const again = await post(`/v1/calls/${encodeURIComponent('a84b/4c76@pc33')}/ended`, ended({ callDurationInSeconds: 0, isCallStarted: false, callTerminationReason: 'error' }), auth(KEY_A, 'idem-2'));
      expect([first.status, again.status]).toEqual([202, 202]);
      expect(again.body.eventId).toBe(first.body.eventId);
      const msgs = t.producer.messages().map((m) => ({ key: m.key, event: decodeDialerCallEvent(m.value) }));
      expect(msgs).toHaveLength(2);
      expect(msgs[0]).toMatchObject({ key: 'a84b/4c76@pc33', event: { type: 'call.ended', callId: 'a84b/4c76@pc33', ended: { callDurationInSeconds: 0, callTerminationReason: 'error', callEndTime: '2026-11-29T10:00:42+01:00', isCallStarted: false } } });
      expect(msgs[0]!.event.started).toBeUndefined();
    });

    it('publishes the tenant id in lowercase whatever case the partner used', async () => {
      const r = await post('/v1/calls/CA-1/started', started({ tenantId: A.toUpperCase() }), auth(KEY_A, 'k'));
      expect(r.status).toBe(202);
      expect(decodeDialerCallEvent(t.producer.messages()[0]!.value).tenantId).toBe(A);
    });
  });

  describe('validation: every bad field named in one 400', () => {
    it('names each missing, mistyped and unknown field, the Idempotency-Key header and the call id', async () => {
      const r = await post(
        `/v1/calls/${encodeURIComponent('has space')}/started`,
        { tenantId: A, sellerId: '', startTime: '2026-11-29 10:00', isIncomingCall: 'yes', contactNumber: 12, extra: 1 },
        auth(KEY_A),
      );
      expect(r.status).toBe(400);
      const byField = Object.fromEntries((r.body.problems as Array<{ field: string; message: string }>).map((p) => [p.field, p.message]));
      expect(byField).toEqual({
        callId: 'only visible ASCII characters (no spaces or control characters)',
        'Idempotency-Key': 'required',
        sellerId: 'must not be empty',
        startTime: expect.stringContaining('not an ISO 8601 date-time with an offset'),
        isIncomingCall: 'must be true or false',
        contactNumber: 'must be a string',
        contactName: 'required',
        extra: 'not a known field',
      });
      expect(r.body.error).toMatch(/^invalid request: /);
      expect(t.producer.batches).toHaveLength(0);
    });

    it('answers 400, not 500, to a call id that is not valid percent-encoding or is too long', async () => {
      const bad = await post('/v1/calls/%E0%A4%A/started', started(), auth(KEY_A, 'k'));
      const long = await post(`/v1/calls/${'x'.repeat(300)}/started`, started(), auth(KEY_A, 'k'));
      expect([bad.status, bad.body]).toEqual([400, { error: expect.any(String), problems: expect.any(Array) }]);
      expect(long.body.problems).toEqual([{ field: 'callId', message: 'longer than 256 characters' }]);
    });

    it('checks the call ended fields: reason, negative duration, a time without offset', async () => {
      const r = await post('/v1/calls/CA-1/ended', ended({ callTerminationReason: 'hangup', callDurationInSeconds: -1, callEndTime: '2026-11-29T10:00:42' }), auth(KEY_A, 'k'));
      expect(r.status).toBe(400);
      expect(r.body.problems.map((p: { field: string }) => p.field).sort()).toEqual(['callDurationInSeconds', 'callEndTime', 'callTerminationReason']);
    });

    it('answers 400 to malformed JSON or a body that is not an object, 415 to another content type, 413 over the limit', async () => {
      const bad = await post('/v1/calls/CA-1/started', '{"tenantId": ', auth(KEY_A, 'k'));
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ error: expect.stringContaining('not valid JSON'), problems: [] });
      const arr = await post('/v1/calls/CA-1/started', [1, 2], auth(KEY_A, 'k'));
      expect(arr.status).toBe(400);
      expect(arr.body.problems).toEqual([{ field: '(body)', message: 'must be a JSON object' }]);
      const text = await fetch(`${t.url}/v1/calls/CA-1/started`, { method: 'POST', headers: { ...auth(KEY_A, 'k'), 'content-type': 'text/plain' }, body: 'hello' });
      expect(text.status).toBe(415);
      const big = await post('/v1/calls/CA-1/started', started({ contactName: 'x'.repeat(17 * 1024) }), auth(KEY_A, 'k'));
      expect(big.status).toBe(413);
      expect(big.body.error).toMatch(/larger than 16384 bytes/);
      expect(t.producer.batches).toHaveLength(0);
    });
  });

  describe('authentication and tenant scope', () => {
    it('answers 401 without a key or with an unknown one, with WWW-Authenticate', async () => {
      const none = await post('/v1/calls/CA-1/started', started(), { 'idempotency-key': 'k' });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(none.body.error).toMatch(/Authorization: Bearer/);
      expect((await post('/v1/calls/CA-1/started', started(), auth('cic_nope', 'k'))).status).toBe(401);
      expect((await post('/v1/widget-tokens', { tenantId: A, sellerId: 's' }, { 'idempotency-key': 'k' })).status).toBe(401);
      expect(t.producer.batches).toHaveLength(0);
    });

    it('answers 403 for a tenant outside the key scope, and for an unknown tenant even with an all-tenants key', async () => {
      const other = await post('/v1/calls/CA-1/started', started({ tenantId: B }), auth(KEY_A, 'k'));
      expect(other.status).toBe(403);
      expect(other.body).toEqual({ error: `tenant ${B} is not one of the tenants of partner partner-a`, problems: [{ field: 'tenantId', message: 'not one of your tenants' }] });
      const unknown = await post('/v1/calls/CA-1/started', started({ tenantId: UNKNOWN }), auth(KEY_ALL, 'k'));
      expect(unknown.status).toBe(403);
      expect(unknown.body.error).toMatch(/unknown tenant/);
      // A scoped key is not told whether another partner's tenant exists.
      expect((await post('/v1/calls/CA-1/started', started({ tenantId: UNKNOWN }), auth(KEY_A, 'k'))).body.error).toMatch(/not one of the tenants/);
      expect((await post('/v1/calls/CA-1/recording/stop', { tenantId: B }, auth(KEY_A))).status).toBe(403);
      expect((await post('/v1/widget-tokens', { tenantId: B, sellerId: 's' }, auth(KEY_A))).status).toBe(403);
      expect((await post('/v1/calls/CA-1/started', started({ tenantId: B }), auth(KEY_ALL, 'k'))).status).toBe(202);
      expect(t.producer.messages()).toHaveLength(1);
    });

    it('answers 503 when Redis cannot check the key or the tenant', async () => {
      t.tenants.failing = true;
      const r = await post('/v1/calls/CA-1/started', started(), auth(KEY_A, 'k'));
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      t.keys.failing = true;
      expect((await post('/v1/calls/CA-1/started', started(), auth(KEY_A, 'k'))).status).toBe(503);
    });

    it('leaves health and the docs open', async () => {
      expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
      const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { paths: Record<string, { post: { parameters: unknown[] } }>; components: { schemas: Record<string, { required: string[] }> } };
      expect(Object.keys(doc.paths).sort()).toEqual(['/health/live', '/health/ready', '/v1/calls/{callId}/ended', '/v1/calls/{callId}/recording/{action}', '/v1/calls/{callId}/started', '/v1/widget-tokens']);
      expect(doc.components.schemas['CallStarted']!.required.sort()).toEqual(['contactName', 'contactNumber', 'isIncomingCall', 'sellerId', 'startTime', 'tenantId']);
      expect(doc.paths['/v1/calls/{callId}/started']!.post.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }));
    });
  });

  describe('Kafka', () => {
    it('answers 503 with Retry-After, not 202, when Kafka is not connected or refuses the event', async () => {
      t.kafka.ready = false;
      const down = await post('/v1/calls/CA-1/started', started(), auth(KEY_A, 'k'));
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('3');
      expect(down.body.error).toMatch(/Kafka is not reachable: not accepted; retry later/);
      t.kafka.ready = true;
      t.producer.mode = 'fail';
      const refused = await post('/v1/calls/CA-1/started', started(), auth(KEY_A, 'k'));
      expect(refused.status).toBe(503);
      expect(refused.body.error).toMatch(/Kafka refused the message \(broker down\)/);
    });

    it('does not answer before the broker acknowledged', async () => {
      t.producer.mode = 'hold';
      let answered = false;
      const pending = post('/v1/calls/CA-1/started', started(), auth(KEY_A, 'k')).then((r) => ((answered = true), r));
      while (t.producer.batches.length === 0) await new Promise((r) => setTimeout(r, 5));
      expect(answered).toBe(false);
      t.producer.release();
      expect((await pending).status).toBe(202);
    });
  });

  describe('recording control and widget tokens', () => {
    it('publishes a recording command for the call, with the tenant and who asked', async () => {
      const r = await post('/v1/calls/CA-7/recording/pause', { tenantId: A, sellerId: 'seller-1' }, auth(KEY_A));
      expect(r.status).toBe(202);
      expect(r.body).toEqual({ callId: 'CA-7', action: 'pause', at: expect.any(String) });
      const [m] = t.producer.messages();
      expect(m).toMatchObject({ topic: TOPICS.recordingControl, key: 'CA-7' });
      expect(decodeRecordingControl(m!.value)).toEqual({ type: 'recording.control', action: 'pause', callId: 'CA-7', tenantId: A, requestedBy: 'partner:partner-a seller:seller-1', at: r.body.at });
      const bad = await post('/v1/calls/CA-7/recording/rewind', { tenantId: A, reason: 'x' }, auth(KEY_A));
      expect(bad.status).toBe(400);
      expect(bad.body.problems).toEqual([
        { field: 'action', message: 'must be one of start, stop, pause, resume' },
        { field: 'reason', message: 'not a known field' },
      ]);
    });

    it('issues a widget token that verifies with the shared secret, for the tenant, seller and partner', async () => {
      const before = Math.floor(Date.now() / 1000);
      const r = await post('/v1/widget-tokens', { tenantId: A.toUpperCase(), sellerId: 'seller-1', ttlSeconds: 600 }, auth(KEY_A));
      expect(r.status).toBe(201);
      const claims = verifyWidgetToken(r.body.token, SECRET);
      expect(claims).toEqual({ tid: A, sub: 'seller-1', pid: 'partner-a', exp: expect.any(Number) });
      expect(claims.exp - before).toBeGreaterThanOrEqual(600);
      expect(claims.exp - before).toBeLessThanOrEqual(601);
      expect(r.body).toEqual({ token: r.body.token, tenantId: A, sellerId: 'seller-1', expiresAt: new Date(claims.exp * 1000).toISOString() });
      expect(() => verifyWidgetToken(r.body.token, 'another-secret-of-at-least-32-bytes!!')).toThrow(/signature/);
      const long = await post('/v1/widget-tokens', { tenantId: A, sellerId: 'seller-1', ttlSeconds: 99999 }, auth(KEY_A));
      expect(long.body.problems).toEqual([{ field: 'ttlSeconds', message: 'at most 7200 seconds' }]);
      const dflt = await post('/v1/widget-tokens', { tenantId: A, sellerId: 'seller-1' }, auth(KEY_A));
      expect(verifyWidgetToken(dflt.body.token, SECRET).exp - before).toBeGreaterThanOrEqual(3600);
    });
  });

  describe('gRPC', () => {
    let grpc: ReturnType<typeof callEventsGrpcClient>;
    beforeEach(() => {
      grpc = callEventsGrpcClient(t.grpcAddress);
    });
    afterEach(() => grpc.close());

    it('takes CallStarted and CallEnded like REST, false and 0 included', async () => {
      const s = await grpc.call('CallStarted', { idempotencyKey: 'g-1', callId: 'CA-9', ...started({ isIncomingCall: false, contactName: '' }) }, KEY_A);
      const e = await grpc.call('CallEnded', { idempotencyKey: 'g-2', callId: 'CA-9', ...ended({ callDurationInSeconds: 0, isCallStarted: false }) }, KEY_A);
      expect(s).toEqual({ ok: true, value: { eventId: callEventId('partner-a', 'g-1') } });
      expect(e).toEqual({ ok: true, value: { eventId: callEventId('partner-a', 'g-2') } });
      const [m1, m2] = t.producer.messages().map((m) => decodeDialerCallEvent(m.value));
      expect(m1!.started).toEqual({ startTime: '2026-11-29T10:00:00Z', isIncomingCall: false, contactNumber: '+442079460000', contactName: '' });
      expect(m2!.ended).toEqual({ callDurationInSeconds: 0, callTerminationReason: 'success', callEndTime: '2026-11-29T10:00:42+01:00', isCallStarted: false });
    });

    it('maps errors to status codes with the field violations', async () => {
      const invalid = await grpc.call('CallStarted', { callId: 'CA-9', tenantId: A, sellerId: 's', startTime: 'yesterday' }, KEY_A);
      expect(invalid).toMatchObject({ ok: false, code: 3 });
      const fields = (invalid as { violations: Array<{ field: string }> }).violations.map((v) => v.field).sort();
      expect(fields).toEqual(['contactName', 'contactNumber', 'idempotencyKey', 'isIncomingCall', 'startTime']);
      expect(await grpc.call('CallStarted', { idempotencyKey: 'g', callId: 'CA-9', ...started() })).toMatchObject({ ok: false, code: 16 });
      expect(await grpc.call('CallStarted', { idempotencyKey: 'g', callId: 'CA-9', ...started({ tenantId: B }) }, KEY_A)).toMatchObject({ ok: false, code: 7 });
      t.kafka.ready = false;
      expect(await grpc.call('CallStarted', { idempotencyKey: 'g', callId: 'CA-9', ...started() }, KEY_A)).toMatchObject({ ok: false, code: 14, retryAfter: '3' });
    });

    it('controls the recording and issues widget tokens', async () => {
      expect(await grpc.call('ControlRecording', { callId: 'CA-9', action: 'stop', tenantId: A }, KEY_A)).toMatchObject({ ok: true, value: { callId: 'CA-9', action: 'stop' } });
      expect(decodeRecordingControl(t.producer.messages()[0]!.value)).toMatchObject({ action: 'stop', callId: 'CA-9', tenantId: A, requestedBy: 'partner:partner-a' });
      const tok = await grpc.call('CreateWidgetToken', { tenantId: A, sellerId: 'seller-2', ttlSeconds: 120 }, KEY_A);
      expect(tok.ok).toBe(true);
      expect(verifyWidgetToken((tok as { value: { token: string } }).value.token, SECRET)).toMatchObject({ tid: A, sub: 'seller-2', pid: 'partner-a' });
    });
  });
});
