import { z } from 'zod';
import { recordingEventsConfig, recordingEventsEnv } from './config';

const parse = (env: Record<string, string>) => {
  const r = z.object(recordingEventsEnv).safeParse(env);
  return r.success ? recordingEventsConfig(r.data) : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('recording events variables', () => {
  it('without KAFKA_BROKERS there is no Kafka (events logged only)', () => {
    expect(parse({})).toEqual({ maxQueue: 10_000, flushDeadlineMs: 5000, controlMaxAgeMs: 300_000 });
  });

  it('with brokers: the contract topics and a group prefix per replica by default', () => {
    expect(parse({ KAFKA_BROKERS: '127.0.0.1:19092' })).toMatchObject({
      kafka: { brokers: ['127.0.0.1:19092'], eventsTopic: 'ci.recording.events.v1', controlTopic: 'ci.recording.control.v1', controlGroupPrefix: 'sip-signaling-recording-control', ensureTopics: true, partitions: 6, replicationFactor: 1 },
    });
  });

  it('names each bad variable', () => {
    expect(parse({ KAFKA_BROKERS: 'kafka', KAFKA_RECORDING_EVENTS_TOPIC: 'bad topic', RECORDING_EVENTS_MAX_QUEUE: '0' })).toEqual([
      'KAFKA_BROKERS.0: not host:port',
      'KAFKA_RECORDING_EVENTS_TOPIC: not a Kafka topic name',
      'RECORDING_EVENTS_MAX_QUEUE: below 1',
    ]);
  });
});
