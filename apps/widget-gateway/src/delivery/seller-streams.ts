import type Redis from 'ioredis';
import type { WidgetEventV1 } from '@ci-connector/events';
import type { GatewayKeys } from '../redis/gateway-keys';
import { Lua } from '../redis/lua';

/** One entry of a seller's stream, as the SSE endpoint sends it. */
export interface StreamEntry {
  /** The stream entry id (`<ms>-<seq>`): the SSE `id:` and what `Last-Event-ID` resumes after. */
  id: string;
  /** WIDGET_CALL_STARTED | WIDGET_CALL_ENDED: the SSE `event:`. */
  event: string;
  /** The JSON the widget gets: `{ eventId, name, payload, recording }`. */
  data: string;
}

// KEYS: seen marker, stream. ARGV: maxlen, streamTtlMs, dedupeTtlMs, event, data, notify channel.
// The marker is checked first and set after the XADD, all in one script (atomic; a failing XADD leaves no marker).
const APPEND = new Lua(`
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[4], 'data', ARGV[5])
redis.call('SET', KEYS[1], id, 'PX', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[6], id)
return id
`);

export interface SellerStreamsOptions {
  /** Entries kept per seller (MAXLEN ~: Redis trims whole nodes, so a few more may stay). */
  maxLen: number;
  /** A seller's stream expires this long after its last entry. */
  streamTtlMs: number;
  /** How long an event id is remembered as delivered. */
  dedupeTtlMs: number;
}

/** The SSE `data:` of a widget event. */
export function widgetData(e: WidgetEventV1): string {
  return JSON.stringify({ eventId: e.eventId, name: e.name, payload: e.payload, ...(e.recording ? { recording: e.recording } : {}) });
}

function entriesOf(reply: [string, string[]][]): StreamEntry[] {
  return reply.map(([id, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] ?? ''] = fields[i + 1] ?? '';
    return { id, event: f['event'] ?? 'message', data: f['data'] ?? '' };
  });
}

/** What the SSE side reads: a seller's stream and its notification channel. */
export interface StreamReader {
  readonly keys: Pick<GatewayKeys, 'streamNotify'>;
  read(tenantId: string, sellerId: string, afterId: string, count: number, inclusive?: boolean): Promise<StreamEntry[]>;
  lastId(tenantId: string, sellerId: string): Promise<string | undefined>;
}

/**
 * The sellers' delivery streams in Redis (`<prefix>widget:<tenant>/<seller>`):
 * appended to by the delivery consumer, read by the SSE connections of any
 * replica. An event id is appended at most once while its marker lives.
 */
export class SellerStreams implements StreamReader {
  constructor(
    private readonly redis: Redis,
    readonly keys: GatewayKeys,
    private readonly opts: SellerStreamsOptions,
  ) {}

  /** Appends the event unless its id was delivered already; the entry id, or undefined for a duplicate. */
  async append(e: WidgetEventV1): Promise<string | undefined> {
    const id = await APPEND.run(
      this.redis,
      [this.keys.seen(e.tenantId, e.sellerId, e.eventId), this.keys.stream(e.tenantId, e.sellerId)],
      [this.opts.maxLen, this.opts.streamTtlMs, this.opts.dedupeTtlMs, e.name, widgetData(e), this.keys.streamNotify(e.tenantId, e.sellerId)],
    );
    return typeof id === 'string' ? id : undefined;
  }

  /** Up to `count` entries after `afterId` (or from `afterId` on, when `inclusive`). */
  async read(tenantId: string, sellerId: string, afterId: string, count: number, inclusive = false): Promise<StreamEntry[]> {
    const reply = (await this.redis.xrange(this.keys.stream(tenantId, sellerId), inclusive ? afterId : `(${afterId}`, '+', 'COUNT', count)) as [string, string[]][];
    return entriesOf(reply);
  }

  /** The newest entry's id, or undefined for an empty (or expired) stream. */
  async lastId(tenantId: string, sellerId: string): Promise<string | undefined> {
    const reply = (await this.redis.xrevrange(this.keys.stream(tenantId, sellerId), '+', '-', 'COUNT', 1)) as [string, string[]][];
    return reply[0]?.[0];
  }
}
