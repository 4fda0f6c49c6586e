/** One bad field of a request: REST `problems[]`, gRPC `field-violations`. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** Every error the API answers with, transport-neutral; REST and gRPC map `kind` to their status codes. */
export type ApiErrorKind = 'invalid' | 'unauthenticated' | 'forbidden' | 'too-large' | 'unsupported-media-type' | 'unavailable';

export const HTTP_STATUS: Record<ApiErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'too-large': 413,
  'unsupported-media-type': 415,
  unavailable: 503,
};

/** gRPC status codes (numbers of @grpc/grpc-js `status`). */
export const GRPC_STATUS: Record<ApiErrorKind, number> = {
  invalid: 3, // INVALID_ARGUMENT
  unauthenticated: 16, // UNAUTHENTICATED
  forbidden: 7, // PERMISSION_DENIED
  'too-large': 8, // RESOURCE_EXHAUSTED
  'unsupported-media-type': 3,
  unavailable: 14, // UNAVAILABLE
};

/** The REST error body (issue 7): `{ error, problems: [{ field, message }] }`. */
export interface ErrorBody {
  error: string;
  problems: FieldProblem[];
}

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly problems: FieldProblem[] = [],
    /** For `unavailable`: when a retry makes sense (Retry-After, seconds). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return HTTP_STATUS[this.kind];
  }

  body(): ErrorBody {
    return { error: this.message, problems: this.problems };
  }

  static invalid(problems: FieldProblem[]): ApiError {
    return new ApiError('invalid', `invalid request: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
  }
}
