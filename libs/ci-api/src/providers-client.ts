import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { apiErrorFromResponse, networkError } from './api-errors';
import { DEFAULT_PROVIDERS_BASE_URL, GUID_RE } from './constants';
import { ProvidersApiError, TokenError } from './errors';
import { createHttpTransport, headerValue, readText, type HttpTransport } from './http';
import { silentLogger, type CiApiLogger } from './logger';
import { resolveNextLink } from './next-link';
import { PROVIDERS_PATHS, REGISTRATION_STATUS_FIELD, tenantFieldFor, toRegistrationBody, type RegistrableTenant } from './providers-mapping';
import { DEFAULT_RETRY_POLICY, decideRetry, systemClock, validateRetryPolicy, type Clock, type RetryPolicy } from './retry';
import { UsersBodyParser, UsersShapeError, type ProviderUser, type UsersShape } from './users-parser';

export interface RetryInfo {
  operation: string;
  tenantId: string;
  /** The attempt that failed (1 = the first request). */
  attempt: number;
  /** How long until the next attempt (0 after a 401: a fresh token is fetched at once). */
  delayMs: number;
  error: ProvidersApiError | TokenError;
}

export interface ProvidersClientOptions {
  /** Default https://api.media.recording.dynamics.com; the emulator: its URL. A path prefix is kept. */
  baseUrl?: string;
  /** Tokens per tenant (createTokenProvider). `forceRefresh` is asked once after a 401. */
  tokens: { getToken(tenantId: string, opts?: { forceRefresh?: boolean }): Promise<string> };
  /** Extra CA certificate(s) to trust (the emulator's test CA). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Per request: no byte for this long → a 'timeout' failure (retried). Default 30 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Called before each retry (also given per call). */
  onRetry?: (info: RetryInfo) => void;
  /** Most users per page handed to the caller (the API's own pages are never merged). Default 5000. */
  usersPageSize?: number;
  logger?: CiApiLogger;
  /** For tests: time and sleeping, and the jitter's random source. */
  clock?: Clock;
  random?: () => number;
}

export interface CallOptions {
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
}

export interface RegistrationResult {
  /** created (201), accepted (202), updated / unchanged (200, from the answer's `status`; `updated` when it does not say). */
  status: 'created' | 'updated' | 'unchanged' | 'accepted';
  httpStatus: number;
  /** Requests made (1 = no retry). */
  attempts: number;
  /** The parsed answer, when it was JSON. */
  response?: unknown;
}

export interface UsersPage {
  users: ProviderUser[];
  /** 0, 1, 2… over the whole listing. */
  index: number;
  /** Which HTTP request of the listing it came from (0 = the first; next links add one each). */
  request: number;
  /** The answer's shape (array, value, users, items). */
  shape: UsersShape;
}

export interface ProvidersClient {
  /** `POST /api/v1.0/providers/tenants` with the seed's body, for the tenant's token. */
  registerTenant(tenant: RegistrableTenant, opts?: CallOptions): Promise<RegistrationResult>;
  /** `GET /api/v1.0/providers/users` and every next link, as pages; rejects with ProvidersApiError / TokenError. */
  listUsers(tenantId: string, opts?: CallOptions & { pageSize?: number }): AsyncIterable<UsersPage>;
  close(): void;
}

const MAX_SMALL_BODY = 1024 * 1024;

function normaliseBaseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`baseUrl: not a URL: ${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`baseUrl: must be https (or http for a local test double): ${value}`);
  if (url.search || url.hash) throw new Error(`baseUrl: no query or fragment: ${value}`);
  return url;
}

/** The CI providers API, with timeouts, retries (back-off, full jitter, Retry-After) and a fresh token after a 401. */
export function createProvidersClient(opts: ProvidersClientOptions): ProvidersClient {
  const base = normaliseBaseUrl(opts.baseUrl ?? DEFAULT_PROVIDERS_BASE_URL);
  const policy = validateRetryPolicy({ ...DEFAULT_RETRY_POLICY, ...opts.retry }, 'retry');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const defaultPageSize = opts.usersPageSize ?? 5000;
  if (!Number.isInteger(defaultPageSize) || defaultPageSize < 1) throw new Error('usersPageSize: must be an integer >= 1');
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? Math.random;
  const logger = opts.logger ?? silentLogger;
  const transport: HttpTransport = createHttpTransport(opts.ca !== undefined ? { ca: opts.ca } : {});
  const basePath = base.pathname.replace(/\/+$/, '');
  const urlFor = (path: string) => new URL(`${base.origin}${basePath}${path}`);

  const checkTenantId = (tenantId: string, operation: string): string => {
    const t = typeof tenantId === 'string' ? tenantId.trim().toLowerCase() : '';
    if (!GUID_RE.test(t)) throw new ProvidersApiError({ code: 'bad-request', message: `${operation}: '${String(tenantId)}' is not a tenant id (GUID)`, operation, retryable: false, attempts: 0 });
    return t;
  };

  /** One operation's attempts: tokens, failures, waits. */
  class Attempts {
    count = 0;
    private failures = 0;
    private refreshedAfter401 = false;
    private forceToken = false;
    private readonly startedAt = clock.now();

    constructor(
      private readonly operation: string,
      private readonly tenantId: string,
      private readonly call: CallOptions,
    ) {}

    async token(): Promise<string> {
      this.checkAborted();
      this.count++;
      const force = this.forceToken;
      this.forceToken = false;
      return opts.tokens.getToken(this.tenantId, force ? { forceRefresh: true } : undefined);
    }

    /** After a failed attempt: returns when the next may start, or throws the error (annotated) to give up. */
    async failed(err: unknown): Promise<void> {
      const error = err instanceof TokenError || err instanceof ProvidersApiError ? err : networkError(err, this.operation, base.host, this.tenantId);
      if (this.call.signal?.aborted || (error instanceof ProvidersApiError && error.code === 'aborted')) throw this.aborted(error);
      if (error instanceof ProvidersApiError && error.status === 401 && !this.refreshedAfter401) {
        this.refreshedAfter401 = true;
        this.forceToken = true;
        this.report(error, 0);
        return;
      }
      this.failures++;
      const decision = decideRetry(this.failures, { retryable: error.retryable, retryAfterMs: error.retryAfterMs }, policy, this.startedAt, clock.now(), random);
      if (!decision.retry) {
        if (error instanceof ProvidersApiError) {
          error.attempts = this.count;
          if (decision.reason !== 'not retryable') error.message += ` (gave up after ${this.count} attempts: ${decision.reason === 'deadline' ? `the next would pass the ${policy.deadlineMs} ms deadline` : 'no attempts left'})`;
        }
        throw error;
      }
      this.report(error, decision.delayMs);
      try {
        await clock.sleep(decision.delayMs, this.call.signal);
      } catch {
        throw this.aborted(error);
      }
    }

    private report(error: ProvidersApiError | TokenError, delayMs: number): void {
      const info: RetryInfo = { operation: this.operation, tenantId: this.tenantId, attempt: this.count, delayMs, error };
      logger.warn({ tenantId: this.tenantId, operation: this.operation, attempt: this.count, delayMs, code: error.code }, `retrying: ${error.message}`);
      for (const hook of [opts.onRetry, this.call.onRetry]) {
        try {
          hook?.(info);
        } catch (hookErr) {
          logger.warn({ err: hookErr }, 'onRetry hook threw');
        }
      }
    }

    private checkAborted(): void {
      if (this.call.signal?.aborted) throw this.aborted(undefined);
    }

    private aborted(last: unknown): ProvidersApiError {
      return new ProvidersApiError({
        code: 'aborted',
        message: `${this.operation} for tenant ${this.tenantId}: cancelled after ${this.count} attempts`,
        operation: this.operation,
        tenantId: this.tenantId,
        retryable: false,
        attempts: this.count,
        ...(last !== undefined ? { cause: last } : {}),
      });
    }
  }

  const send = async (method: 'GET' | 'POST', url: URL, token: string, operation: string, tenantId: string, call: CallOptions, body?: Buffer): Promise<IncomingMessage> => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'user-agent': 'ci-connector',
      'client-request-id': randomUUID(),
      ...(body ? { 'content-type': 'application/json' } : {}),
    };
    try {
      return await transport.send({ method, url, headers, ...(body ? { body } : {}), timeoutMs, ...(call.signal ? { signal: call.signal } : {}), operation, tenantId });
    } catch (err) {
      throw networkError(err, operation, url.host, tenantId);
    }
  };

  /** A non-2xx answer → its ProvidersApiError (the body read, at most 1 MiB). */
  const failure = async (res: IncomingMessage, operation: string, tenantId: string, fieldHint?: (f: string) => string | undefined): Promise<ProvidersApiError> => {
    const { text } = await readText(res, MAX_SMALL_BODY).catch(() => ({ text: '' }));
    const retryAfter = headerValue(res.headers, 'retry-after');
    return apiErrorFromResponse({ operation, tenantId, status: res.statusCode ?? 0, ...(retryAfter !== undefined ? { retryAfter } : {}), text, now: clock.now(), ...(fieldHint ? { fieldHint } : {}) });
  };

  async function registerTenant(tenant: RegistrableTenant, call: CallOptions = {}): Promise<RegistrationResult> {
    const operation = `POST ${PROVIDERS_PATHS.registerTenant}`;
    const tenantId = checkTenantId(tenant?.id, operation);
    const body = Buffer.from(JSON.stringify(toRegistrationBody(tenant)));
    const url = urlFor(PROVIDERS_PATHS.registerTenant);
    const attempts = new Attempts(operation, tenantId, call);
    for (;;) {
      try {
        const res = await send('POST', url, await attempts.token(), operation, tenantId, call, body);
        const httpStatus = res.statusCode ?? 0;
        if (httpStatus < 200 || httpStatus >= 300) throw await failure(res, operation, tenantId, tenantFieldFor);
        const { text } = await readText(res, MAX_SMALL_BODY);
        let response: unknown;
        try {
          response = text ? JSON.parse(text) : undefined;
        } catch {
          response = undefined;
        }
        const said = response !== null && typeof response === 'object' ? (response as Record<string, unknown>)[REGISTRATION_STATUS_FIELD] : undefined;
        const status: RegistrationResult['status'] =
          httpStatus === 201 ? 'created' : httpStatus === 202 ? 'accepted' : said === 'unchanged' || said === 'updated' || said === 'created' ? said : 'updated';
        logger.info({ tenantId, httpStatus, status, attempts: attempts.count }, 'provider registered');
        return { status, httpStatus, attempts: attempts.count, ...(response !== undefined ? { response } : {}) };
      } catch (err) {
        await attempts.failed(err);
      }
    }
  }

  async function* listUsers(rawTenantId: string, call: CallOptions & { pageSize?: number } = {}): AsyncGenerator<UsersPage> {
    const operation = `GET ${PROVIDERS_PATHS.users}`;
    const tenantId = checkTenantId(rawTenantId, operation);
    const pageSize = call.pageSize ?? defaultPageSize;
    let url: URL | undefined = urlFor(PROVIDERS_PATHS.users);
    const visited = new Set<string>();
    let index = 0;
    let request = 0;
    while (url) {
      visited.add(url.href);
      const attempts = new Attempts(operation, tenantId, call);
      let next: URL | undefined;
      for (;;) {
        let yielded = false;
        let res: IncomingMessage | undefined;
        try {
          res = await send('GET', url, await attempts.token(), operation, tenantId, call);
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) throw await failure(res, operation, tenantId);
          const pending: ProviderUser[] = [];
          const parser = new UsersBodyParser((u) => pending.push(u));
          const decoder = new StringDecoder('utf8');
          let shape: UsersShape | undefined;
          try {
            for await (const chunk of res as AsyncIterable<Buffer>) {
              parser.push(decoder.write(chunk));
              while (pending.length >= pageSize) {
                yielded = true;
                yield { users: pending.splice(0, pageSize), index: index++, request, shape: parser.shapeSoFar() ?? 'value' };
              }
            }
            parser.push(decoder.end());
            const summary = parser.end();
            shape = summary.shape;
            if (summary.nextLink !== undefined) next = resolveNextLink(summary.nextLink, url, base, operation, tenantId);
          } catch (err) {
            if (err instanceof UsersShapeError) throw badResponse(err, url, operation, tenantId, request);
            throw err;
          }
          if (pending.length > 0) {
            yielded = true;
            yield { users: pending.splice(0), index: index++, request, shape };
          }
          break;
        } catch (err) {
          if (res && !res.complete) res.destroy();
          if (err instanceof ProvidersApiError && (err.code === 'bad-response' || err.code === 'foreign-next-link')) {
            err.attempts = attempts.count;
            throw err;
          }
          if (yielded) throw brokenOff(err, operation, tenantId, index, base.host);
          await attempts.failed(err);
        } finally {
          // the caller stopped iterating mid-answer: free the connection
          if (res && !res.complete) res.destroy();
        }
      }
      if (next && visited.has(next.href)) {
        throw new ProvidersApiError({ code: 'bad-response', message: `${operation} for tenant ${tenantId}: the next link ${next.href} was already followed (a paging loop)`, operation, tenantId, retryable: false });
      }
      url = next;
      request++;
    }
  }

  return {
    registerTenant,
    listUsers: (tenantId, call) => listUsers(tenantId, call),
    close: () => transport.close(),
  };
}

function badResponse(err: UsersShapeError, url: URL, operation: string, tenantId: string, request: number): ProvidersApiError {
  return new ProvidersApiError({
    code: 'bad-response',
    message: `${operation} for tenant ${tenantId} answered users in no known shape (request ${request + 1}, ${url.pathname}${url.search}): ${err.message}; expected a JSON array of users, or an object with the array under "value", "users" or "items"`,
    operation,
    tenantId,
    retryable: false,
    cause: err,
  });
}

function brokenOff(err: unknown, operation: string, tenantId: string, pages: number, host: string): ProvidersApiError {
  const inner = err instanceof ProvidersApiError ? err : networkError(err, operation, host, tenantId);
  return new ProvidersApiError({
    code: inner.code,
    message: `${operation} for tenant ${tenantId}: the listing broke off after ${pages} pages were handed over (${inner.message}); list again from the start`,
    operation,
    tenantId,
    retryable: true,
    cause: err,
  });
}
