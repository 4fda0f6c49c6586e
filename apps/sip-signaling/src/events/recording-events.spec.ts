import type { ProducerRecord, RecordMetadata } from 'kafkajs';
import { decodeRecordingEvent, type RecordingEventV1 } from '@ci-connector/events';
import { waitFor } from '@ci-connector/platform-testing';
import { KafkaRecordingEventPublisher, type EventsProducer } from './recording-events';

const event = (n: number, over: Partial<RecordingEventV1> = {}): RecordingEventV1 => ({
  type: 'recording.started',
  callId: `call-${n}`,
  sipCallId: `${n}@127.0.0.1`,
  tenantId: 't1',
  seller: 'sip:+442079460000@fabrikam.example',
  recorder: 'sip:SRS@127.0.0.1:15061;transport=tls',
  at: '2026-11-29T20:00:00.000Z',
  ...over,
});

/** A producer double: sends resolve, reject, or hang as the test says; every record kept. */
class FakeProducer implements EventsProducer {
  sent: ProducerRecord[] = [];
  connects = 0;
  disconnected = false;
  connectFails = 0;
  mode: 'ack' | 'hang' | 'reject' = 'ack';
  private hung: (() => void)[] = [];
  async connect() {
    this.connects++;
    if (this.connectFails > 0) {
      this.connectFails--;
      throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:19092');
    }
  }
  async disconnect() {
    this.disconnected = true;
  }
  send = (r: ProducerRecord): Promise<RecordMetadata[]> => {
    this.sent.push(r);
    if (this.mode === 'reject') return Promise.reject(new Error('This server does not host this topic-partition'));
    if (this.mode === 'hang') return new Promise((resolve) => this.hung.push(() => resolve([])));
    return Promise.resolve([{ topicName: r.topic, partition: 0, errorCode: 0 }]);
  };
  releaseHung() {
    const h = this.hung;
    this.hung = [];
    h.forEach((f) => f());
  }
  get messages() {
    return this.sent.flatMap((r) => r.messages);
  }
}

const logs = () => {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const rec = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, logger: { info: rec('info'), warn: rec('warn'), error: rec('error') } };
};

