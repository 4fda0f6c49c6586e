import type { Kafka } from 'kafkajs';
import { encodeRecordingControl, type RecordingControlV1 } from '@ci-connector/events';
import { KafkaRecordingControlSource } from './recording-control';

const fakeKafka = () => {
  const groups: string[] = [];
  const kafka = {
    consumer: ({ groupId }: { groupId: string }) => {
      groups.push(groupId);
      return { events: { GROUP_JOIN: 'join', FETCH: 'fetch', CRASH: 'crash' }, on: () => undefined };
    },
  } as unknown as Kafka;
  return { kafka, groups };
};

const logs = () => {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const rec = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { info: rec('info'), warn: rec('warn'), error: rec('error') } };
};

const NOW = Date.parse('2026-11-29T20:00:00Z');
const cmd = (over: Partial<RecordingControlV1> = {}): RecordingControlV1 => ({ type: 'recording.control', action: 'start', callId: 'c0ffee', tenantId: 't1', requestedBy: 'agent@contoso.example', at: '2026-11-29T19:59:59Z', ...over });

describe('KafkaRecordingControlSource', () => {
  const setup = (maxAgeMs?: number) => {
    const { logger, lines } = logs();
    const src = new KafkaRecordingControlSource({ kafka: fakeKafka().kafka, logger, now: () => NOW, ...(maxAgeMs !== undefined ? { maxAgeMs } : {}) });
    const got: RecordingControlV1[] = [];
    src.onCommand((c) => void got.push(c));
    return { src, got, lines };
  };

  it('hands every valid command to the handlers, decoded', () => {
    const { src, got } = setup();
    src.handle(Buffer.from('c0ffee'), encodeRecordingControl(cmd()));
    src.handle(null, encodeRecordingControl(cmd({ action: 'pause' })));
    expect(got).toEqual([cmd(), cmd({ action: 'pause' })]);
    expect(src.stats).toMatchObject({ received: 2, handled: 2 });
  });

  it('logs and skips poison messages: not JSON, not the contract, a key that is not the call id, too old', () => {
    const { src, got, lines } = setup(60_000);
    src.handle(Buffer.from('c0ffee'), Buffer.from('{"type":'), 3, '41');
    src.handle(Buffer.from('c0ffee'), Buffer.from(JSON.stringify({ ...cmd(), action: 'rewind' })));
    src.handle(Buffer.from('c0ffee'), null);
    src.handle(Buffer.from('another-call'), encodeRecordingControl(cmd()));
    src.handle(Buffer.from('c0ffee'), encodeRecordingControl(cmd({ at: '2026-11-29T19:50:00Z' })));
    expect(got).toEqual([]);
    expect(src.stats.skipped).toEqual({ undecodable: 3, keyMismatch: 1, stale: 1 });
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'undecodable recording command: skipped', obj: { partition: 3, offset: '41', err: expect.stringMatching(/not JSON/) } });
    expect(lines[1]?.obj['err']).toMatch(/action: /);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['recording command whose key is not its call id: skipped', 'recording command too old: skipped']));
    src.handle(Buffer.from('c0ffee'), encodeRecordingControl(cmd()));
    expect(got).toEqual([cmd()]);
  });

  it('a failing handler is logged and counted; the other handlers and later commands still run', async () => {
    const { src, got, lines } = setup();
    src.onCommand(() => {
      throw new Error('boom');
    });
    src.onCommand(() => Promise.reject(new Error('async boom')));
    const later: string[] = [];
    const off = src.onCommand((c) => void later.push(c.action));
    src.handle(null, encodeRecordingControl(cmd()));
    off();
    src.handle(null, encodeRecordingControl(cmd({ action: 'stop' })));
    await new Promise((r) => setImmediate(r));
    expect(got.map((c) => c.action)).toEqual(['start', 'stop']);
    expect(later).toEqual(['start']);
    expect(src.stats.handlerErrors).toBe(4);
    expect(lines.filter((l) => l.msg === 'recording command handler failed').map((l) => l.obj['err'])).toEqual(['boom', 'boom', 'async boom', 'async boom']);
  });

  it('every replica has its own consumer group (each must see the commands for the calls it holds)', () => {
    const { kafka, groups } = fakeKafka();
    const { logger } = logs();
    const a = new KafkaRecordingControlSource({ kafka, logger });
    const b = new KafkaRecordingControlSource({ kafka, logger });
    const c = new KafkaRecordingControlSource({ kafka, logger, groupIdPrefix: 'sig', instanceId: 'pod-7' });
    expect(a.groupId).not.toBe(b.groupId);
    expect(a.groupId).toMatch(/^sip-signaling-recording-control\./);
    expect(c.groupId).toBe('sig.pod-7');
    expect(groups).toEqual([a.groupId, b.groupId, 'sig.pod-7']);
    expect(a.health()).toMatchObject({ ok: true, degraded: true, joined: false });
  });
});
