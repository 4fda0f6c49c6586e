import type { Admin } from 'kafkajs';
import { ensureTopics } from '@ci-connector/platform-kafka';

export { KafkaRecordingEventPublisher, LoggingRecordingEventPublisher, type RecordingEventPublisher, type RecordingEventPublisherStats, type KafkaRecordingEventPublisherOptions, type EventsLogger, type EventsProducer } from './recording-events';
export { KafkaRecordingControlSource, type RecordingControlSource, type RecordingControlHandler, type RecordingControlStats, type KafkaRecordingControlSourceOptions } from './recording-control';
export { recordingEventsEnv, recordingEventsConfig, type RecordingEventsConfig } from './config';

/** Creates the two recording topics when missing (keyed by call id; ordinary retention, not compacted). */
export async function ensureRecordingTopics(admin: Admin, o: { eventsTopic: string; controlTopic: string; partitions: number; replicationFactor: number }): Promise<void> {
  await ensureTopics(admin, [
    { topic: o.eventsTopic, numPartitions: o.partitions, replicationFactor: o.replicationFactor },
    { topic: o.controlTopic, numPartitions: o.partitions, replicationFactor: o.replicationFactor },
  ]);
}
