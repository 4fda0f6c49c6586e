/**
 * What went wrong talking to rtpengine:
 * - `error`: rtpengine answered `result: error` (its `error-reason` is `reason`)
 * - `warning`: rtpengine answered `ok` with a `warning` and the client is strict
 * - `timeout`: no answer within `timeoutMs`
 * - `transport`: the control socket failed (send error, socket closed under us)
 * - `bad-reply`: the answer lacks what the command must return, or breaks what we asked for
 * - `bad-request`: our caller passed something invalid; nothing was sent
 * - `closed`: the client was closed before or while the command ran
 */
export type RtpengineErrorCode = 'error' | 'warning' | 'timeout' | 'transport' | 'bad-reply' | 'bad-request' | 'closed';

export interface RtpengineErrorDetails {
  code: RtpengineErrorCode;
  /** the ng command, as rtpengine names it (`offer`, `subscribe request`, …) */
  command: string;
  /** the call it was about, when there is one */
  callId?: string;
  /** rtpengine's `result` (`error`, `ok`, `load limit`, …), when it answered */
  result?: string;
  /** rtpengine's `error-reason` or `warning`, or our own explanation */
  reason: string;
  cause?: unknown;
}

export class RtpengineError extends Error {
  readonly code: RtpengineErrorCode;
  readonly command: string;
  readonly callId: string | undefined;
  readonly result: string | undefined;
  readonly reason: string;

  constructor(d: RtpengineErrorDetails) {
    super(`rtpengine ${d.command}${d.callId !== undefined ? ` for call '${d.callId}'` : ''} failed (${d.code}): ${d.reason}`, d.cause !== undefined ? { cause: d.cause } : undefined);
    this.name = 'RtpengineError';
    this.code = d.code;
    this.command = d.command;
    this.callId = d.callId;
    this.result = d.result;
    this.reason = d.reason;
  }
}

export function isRtpengineError(e: unknown): e is RtpengineError {
  return e instanceof RtpengineError;
}
