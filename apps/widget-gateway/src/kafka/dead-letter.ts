import type { IHeaders } from 'kafkajs';
import type { BatchingProducer } from './batching-producer';

/** A consumed message, as the consumers hand it around. */
export interface InboundMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

export interface DeadLetter {
  message: InboundMessage;
  /** What went wrong (the last error). */
  error: string;
  /** The consumer (group) that gave up. */
  consumer: string;
  attempts: number;
}

/** Where messages go that a consumer could not process. */
export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
}

const ERROR_MAX = 1000;

/** The headers of a dead letter: the original ones, then where it came from and why. */
export function deadLetterHeaders(letter: DeadLetter): IHeaders {
  const { message } = letter;
  const error = letter.error.length > ERROR_MAX ? `${letter.error.slice(0, ERROR_MAX - 1)}…` : letter.error;
  return {
    ...(message.headers ?? {}),
    'x-source-topic': message.topic,
    'x-source-partition': String(message.partition),
    'x-source-offset': message.offset,
    'x-error': error,
    'x-consumer': letter.consumer,
    'x-attempts': String(letter.attempts),
  };
}

/**
 * Produces dead letters to the dead-letter topic (`ci.call-events.dlq.v1`): the
 * original key and value byte for byte, with the headers above. It resolves
 * only once the broker has the letter, so the consumer moves its offset on
 * without losing the message.
 */
export class KafkaDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly producer: BatchingProducer,
    private readonly topic: string,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    await this.producer.send(this.topic, { key: letter.message.key, value: letter.message.value, headers: deadLetterHeaders(letter) });
  }
}
