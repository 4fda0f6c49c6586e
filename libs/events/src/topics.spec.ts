import { decodeRecordingPolicyUpdated, decodeTenantChanged, encodeEvent, EventDecodeError, type RecordingPolicyUpdatedV1 } from './topics';

describe('event contracts', () => {
  const updated: RecordingPolicyUpdatedV1 = { type: 'recording-policy.updated', tenantId: 't1', version: '1700000000000-ab', identities: 3, users: 1, syncedAt: '2026-11-29T20:00:00.000Z', trigger: 'interval' };

  it('round-trips a recording-policy.updated event', () => {
    expect(decodeRecordingPolicyUpdated(encodeEvent(updated))).toEqual(updated);
  });

  it('a tombstone on the tenants topic means deleted', () => {
    expect(decodeTenantChanged(null)).toBeNull();
  });

  it('names what is wrong with an undecodable message', () => {
    expect(() => decodeRecordingPolicyUpdated(Buffer.from('{'))).toThrow(/ci\.recording-policy\.updated\.v1: undecodable message: not JSON/);
    expect(() => decodeRecordingPolicyUpdated(encodeEvent({ ...updated, identities: -1 }))).toThrow(EventDecodeError);
    expect(() => decodeTenantChanged(Buffer.from(JSON.stringify({ type: 'tenant.changed', tenant: { id: 'x' }, at: 'now' })))).toThrow(/tenant\.version: .*; tenant\.status: .*; at: /);
  });
});
