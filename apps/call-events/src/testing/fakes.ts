import type { ProducerBatch, RecordMetadata } from 'kafkajs';
import type { ApiKeyRecord, ApiKeyStore } from '@ci-connector/recording-policy';
import type { TenantDirectory } from '../core/tenant-access';

/** API keys in memory: `add(key, id, tenants)`; `failing` makes every lookup throw (Redis down). */
export class FakeApiKeyStore implements ApiKeyStore {
  readonly keys = new Map<string, ApiKeyRecord>();
  failing = false;
  lookups = 0;

  add(key: string, id: string, tenants: '*' | string[]): void {
    this.keys.set(key, { id, name: `partner ${id}`, tenants, createdAt: new Date(0).toISOString() });
  }
  async create(): Promise<{ key: string; record: ApiKeyRecord }> {
    throw new Error('not used by call-events');
  }
  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    this.lookups++;
    if (this.failing) throw new Error('connection refused');
    return this.keys.get(key);
  }
  async list(): Promise<ApiKeyRecord[]> {
    return [...this.keys.values()];
  }
  async revoke(id: string): Promise<boolean> {
    for (const [k, r] of this.keys) if (r.id === id) return this.keys.delete(k);
    return false;
  }
  async importKey(): Promise<ApiKeyRecord> {
    throw new Error('not used by call-events');
  }
}

export class FakeTenantDirectory implements TenantDirectory {
  readonly known = new Set<string>();
  failing = false;

  async exists(tenantId: string): Promise<boolean> {
    if (this.failing) throw new Error('connection refused');
    return this.known.has(tenantId);
  }
}

/**
 * The producer at the one method the sender uses. `mode`: `ack` answers at once,
 * `fail` rejects, `hold` keeps every request open until `release()`.
 */
export class FakeProducer {
  readonly batches: ProducerBatch[] = [];
  mode: 'ack' | 'fail' | 'hold' = 'ack';
  private held: Array<() => void> = [];

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.batches.push(batch);
    if (this.mode === 'fail') throw new Error('broker down');
    if (this.mode === 'hold') await new Promise<void>((r) => this.held.push(r));
    return [];
  }

  release(): void {
    const h = this.held;
    this.held = [];
    for (const r of h) r();
  }

  /** Every message sent so far, in order, with its topic. */
  messages(): Array<{ topic: string; key: string; value: Buffer; headers?: Record<string, unknown> }> {
    return this.batches.flatMap((b) => (b.topicMessages ?? []).flatMap((t) => t.messages.map((m) => ({ topic: t.topic, key: String(m.key), value: m.value as Buffer, ...(m.headers ? { headers: m.headers } : {}) }))));
  }
}
