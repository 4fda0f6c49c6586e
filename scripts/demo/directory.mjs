// Who the demo calls: a user the CI providers API (the ci-emulator) lists as
// one to record for the demo tenant, asked exactly as policy-sync-worker asks —
// an app-only token (client credentials with the app's certificate, RFC 7523)
// from the Entra token endpoint, then GET /api/v1.0/providers/users.
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemoError, describeAnswer, http } from './lib.mjs';

const CI_SCOPE = 'f448d7e5-e313-4f90-a3eb-5dbb3277e4b3/.default';
const b64url = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

/** A client assertion signed with the app's certificate key, as Entra accepts it (RS256, x5t#S256). */
function clientAssertion(cfg, audience) {
  const cert = new X509Certificate(readFileSync(join(cfg.certs, 'app.pem')));
  const key = createPrivateKey(readFileSync(join(cfg.certs, 'app-key.pem')));
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', 'x5t#S256': createHash('sha256').update(cert.raw).digest('base64url') };
  const claims = { aud: audience, iss: cfg.appId, sub: cfg.appId, jti: randomUUID(), nbf: now - 5, iat: now, exp: now + 300 };
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

async function appToken(cfg) {
  const tokenUrl = `${cfg.emulatorUrl}/${cfg.tenantId}/oauth2/v2.0/token`;
  const r = await http(tokenUrl, {
    method: 'POST',
    ca: cfg.ca,
    form: {
      client_id: cfg.appId,
      grant_type: 'client_credentials',
      scope: CI_SCOPE,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion(cfg, tokenUrl),
    },
  });
  if (r.status !== 200 || typeof r.json?.access_token !== 'string') {
    throw new DemoError(`the token endpoint ${tokenUrl} refused the demo app: ${r.status} ${r.json?.error_description ?? r.body.toString('utf8').slice(0, 300)}`);
  }
  return r.json.access_token;
}

/**
 * The first user on the demo tenant's list with a phone number: { id, displayName, phone }.
 * The answer may be an array, { value } or a page with @odata.nextLink: the first page is enough.
 */
export async function recordedUser(cfg) {
  const token = await appToken(cfg);
  const url = `${cfg.emulatorUrl}/api/v1.0/providers/users`;
  const r = await http(url, { ca: cfg.ca, headers: { authorization: `Bearer ${token}` }, timeoutMs: 30_000 });
  if (r.status !== 200) throw new DemoError(`GET ${url} for the demo tenant: ${describeAnswer(r)}`);
  const users = Array.isArray(r.json) ? r.json : Array.isArray(r.json?.value) ? r.json.value : [];
  for (const u of users) {
    const phone = [u.mobilePhone, ...(Array.isArray(u.businessPhones) ? u.businessPhones : [])].find((p) => typeof p === 'string' && /^\+[1-9]\d{6,14}$/.test(p));
    if (phone) return { id: u.id, displayName: u.displayName || phone, phone };
  }
  throw new DemoError(`the providers API lists no user with an E.164 phone number for tenant ${cfg.tenantId} (${users.length} users on the first page): the demo calls a seller by phone number`);
}

/**
 * Whether the live users list policy-sync-worker wrote to Redis for the tenant
 * holds this phone number (the `tel:` identity sip-signaling's lookup tests).
 * Undefined when the tenant has no live list yet.
 */
export async function onTheLiveList(cfg, phone) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(cfg.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000, enableOfflineQueue: false, connectionName: 'ci-connector-demo' });
  redis.on('error', () => undefined); // reported through the rejected command below
  try {
    await redis.connect().catch((err) => {
      throw new DemoError(`Redis at ${cfg.redisUrl} cannot be reached (${err.message}): is the local stack up? (bash deploy/local/stack.sh status)`);
    });
    const version = await redis.get(`${cfg.redisPrefix}policy:${cfg.tenantId}:current`);
    if (!version) return undefined;
    return (await redis.sismember(`${cfg.redisPrefix}policy:${cfg.tenantId}:v:${version}`, `tel:${phone}`)) === 1;
  } finally {
    redis.disconnect();
  }
}
