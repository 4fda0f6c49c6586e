/**
 * The JSON error every non-Entra route of this part answers with (providers API
 * and /emulator/ admin): `{ error: { code, message, details: [{ field, message }] } }`.
 * `details` lists every bad field at once; `message` names the rule.
 */
export interface FieldProblem {
  field: string;
  message: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details: FieldProblem[] };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** 400 listing every problem; the message repeats the first few so a log line alone is useful. */
export function validationError(details: FieldProblem[], what = 'the request body'): ApiError {
  const shown = details.slice(0, 5).map((d) => `${d.field}: ${d.message}`).join('; ');
  const more = details.length > 5 ? ` (and ${details.length - 5} more)` : '';
  return new ApiError(400, 'ValidationFailed', `${what} is invalid: ${shown}${more}`, details);
}

/** ['tenants', 2, 'tenantId'] → `tenants[2].tenantId` (the JSON path errors name). */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(body)';
}

/** Turns zod issues into field problems, prefixing each path. */
export function zodProblems(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string; keys?: readonly string[] }>, prefix: ReadonlyArray<PropertyKey> = []): FieldProblem[] {
  return issues.flatMap((i) =>
    i.code === 'unrecognized_keys' && i.keys
      ? i.keys.map((k) => ({ field: formatPath([...prefix, ...i.path, k]), message: 'unknown property' }))
      : [{ field: formatPath([...prefix, ...i.path]), message: i.message }],
  );
}

/** Parses JSON text, or throws a 400 naming the position. */
export function parseJson(raw: Buffer | undefined, what = 'the request body'): unknown {
  const text = raw?.toString('utf8') ?? '';
  if (text.trim() === '') throw new ApiError(400, 'EmptyBody', `${what} is empty; a JSON document is required`, [{ field: '(body)', message: 'empty' }]);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ApiError(400, 'MalformedJson', `${what} is not valid JSON: ${(err as Error).message}`, [{ field: '(body)', message: `malformed JSON: ${(err as Error).message}` }]);
  }
}

/** 415 unless the Content-Type is application/json (any charset other than utf-8 refused too). */
export function requireJsonContentType(contentType: string | undefined): void {
  const ct = (contentType ?? '').toLowerCase();
  const [type, ...params] = ct.split(';').map((s) => s.trim());
  if (type !== 'application/json') {
    throw new ApiError(415, 'UnsupportedMediaType', `Content-Type must be application/json, got ${contentType ? `'${contentType}'` : 'none'}`, [{ field: 'Content-Type', message: 'must be application/json' }]);
  }
  const charset = params.find((p) => p.startsWith('charset='));
  if (charset && !/^charset="?utf-8"?$/.test(charset)) {
    throw new ApiError(415, 'UnsupportedMediaType', `only charset=utf-8 is accepted, got ${charset}`, [{ field: 'Content-Type', message: 'charset must be utf-8' }]);
  }
}
