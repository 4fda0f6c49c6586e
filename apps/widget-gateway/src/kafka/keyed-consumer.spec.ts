import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { EventDecodeError } from '@ci-connector/events';
import { ProduceDeadlineError } from '@ci-connector/platform-kafka';
import { deadLetterHeaders, type DeadLetter, type DeadLetterSink, type InboundMessage } from './dead-letter';
import { KeyedConsumer, retryDelay } from './keyed-consumer';
import { isTransient, PoisonMessageError } from './processing-errors';

const fakeKafka = { consumer: () => ({ on: () => undefined, events: {} }) } as unknown as Kafka;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function msg(offset: number, key: string | null, value = `v${offset}`): KafkaMessage {
  return { offset: String(offset), key: key === null ? null : Buffer.from(key), value: Buffer.from(value), timestamp: '0', attributes: 0, headers: { h: 'x' } } as KafkaMessage;
}

function payload(messages: KafkaMessage[], running = () => true) {
  const resolved: string[] = [];
  let commits = 0;
  const p = {
    batch: { topic: 'ci.call-events.v1', partition: 2, messages },
    resolveOffset: (o: string) => void resolved.push(o),
    heartbeat: () => Promise.resolve(),
    isRunning: running,
    isStale: () => false,
    commitOffsetsIfNecessary: () => {
      commits++;
      return Promise.resolve();
    },
  } as unknown as Pick<EachBatchPayload, 'batch' | 'resolveOffset' | 'heartbeat' | 'isRunning' | 'isStale' | 'commitOffsetsIfNecessary'>;
  return { p, resolved, commits: () => commits };
}

class Letters implements DeadLetterSink {
  readonly sent: DeadLetter[] = [];
  failures: Error[] = [];
  send(letter: DeadLetter): Promise<void> {
    const f = this.failures.shift();
    if (f) return Promise.reject(f);
    this.sent.push(letter);
    return Promise.resolve();
  }
}

function consumer(handle: (m: InboundMessage) => Promise<void>, letters = new Letters(), maxAttempts = 3) {
  const c = new KeyedConsumer({ kafka: fakeKafka, groupId: 'widget-gateway.correlation', topics: ['ci.call-events.v1'], handle, deadLetters: letters, maxAttempts, backoffMaxMs: 100, logger: silent, sleep: () => Promise.resolve() });
  return { c, letters };
}

const gate = () => {
  let open: () => void = () => undefined;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
};

