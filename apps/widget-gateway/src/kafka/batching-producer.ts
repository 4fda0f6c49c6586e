import type { Message, Producer, TopicMessages } from 'kafkajs';
import { ProduceDeadlineError } from '@ci-connector/platform-kafka';

interface Pending {
  topic: string;
  message: Message;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Sends through the idempotent producer with acks=all, grouping what callers
 * ask for while a request is in flight into the next one ("group commit"): the
 * project's producer allows one request in flight per broker (so a retry
 * cannot reorder a key), and one request per message would cap the consumers
 * at one round trip per event. A caller's promise resolves once the broker
 * acknowledged its message; messages of one caller keep their order.
 */
export class BatchingProducer {
  private queue: Pending[] = [];
  private sending = false;

  constructor(
    private readonly producer: Producer,
    /** lingerMs: how long the first message after an idle spell waits for others (Kafka's linger.ms; 0 = until the end of the turn). */
    private readonly opts: { deadlineMs: number; maxBatch?: number; lingerMs?: number },
  ) {}

  send(topic: string, message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, message, resolve, reject });
      // The first send after an idle spell waits (at least for the turn to end, at most lingerMs):
      // the messages of a consumer's batch, and of the batches right behind it, then share a request.
      if (!this.sending) {
        this.sending = true;
        const linger = this.opts.lingerMs ?? 0;
        if (linger > 0) setTimeout(() => void this.flush(), linger);
        else setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.opts.maxBatch ?? 1000);
        try {
          await this.sendBatch(batch);
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic) ?? [];
      list.push(p.message);
      byTopic.set(p.topic, list);
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    const sending = this.producer.sendBatch({ topicMessages, acks: -1, timeout: 30_000 });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sending,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ProduceDeadlineError(topicMessages.map((t) => t.topic).join(','), this.opts.deadlineMs)), this.opts.deadlineMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      // A send that loses the race must not become an unhandled rejection later.
      sending.catch(() => undefined);
    }
  }
}
