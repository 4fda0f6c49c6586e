import { timingSafeEqual, createHash } from 'node:crypto';
import { aad, AadstsError } from './aadsts';
import { JWT_BEARER, verifyClientAssertion } from './assertion';
import { CI_APP_ID, CI_SCOPE, issuerFor, TOKEN_LIFETIME_SECONDS } from './ci-app';
import { servicePrincipalId, type Directory } from './directory';
import type { SigningKeys } from './signing-keys';
import { GUID_RE } from '../providers/registration-body';

export interface TokenRequest {
  /** The {tenant} path segment as sent. */
  tenantSegment: string;
  contentType: string | undefined;
  body: Buffer | undefined;
  /** https://<Host header>, accepted as an assertion audience besides the configured base URL. */
  requestOrigin?: string;
}

export interface TokenResponse {
  token_type: 'Bearer';
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
}

export type TokenOutcome = { ok: true; body: TokenResponse; tenantId: string; clientId: string; claims: Record<string, unknown> } | { ok: false; error: AadstsError; tenantId?: string; clientId?: string };

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * The Entra v2 token endpoint for the client credentials grant, one rule at a
 * time, in this order: tenant → content type → form parameters (each once) →
 * grant_type → client_id → scope → the app → its credential (secret or
 * certificate assertion) → the app's service principal (consent) in the tenant.
 * Issues an RS256 access token for the CI app with the consented roles.
 */
export class TokenService {
  constructor(
    private readonly directory: Directory,
    private readonly keys: SigningKeys,
    private readonly baseUrl: string,
  ) {}

  async handle(req: TokenRequest, now = new Date()): Promise<TokenOutcome> {
    const segment = req.tenantSegment.toLowerCase();
    const tenant = GUID_RE.test(segment) ? this.directory.tenant(segment) : undefined;
    if (!tenant) return { ok: false, error: aad.tenantNotFound(req.tenantSegment) };
    const tenantId = tenant.tenantId;
    let clientId: string | undefined;
    try {
      const form = this.parseForm(req);
      const get = (name: string) => form.get(name) ?? undefined;
      const grant = get('grant_type');
      if (grant === undefined || grant === '') throw aad.missingParameter('grant_type');
      if (grant !== 'client_credentials') throw aad.unsupportedGrantType(grant);
      const rawClient = get('client_id');
      if (rawClient === undefined || rawClient === '') throw aad.missingParameter('client_id');
      clientId = rawClient.toLowerCase();
      const scope = get('scope');
      if (scope === undefined || scope === '') throw aad.missingParameter('scope');
      this.checkScope(scope, tenantId);
      const app = this.directory.app(clientId);
      if (!app) throw aad.unknownClient(rawClient, tenantId);

      const secret = get('client_secret');
      const assertion = get('client_assertion');
      const assertionType = get('client_assertion_type');
      let acr: '1' | '2';
      if (secret !== undefined && assertion !== undefined) throw aad.malformed('send either client_secret or client_assertion, not both');
      if (secret !== undefined) {
        this.checkSecret(app.clientId, secret, app.secrets, now);
        acr = '1';
      } else if (assertion !== undefined) {
        if (assertionType === undefined || assertionType === '') throw aad.missingParameter('client_assertion_type');
        if (assertionType !== JWT_BEARER) throw aad.malformed(`client_assertion_type must be ${JWT_BEARER}, got '${assertionType}'`);
        await verifyClientAssertion({ assertion, clientId: app.clientId, certificates: app.certificates, audiences: this.tokenEndpoints(req), now });
        acr = '2';
      } else {
        throw aad.noCredential();
      }

      const roles = tenant.consents.get(app.clientId);
      if (roles === undefined) throw aad.noServicePrincipal(app.clientId, tenantId);

      const iat = Math.floor(now.getTime() / 1000);
      const oid = servicePrincipalId(tenantId, app.clientId);
      const claims: Record<string, unknown> = {
        aud: CI_APP_ID,
        iss: issuerFor(this.baseUrl, tenantId),
        iat,
        nbf: iat,
        exp: iat + TOKEN_LIFETIME_SECONDS,
        aio: 'ci-emulator',
        appid: app.clientId,
        appidacr: acr,
        azp: app.clientId,
        azpacr: acr,
        idp: issuerFor(this.baseUrl, tenantId).replace(/\/v2\.0$/, '/'),
        idtyp: 'app',
        oid,
        ...(roles.length > 0 ? { roles } : {}),
        sub: oid,
        tid: tenantId,
        ver: '2.0',
      };
      const access_token = await this.keys.sign(claims);
      return { ok: true, tenantId, clientId: app.clientId, claims, body: { token_type: 'Bearer', expires_in: TOKEN_LIFETIME_SECONDS, ext_expires_in: TOKEN_LIFETIME_SECONDS, access_token } };
    } catch (err) {
      if (err instanceof AadstsError) return { ok: false, error: err, tenantId, ...(clientId ? { clientId } : {}) };
      throw err;
    }
  }

  /** This tenant's token endpoint as the client may address it: the configured base URL, or the Host it used. */
  tokenEndpoints(req: Pick<TokenRequest, 'tenantSegment' | 'requestOrigin'>): string[] {
    const path = `/${req.tenantSegment}/oauth2/v2.0/token`;
    return [...new Set([`${this.baseUrl}${path}`, ...(req.requestOrigin ? [`${req.requestOrigin}${path}`] : [])])];
  }

  private parseForm(req: TokenRequest): URLSearchParams {
    const type = (req.contentType ?? '').split(';')[0]?.trim().toLowerCase();
    // Entra reads only a form body: anything else looks like a body without grant_type (AADSTS900144).
    if (type !== 'application/x-www-form-urlencoded') {
      throw aad.missingParameter('grant_type', `the body must be application/x-www-form-urlencoded; the Content-Type was ${req.contentType ? `'${req.contentType}'` : 'missing'}`);
    }
    const form = new URLSearchParams(req.body?.toString('utf8') ?? '');
    const seen = new Set<string>();
    for (const key of form.keys()) {
      if (seen.has(key)) throw aad.malformed(`the parameter '${key}' is given more than once`);
      seen.add(key);
    }
    return form;
  }

  private checkScope(scope: string, tenantId: string): void {
    if (scope === CI_SCOPE) return;
    const scopes = scope.split(' ').filter(Boolean);
    const single = scopes.length === 1 ? scopes[0] : undefined;
    if (single?.endsWith('/.default') && single.toLowerCase() !== CI_SCOPE) {
      throw aad.resourceNotFound(single.slice(0, -'/.default'.length), tenantId);
    }
    throw aad.invalidScope(scope);
  }

  private checkSecret(clientId: string, secret: string, secrets: Array<{ value: string; expiresAt?: Date }>, now: Date): void {
    const given = sha256(secret);
    const match = secrets.find((s) => timingSafeEqual(sha256(s.value), given));
    if (!match) throw aad.badSecret(clientId);
    if (match.expiresAt && match.expiresAt.getTime() <= now.getTime()) throw aad.expiredSecret(clientId);
  }
}
