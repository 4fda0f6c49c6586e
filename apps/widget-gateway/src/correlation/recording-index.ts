import type Redis from 'ioredis';
import type { RecordingEventV1, WidgetRecordingV1 } from '@ci-connector/events';
import { GatewayKeys } from '../redis/gateway-keys';
import { Lua } from '../redis/lua';
import type { RecordingLookup } from './correlator';
import { recordingStateOf } from './widget-event';

// KEYS: by call id, by SIP Call-ID. ARGV: atMs, ttlMs, callId, sipCallId, state, recorder ('' = none), channel, note.
// An event older than the one already noted (a replay, a redelivery) changes nothing.
const NOTE = new Lua(`
local applied = 0
for i = 1, 2 do
  local prev = redis.call('HGET', KEYS[i], 'atMs')
  if (not prev) or tonumber(prev) <= tonumber(ARGV[1]) then
    redis.call('HSET', KEYS[i], 'callId', ARGV[3], 'sipCallId', ARGV[4], 'state', ARGV[5], 'atMs', ARGV[1])
    if ARGV[6] ~= '' then redis.call('HSET', KEYS[i], 'recorder', ARGV[6]) end
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    applied = 1
  end
end
if applied == 1 then redis.call('PUBLISH', ARGV[7], ARGV[8]) end
return applied
`);

/** What the `recorded` channel carries: enough to find the waiters. */
interface RecordedNote {
  t: string;
  c: string;
  s: string;
}

/** A recording hash as noted (undefined when the hash is empty or incomplete). */
export function recordingOf(h: Record<string, string>): WidgetRecordingV1 | undefined {
  if (!h['callId'] || !h['sipCallId'] || !h['state']) return undefined;
  return { callId: h['callId'], sipCallId: h['sipCallId'], state: h['state'] as WidgetRecordingV1['state'], ...(h['recorder'] ? { recorder: h['recorder'] } : {}) };
}

interface Waiter {
  wake: () => void;
}

/**
 * The recordings sip-signaling reported (`ci.recording.events.v1`), kept in
 * Redis per tenant by call id and by SIP Call-ID for `ttlMs`, so every replica
 * sees what any replica's consumer noted. A call.started waiting for its
 * recording is woken through a pub/sub channel (one subscriber connection per
 * process) and looks again at its deadline anyway, so a lost notification
 * (the subscriber reconnecting) only costs time, never the correlation.
 */
export class RedisRecordingIndex implements RecordingLookup {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private subscribed = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: GatewayKeys,
    private readonly opts: { ttlMs: number; subscriber?: Redis },
  ) {}

  /** Subscribes to the notifications (without it, `wait` only looks at its deadline). */
  async start(): Promise<void> {
    const sub = this.opts.subscriber;
    if (!sub || this.subscribed) return;
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.keys.recordedChannel) this.onNote(message);
    });
    await sub.subscribe(this.keys.recordedChannel);
    this.subscribed = true;
  }

  /** Notes a recording event; false when an event at least as new was noted already. */
  async note(event: RecordingEventV1): Promise<boolean> {
    const atMs = Date.parse(event.at);
    const note: RecordedNote = { t: event.tenantId, c: event.callId, s: event.sipCallId };
    const applied = await NOTE.run(
      this.redis,
      [this.keys.recordingByCallId(event.tenantId, event.callId), this.keys.recordingBySipCallId(event.tenantId, event.sipCallId)],
      [atMs, this.opts.ttlMs, event.callId, event.sipCallId, recordingStateOf(event.type), event.recorder ?? '', this.keys.recordedChannel, JSON.stringify(note)],
    );
    return Number(applied) === 1;
  }

  async find(tenantId: string, callId: string, sipCallId?: string): Promise<WidgetRecordingV1 | undefined> {
    const byCallId = recordingOf(await this.redis.hgetall(this.keys.recordingByCallId(tenantId, callId)));
    if (byCallId || sipCallId === undefined) return byCallId;
    return recordingOf(await this.redis.hgetall(this.keys.recordingBySipCallId(tenantId, sipCallId)));
  }

  async wait(tenantId: string, callId: string, sipCallId: string | undefined, deadline: number): Promise<WidgetRecordingV1 | undefined> {
    const names = [`${tenantId}\ncid\n${callId}`, ...(sipCallId !== undefined ? [`${tenantId}\nsip\n${sipCallId}`] : [])];
    // A note arriving while a look is in flight is remembered, not lost.
    let noted = false;
    let wake: () => void = () => (noted = true);
    const waiter: Waiter = { wake: () => wake() };
    // Registered before the first look, so a note landing between the look and the wait still wakes it.
    for (const n of names) {
      const set = this.waiters.get(n) ?? new Set<Waiter>();
      set.add(waiter);
      this.waiters.set(n, set);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const found = await this.find(tenantId, callId, sipCallId);
      if (found) return found;
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) return await this.find(tenantId, callId, sipCallId);
        const timedOut = noted
          ? false
          : await new Promise<boolean>((resolve) => {
              wake = () => resolve(false);
              timer = setTimeout(() => resolve(true), left);
            });
        clearTimeout(timer);
        noted = false;
        wake = () => (noted = true);
        const again = await this.find(tenantId, callId, sipCallId);
        if (again || timedOut) return again;
      }
    } finally {
      clearTimeout(timer);
      for (const n of names) {
        const set = this.waiters.get(n);
        set?.delete(waiter);
        if (set?.size === 0) this.waiters.delete(n);
      }
    }
  }

  /** call.started events waiting right now (readiness shows it). */
  get waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  private onNote(message: string): void {
    let note: Partial<RecordedNote>;
    try {
      note = JSON.parse(message) as Partial<RecordedNote>;
    } catch {
      return; // not ours: the channel is shared by name only
    }
    if (typeof note.t !== 'string') return;
    for (const n of [`${note.t}\ncid\n${note.c}`, `${note.t}\nsip\n${note.s}`]) {
      for (const w of this.waiters.get(n) ?? []) w.wake();
    }
  }
}
