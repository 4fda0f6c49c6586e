import { z } from 'zod';
import type { Tenant } from '@ci-connector/tenancy';

/**
 * Kafka topics and their message contracts. A topic name carries its major
 * version; a breaking change is a new topic. Keys and values are UTF-8; values
 * are JSON validated by the schema here on both sides.
 */
export const TOPICS = {
  /** Compacted, keyed by tenant id: the latest state of every tenant; a tombstone (null value) = deleted. */
  tenants: 'ci.tenants.v1',
  /** Keyed by tenant id: a new users-to-record list is live in Redis (recording-policy caches drop the tenant). */
  policyUpdated: 'ci.recording-policy.updated.v1',
  /** Keyed by call id: what happened to a call's recording (started, failed, stopped, paused, resumed); contract in recording.ts. */
  recordingEvents: 'ci.recording.events.v1',
  /** Keyed by call id: start/stop/pause/resume commands for a call's recording; contract in recording.ts. */
  recordingControl: 'ci.recording.control.v1',
} as const;

/** Value of `ci.tenants.v1` (the key is `tenant.id`). */
export interface TenantChangedV1 {
  type: 'tenant.changed';
  tenant: Tenant;
  /** When the change was made. */
  at: string;
}

export const tenantChangedV1Schema = z.object({
  type: z.literal('tenant.changed'),
  tenant: z
    .object({ id: z.string().min(1), version: z.number().int().min(1), status: z.object({ state: z.enum(['unregistered', 'pending', 'registered', 'failed']) }).loose() })
    .loose(),
  at: z.iso.datetime({ offset: true }),
});

/** Value of `ci.recording-policy.updated.v1` (the key is `tenantId`). */
export interface RecordingPolicyUpdatedV1 {
  type: 'recording-policy.updated';
  tenantId: string;
  /** The version now live (the Redis pointer's value). */
  version: string;
  /** Identifiers in the new list (after normalisation) and users they came from. */
  identities: number;
  users: number;
  syncedAt: string;
  trigger: 'interval' | 'on-demand' | 'tenant-change';
}

export const recordingPolicyUpdatedV1Schema = z.object({
  type: z.literal('recording-policy.updated'),
  tenantId: z.string().min(1),
  version: z.string().min(1),
  identities: z.number().int().min(0),
  users: z.number().int().min(0),
  syncedAt: z.iso.datetime({ offset: true }),
  trigger: z.enum(['interval', 'on-demand', 'tenant-change']),
});

export class EventDecodeError extends Error {
  constructor(
    readonly topic: string,
    readonly problem: string,
  ) {
    super(`${topic}: undecodable message: ${problem}`);
    this.name = 'EventDecodeError';
  }
}

export function encodeEvent(value: TenantChangedV1 | RecordingPolicyUpdatedV1): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function decodeWith<T>(topic: string, schema: z.ZodType, value: Buffer | null): T {
  if (value === null) throw new EventDecodeError(topic, 'null value (tombstone) where an event was expected');
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new EventDecodeError(topic, `not JSON (${(err as Error).message})`);
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new EventDecodeError(topic, r.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; '));
  return json as T;
}

/** A `ci.tenants.v1` value: the tenant, or null for a tombstone (the tenant was deleted). */
export function decodeTenantChanged(value: Buffer | null): TenantChangedV1 | null {
  return value === null ? null : decodeWith<TenantChangedV1>(TOPICS.tenants, tenantChangedV1Schema, value);
}

export function decodeRecordingPolicyUpdated(value: Buffer | null): RecordingPolicyUpdatedV1 {
  return decodeWith<RecordingPolicyUpdatedV1>(TOPICS.policyUpdated, recordingPolicyUpdatedV1Schema, value);
}
