/** Why a token could not be had, in words a carrier's admin acts on. */
export type TokenErrorCode =
  | 'tenant-not-found'
  | 'invalid-client'
  | 'unauthorized-client'
  | 'invalid-scope'
  | 'consent-missing'
  | 'throttled'
  | 'network'
  | 'unknown';

export interface TokenErrorDetails {
  code: TokenErrorCode;
  message: string;
  tenantId: string;
  clientId: string;
  /** The AADSTS number Entra ID answered with (7000229, 90002, …), when there was one. */
  aadsts?: number;
  /** Worth trying again later (throttling, network, Entra ID unavailable). */
  retryable: boolean;
  /** HTTP status of Entra ID's answer, when there was one. */
  httpStatus?: number;
  /** Entra ID's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs?: number;
  /** msal's error code (`invalid_client`, `network_error`, …). */
  msalErrorCode?: string;
  correlationId?: string;
  cause?: unknown;
}

/** A token request failed; `code` says why, `message` says what to do. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  readonly code: TokenErrorCode;
  readonly tenantId: string;
  readonly clientId: string;
  readonly aadsts: number | undefined;
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly msalErrorCode: string | undefined;
  readonly correlationId: string | undefined;

  constructor(d: TokenErrorDetails) {
    super(d.message, d.cause !== undefined ? { cause: d.cause } : undefined);
    this.code = d.code;
    this.tenantId = d.tenantId;
    this.clientId = d.clientId;
    this.aadsts = d.aadsts;
    this.retryable = d.retryable;
    this.httpStatus = d.httpStatus;
    this.retryAfterMs = d.retryAfterMs;
    this.msalErrorCode = d.msalErrorCode;
    this.correlationId = d.correlationId;
  }
}

export type ProvidersApiErrorCode =
  /** 400: the API refused the body or query (`fields` lists what it named). */
  | 'bad-request'
  /** 401 even with a fresh token. */
  | 'unauthorized'
  /** 403: the token lacks the Users.Read.All role (consent without the permission). */
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  /** another 4xx. */
  | 'client-error'
  /** 429. */
  | 'throttled'
  /** 5xx. */
  | 'server-error'
  /** no answer within timeoutMs. */
  | 'timeout'
  /** connection refused, reset, TLS failure… */
  | 'network'
  /** 2xx whose body is not what it must be (not JSON, users in no known shape). */
  | 'bad-response'
  /** a next link to another origin than the base URL. */
  | 'foreign-next-link'
  /** the caller's AbortSignal fired. */
  | 'aborted';

export interface FieldProblem {
  field: string;
  message: string;
}

export interface ProvidersApiErrorDetails {
  code: ProvidersApiErrorCode;
  message: string;
  /** e.g. `POST /api/v1.0/providers/tenants`. */
  operation: string;
  tenantId?: string;
  status?: number;
  retryable: boolean;
  /** Requests made for this operation (1 = no retry). */
  attempts?: number;
  /** The API's own error code (`BadRequest`, `TooManyRequests`…), when its body had one. */
  apiCode?: string;
  /** Fields the API named as wrong. */
  fields?: FieldProblem[];
  /** The first 500 characters of the response body. */
  bodyExcerpt?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/** The providers API refused or could not be reached; `message` names what it said. */
export class ProvidersApiError extends Error {
  override readonly name = 'ProvidersApiError';
  readonly code: ProvidersApiErrorCode;
  readonly operation: string;
  readonly tenantId: string | undefined;
  readonly status: number | undefined;
  readonly retryable: boolean;
  attempts: number;
  readonly apiCode: string | undefined;
  readonly fields: FieldProblem[];
  readonly bodyExcerpt: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(d: ProvidersApiErrorDetails) {
    super(d.message, d.cause !== undefined ? { cause: d.cause } : undefined);
    this.code = d.code;
    this.operation = d.operation;
    this.tenantId = d.tenantId;
    this.status = d.status;
    this.retryable = d.retryable;
    this.attempts = d.attempts ?? 1;
    this.apiCode = d.apiCode;
    this.fields = d.fields ?? [];
    this.bodyExcerpt = d.bodyExcerpt;
    this.retryAfterMs = d.retryAfterMs;
  }
}
