import type Redis from 'ioredis';
import type { WidgetRecordingV1 } from '@ci-connector/events';
import type { GatewayKeys } from '../redis/gateway-keys';
import { Lua } from '../redis/lua';
import type { CorrelationStore } from './correlator';
import { recordingOf } from './recording-index';

// KEYS: the dialer call's widget id, the recording by call id, by SIP Call-ID (or the same key again).
// One round trip for what a dialer event needs to know.
const LOOKUP = new Lua(`
local decided = redis.call('GET', KEYS[1])
local rec = redis.call('HGETALL', KEYS[2])
if #rec == 0 and KEYS[3] ~= KEYS[2] then rec = redis.call('HGETALL', KEYS[3]) end
return {decided or '', rec}
`);

// KEYS: the dialer call's widget id, the owner of the proposed widget id. ARGV: proposed id, seller, ttlMs.
// The first id set wins; the caller notes the owner of the id in force itself when it is not the proposed one.
const DECIDE = new Lua(`
local current = redis.call('GET', KEYS[1])
if current then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return current
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return ARGV[1]
`);

function hashOf(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

/**
 * What correlation keeps per call in Redis (`ttlMs`): the call id each dialer
 * call was given for the widget, and the seller each widget call id was
 * delivered to (a widget may control only its seller's calls); read together
 * with the call's recording in one round trip.
 */
export class RedisCorrelationStore implements CorrelationStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: GatewayKeys,
    private readonly ttlMs: number,
  ) {}

  async lookup(tenantId: string, dialerCallId: string, sipCallId?: string): Promise<{ decided?: string; recording?: WidgetRecordingV1 }> {
    const byCallId = this.keys.recordingByCallId(tenantId, dialerCallId);
    const reply = (await LOOKUP.run(this.redis, [this.keys.widgetCallId(tenantId, dialerCallId), byCallId, sipCallId !== undefined ? this.keys.recordingBySipCallId(tenantId, sipCallId) : byCallId], [])) as [string, unknown];
    const recording = recordingOf(hashOf(reply[1]));
    return { ...(reply[0] ? { decided: reply[0] } : {}), ...(recording ? { recording } : {}) };
  }

  async decide(tenantId: string, dialerCallId: string, widgetCallId: string, sellerId: string): Promise<string> {
    const inForce = String(await DECIDE.run(this.redis, [this.keys.widgetCallId(tenantId, dialerCallId), this.keys.callOwner(tenantId, widgetCallId)], [widgetCallId, sellerId, this.ttlMs]));
    if (inForce !== widgetCallId) await this.redis.set(this.keys.callOwner(tenantId, inForce), sellerId, 'PX', this.ttlMs);
    return inForce;
  }

  /** The seller whose widget got events for this call id, if any (within the TTL). */
  async ownerOf(tenantId: string, widgetCallId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.callOwner(tenantId, widgetCallId))) ?? undefined;
  }
}
