/** What went wrong, as a stable name a dialer's code can switch on. */
export type CifWidgetErrorCode =
  /** connect() options or a raise*() event are not what the seed / the service expects. */
  | 'invalid-input'
  /** Microsoft.CIFramework is not on the page (yet): msdyn_ciLibrary.js not loaded from the org. */
  | 'cif-unavailable'
  /** CIF refused or kept failing a raiseEvent (after the retries). */
  | 'cif-raise-failed'
  /** The widget-gateway stream closed or could not be opened; the widget reconnects. */
  | 'stream'
  /** widget-gateway refused the widget token (401/403): a new token is needed. */
  | 'unauthorized'
  /** An event from the stream the widget could not read. */
  | 'invalid-event'
  /** A recording command was refused or could not be sent. */
  | 'recording';

export interface Problem {
  field: string;
  message: string;
}

export class CifWidgetError extends Error {
  readonly code: CifWidgetErrorCode;
  /** Each bad field, for 'invalid-input' and 'invalid-event'. */
  readonly problems: Problem[];
  /** Whether the widget keeps trying by itself (reconnect, next attempt). */
  readonly retrying: boolean;
  /** The HTTP status, for 'unauthorized', 'stream' and 'recording'. */
  readonly status?: number;

  constructor(code: CifWidgetErrorCode, message: string, opts: { problems?: Problem[]; retrying?: boolean; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CifWidgetError';
    this.code = code;
    this.problems = opts.problems ?? [];
    this.retrying = opts.retrying ?? false;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
