import { ProvidersApiError, type FieldProblem, type ProvidersApiErrorCode } from './errors';
import { parseRetryAfter } from './retry';

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

const CODE_BY_STATUS: Readonly<Record<number, ProvidersApiErrorCode>> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  408: 'timeout',
  429: 'throttled',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim().length > 0 ? v.trim() : undefined);

export interface ParsedApiError {
  apiCode?: string;
  apiMessage?: string;
  fields: FieldProblem[];
}

/**
 * What an error body says, in the shapes the API may use (its Swagger is not
 * published): `{ error: { code, message, details: [{ field | target, message }] } }`
 * (OData / Graph; the emulator), ASP.NET ProblemDetails `{ title, detail, errors: { field: [..] } }`,
 * `{ error, error_description }`, `{ code, message }`, `{ Message }`.
 */
export function parseErrorBody(text: string): ParsedApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { fields: [] };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { fields: [] };
  const b = body as Record<string, unknown>;
  const fields: FieldProblem[] = [];
  const inner = b['error'] !== null && typeof b['error'] === 'object' ? (b['error'] as Record<string, unknown>) : undefined;
  const details = inner?.['details'] ?? b['details'];
  if (Array.isArray(details)) {
    for (const d of details) {
      if (d === null || typeof d !== 'object') continue;
      const r = d as Record<string, unknown>;
      const field = str(r['field']) ?? str(r['target']) ?? str(r['name']);
      const message = str(r['message']) ?? str(r['code']) ?? 'invalid';
      if (field) fields.push({ field, message });
    }
  }
  const errors = b['errors'];
  if (errors !== null && typeof errors === 'object' && !Array.isArray(errors)) {
    for (const [field, msgs] of Object.entries(errors as Record<string, unknown>)) {
      const list = Array.isArray(msgs) ? msgs.map((m) => String(m)) : [String(msgs)];
      fields.push({ field, message: list.join('; ') });
    }
  }
  const apiCode = str(inner?.['code']) ?? str(b['error']) ?? str(b['code']) ?? str(b['title']);
  const apiMessage = str(inner?.['message']) ?? str(b['error_description']) ?? str(b['message']) ?? str(b['Message']) ?? str(b['detail']) ?? str(b['title']);
  return { ...(apiCode ? { apiCode } : {}), ...(apiMessage ? { apiMessage } : {}), fields };
}

export interface ErrorResponse {
  operation: string;
  tenantId?: string;
  status: number;
  retryAfter?: string;
  text: string;
  now: number;
  /** Adds our name to a field the API named (registration: `AuthenticationDetails.AccountId` → `accountId`). */
  fieldHint?: (apiField: string) => string | undefined;
}

const HINTS: Readonly<Partial<Record<number, string>>> = {
  401: 'the API refused a freshly issued token: check that the token is for the CI app and this tenant',
  403: "the app's token has no Users.Read.All role in this tenant: ask the customer's admin to grant admin consent to that permission",
  404: 'check the providers API base URL',
  413: 'the body is too large',
  415: 'the API wants application/json',
};

export function apiErrorFromResponse(r: ErrorResponse): ProvidersApiError {
  const parsed = parseErrorBody(r.text);
  const code: ProvidersApiErrorCode = CODE_BY_STATUS[r.status] ?? (r.status >= 500 ? 'server-error' : 'client-error');
  const retryable = RETRYABLE_STATUSES.has(r.status);
  const retryAfterMs = parseRetryAfter(r.retryAfter, r.now);
  const excerpt = r.text.length > 500 ? `${r.text.slice(0, 500)}…` : r.text;
  const fieldText = parsed.fields
    .map((f) => {
      const ours = r.fieldHint?.(f.field);
      return `${f.field}${ours && ours !== f.field ? ` (tenant field ${ours})` : ''}: ${f.message}`;
    })
    .join('; ');
  const said = parsed.apiMessage ?? (excerpt.trim() ? excerpt.replace(/\s+/g, ' ').slice(0, 200) : 'no body');
  const hint = HINTS[r.status];
  const message =
    `${r.operation}${r.tenantId ? ` for tenant ${r.tenantId}` : ''} answered ${r.status}${parsed.apiCode ? ` ${parsed.apiCode}` : ''}: ${said}` +
    (fieldText ? ` [fields: ${fieldText}]` : '') +
    (hint ? ` (${hint})` : '') +
    (retryAfterMs !== undefined ? ` (Retry-After ${Math.ceil(retryAfterMs / 1000)} s)` : '');
  return new ProvidersApiError({
    code,
    message,
    operation: r.operation,
    ...(r.tenantId ? { tenantId: r.tenantId } : {}),
    status: r.status,
    retryable,
    ...(parsed.apiCode ? { apiCode: parsed.apiCode } : {}),
    fields: parsed.fields,
    bodyExcerpt: excerpt,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** A transport failure (no HTTP answer) as a ProvidersApiError. */
export function networkError(err: unknown, operation: string, host: string, tenantId?: string): ProvidersApiError {
  if (err instanceof ProvidersApiError) return err;
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  if (e?.name === 'AbortError') {
    return new ProvidersApiError({ code: 'aborted', message: `${operation}${tenantId ? ` for tenant ${tenantId}` : ''}: cancelled`, operation, ...(tenantId ? { tenantId } : {}), retryable: false, cause: err });
  }
  const detail = [typeof e?.code === 'string' ? e.code : undefined, typeof e?.message === 'string' ? e.message : String(err)].filter(Boolean).join(' ');
  return new ProvidersApiError({
    code: 'network',
    message: `${operation}${tenantId ? ` for tenant ${tenantId}` : ''}: could not reach ${host}: ${detail}`,
    operation,
    ...(tenantId ? { tenantId } : {}),
    retryable: true,
    cause: err,
  });
}
