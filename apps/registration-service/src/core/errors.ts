import type { FieldProblem } from '@ci-connector/tenancy';

/** Every error the API answers with, transport-neutral; REST and gRPC map `kind` to their status codes. */
export type ApiErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'exists'
  | 'conflict'
  | 'precondition'
  | 'too-large'
  | 'unsupported-media-type'
  | 'unavailable';

export const HTTP_STATUS: Record<ApiErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  exists: 409,
  conflict: 409,
  precondition: 409,
  'too-large': 413,
  'unsupported-media-type': 415,
  unavailable: 503,
};

/** gRPC status codes (numbers of @grpc/grpc-js `status`). */
export const GRPC_STATUS: Record<ApiErrorKind, number> = {
  invalid: 3, // INVALID_ARGUMENT
  unauthenticated: 16, // UNAUTHENTICATED
  forbidden: 7, // PERMISSION_DENIED
  'not-found': 5, // NOT_FOUND
  exists: 6, // ALREADY_EXISTS
  conflict: 10, // ABORTED
  precondition: 9, // FAILED_PRECONDITION
  'too-large': 8, // RESOURCE_EXHAUSTED
  'unsupported-media-type': 3,
  unavailable: 14, // UNAVAILABLE
};

/** The REST error body: `{ error: { code, message, details: [{ field, message }] } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details: FieldProblem[] };
}

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    /** A stable machine-readable code, e.g. `validation_failed`, `tenant_not_found`. */
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
    /** Overrides the HTTP status of `kind` (412 for a failed If-Match). */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return this.httpStatus ?? HTTP_STATUS[this.kind];
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }

  static invalid(problems: FieldProblem[], what = 'request'): ApiError {
    const list = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    return new ApiError('invalid', 'validation_failed', `invalid ${what}: ${list}`, problems);
  }

  static notFound(id: string): ApiError {
    return new ApiError('not-found', 'tenant_not_found', `no tenant ${id}`);
  }
}
