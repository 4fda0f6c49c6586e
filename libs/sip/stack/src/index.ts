export { createSipStack, type SipStack, type SipStackOptions } from './sip-stack';
export { realTimers } from './real-timers';
export { transportSink, listenerSentBy, wireInbound, screenInbound, type WireEvents, type InboundScreen, type ScreenVerdict } from './wire';
export * from '@ci-connector/sip-core';
export {
  createTransportLayer,
  createSipResolver,
  sendWithFailover,
  TransportError,
  type TransportLayer,
  type TransportLayerOptions,
  type ListenSpec,
  type BoundListener,
  type InboundMessage,
  type SendTarget,
  type ConnectionClosed,
} from '@ci-connector/sip-transport';
