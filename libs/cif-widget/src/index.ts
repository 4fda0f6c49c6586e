// @ci-connector/cif-widget: the browser SDK a dialer embeds in its CIF widget (issue 7).
// Raises the seed's WIDGET_CALL_STARTED / WIDGET_CALL_ENDED through
// Microsoft.CIFramework.raiseEvent, from widget-gateway's stream (connect) or from
// the dialer's own code (raiseCallStarted / raiseCallEnded).
export { connect, readStreamEvent, type ConnectOptions, type WidgetHandle, type WidgetStatus, type EventSourceLike, type EventSourceCtor } from './connect';
export { raiseCallStarted, raiseCallEnded, createRaiser, type CallEventRaiser } from './raise';
export type { RaiserOptions } from './raiser';
export type { RecordingResult, FetchLike } from './recording';
export type { EventTargetLike } from './cif';
export { CifWidgetError, type CifWidgetErrorCode, type Problem } from './errors';
export {
  WIDGET_CALL_STARTED,
  WIDGET_CALL_ENDED,
  RECORDING_ACTIONS,
  DEFAULT_RETRY,
  type WidgetEventName,
  type CallStartedEvent,
  type CallEndedEvent,
  type CallStartedInput,
  type CallEndedInput,
  type CIFrameworkLike,
  type WidgetRecording,
  type WidgetStreamEvent,
  type RaisedEvent,
  type RecordingAction,
  type RetryPolicy,
  type StorageLike,
} from './types';
