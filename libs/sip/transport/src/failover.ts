import { isTargetFailure, TransportError } from './errors';

export interface FailoverAttempt<T> {
  target: T;
  error: unknown;
}

export interface FailoverResult<T, R> {
  /** The target that took the message, and its position in the list. */
  target: T;
  index: number;
  result: R;
  /** Targets tried before it, with why each failed. */
  failures: FailoverAttempt<T>[];
}

export interface FailoverOptions {
  /** Which errors move on to the next target; default: transport failures (isTargetFailure). */
  shouldFailover?: (err: unknown) => boolean;
}

function label(target: unknown): string {
  const t = target as { protocol?: unknown; host?: unknown; port?: unknown } | null;
  return t && typeof t.host === 'string' ? `${String(t.protocol)}:${t.host}:${String(t.port)}` : String(target);
}

/**
 * RFC 3263 §4.3: tries each target in order until one takes the message. A
 * transport failure (refused, timeout, TLS) moves on to the next; any other error
 * (e.g. 'too-large', a bug) is thrown at once. When all fail, throws
 * 'all-targets-failed' carrying every error in `errors`.
 */
export async function sendWithFailover<T, R>(targets: readonly T[], send: (target: T) => Promise<R>, options: FailoverOptions = {}): Promise<FailoverResult<T, R>> {
  const shouldFailover = options.shouldFailover ?? isTargetFailure;
  const failures: FailoverAttempt<T>[] = [];
  for (const [index, target] of targets.entries()) {
    try {
      return { target, index, result: await send(target), failures };
    } catch (err) {
      if (!shouldFailover(err)) throw err;
      failures.push({ target, error: err });
    }
  }
  const detail = failures.map((f) => `${label(f.target)}: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; ');
  throw new TransportError('all-targets-failed', targets.length === 0 ? 'no target to send to' : `all ${targets.length} targets failed: ${detail}`, { errors: failures.map((f) => f.error) });
}
