import { percentile, runBounded } from './bounded';
import { SseParser, type SseEvent } from './sse-parser';

describe('SseParser (what EventSource would dispatch)', () => {
  const parse = (...chunks: Array<string | Uint8Array>) => {
    const out: SseEvent[] = [];
    const p = new SseParser((e) => out.push(e));
    for (const c of chunks) p.feed(c);
    return { out, p };
  };

  it('dispatches id, event and data on a blank line; the id stays in force for later events', () => {
    const { out, p } = parse('retry: 300\n\n: hb\n\nid: 1-0\nevent: WIDGET_CALL_STARTED\ndata: {"a":1}\n\ndata: x\n\n');
    expect(out).toEqual([
      { id: '1-0', event: 'WIDGET_CALL_STARTED', data: '{"a":1}' },
      { id: '1-0', event: 'message', data: 'x' },
    ]);
    expect(p.retryMs).toBe(300);
    expect(p.comments).toBe(1);
    expect(p.lastEventId).toBe('1-0');
  });

  it('joins multi-line data, takes CR, LF and CRLF, and chunks split anywhere (a CRLF, a UTF-8 character)', () => {
    const bytes = new TextEncoder().encode('id: 7\r\ndata: é1\r\ndata: 2\r\n\r\n');
    // Cuts between CR and LF (6, 17) and inside é (14).
    const cut = [3, 6, 14, 17, 26];
    const chunks = cut.map((end, i) => bytes.slice(i === 0 ? 0 : cut[i - 1], end)).concat([bytes.slice(cut[cut.length - 1])]);
    expect(parse(...chunks).out).toEqual([{ id: '7', event: 'message', data: 'é1\n2' }]);
    expect(parse('data: a\rdata: b\r\rdata:c\n\n').out).toEqual([
      { id: undefined, event: 'message', data: 'a\nb' },
      { id: undefined, event: 'message', data: 'c' },
    ]);
  });

  it('dispatches nothing without data or before the blank line, and ignores an id with NUL', () => {
    expect(parse('event: x\n\nid: 1\n\ndata: half').out).toEqual([]);
    expect(parse('id: 1\n\nid: a\0b\ndata: d\n\n').out).toEqual([{ id: '1', event: 'message', data: 'd' }]);
  });
});

describe('runBounded', () => {
  it('runs every item, never more than the limit at once, results in item order', async () => {
    let running = 0;
    let most = 0;
    const out = await runBounded([5, 1, 4, 2, 3, 0], 2, async (n, i) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return `${i}:${n}`;
    });
    expect(out).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:0']);
    expect(most).toBe(2);
  });

  it('rejects with the first error and starts nothing after it; refuses a bad limit', async () => {
    const started: number[] = [];
    await expect(runBounded([1, 2, 3, 4], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
    await expect(runBounded([1], 0, async () => undefined)).rejects.toThrow(/limit/);
  });
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(s, 50), percentile(s, 99), percentile(s, 100), percentile(s, 0)]).toEqual([50, 99, 100, 1]);
    expect(percentile([], 50)).toBeNaN();
  });
});
