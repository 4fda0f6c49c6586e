import { compareStreamIds, resumePoint, sseComment, sseEvent, sseRetry } from './sse-format';

describe('SSE framing', () => {
  it('writes an event as id, event and data lines ended by a blank line', () => {
    const data = JSON.stringify({ eventId: 'e1', name: 'WIDGET_CALL_STARTED', payload: { callId: 'c1', contactName: 'Zoë "Z"\nLine' } });
    expect(sseEvent('1732874400000-0', 'WIDGET_CALL_STARTED', data)).toBe(`id: 1732874400000-0\nevent: WIDGET_CALL_STARTED\ndata: ${data}\n\n`);
    // JSON escapes line breaks, so a widget event is always one data line.
    expect(data).not.toContain('\n');
  });

  it('splits data with line breaks into several data lines (the client joins them with \\n)', () => {
    expect(sseEvent('1-0', 'x', 'a\nb\r\nc\rd')).toBe('id: 1-0\nevent: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n');
  });

  it('refuses ids and event names that would break the framing', () => {
    expect(() => sseEvent('1-0\nevent: evil', 'x', 'd')).toThrow('line break');
    expect(() => sseEvent('1-0', 'x\ndata: evil', 'd')).toThrow('line break');
    expect(() => sseEvent('1\0', 'x', 'd')).toThrow('NUL');
  });

  it('writes comments on one line and the retry field', () => {
    expect(sseComment('heartbeat')).toBe(': heartbeat\n\n');
    expect(sseComment('two\nlines')).toBe(': two lines\n\n');
    expect(sseRetry(2000)).toBe('retry: 2000\n\n');
  });
});

describe('resume point', () => {
  it('takes Last-Event-ID, else ?lastEventId=, the header winning', () => {
    expect(resumePoint('5-1', undefined)).toEqual({ ok: true, lastEventId: '5-1' });
    expect(resumePoint(undefined, '7-0')).toEqual({ ok: true, lastEventId: '7-0' });
    expect(resumePoint('9-0', '7-0')).toEqual({ ok: true, lastEventId: '9-0' });
    expect(resumePoint(['3-0', '4-0'], undefined)).toEqual({ ok: true, lastEventId: '3-0' });
  });

  it('starts from now without one (empty counts as none)', () => {
    expect(resumePoint(undefined, undefined)).toEqual({ ok: true });
    expect(resumePoint('', undefined)).toEqual({ ok: true });
    expect(resumePoint(undefined, ' ')).toEqual({ ok: true });
  });

  it('names what is wrong with an id that is not a stream entry id', () => {
    expect(resumePoint('abc', undefined)).toEqual({ ok: false, error: 'Last-Event-ID: not an event id of this stream (expected <milliseconds>-<sequence>, got "abc")' });
    expect(resumePoint(undefined, '12')).toEqual({ ok: false, error: 'lastEventId: not an event id of this stream (expected <milliseconds>-<sequence>, got "12")' });
    expect(resumePoint(undefined, ['1-0', '2-0'])).toEqual({ ok: true, lastEventId: '1-0' });
    expect(resumePoint(undefined, { a: 1 })).toEqual({ ok: false, error: 'lastEventId: must be a single value' });
  });
});

describe('compareStreamIds', () => {
  it('orders by milliseconds, then sequence, beyond the safe integer range', () => {
    expect(compareStreamIds('1-0', '1-0')).toBe(0);
    expect(compareStreamIds('1-1', '1-0')).toBe(1);
    expect(compareStreamIds('2-0', '10-0')).toBe(-1);
    expect(compareStreamIds('18446744073709551615-0', '18446744073709551614-9')).toBe(1);
    expect(compareStreamIds('5-18446744073709551615', '5-18446744073709551614')).toBe(1);
  });
});
