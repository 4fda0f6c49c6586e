import { kafkaLogCreator } from './kafka-logging';
import { logLevel, type Producer, type ProducerRecord, type RecordMetadata } from 'kafkajs';
import { produce, ProduceDeadlineError } from './kafka-client';

describe('kafkaLogCreator', () => {
  it('maps kafkajs levels to the structured logger, message apart from fields', () => {
    const calls: [string, object, string | undefined][] = [];
    const rec = (lvl: string) => (o: object, m?: string) => void calls.push([lvl, o, m]);
    const log = kafkaLogCreator({ error: rec('error'), warn: rec('warn'), info: rec('info'), debug: rec('debug') })(logLevel.INFO);
    log({ namespace: 'Producer', level: logLevel.ERROR, label: 'ERROR', log: { timestamp: 't', message: 'broker down', broker: 'b:1' } });
    log({ namespace: 'Producer', level: logLevel.DEBUG, label: 'DEBUG', log: { timestamp: 't', message: 'dbg' } });
    expect(calls).toEqual([
      ['error', { kafka: { timestamp: 't', broker: 'b:1' } }, 'broker down'],
      ['debug', { kafka: { timestamp: 't' } }, 'dbg'],
    ]);
  });
});

describe('produce', () => {
  const meta: RecordMetadata[] = [{ topicName: 't', partition: 0, errorCode: 0, baseOffset: '0' }];
  const producerWith = (send: (r: ProducerRecord) => Promise<RecordMetadata[]>) => ({ send }) as unknown as Producer;

  it('always asks for acks from all in-sync replicas', async () => {
    const seen: ProducerRecord[] = [];
    const p = producerWith(async (r) => (seen.push(r), meta));
    await expect(produce(p, 't', [{ key: 'k', value: 'v' }])).resolves.toBe(meta);
    expect(seen[0]).toMatchObject({ topic: 't', acks: -1, messages: [{ key: 'k', value: 'v' }] });
  });

  it('rejects with a retriable deadline error when the broker does not acknowledge in time', async () => {
    const p = producerWith(() => new Promise(() => undefined));
    const err = await produce(p, 'call-events', [{ value: 'v' }], { deadlineMs: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProduceDeadlineError);
    expect(err).toMatchObject({ retriable: true, message: 'no acknowledgement from Kafka for call-events within 30 ms' });
  });

  it('does not leave an unhandled rejection when the send fails after the deadline', async () => {
    let fail: (e: Error) => void = () => undefined;
    const p = producerWith(() => new Promise((_, reject) => (fail = reject)));
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      await expect(produce(p, 't', [{ value: 'v' }], { deadlineMs: 10 })).rejects.toBeInstanceOf(ProduceDeadlineError);
      fail(new Error('late failure'));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});
