import { EventDecodeError } from '@ci-connector/events';
import { ProduceDeadlineError } from '@ci-connector/platform-kafka';

/** A message that can never be processed (undecodable, inconsistent): straight to the dead-letter topic, no retry. */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Whether the error says the message itself is bad (retrying cannot help). */
export function isPoison(err: unknown): boolean {
  return err instanceof PoisonMessageError || err instanceof EventDecodeError;
}

const KAFKA_OUTAGES = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSBrokerNotFound', 'KafkaJSLockTimeout']);

/**
 * Whether the error is an outage of Redis or Kafka rather than a problem of the
 * message: such a message is retried until the outage ends (a dead letter would
 * lose an event every widget should get). The ioredis and kafkajs errors that
 * mean "no answer / no connection" are recognised by name and by message.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof ProduceDeadlineError) return true;
  if (!(err instanceof Error)) return false;
  const retriable = (err as { retriable?: unknown }).retriable;
  if (retriable === true) return true;
  if (KAFKA_OUTAGES.has(err.name)) return true;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return /Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Stream isn't writeable|enableOfflineQueue|LOADING|READONLY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN/.test(err.message);
}
