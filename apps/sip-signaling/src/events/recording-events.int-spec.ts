import { randomBytes } from 'node:crypto';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { decodeRecordingEvent, encodeRecordingControl, type RecordingControlV1, type RecordingEventV1 } from '@ci-connector/events';
import { createIdempotentProducer, createKafka, produce } from '@ci-connector/platform-kafka';
import { createLogger } from '@ci-connector/platform-logging';
import { stackEndpoints, waitFor } from '@ci-connector/platform-testing';
import { ensureRecordingTopics, KafkaRecordingControlSource, KafkaRecordingEventPublisher } from './index';

// Against the real Kafka of deploy/local: topics of this run only (same shape as ci.recording.*.v1).
describe('recording events and control through the real Kafka', () => {
  const { kafkaBrokers } = stackEndpoints();
  const run = randomBytes(4).toString('hex');
  const eventsTopic = `int-spec.recording.events.${run}`;
  const controlTopic = `int-spec.recording.control.${run}`;
  const logger = createLogger({ name: 'recording-events-int', level: 'silent' });
  const kafka = createKafka({ clientId: `recording-int-${run}`, brokers: kafkaBrokers, logger: createLogger({ name: 'kafkajs', level: 'warn' }) });
  const admin = kafka.admin();

  beforeAll(async () => {
    await admin.connect();
    await ensureRecordingTopics(admin, { eventsTopic, controlTopic, partitions: 3, replicationFactor: 1 });
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [eventsTopic, controlTopic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('a published event reaches a fresh consumer, keyed by the call id, as the contract says', async () => {
    const pub = new KafkaRecordingEventPublisher({ producer: createIdempotentProducer(kafka), logger, topic: eventsTopic });
    pub.start();
    const callId = `call-${run}`;
    const started: RecordingEventV1 = { type: 'recording.started', callId, sipCallId: `a-leg-${run}@127.0.0.1`, tenantId: 't1', seller: 'sip:+442079460000@fabrikam.example', recorder: 'sip:SRS@127.0.0.1:15061;transport=tls', at: new Date().toISOString() };
    const stopped: RecordingEventV1 = { ...started, type: 'recording.stopped', reason: 'call ended (BYE from the caller)', at: new Date().toISOString() };
    pub.publish(started);
    pub.publish(stopped);
    await pub.close(10_000);
    expect(pub.stats).toMatchObject({ published: 2, dropped: { overflow: 0, invalid: 0, rejected: 0, shutdown: 0 } });

    const got: KafkaMessage[] = [];
    const consumer: Consumer = kafka.consumer({ groupId: `recording-events-reader-${run}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: eventsTopic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
      await waitFor('both events at the consumer', () => got.length >= 2 || undefined, 30_000, 50);
    } finally {
      await consumer.disconnect();
    }
    expect(got.map((m) => m.key?.toString())).toEqual([callId, callId]);
    expect(got.map((m) => decodeRecordingEvent(m.value))).toEqual([started, stopped]);
  });

  it('a control command reaches the handler of every replica; poison messages are skipped', async () => {
    const replicas = [0, 1].map((i) => new KafkaRecordingControlSource({ kafka, logger, topic: controlTopic, instanceId: `${run}-${i}` }));
    const seen: RecordingControlV1[][] = [[], []];
    replicas.forEach((r, i) => r.onCommand((c) => void seen[i]!.push(c)));
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    try {
      await Promise.all(replicas.map((r) => r.start()));
      await Promise.all(replicas.map((r) => r.ready()));
      const callId = `call-${run}`;
      const pause: RecordingControlV1 = { type: 'recording.control', action: 'pause', callId, tenantId: 't1', requestedBy: 'agent@contoso.example', at: new Date().toISOString() };
      const resume: RecordingControlV1 = { ...pause, action: 'resume', at: new Date().toISOString() };
      await produce(producer, controlTopic, [
        { key: callId, value: encodeRecordingControl(pause) },
        { key: callId, value: Buffer.from('{"type":"recording.control","action":') },
        { key: callId, value: Buffer.from(JSON.stringify({ ...pause, action: 'rewind' })) },
        { key: 'some-other-call', value: encodeRecordingControl(pause) },
        { key: callId, value: encodeRecordingControl(resume) },
      ]);
      await waitFor('both commands at both replicas', () => seen.every((s) => s.length >= 2) || undefined, 30_000, 50);
      for (const [i, r] of replicas.entries()) {
        expect(seen[i]).toEqual([pause, resume]);
        expect(r.stats).toMatchObject({ joined: true, received: 5, handled: 2, skipped: { undecodable: 2, keyMismatch: 1, stale: 0 } });
      }
      expect(replicas[0]!.groupId).not.toBe(replicas[1]!.groupId);
    } finally {
      await producer.disconnect();
      await Promise.all(replicas.map((r) => r.stop()));
    }
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    for (const r of replicas) expect(groups).not.toContain(r.groupId);
  });
});
