import { ApiError } from './api-error';
import { CI_APP_ID, issuerFor, USERS_READ_ALL } from '../entra/ci-app';
import type { Directory } from '../entra/directory';
import type { SigningKeys } from '../entra/signing-keys';

export interface Caller {
  tenantId: string;
  clientId: string;
  roles: string[];
}

const quote = (s: string) => s.replace(/["\\]/g, "'");

function unauthorized(message: string, withError = true): ApiError {
  // RFC 6750 §3.1: no error code when the request carried no credentials at all.
  const challenge = withError ? `Bearer realm="ci-emulator", error="invalid_token", error_description="${quote(message)}"` : 'Bearer realm="ci-emulator"';
  return new ApiError(401, 'InvalidToken', message, [{ field: 'Authorization', message }], { 'www-authenticate': challenge });
}

/**
 * The providers API's bearer token check, strictest first: a Bearer token; our
 * signature (RS256, our kid); `aud` = the CI app; `tid` a known tenant and
 * `iss` = <emulator>/<tid>/v2.0; `nbf` ≤ now < `exp`; an app id (`appid`/`azp`);
 * then the `Users.Read.All` role (403 without it).
 */
export async function authenticate(authorization: string | undefined, keys: SigningKeys, directory: Directory, base: string, now = new Date()): Promise<Caller> {
  if (!authorization) throw unauthorized('no Authorization header: send Authorization: Bearer <access token from the token endpoint>', false);
  const m = /^Bearer +(\S+)\s*$/i.exec(authorization);
  if (!m || m[1] === undefined) throw unauthorized(`the Authorization header is not 'Bearer <token>' (scheme ${JSON.stringify(authorization.split(' ')[0])})`);
  let claims: Record<string, unknown>;
  try {
    ({ claims } = await keys.verify(m[1]));
  } catch (err) {
    throw unauthorized(`the token is not valid: ${(err as Error).message}`);
  }
  if (claims['aud'] !== CI_APP_ID) throw unauthorized(`the token audience ${JSON.stringify(claims['aud'])} is not the CI app ${CI_APP_ID} (request scope=${CI_APP_ID}/.default)`);
  const tid = claims['tid'];
  if (typeof tid !== 'string' || !directory.tenant(tid)) throw unauthorized(`the token tenant (tid ${JSON.stringify(tid)}) is not a tenant of this emulator`);
  if (claims['iss'] !== issuerFor(base, tid)) throw unauthorized(`the token issuer ${JSON.stringify(claims['iss'])} is not ${issuerFor(base, tid)}`);
  const nowS = Math.floor(now.getTime() / 1000);
  const exp = claims['exp'];
  const nbf = claims['nbf'];
  if (typeof exp !== 'number') throw unauthorized('the token has no exp claim');
  if (nowS >= exp) throw unauthorized(`the token expired at ${new Date(exp * 1000).toISOString()}`);
  if (typeof nbf === 'number' && nowS < nbf) throw unauthorized(`the token is not valid before ${new Date(nbf * 1000).toISOString()}`);
  const clientId = typeof claims['appid'] === 'string' ? claims['appid'] : typeof claims['azp'] === 'string' ? claims['azp'] : undefined;
  if (!clientId) throw unauthorized('the token names no application (appid/azp); use an app-only token from the client credentials grant');
  const roles = Array.isArray(claims['roles']) ? claims['roles'].filter((r): r is string => typeof r === 'string') : [];
  if (!roles.includes(USERS_READ_ALL)) {
    const message = `the token has no '${USERS_READ_ALL}' role (roles: ${roles.length ? roles.join(', ') : 'none'}): the app needs the application permission ${USERS_READ_ALL} with admin consent in tenant ${tid}`;
    throw new ApiError(403, 'MissingRole', message, [{ field: 'roles', message: `must include ${USERS_READ_ALL}` }], { 'www-authenticate': `Bearer realm="ci-emulator", error="insufficient_scope", error_description="${quote(message)}"` });
  }
  return { tenantId: tid, clientId: clientId.toLowerCase(), roles };
}
