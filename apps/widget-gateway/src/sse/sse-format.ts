/**
 * Server-sent events framing (WHATWG HTML, "Server-sent events", §9.2): fields
 * `id:`, `event:`, `data:` (one line each; a value with line breaks becomes
 * several `data:` lines, which the client joins with "\n"), a blank line ends
 * an event, a line starting with `:` is a comment (our heartbeat).
 */

const LINE_BREAK = /\r\n|\r|\n/;

/** One event. `id` and `event` must be single-line (they are stream ids and event names). */
export function sseEvent(id: string, event: string, data: string): string {
  if (LINE_BREAK.test(id) || id.includes('\0')) throw new Error('an SSE id cannot hold a line break or NUL');
  if (LINE_BREAK.test(event)) throw new Error('an SSE event name cannot hold a line break');
  const lines = data.split(LINE_BREAK).map((l) => `data: ${l}\n`);
  return `id: ${id}\nevent: ${event}\n${lines.join('')}\n`;
}

/** A comment line (ignored by clients; keeps proxies and the connection alive). */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** How long the client waits before reconnecting (EventSource `retry`). */
export function sseRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.round(ms))}\n\n`;
}

/** A Redis stream entry id: `<milliseconds>-<sequence>`. */
export const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/** Orders two stream ids (-1, 0, 1). */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

export type ResumePoint = { ok: true; lastEventId?: string } | { ok: false; error: string };

/**
 * Where a client resumes: the `Last-Event-ID` header (EventSource sends it on
 * reconnecting) or the `lastEventId` query parameter (a new EventSource, which
 * cannot set headers). The header wins; an empty value means "from now".
 */
export function resumePoint(header: string | string[] | undefined, query: unknown): ResumePoint {
  const raw = Array.isArray(header) ? header[0] : header;
  const fromQuery = typeof query === 'string' ? query : Array.isArray(query) && typeof query[0] === 'string' ? query[0] : undefined;
  if (query !== undefined && fromQuery === undefined) return { ok: false, error: 'lastEventId: must be a single value' };
  const value = (raw ?? fromQuery ?? '').trim();
  if (value === '') return { ok: true };
  if (!STREAM_ID.test(value)) {
    const where = raw !== undefined ? 'Last-Event-ID' : 'lastEventId';
    return { ok: false, error: `${where}: not an event id of this stream (expected <milliseconds>-<sequence>, got ${JSON.stringify(value.slice(0, 64))})` };
  }
  return { ok: true, lastEventId: value };
}
