import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import { createKafka, ensureTopics } from '@ci-connector/platform-kafka';
import { createLogger } from '@ci-connector/platform-logging';
import { closeRedis, createRedisClient } from '@ci-connector/platform-redis';
import { deleteRedisKeys, freePort, stackEndpoints, type StackEndpoints } from '@ci-connector/platform-testing';
import { createApiKeyStore, createPolicyStore, createTenantStore, identitiesOfUser } from '@ci-connector/recording-policy';
import { newTenant, parseTenantCreate } from '@ci-connector/tenancy';
import type { EmulatorProcess } from '@ci-connector/ci-emulator-testing';
import { startService, type ServiceProcess } from './services';

// One run of the real-time pipeline on the shared local stack: its own Kafka
// topics and consumer groups, its own Redis prefix (tenants, API keys, recording
// policy, the gateway's streams), the services started as built, and a cleanup
// that removes all of it.

export const ORG_ID = 'ad3dca46-962a-4895-9f85-d25f3828781f';

export interface Topics {
  callEvents: string;
  recordingEvents: string;
  widgetEvents: string;
  deadLetter: string;
  recordingControl: string;
}

export class RealtimeRig {
  readonly run = randomBytes(4).toString('hex');
  readonly stack: StackEndpoints = stackEndpoints();
  readonly prefix: string;
  readonly topics: Topics;
  readonly groups: { correlation: string; delivery: string };
  /** WIDGET_TOKEN_SECRET, shared by call-events and widget-gateway. */
  readonly secret = `rt-e2e-${randomBytes(24).toString('hex')}`;
  readonly redis: Redis;
  readonly kafka: Kafka;
  private admin: Admin | undefined;
  private readonly services: ServiceProcess[] = [];

  constructor(readonly name: string) {
    const id = `${name}-${this.run}`;
    this.prefix = `${id}:`;
    this.topics = {
      callEvents: `${id}.call-events`,
      recordingEvents: `${id}.recording-events`,
      widgetEvents: `${id}.widget-events`,
      deadLetter: `${id}.dlq`,
      recordingControl: `${id}.recording-control`,
    };
    this.groups = { correlation: `${id}.correlation`, delivery: `${id}.delivery` };
    this.redis = createRedisClient({ url: this.stack.redisUrl, connectionName: id });
    this.kafka = createKafka({ clientId: id, brokers: this.stack.kafkaBrokers, logger: createLogger({ name: 'kafkajs', level: 'warn' }) });
  }

