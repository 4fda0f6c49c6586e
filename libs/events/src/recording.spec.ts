import {
  decodeRecordingControl,
  decodeRecordingEvent,
  encodeRecordingControl,
  encodeRecordingEvent,
  RECORDING_EVENT_TYPES,
  type RecordingControlV1,
  type RecordingEventV1,
} from './recording';
import { EventDecodeError, TOPICS } from './topics';

describe('recording topics', () => {
  it('are versioned names keyed by call id', () => {
    expect(TOPICS.recordingEvents).toBe('ci.recording.events.v1');
    expect(TOPICS.recordingControl).toBe('ci.recording.control.v1');
  });
});

describe('RecordingEventV1', () => {
  const started: RecordingEventV1 = {
    type: 'recording.started',
    callId: '4c1e0d8f2b7a4e5c9d3f6a1b2c3d4e5f',
    sipCallId: '1-2345@127.0.0.1',
    tenantId: '6f1c0a52-1111-4111-8111-111111111111',
    seller: 'sip:+442079460000@fabrikam.example',
    recorder: 'sip:SRS@127.0.0.1:15061;transport=tls',
    at: '2026-11-29T20:00:00.000Z',
  };

  it.each(RECORDING_EVENT_TYPES)('round-trips %s as the JSON a consumer reads', (type) => {
    const e = { ...started, type, ...(type === 'recording.failed' ? { reason: '503 Service Unavailable: no other recorder to try' } : {}) };
    const bytes = encodeRecordingEvent(e);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual(e);
    expect(decodeRecordingEvent(bytes)).toEqual(e);
  });

  it('recorder and reason are optional', () => {
    const { recorder: _r, ...bare } = started;
    expect(decodeRecordingEvent(encodeRecordingEvent(bare))).toEqual(bare);
  });

  it('ignores fields it does not know (a later minor version adds some)', () => {
    expect(decodeRecordingEvent(Buffer.from(JSON.stringify({ ...started, role: 'inbound' })))).toEqual(started);
  });

  it('names every bad field, on decode and on encode', () => {
    const bad = { ...started, type: 'recording.exploded', callId: '', at: 'yesterday' };
    expect(() => decodeRecordingEvent(Buffer.from(JSON.stringify(bad)))).toThrow(/ci\.recording\.events\.v1: undecodable message: type: .*; callId: must not be empty; at: not an ISO 8601/);
    expect(() => encodeRecordingEvent(bad as unknown as RecordingEventV1)).toThrow(EventDecodeError);
    expect(() => encodeRecordingEvent({ ...started, callId: 'x'.repeat(257) })).toThrow(/callId: longer than 256 characters/);
    expect(() => decodeRecordingEvent(Buffer.from('{"type":'))).toThrow(/not JSON/);
    expect(() => decodeRecordingEvent(null)).toThrow(/null value/);
  });
});

describe('RecordingControlV1', () => {
  const cmd: RecordingControlV1 = { type: 'recording.control', action: 'pause', callId: 'abc123', tenantId: 't1', requestedBy: 'agent@contoso.example', at: '2026-11-29T20:00:00+01:00' };

  it('round-trips each action', () => {
    for (const action of ['start', 'stop', 'pause', 'resume'] as const) expect(decodeRecordingControl(encodeRecordingControl({ ...cmd, action }))).toEqual({ ...cmd, action });
    const minimal: RecordingControlV1 = { type: 'recording.control', action: 'start', callId: 'abc123', at: '2026-11-29T19:00:00Z' };
    expect(decodeRecordingControl(encodeRecordingControl(minimal))).toEqual(minimal);
  });

  it('names what is wrong with a poison message', () => {
    expect(() => decodeRecordingControl(Buffer.from(JSON.stringify({ ...cmd, action: 'rewind' })))).toThrow(/ci\.recording\.control\.v1: undecodable message: action: /);
    expect(() => decodeRecordingControl(Buffer.from(JSON.stringify({ ...cmd, type: 'recording.started' })))).toThrow(/type: /);
    expect(() => decodeRecordingControl(Buffer.from(JSON.stringify({ action: 'stop' })))).toThrow(/type: .*; callId: .*; at: /);
    expect(() => decodeRecordingControl(Buffer.from([0xff, 0xfe]))).toThrow(/not JSON/);
  });
});
