/**
 * What the sync needs from the outside, as narrow as the worker uses it. The
 * real implementations are @ci-connector/ci-api (users) and
 * @ci-connector/recording-policy (normalisation, stores); unit tests fake these.
 */

/** A user as the providers API returns it: a plain object whose fields are not known for sure. */
export type DirectoryUser = Readonly<Record<string, unknown>>;

/** The users to record of one tenant, page by page (the client follows next links). */
export interface UsersSource {
  listUsers(tenantId: string, opts?: { signal?: AbortSignal }): AsyncIterable<readonly DirectoryUser[]>;
}

/** Normalised identities of one user (object id, UPN/email lowercased, phones in E.164). */
export type NormaliseUser = (user: DirectoryUser, defaultCountry: string) => Iterable<string>;

/** Sync triggers, as `recording-policy.updated` names them. */
export type SyncTrigger = 'interval' | 'on-demand' | 'tenant-change';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Fields the ci-api errors carry (ProvidersApiError, TokenError); read tolerantly from any error. */
export interface ErrorHints {
  retryable: boolean;
  retryAfterMs?: number;
}

export function errorHints(err: unknown): ErrorHints {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { retryable?: unknown; retryAfterMs?: unknown; retryAfter?: unknown };
  const retryable = typeof e.retryable === 'boolean' ? e.retryable : true;
  const after = typeof e.retryAfterMs === 'number' ? e.retryAfterMs : typeof e.retryAfter === 'number' ? e.retryAfter * 1000 : undefined;
  return { retryable, ...(after !== undefined && Number.isFinite(after) && after > 0 ? { retryAfterMs: after } : {}) };
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}