describe('KafkaRecordingEventPublisher', () => {
  it('sends each event to ci.recording.events.v1 keyed by call id, acks from all replicas, as the contract JSON', async () => {
    const producer = new FakeProducer();
    const { logger } = logs();
    const pub = new KafkaRecordingEventPublisher({ producer, logger });
    pub.start();
    pub.publish(event(1));
    pub.publish(event(2, { type: 'recording.failed', recorder: undefined, reason: '503 Service Unavailable: no other recorder to try' }));
    await waitFor('two events acknowledged', () => pub.stats.published === 2 || undefined, 2000, 5);
    expect(producer.sent.every((r) => r.topic === 'ci.recording.events.v1' && r.acks === -1)).toBe(true);
    expect(producer.messages.map((m) => m.key)).toEqual(['call-1', 'call-2']);
    expect(decodeRecordingEvent(producer.messages[1]!.value as Buffer)).toEqual({ ...event(2, { type: 'recording.failed', reason: '503 Service Unavailable: no other recorder to try' }), recorder: undefined });
    await pub.close(1000);
    expect(producer.disconnected).toBe(true);
  });

  it('never throws at the caller: an invalid event is dropped, counted and logged', () => {
    const { logger, lines } = logs();
    const pub = new KafkaRecordingEventPublisher({ producer: new FakeProducer(), logger });
    expect(() => pub.publish(event(1, { callId: '' }))).not.toThrow();
    expect(() => pub.publish(null as unknown as RecordingEventV1)).not.toThrow();
    expect(pub.stats.dropped.invalid).toBe(2);
    expect(pub.stats.queued).toBe(0);
    expect(lines.filter((l) => l.msg === 'invalid recording event: dropped')).toHaveLength(2);
  });

  it('Kafka down at start: events wait in the bounded queue, the overflow is dropped with a counter and one log line, the rest go once Kafka is back', async () => {
    const producer = new FakeProducer();
    producer.connectFails = 2;
    const { logger, lines } = logs();
    const pub = new KafkaRecordingEventPublisher({ producer, logger, maxQueue: 3, reconnectDelayMs: 5, dropLogEveryMs: 60_000 });
    pub.start();
    for (let i = 1; i <= 5; i++) pub.publish(event(i));
    expect(pub.stats).toMatchObject({ connected: false, queued: 3, dropped: { overflow: 2 } });
    expect(lines.filter((l) => /queue full/.test(l.msg ?? ''))).toHaveLength(1);
    await waitFor('the queue sent after reconnecting', () => pub.stats.published === 3 || undefined, 2000, 5);
    expect(producer.connects).toBe(3);
    expect(producer.messages.map((m) => m.key)).toEqual(['call-1', 'call-2', 'call-3']);
    expect(lines.filter((l) => /kafka not reachable/.test(l.msg ?? ''))).toHaveLength(2);
    await pub.close(100);
  });

  it('a send Kafka does not acknowledge is never abandoned and sent again: one send at a time, the queue stays bounded behind it', async () => {
    const producer = new FakeProducer();
    producer.mode = 'hang';
    const { logger } = logs();
    const pub = new KafkaRecordingEventPublisher({ producer, logger, maxQueue: 2, batchSize: 1 });
    pub.start();
    pub.publish(event(1));
    await waitFor('the first send in flight', () => pub.stats.inFlight === 1 || undefined, 2000, 5);
    for (let i = 2; i <= 10; i++) pub.publish(event(i));
    expect(producer.sent).toHaveLength(1);
    expect(pub.stats).toMatchObject({ queued: 2, inFlight: 1, dropped: { overflow: 7 } });
    producer.mode = 'ack';
    producer.releaseHung();
    await waitFor('everything queued sent', () => pub.stats.published === 3 || undefined, 2000, 5);
    expect(producer.messages.map((m) => m.key)).toEqual(['call-1', 'call-2', 'call-3']);
    await pub.close(100);
  });

  it('a batch Kafka refuses for good is dropped and counted; later events still go', async () => {
    const producer = new FakeProducer();
    producer.mode = 'reject';
    const { logger, lines } = logs();
    const pub = new KafkaRecordingEventPublisher({ producer, logger });
    pub.start();
    pub.publish(event(1));
    await waitFor('the refusal', () => pub.stats.dropped.rejected === 1 || undefined, 2000, 5);
    expect(lines.find((l) => l.level === 'error')?.msg).toBe('recording events refused by kafka: dropped');
    producer.mode = 'ack';
    pub.publish(event(2));
    await waitFor('the next event sent', () => pub.stats.published === 1 || undefined, 2000, 5);
    await pub.close(100);
  });

  it('close flushes what is queued; past its deadline the rest is counted as dropped; later events are dropped', async () => {
    const producer = new FakeProducer();
    const { logger, lines } = logs();
    const pub = new KafkaRecordingEventPublisher({ producer, logger, batchSize: 2 });
    pub.start();
    await waitFor('connected', () => pub.stats.connected || undefined, 2000, 5);
    for (let i = 1; i <= 5; i++) pub.publish(event(i));
    await pub.close(2000);
    expect(pub.stats).toMatchObject({ published: 5, queued: 0, dropped: { shutdown: 0 } });
    pub.publish(event(6));
    expect(pub.stats.dropped.closed).toBe(1);

    const stuck = new FakeProducer();
    stuck.mode = 'hang';
    const pub2 = new KafkaRecordingEventPublisher({ producer: stuck, logger, batchSize: 2 });
    pub2.start();
    await waitFor('connected', () => pub2.stats.connected || undefined, 2000, 5);
    for (let i = 1; i <= 5; i++) pub2.publish(event(i));
    await pub2.close(20);
    expect(pub2.stats.dropped.shutdown).toBe(5);
    expect(stuck.disconnected).toBe(true);
    expect(lines.some((l) => /not acknowledged by Kafka at shutdown/.test(l.msg ?? ''))).toBe(true);
  });

  it('refuses a nonsensical queue size', () => {
    expect(() => new KafkaRecordingEventPublisher({ producer: new FakeProducer(), logger: logs().logger, maxQueue: 0 })).toThrow(/maxQueue must be an integer ≥ 1, got 0/);
  });
});
