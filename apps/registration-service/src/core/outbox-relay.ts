import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { encodeEvent } from '@ci-connector/events';
import { produce } from '@ci-connector/platform-kafka';
import type { TenantStore } from '@ci-connector/recording-policy';
import type { Locks } from './ports';

export interface OutboxRelayOptions {
  topic: string;
  /** The lease key: one replica relays at a time, so a tenant's changes keep their order. */
  lockKey: string;
  owner: string;
  lockTtlMs: number;
  pollIntervalMs: number;
  batchSize: number;
  produceDeadlineMs: number;
  /** Run before the first publish until it succeeds once (connect the producer, create the topic). */
  prepare?: () => Promise<void>;
}

/**
 * Publishes the TenantStore's outbox to the compacted tenants topic: key = tenant
 * id, value = `tenant.changed` or a tombstone (null) for a delete, with the
 * idempotent producer; entries are acknowledged in the outbox only after Kafka
 * acknowledged them (at least once; a re-sent entry carries the same state, and
 * compaction keeps the latest). Replicas compete for one lease, so a single relay
 * sends each tenant's changes in the order they were made.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private holding = false;
  private prepared = false;
  /** Changes published since start (exposed for logs and tests). */
  published = 0;
  lastError: string | undefined;

  constructor(
    private readonly store: TenantStore,
    private readonly producer: Producer,
    private readonly locks: Locks,
    private readonly opts: OutboxRelayOptions,
    private readonly logger: Pick<Logger, 'warn' | 'info' | 'debug'>,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling, waits for the batch in flight, optionally publishes what is left once more, gives the lease back. */
  async stop(opts: { drain?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (opts.drain) await this.relayOnce(true).catch((err: Error) => this.logger.warn({ err: err.message }, 'last outbox publish failed; another replica will publish it'));
    if (this.holding) await this.locks.release(this.opts.lockKey, this.opts.owner).catch(() => undefined);
    this.holding = false;
  }

  /** One pass: take or renew the lease, then publish until the outbox is empty. Returns how many were published. */
  async relayOnce(drain = false): Promise<number> {
    const { lockKey, owner, lockTtlMs } = this.opts;
    this.holding = this.holding ? await this.locks.renew(lockKey, owner, lockTtlMs) : await this.locks.acquire(lockKey, owner, lockTtlMs);
    if (!this.holding) return 0;
    if (!this.prepared && this.opts.prepare) await this.opts.prepare();
    this.prepared = true;
    let sent = 0;
    while (drain || !this.stopped) {
      const entries = await this.store.pendingChanges(this.opts.batchSize);
      if (entries.length === 0) break;
      await produce(
        this.producer,
        this.opts.topic,
        entries.map((e) => ({ key: e.tenantId, value: e.tenant ? encodeEvent({ type: 'tenant.changed', tenant: e.tenant, at: e.at }) : null })),
        { deadlineMs: this.opts.produceDeadlineMs },
      );
      await this.store.ack(entries.map((e) => e.id));
      sent += entries.length;
      this.published += entries.length;
      // Keep the lease while a long backlog drains; stop if it was lost.
      if (!(await this.locks.renew(lockKey, owner, lockTtlMs))) {
        this.holding = false;
        break;
      }
    }
    return sent;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.relayOnce()
        .then((n) => {
          if (n > 0) this.logger.debug({ published: n }, 'tenant changes published');
          this.lastError = undefined;
        })
        .catch((err: Error) => {
          if (this.lastError !== err.message) this.logger.warn({ err: err.message }, 'outbox relay: publishing tenant changes failed; will retry');
          this.lastError = err.message;
        })
        .finally(() => this.schedule(this.opts.pollIntervalMs));
    }, delayMs);
  }
}
