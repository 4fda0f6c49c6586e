import type { Admin, Producer } from 'kafkajs';
import { ensureTopics, kafkaHealth } from '@ci-connector/platform-kafka';
import type { CheckResult } from '@ci-connector/platform-nest';
import type { Logger } from '@ci-connector/platform-logging';

export interface KafkaLinkOptions {
  topics: string[];
  createTopics: boolean;
  partitions: number;
  replicationFactor: number;
}

/**
 * Connects the admin client and the producer in the background, creating the
 * topics first when asked, retrying until it works: the service starts (and
 * answers 503) while Kafka is still down. Once connected the producer rides out
 * broker restarts itself (its sends wait, callers hit their deadline).
 */
export class KafkaLink {
  private connected = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly opts: KafkaLinkOptions,
    private readonly logger: Logger,
  ) {}

  get ready(): boolean {
    return this.connected;
  }

  start(): void {
    this.running ??= this.connectLoop();
  }

  async health(): Promise<CheckResult> {
    if (!this.connected) return { ok: false, error: 'producer not connected yet' };
    return kafkaHealth(this.admin);
  }

  /** Stops connecting (a connect still retrying inside kafkajs is cut by the disconnects) and closes both clients. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }

  private async connectLoop(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.admin.connect();
        if (this.opts.createTopics) {
          await ensureTopics(
            this.admin,
            this.opts.topics.map((topic) => ({ topic, numPartitions: this.opts.partitions, replicationFactor: this.opts.replicationFactor })),
          );
        } else {
          // The producer may not create topics: a missing one would only show as sends timing out.
          const existing = new Set(await this.admin.listTopics());
          const missing = this.opts.topics.filter((t) => !existing.has(t));
          if (missing.length > 0) throw new Error(`topic(s) ${missing.join(', ')} do not exist and KAFKA_ENSURE_TOPICS is false`);
        }
        await this.producer.connect();
        if (this.stopped) return;
        this.connected = true;
        this.logger.info({ topics: this.opts.topics }, 'kafka producer connected');
        return;
      } catch (err) {
        if (this.stopped) return;
        this.logger.warn({ err: (err as Error).message, attempt }, 'kafka not reachable yet; retrying');
        await new Promise<void>((r) => {
          const timer = setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5)));
          this.wake = () => {
            clearTimeout(timer);
            r();
          };
        });
      }
    }
  }
}