  /** Creates every topic first (3 partitions), so that no two services race to create one. */
  async createTopics(partitions = 3): Promise<void> {
    this.admin ??= this.kafka.admin();
    await this.admin.connect();
    await ensureTopics(this.admin, Object.values(this.topics).map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })));
  }

  /** A tenant as registration-service stores it (region uksouth, the emulator's test carrier certificate). */
  async addTenant(id: string, accountId = `AC${randomBytes(10).toString('hex')}`): Promise<{ id: string; accountId: string }> {
    const parsed = parseTenantCreate({
      id,
      orgId: ORG_ID,
      displayName: `realtime e2e ${id.slice(0, 8)}`,
      region: 'uksouth',
      accountId,
      certificate: { subject: 'CN=sbc.carrier.example', issuer: 'CN=ci-emulator test CA' },
      defaultCountry: 'GB',
    });
    if (!parsed.ok) throw new Error(`tenant ${id}: ${JSON.stringify(parsed.problems)}`);
    const tenants = createTenantStore(this.redis, { prefix: this.prefix });
    await tenants.create(newTenant(parsed.value, new Date()));
    await tenants.close();
    return { id, accountId };
  }

  /** The tenant's users to record (as policy-sync-worker writes them): one per phone number. */
  async recordSellers(tenantId: string, phones: string[]): Promise<void> {
    const w = await createPolicyStore(this.redis, { prefix: this.prefix }).begin(tenantId);
    const users = phones.map((p, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, businessPhones: [p] }));
    await w.add(users.flatMap((u) => identitiesOfUser(u, 'GB').identities));
    await w.commit({ users: users.length });
  }

  /** A partner's API key scoped to `tenants` (as registration-service's admin API mints it). */
  async apiKey(name: string, tenants: string[]): Promise<{ key: string; partnerId: string }> {
    const created = await createApiKeyStore(this.redis, { prefix: this.prefix }).create(name, tenants);
    return { key: created.key, partnerId: created.record.id };
  }

  async startCallEvents(env: Record<string, string> = {}): Promise<ServiceProcess & { grpc: string }> {
    const grpcPort = await freePort();
    const svc = await startService('call-events', {
      env: {
        GRPC_PORT: String(grpcPort),
        REDIS_URL: this.stack.redisUrl,
        REDIS_KEY_PREFIX: this.prefix,
        KAFKA_BROKERS: this.stack.kafkaBrokers.join(','),
        KAFKA_CALL_EVENTS_TOPIC: this.topics.callEvents,
        KAFKA_RECORDING_CONTROL_TOPIC: this.topics.recordingControl,
        KAFKA_ENSURE_TOPICS: 'false',
        WIDGET_TOKEN_SECRET: this.secret,
        ...env,
      },
    });
    this.services.push(svc);
    return Object.assign(svc, { grpc: `127.0.0.1:${grpcPort}` });
  }

  async startWidgetGateway(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const svc = await startService('widget-gateway', {
      env: {
        REDIS_URL: this.stack.redisUrl,
        REDIS_KEY_PREFIX: this.prefix,
        KAFKA_BROKERS: this.stack.kafkaBrokers.join(','),
        KAFKA_CALL_EVENTS_TOPIC: this.topics.callEvents,
        KAFKA_RECORDING_EVENTS_TOPIC: this.topics.recordingEvents,
        KAFKA_WIDGET_EVENTS_TOPIC: this.topics.widgetEvents,
        KAFKA_DEAD_LETTER_TOPIC: this.topics.deadLetter,
        KAFKA_RECORDING_CONTROL_TOPIC: this.topics.recordingControl,
        KAFKA_CORRELATION_GROUP: this.groups.correlation,
        KAFKA_DELIVERY_GROUP: this.groups.delivery,
        KAFKA_ENSURE_TOPICS: 'false',
        // The broker's minimum: a restarted gateway's partitions move on quickly.
        KAFKA_SESSION_TIMEOUT: '6s',
        WIDGET_TOKEN_SECRET: this.secret,
        SSE_HEARTBEAT: '2s',
        SSE_RETRY: '300ms',
        ...env,
      },
    });
    this.services.push(svc);
    return svc;
  }

  /**
   * sip-signaling as the SIPREC client: calls to `+44207946*` are the tenant's,
   * the seller on the called side, routed to `uasPort`; the dialer's call id
   * read from X-Dialer-Call-Id; every region's recorder is the emulator;
   * recording events and control on this run's topics.
   */
  async startSipSignaling(o: { emulator: EmulatorProcess; tenantId: string; uasPort: number; work: string }): Promise<ServiceProcess & { sipPort: number }> {
    const sipPort = await freePort();
    const tenantsFile = join(o.work, `tenants-${sipPort}.json`);
    writeFileSync(
      tenantsFile,
      JSON.stringify({ tenants: { [o.tenantId]: { match: { calledNumbers: ['+44207946*'] }, nextHop: `sip:127.0.0.1:${o.uasPort}`, dialerCallIdHeader: 'X-Dialer-Call-Id' } } }),
    );
    const svc = await startService('sip-signaling', {
      env: {
        SIP_UDP_PORT: String(sipPort),
        SIP_TCP_PORT: String(sipPort),
        SIP_TENANTS_FILE: tenantsFile,
        RTPENGINE_HOST: this.stack.rtpengineNg.host,
        RTPENGINE_PORT: String(this.stack.rtpengineNg.port),
        REDIS_URL: this.stack.redisUrl,
        REDIS_KEY_PREFIX: this.prefix,
        RECORDING_TLS_CERT_FILE: join(o.emulator.certsDir, 'carrier.pem'),
        RECORDING_TLS_KEY_FILE: join(o.emulator.certsDir, 'carrier-key.pem'),
        RECORDING_TLS_CA_FILE: join(o.emulator.certsDir, 'ca.pem'),
        RECORDING_SRC_DOMAIN: 'sbc.carrier.example',
        RECORDER_HOST_OVERRIDES: `*=127.0.0.1:${o.emulator.sipPort}`,
        KAFKA_BROKERS: this.stack.kafkaBrokers.join(','),
        KAFKA_RECORDING_EVENTS_TOPIC: this.topics.recordingEvents,
        KAFKA_RECORDING_CONTROL_TOPIC: this.topics.recordingControl,
        KAFKA_ENSURE_TOPICS: 'false',
      },
    });
    this.services.push(svc);
    return Object.assign(svc, { sipPort });
  }

  /** Stops every service it started (by PID), deletes the topics, the gateway's groups and the Redis keys. */
  async cleanup(): Promise<void> {
    await Promise.allSettled(this.services.map((s) => s.stop()));
    try {
      this.admin ??= this.kafka.admin();
      await this.admin.connect();
      // widget-gateway reads the recordings in a group of their own, `<correlation group>.recordings`.
      await this.admin.deleteGroups([...Object.values(this.groups), `${this.groups.correlation}.recordings`]).catch(() => undefined);
      await this.admin.deleteTopics({ topics: Object.values(this.topics), timeout: 10_000 }).catch(() => undefined);
      await this.admin.disconnect();
    } finally {
      await deleteRedisKeys(this.redis, this.prefix);
      await closeRedis(this.redis);
    }
  }

  /** Every service's output (for a failing test's message). */
  outputs(lines = 60): string {
    return this.services.map((s) => `--- ${s.name} (pid ${s.pid}) ---\n${s.output().split('\n').slice(-lines).join('\n')}`).join('\n');
  }
}
