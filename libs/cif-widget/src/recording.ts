import { CifWidgetError, messageOf } from './errors';
import { RECORDING_ACTIONS, type RecordingAction } from './types';

export interface RecordingResult {
  /** widget-gateway's HTTP status (2xx). */
  status: number;
  /** Its answer, parsed when JSON. */
  body: unknown;
}

export type FetchLike = (input: string, init: { method: string; headers: Record<string, string>; signal?: AbortSignal; credentials?: 'omit' }) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

const TIMEOUT_MS = 10_000;

/** Asks widget-gateway to start/stop/pause/resume the recording of `callId` (POST <base>/v1/widget/calls/{callId}/recording/{action}, widget token as Bearer). */
export async function sendRecordingCommand(fetchImpl: FetchLike, base: string, token: string, action: RecordingAction, callId: string): Promise<RecordingResult> {
  if (!(RECORDING_ACTIONS as readonly string[]).includes(action)) {
    throw new CifWidgetError('invalid-input', `recording action must be one of ${RECORDING_ACTIONS.join(', ')}, got ${JSON.stringify(action)}`, { problems: [{ field: 'action', message: 'unknown action' }] });
  }
  if (typeof callId !== 'string' || callId.trim() === '' || callId.length > 256) {
    throw new CifWidgetError('invalid-input', `${action} recording: callId must be a non-empty string of at most 256 characters`, { problems: [{ field: 'callId', message: 'must be a non-empty string' }] });
  }
  const what = `${action} recording of call ${callId}`;
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
  try {
    const res = await fetchImpl(`${base}/v1/widget/calls/${encodeURIComponent(callId)}/recording/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: ctrl.signal,
      credentials: 'omit',
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: keep the text as the answer.
      body = text;
    }
    if (!res.ok) {
      const detail = errorText(body);
      throw new CifWidgetError(res.status === 401 ? 'unauthorized' : 'recording', `${what}: widget-gateway answered ${res.status}${detail ? `: ${detail}` : ''}`, { status: res.status });
    }
    return { status: res.status, body };
  } catch (err) {
    if (err instanceof CifWidgetError) throw err;
    const timedOut = ctrl.signal.aborted;
    throw new CifWidgetError('recording', `${what}: ${timedOut ? `no answer from widget-gateway in ${TIMEOUT_MS / 1000} s` : `could not reach widget-gateway (${messageOf(err)})`}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** The message of an error answer: widget-gateway's `{ error: { code, message } }`, or `{ error, message }`, or the text. */
function errorText(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (!body || typeof body !== 'object') return '';
  const b = body as { error?: unknown; message?: unknown };
  if (b.error && typeof b.error === 'object') {
    const e = b.error as { code?: unknown; message?: unknown };
    if (typeof e.message === 'string') return e.message;
    if (typeof e.code === 'string') return e.code;
  }
  if (typeof b.message === 'string') return b.message;
  if (typeof b.error === 'string') return b.error;
  return JSON.stringify(body).slice(0, 300);
}
