export type { Clock, RandomBytes } from './ports';
export { SiprecError } from './errors';
export { INBOUND, OUTBOUND, type Role, type StreamLabel } from './labels';
export {
  buildRecordingMetadata,
  DEFAULT_EXTENSION_NAMESPACE,
  newMetadataId,
  newMetadataIds,
  RECORDING_NS,
  RS_METADATA_CONTENT_TYPE,
  RS_METADATA_DISPOSITION,
  type RecordingMetadata,
  type RecordingMetadataIds,
  type RecordingMetadataInput,
} from './metadata/metadata';
export { displayNameOf, userPartOf, DISPLAY_NAME_MAX, UNKNOWN_PARTY, type MetadataParty } from './metadata/party';
export { xmlAttr, xmlText, toUriReference } from './metadata/xml';
export {
  attributes,
  connectionOf,
  directionOf,
  directionsOf,
  g711Formats,
  originOf,
  parseSdp,
  rtpmaps,
  SDP_MAX_LENGTH,
  SdpError,
  serializeSdp,
  setDirection,
  type Direction,
  type Rtpmap,
  type Sdp,
  type SdpLine,
  type SdpMedia,
} from './sdp/sdp';
export {
  checkSrsAnswer,
  continueSdpSession,
  inactiveOffer,
  SiprecOfferError,
  SrsAnswerError,
  toRtpengineAnswer,
  toSiprecOffer,
  type AcceptedStream,
  type MediaLabels,
  type SiprecOffer,
  type SiprecOfferErrorCode,
  type SiprecOfferStream,
  type SrsAnswerCheck,
  type SrsAnswerErrorCode,
  type ToSiprecOfferInput,
} from './sdp/siprec-sdp';
export { parseRecorder, RECORDER_PORT, recorderTarget, recorderTargets, type RecorderTarget, type RecorderTargetOptions, type RecorderTenant } from './recorders/targets';
export {
  DEFAULT_NO_FAILOVER_STATUSES,
  describeFailure,
  FailoverPolicy,
  isRecorderFault,
  type FailoverContext,
  type FailoverDecision,
  type FailoverPolicyOptions,
  type RecorderFailure,
} from './recorders/failover';
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './recorders/circuit-breaker';
export { RecorderHealth, type PingOutcome, type RecorderHealthOptions, type RecorderHealthSnapshot } from './recorders/health';
export { CALL_ID_MAX_LENGTH, callIdProblem, mintCallId, siprecCallId, type HeaderSource, type SiprecCallId, type SiprecCallIdInput } from './call-id';
export {
  initialRecordingState,
  RECORDING_COMMAND_TYPES,
  reduceRecording,
  type Purpose,
  type RecordingCommand,
  type RecordingEvent,
  type RecordingEventType,
  type RecordingPhase,
  type RecordingSessionConfig,
  type RecordingState,
  type Transition,
} from './session/session';
