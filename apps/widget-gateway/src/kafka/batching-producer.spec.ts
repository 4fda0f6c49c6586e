import type { Producer, ProducerBatch } from 'kafkajs';
import { ProduceDeadlineError } from '@ci-connector/platform-kafka';
import { BatchingProducer } from './batching-producer';

function fakeProducer() {
  const requests: ProducerBatch[] = [];
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const producer = {
    sendBatch: (b: ProducerBatch) => {
      requests.push(b);
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    },
  } as unknown as Producer;
  return { producer, requests, pending };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BatchingProducer', () => {
  it('sends what is asked in one turn as one request, what arrives while it is in flight as the next, acks=all, in order', async () => {
    const { producer, requests, pending } = fakeProducer();
    const bp = new BatchingProducer(producer, { deadlineMs: 10_000 });
    const done: string[] = [];
    const a = bp.send('t1', { key: 'a', value: '1' }).then(() => done.push('a'));
    const b = bp.send('t1', { key: 'b', value: '2' }).then(() => done.push('b'));
    await tick();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ acks: -1, topicMessages: [{ topic: 't1', messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] }] });
    const c = bp.send('t2', { key: 'c', value: '3' }).then(() => done.push('c'));
    const d = bp.send('t1', { key: 'd', value: '4' }).then(() => done.push('d'));
    await tick();
    expect(requests).toHaveLength(1);
    pending[0]!.resolve();
    await Promise.all([a, b]);
    await tick();
    expect(requests).toHaveLength(2);
    expect(requests[1]!.topicMessages).toEqual([
      { topic: 't2', messages: [{ key: 'c', value: '3' }] },
      { topic: 't1', messages: [{ key: 'd', value: '4' }] },
    ]);
    expect(done).toEqual(['a', 'b']);
    pending[1]!.resolve();
    await Promise.all([c, d]);
    expect(done).toEqual(['a', 'b', 'c', 'd']);
  });

  it('with a linger, the first message after an idle spell waits for others, then one request carries them', async () => {
    jest.useFakeTimers();
    try {
      const { producer, requests, pending } = fakeProducer();
      const bp = new BatchingProducer(producer, { deadlineMs: 10_000, lingerMs: 5 });
      const a = bp.send('t1', { key: 'a', value: '1' });
      jest.advanceTimersByTime(3);
      const b = bp.send('t1', { key: 'b', value: '2' });
      expect(requests).toHaveLength(0);
      jest.advanceTimersByTime(2);
      expect(requests).toHaveLength(1);
      expect(requests[0]!.topicMessages).toEqual([{ topic: 't1', messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] }]);
      pending[0]!.resolve();
      await Promise.all([a, b]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('rejects every caller of a request the broker failed, and goes on with the next', async () => {
    const { producer, pending, requests } = fakeProducer();
    const bp = new BatchingProducer(producer, { deadlineMs: 10_000 });
    const first = bp.send('t', { value: '1' });
    await tick();
    const second = bp.send('t', { value: '2' });
    pending[0]!.reject(new Error('NOT_LEADER_FOR_PARTITION'));
    await expect(first).rejects.toThrow('NOT_LEADER_FOR_PARTITION');
    await tick();
    expect(requests).toHaveLength(2);
    pending[1]!.resolve();
    await expect(second).resolves.toBeUndefined();
  });

  it('rejects with a retriable deadline error when the broker does not answer in time', async () => {
    const { producer } = fakeProducer();
    const bp = new BatchingProducer(producer, { deadlineMs: 20 });
    const err = await bp.send('ci.widget-events.v1', { value: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProduceDeadlineError);
    expect(err).toMatchObject({ retriable: true });
  });
});
