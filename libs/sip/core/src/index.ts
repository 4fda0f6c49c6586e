export * from './message/types';
export { HeaderList } from './message/headers';
export { canonicalHeaderName, expandHeaderName, headerKey, isListHeader } from './message/header-names';
export { parseUri, formatUri, urisEqual, isIpv6 } from './message/uri';
export { parseVia, formatVia, parseNameAddr, formatNameAddr, parseCSeq, parseMediaType } from './message/header-values';
export { splitOutside, parseParams, formatParams, readQuoted, quoteIfNeeded } from './message/scan';
export { createResponse, EMPTY_BODY, newBranch, newTag, newCallId, pooledRandomBytes, REASON_PHRASES, warningValue } from './message/build';
export { parseMessage, responseForParseError, DEFAULT_PARSE_LIMITS, PARSE_ERROR_CODES } from './message/parser';
export type { ParseLimits, ParseOptions, ParseErrorCode } from './message/parser';
export { serializeMessage } from './message/serializer';
export { parseMultipart, buildMultipart, findPart } from './message/multipart';
export type { MultipartPart, MultipartPartInit } from './message/multipart';
export { splitNameAddr } from './message/header-values';
export type { NameAddrParts } from './message/header-values';
export { isValidHost } from './message/uri';
export { isTokenChar } from './message/scan';
export type { SipProtocol, TimerHandle, Timers, Destination, Endpoint, InboundSource, MessageSink, ViaSentBy } from './transaction/ports';
export { isReliable } from './transaction/ports';
export { FakeTimers } from './transaction/fake-timers';
export { Emitter, type EventMap } from './transaction/emitter';
export { DEFAULT_TRANSACTION_CONFIG, timerValues, type TransactionConfig, type TimerValues } from './transaction/config';
export { TransactionLayer, type TransactionLayerOptions, type RequestHandler, type AckHandler, type StrayResponseHandler } from './transaction/transaction-layer';
export { ClientTransaction, type ClientTransactionEvents, type ClientTransactionHandlers } from './transaction/client-transaction';
export { ClientInviteTransaction, type ClientInviteState } from './transaction/client-invite';
export { ClientNonInviteTransaction, type ClientNonInviteState } from './transaction/client-non-invite';
export { ServerTransaction, type ServerTransactionEvents } from './transaction/server-transaction';
export { ServerInviteTransaction, type ServerInviteState } from './transaction/server-invite';
export { ServerNonInviteTransaction, type ServerNonInviteState } from './transaction/server-non-invite';
export { isSyntheticResponse } from './transaction/synthetic';
export { buildNon2xxAck, buildCancel } from './transaction/requests';
export { responseDestination } from './transaction/message-info';

export { DialogLayer, type DialogLayerOptions, type InviteOptions, type OutOfDialogRequestOptions, type InviteHandler, type OutOfDialogHandler } from './dialog/dialog-layer';
export { Dialog, type DialogEvents, type ModifyOptions } from './dialog/dialog';
export type { InDialogRequest } from './dialog/dialog-inbound';
export { IncomingInvite, type IncomingInviteEvents, type IncomingInviteState } from './dialog/incoming-invite';
export { OutgoingInvite, type OutgoingInviteEvents, type OutgoingInviteState, type InviteOutcome } from './dialog/outgoing-invite';
export type { DialogId, DialogRole, DialogState, MessageOptions, RequestOptions, ResponseOptions, TerminationCause, TerminationReason } from './dialog/types';
export { literalResolver, type TargetResolver } from './dialog/resolver';
export { DEFAULT_SESSION_TIMER, parseSessionExpires, type SessionTimerSettings } from './dialog/session-timer';
export { glareBackoffMs } from './dialog/glare';

export { bridge, B2buaCall, type B2buaOptions, type B2buaTarget, type B2buaEvents, type B2buaState } from './b2bua/b2bua-call';
export { mapFailureStatus } from './b2bua/status-mapping';
export type { BodyRewriteContext, BodyRewrite, BodyRewriter, Leg } from './b2bua/body-rewrite';

// Test doubles (optional; useful for libs/sip/stack and app tests):
export { InMemoryNetwork, RecordingSink, run as runFakeClock, flush as flushPromises } from './transaction/test-support';
