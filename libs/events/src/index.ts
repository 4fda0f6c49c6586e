export {
  TOPICS,
  EventDecodeError,
  encodeEvent,
  decodeTenantChanged,
  decodeRecordingPolicyUpdated,
  tenantChangedV1Schema,
  recordingPolicyUpdatedV1Schema,
  type TenantChangedV1,
  type RecordingPolicyUpdatedV1,
} from './topics';
