export { RtpengineError, isRtpengineError, type RtpengineErrorCode, type RtpengineErrorDetails } from './errors';
export {
  createRtpengine,
  type Rtpengine,
  type RtpengineOptions,
  type RtpengineLogger,
  type NgExtra,
  type OfferParams,
  type AnswerParams,
  type DeleteParams,
  type QueryParams,
  type QueryReply,
  type MediaLabel,
  type SubscribeRequestParams,
  type SubscribeRequestReply,
  type SubscribeAnswerParams,
  type SubscribeAnswerCodecs,
  type UnsubscribeParams,
} from './rtpengine';
export { SIPREC_SUITE, RTPENGINE_SDES_SUITES, siprecSubscribeKeys, siprecOfferProblems, completeAnswerCodecs } from './siprec';
export { createUdpTransport, NG_COMMAND, type NgMethod, type NgTransport, type UdpTransportOptions } from './transport';
