import { FakeProducer } from '../testing/fakes';
import { ApiError } from './errors';
import { BatchingSender, type OutgoingMessage } from './event-sender';

const msg = (key: string, topic = 't1'): OutgoingMessage => ({ topic, key, value: Buffer.from(key) });
const opts = { deadlineMs: 5000, maxPending: 10, maxBatch: 3, retryAfterSeconds: 2 };
const settled = <T>(p: Promise<T>) => p.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));

describe('BatchingSender', () => {
  let producer: FakeProducer;
  let ready: boolean;
  let sender: BatchingSender;
  beforeEach(() => {
    producer = new FakeProducer();
    ready = true;
    sender = new BatchingSender(producer, opts, () => ready);
  });
  afterEach(() => producer.release());

  it('sends at once when idle, and what queued meanwhile together in the next request (by topic, at most maxBatch)', async () => {
    producer.mode = 'hold';
    const first = sender.send(msg('a'));
    const rest = ['b', 'c', 'd', 'e'].map((k) => sender.send(msg(k, k === 'c' ? 't2' : 't1')));
    expect(producer.batches).toHaveLength(1);
    producer.mode = 'ack';
    producer.release();
    await Promise.all([first, ...rest]);
    expect(producer.batches.map((b) => b.topicMessages!.map((t) => `${t.topic}:${t.messages.map((m) => m.key).join('')}`))).toEqual([['t1:a'], ['t1:bd', 't2:c'], ['t1:e']]);
    expect(producer.batches.every((b) => b.acks === -1)).toBe(true);
    expect(sender.pending).toBe(0);
  });

  it('with a linger, the first message after an idle spell waits for company; a full batch and what queued during a request do not wait', async () => {
    jest.useFakeTimers();
    try {
      const lingering = new BatchingSender(producer, { ...opts, lingerMs: 5 }, () => ready);
      producer.mode = 'hold';
      const a = lingering.send(msg('a'));
      const b = lingering.send(msg('b'));
      expect(producer.batches).toHaveLength(0);
      jest.advanceTimersByTime(4);
      expect(producer.batches).toHaveLength(0);
      jest.advanceTimersByTime(1);
      expect(producer.batches).toHaveLength(1);
      const c = lingering.send(msg('c'));
      producer.mode = 'ack';
      producer.release();
      await Promise.all([a, b]);
      expect(producer.batches).toHaveLength(2); // c went at once when a and b were acknowledged, no linger
      await c;
      const full = ['d', 'e', 'f'].map((k) => lingering.send(msg(k)));
      expect(producer.batches).toHaveLength(3); // maxBatch 3 reached: no linger
      await Promise.all(full);
      expect(producer.batches.map((x) => x.topicMessages!.map((t) => t.messages.map((m) => m.key).join('')).join('|'))).toEqual(['ab', 'c', 'def']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('resolves a send only when its request is acknowledged', async () => {
    producer.mode = 'hold';
    let done = false;
    const p = sender.send(msg('a')).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    expect(sender.pending).toBe(1);
    producer.release();
    await p;
    expect(done).toBe(true);
  });

  it('fails fast with a retriable 503 when Kafka is not connected or too much is waiting', async () => {
    ready = false;
    const e1 = await settled(sender.send(msg('a')));
    expect(e1).toMatchObject({ ok: false, e: { kind: 'unavailable', retryAfterSeconds: 2 } });
    expect(producer.batches).toHaveLength(0);
    ready = true;
    producer.mode = 'hold';
    const waiting = Array.from({ length: 10 }, (_, i) => settled(sender.send(msg(`k${i}`))));
    const over = await settled(sender.send(msg('over')));
    expect(over).toMatchObject({ ok: false, e: { kind: 'unavailable', message: expect.stringContaining('10 messages are waiting for Kafka already') } });
    producer.mode = 'ack';
    producer.release();
    expect((await Promise.all(waiting)).every((r) => r.ok)).toBe(true);
  });

  it('answers 503 at the deadline and never sends a message whose caller already got it', async () => {
    jest.useFakeTimers();
    try {
      producer.mode = 'hold';
      const inFlight = settled(sender.send(msg('a')));
      const queued = settled(sender.send(msg('b')));
      jest.advanceTimersByTime(5000);
      const [a, b] = await Promise.all([inFlight, queued]);
      expect(a).toMatchObject({ ok: false, e: { message: expect.stringContaining('Kafka did not acknowledge within 5000 ms') } });
      expect(b.ok).toBe(false);
      expect((b as { e: unknown }).e).toBeInstanceOf(ApiError);
      expect(sender.pending).toBe(0);
      producer.mode = 'ack';
      producer.release();
      await Promise.resolve();
      await new Promise((r) => jest.requireActual<typeof import('timers')>('timers').setImmediate(r));
      // 'a' was already on the wire; 'b' was still queued and is dropped.
      expect(producer.messages().map((m) => m.key)).toEqual(['a']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('fails every message of a refused request, then goes on with the next', async () => {
    producer.mode = 'fail';
    const r = await settled(sender.send(msg('a')));
    expect(r).toMatchObject({ ok: false, e: { kind: 'unavailable', message: expect.stringContaining('Kafka refused the message (broker down)') } });
    producer.mode = 'ack';
    await expect(sender.send(msg('b'))).resolves.toBeUndefined();
  });

  it('close() refuses new messages and waits for those accepted', async () => {
    producer.mode = 'hold';
    const p = sender.send(msg('a'));
    let closed = false;
    const closing = sender.close().then(() => (closed = true));
    expect(await settled(sender.send(msg('b')))).toMatchObject({ ok: false, e: { message: expect.stringContaining('shutting down') } });
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    producer.release();
    await p;
    await closing;
    expect(closed).toBe(true);
  });
});
