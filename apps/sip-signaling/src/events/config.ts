import { z } from 'zod';
import { envBool, envDurationMs, envInt, envList } from '@ci-connector/platform-config';
import { TOPICS } from '@ci-connector/events';

// Variables of the recording events and control (Kafka), to spread into the
// app's schema in config/config.ts: `z.object({ ...existing, ...recordingEventsEnv })`,
// then `recordingEvents: recordingEventsConfig(e)` in build().

const topic = (def: string) =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'not a Kafka topic name')
    .default(def)
    .describe('a Kafka topic name (letters, digits, . _ -)');

export const recordingEventsEnv = {
  KAFKA_BROKERS: envList(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'not host:port'))
    .optional()
    .describe('a comma-separated list of host:port; unset = recording events are only logged and no control commands are read'),
  KAFKA_RECORDING_EVENTS_TOPIC: topic(TOPICS.recordingEvents),
  KAFKA_RECORDING_CONTROL_TOPIC: topic(TOPICS.recordingControl),
  KAFKA_RECORDING_CONTROL_GROUP_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'not a consumer group prefix')
    .default('sip-signaling-recording-control')
    .describe("prefix of each replica's own consumer group (letters, digits, . _ -)"),
  KAFKA_ENSURE_TOPICS: envBool(true),
  KAFKA_TOPIC_PARTITIONS: envInt({ min: 1, max: 1000, default: 6 }),
  KAFKA_REPLICATION_FACTOR: envInt({ min: 1, max: 10, default: 1 }),
  RECORDING_EVENTS_MAX_QUEUE: envInt({ min: 1, max: 1_000_000, default: 10_000 }).describe('events held while Kafka is slow or away (a whole number); beyond, dropped and counted'),
  RECORDING_EVENTS_FLUSH_DEADLINE: envDurationMs('5s').describe('how long shutdown waits for queued events to reach Kafka (a duration such as 5s)'),
  RECORDING_CONTROL_MAX_AGE: envDurationMs('5m').describe('commands older than this are skipped (a duration; 0 = never)'),
};

export interface RecordingEventsConfig {
  /** Absent: no Kafka (events logged only, no control). */
  kafka?: {
    brokers: string[];
    eventsTopic: string;
    controlTopic: string;
    controlGroupPrefix: string;
    ensureTopics: boolean;
    partitions: number;
    replicationFactor: number;
  };
  maxQueue: number;
  flushDeadlineMs: number;
  controlMaxAgeMs: number;
}

type RecordingEventsEnv = z.output<z.ZodObject<typeof recordingEventsEnv>>;

export function recordingEventsConfig(e: RecordingEventsEnv): RecordingEventsConfig {
  return {
    ...(e.KAFKA_BROKERS
      ? {
          kafka: {
            brokers: e.KAFKA_BROKERS,
            eventsTopic: e.KAFKA_RECORDING_EVENTS_TOPIC,
            controlTopic: e.KAFKA_RECORDING_CONTROL_TOPIC,
            controlGroupPrefix: e.KAFKA_RECORDING_CONTROL_GROUP_PREFIX,
            ensureTopics: e.KAFKA_ENSURE_TOPICS,
            partitions: e.KAFKA_TOPIC_PARTITIONS,
            replicationFactor: e.KAFKA_REPLICATION_FACTOR,
          },
        }
      : {}),
    maxQueue: e.RECORDING_EVENTS_MAX_QUEUE,
    flushDeadlineMs: e.RECORDING_EVENTS_FLUSH_DEADLINE,
    controlMaxAgeMs: e.RECORDING_CONTROL_MAX_AGE,
  };
}
