import type { Consumer, Kafka } from 'kafkajs';
import { decodeTenantChanged, EventDecodeError } from '@ci-connector/events';
import type { RunnerLogger } from '../sync/sync-runner';
import { errorText } from '../sync/ports';
import type { TenantFollower } from './tenant-follower';

export interface TenantConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  follower: Pick<TenantFollower, 'apply'>;
  logger: RunnerLogger;
}

/**
 * The consumer of `ci.tenants.v1`. Every replica joins the same group, so the
 * partitions (hence the tenants' change streams) are split among them; a new
 * group reads the compacted topic from the beginning. A message that cannot be
 * decoded is logged and skipped (it can never succeed); a failure to apply one
 * (Redis down) is thrown, so kafkajs retries it before committing its offset.
 */
export class TenantConsumer {
  private readonly consumer: Consumer;
  private joined = false;
  private crashed: string | undefined;

  constructor(private readonly opts: TenantConsumerOptions) {
    this.consumer = opts.kafka.consumer({ groupId: opts.groupId, allowAutoTopicCreation: false, retry: { retries: 10 } });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      this.crashed = undefined;
      opts.logger.info({ groupId: opts.groupId, memberId: e.payload.memberId, assigned: e.payload.memberAssignment }, 'joined the tenants consumer group');
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.joined = false;
      this.crashed = errorText(e.payload.error);
      opts.logger.error({ err: this.crashed, restart: e.payload.restart }, 'tenants consumer crashed');
    });
  }

  async start(): Promise<void> {
    const { opts } = this;
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: opts.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message, partition }) => {
        const key = message.key?.toString('utf8');
        if (!key) {
          opts.logger.warn({ topic: opts.topic, partition, offset: message.offset }, 'tenant change without a key: skipped');
          return;
        }
        let tenant;
        try {
          const change = decodeTenantChanged(message.value);
          tenant = change === null ? null : change.tenant;
        } catch (err) {
          if (err instanceof EventDecodeError) {
            opts.logger.warn({ topic: opts.topic, partition, offset: message.offset, key, err: err.message }, 'undecodable tenant change: skipped');
            return;
          }
          throw err;
        }
        if (tenant !== null && tenant.id !== key) {
          opts.logger.warn({ topic: opts.topic, partition, offset: message.offset, key, tenantId: tenant.id }, 'tenant change whose key is not its tenant id: skipped');
          return;
        }
        await opts.follower.apply(key, tenant);
      },
    });
  }

  /** For readiness: whether the consumer is in its group. */
  health(): { ok: boolean; error?: string; joined: boolean } {
    if (this.crashed) return { ok: false, joined: false, error: `consumer crashed: ${this.crashed}` };
    return { ok: true, joined: this.joined };
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