describe('KeyedConsumer', () => {
  it('keeps each key in order while another key waiting does not hold it up, and resolves offsets only up to the first unfinished', async () => {
    const order: string[] = [];
    const slow = gate();
    const { c } = consumer(async (m) => {
      if (m.value?.toString() === 'v0') await slow.p;
      order.push(`${m.key?.toString()}:${m.offset}`);
    });
    const { p, resolved, commits } = payload([msg(0, 'A'), msg(1, 'B'), msg(2, 'A'), msg(3, 'B')]);
    const running = c.processBatch(p);
    await new Promise((r) => setTimeout(r, 10));
    // Key B went on while A's first message waits; nothing is resolved past A's offset 0.
    expect(order).toEqual(['B:1', 'B:3']);
    expect(resolved).toEqual([]);
    slow.open();
    await running;
    expect(order).toEqual(['B:1', 'B:3', 'A:0', 'A:2']);
    expect(resolved).toEqual(['0', '1', '2', '3']);
    expect(commits()).toBe(1);
    expect(c.stats).toMatchObject({ processed: 4, deadLettered: 0 });
  });

  it('sends a poison message to the dead letters at once, with its origin, and goes on', async () => {
    const seen: string[] = [];
    const { c, letters } = consumer(async (m) => {
      if (m.offset === '5') throw new EventDecodeError('ci.call-events.v1', 'not JSON (Unexpected token)');
      seen.push(m.offset);
    });
    const { p, resolved } = payload([msg(5, 'k'), msg(6, 'k')]);
    await c.processBatch(p);
    expect(seen).toEqual(['6']);
    expect(resolved).toEqual(['5', '6']);
    expect(letters.sent).toHaveLength(1);
    const letter = letters.sent[0]!;
    expect(letter).toMatchObject({ consumer: 'widget-gateway.correlation', attempts: 1, error: 'ci.call-events.v1: undecodable message: not JSON (Unexpected token)' });
    expect(letter.message).toMatchObject({ topic: 'ci.call-events.v1', partition: 2, offset: '5', key: Buffer.from('k'), value: Buffer.from('v5') });
    expect(deadLetterHeaders(letter)).toEqual({
      h: 'x',
      'x-source-topic': 'ci.call-events.v1',
      'x-source-partition': '2',
      'x-source-offset': '5',
      'x-error': 'ci.call-events.v1: undecodable message: not JSON (Unexpected token)',
      'x-consumer': 'widget-gateway.correlation',
      'x-attempts': '1',
    });
  });

  it('retries a failing message up to maxAttempts, then dead-letters it', async () => {
    let calls = 0;
    const { c, letters } = consumer(async () => {
      calls++;
      throw new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    });
    const { p, resolved } = payload([msg(9, 'k')]);
    await c.processBatch(p);
    expect(calls).toBe(3);
    expect(letters.sent.map((l) => [l.attempts, l.error])).toEqual([[3, 'WRONGTYPE Operation against a key holding the wrong kind of value']]);
    expect(resolved).toEqual(['9']);
    expect(c.stats).toMatchObject({ retries: 2, deadLettered: 1 });
  });

  it('waits out a Redis or Kafka outage without using up attempts: nothing goes to the dead letters', async () => {
    let calls = 0;
    const { c, letters } = consumer(async () => {
      calls++;
      if (calls <= 10) throw calls % 2 ? new Error('Connection is closed.') : new ProduceDeadlineError('ci.widget-events.v1', 10_000);
    });
    const { p, resolved } = payload([msg(1, 'k')]);
    await c.processBatch(p);
    expect(calls).toBe(11);
    expect(letters.sent).toEqual([]);
    expect(resolved).toEqual(['1']);
    expect(c.stats.waitingOnOutage).toBe(0);
  });

  it('leaves a message unresolved when the consumer stops while it waits (it is redelivered)', async () => {
    let running = true;
    const { c } = consumer(async () => {
      running = false;
      throw new Error('Connection is closed.');
    });
    const { p, resolved, commits } = payload([msg(1, 'k'), msg(2, 'j')], () => running);
    await c.processBatch(p);
    expect(resolved).toEqual([]);
    expect(commits()).toBe(0);
  });

  it('retries the dead-letter topic while Kafka is away, and never stops the partition on a letter it cannot write', async () => {
    const letters = new Letters();
    letters.failures = [new ProduceDeadlineError('dlq', 10), new Error('MESSAGE_TOO_LARGE'), new Error('MESSAGE_TOO_LARGE'), new Error('MESSAGE_TOO_LARGE')];
    const { c } = consumer(() => Promise.reject(new PoisonMessageError('bad key')), letters);
    const { p, resolved } = payload([msg(3, 'k')]);
    await c.processBatch(p);
    expect(resolved).toEqual(['3']);
    expect(letters.sent).toEqual([]);
  });
});

describe('errors and back-off', () => {
  it('tells outages from bad messages', () => {
    expect(isTransient(new ProduceDeadlineError('t', 1))).toBe(true);
    expect(isTransient(new Error('Connection is closed.'))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { retriable: true }))).toBe(true);
    expect(isTransient(new Error('WRONGTYPE Operation'))).toBe(false);
    expect(isTransient(new PoisonMessageError('x'))).toBe(false);
  });

  it('backs off exponentially with jitter up to the maximum', () => {
    expect([1, 2, 3, 10].map((a) => retryDelay(a, 1000, () => 1))).toEqual([100, 200, 400, 1000]);
    expect(retryDelay(1, 1000, () => 0)).toBe(50);
  });
});
