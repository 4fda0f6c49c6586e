import type { Consumer, Kafka } from 'kafkajs';
import { EventDecodeError, TOPICS, decodeRecordingPolicyUpdated } from '@ci-connector/events';
import { createLogger, type Logger } from '@ci-connector/platform-logging';
import type { RecordingPolicy } from './api';

export interface PolicyUpdatesOptions {
  /**
   * Consumer group. Every process that caches answers must see every event, so
   * give each process its own group (e.g. `sip-signaling-${hostname}`), not one
   * shared by the replicas.
   */
  groupId: string;
  /** Default `TOPICS.policyUpdated` (`ci.recording-policy.updated.v1`); tests use their own. */
  topic?: string;
  /** Default false: a cache starts empty, so past events do not matter. */
  fromBeginning?: boolean;
  logger?: Pick<Logger, 'warn' | 'info'>;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export interface PolicyUpdatesSubscription {
  readonly consumer: Consumer;
  /** Disconnects the consumer (leaves the group). */
  stop(): Promise<void>;
}

/**
 * Follows `recording-policy.updated` and drops the tenant's cached answers on each
 * event. Messages that do not decode are logged and skipped (their offset is
 * committed: a poison message does not stop the consumer). Events missed while
 * the process was down do not matter: its cache started empty, and the TTL bounds
 * what a missed event could leave stale.
 */
export async function subscribePolicyUpdates(kafka: Kafka, policy: Pick<RecordingPolicy, 'invalidate'>, opts: PolicyUpdatesOptions): Promise<PolicyUpdatesSubscription> {
  const topic = opts.topic ?? TOPICS.policyUpdated;
  const logger = opts.logger ?? createLogger({ name: 'recording-policy' });
  const consumer = kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout: opts.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: opts.heartbeatIntervalMs ?? 1_000,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? false });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        try {
          const event = decodeRecordingPolicyUpdated(message.value);
          policy.invalidate(event.tenantId);
        } catch (err) {
          if (!(err instanceof EventDecodeError)) throw err;
          logger.warn({ topic, partition, offset: message.offset, key: message.key?.toString('utf8').slice(0, 200), problem: err.problem }, 'skipping an undecodable recording-policy.updated message');
        }
      },
    });
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    throw err;
  }
  return {
    consumer,
    stop: () => consumer.disconnect(),
  };
}
