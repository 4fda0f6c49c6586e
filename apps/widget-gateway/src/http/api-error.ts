/** One error shape for every HTTP answer (as registration-service): `{ error: { code, message, details: [{ field, message }] } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details: { field: string; message: string }[] };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { field: string; message: string }[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}
