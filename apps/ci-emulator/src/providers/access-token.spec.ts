import { authenticate } from './access-token';
import type { ApiError } from './api-error';
import { Directory } from '../entra/directory';
import { SigningKeys } from '../entra/signing-keys';
import { RegistrationStore } from '../state/registrations';

const BASE = 'https://127.0.0.1:18443';
const T = 'a0a0a0a0-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const APP = '1a1a1a1a-1111-4111-8111-111111111111';

describe('authenticate (the providers API bearer check)', () => {
  let keys: SigningKeys;
  let other: SigningKeys;
  const dir = new Directory({ apps: [], tenants: [{ tenantId: T, displayName: 't', consents: [], usersResponse: { shape: 'value', pageSize: 100 } }], registrations: [] }, new RegistrationStore());
  const now = Math.floor(Date.now() / 1000);
  const good = { aud: 'f448d7e5-e313-4f90-a3eb-5dbb3277e4b3', iss: `${BASE}/${T}/v2.0`, tid: T, appid: APP, roles: ['Users.Read.All'], iat: now, nbf: now, exp: now + 3600 };

  beforeAll(async () => {
    keys = await SigningKeys.create();
    other = await SigningKeys.create();
  });

  const fail = async (header: string | undefined) => {
    try {
      await authenticate(header, keys, dir, BASE);
    } catch (err) {
      const e = err as ApiError;
      return `${e.status} ${e.message}`;
    }
    throw new Error('expected a rejection');
  };

  it('accepts a token of ours for a known tenant with Users.Read.All', async () => {
    await expect(authenticate(`Bearer ${await keys.sign(good)}`, keys, dir, BASE)).resolves.toEqual({ tenantId: T, clientId: APP, roles: ['Users.Read.All'] });
  });

  it.each([
    ['no header', async () => undefined, '401 no Authorization header'],
    ['another scheme', async () => 'Basic abc', "401 the Authorization header is not 'Bearer <token>'"],
    ['garbage', async () => 'Bearer abc', '401 the token is not valid: not a JWS compact token'],
    ['another key', async () => `Bearer ${await other.sign(good)}`, '401 the token is not valid: kid'],
    ['another audience', async () => `Bearer ${await keys.sign({ ...good, aud: 'https://graph.microsoft.com' })}`, '401 the token audience "https://graph.microsoft.com" is not the CI app'],
    ['an unknown tenant', async () => `Bearer ${await keys.sign({ ...good, tid: 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc' })}`, '401 the token tenant'],
    ['another issuer', async () => `Bearer ${await keys.sign({ ...good, iss: 'https://login.microsoftonline.com/x/v2.0' })}`, '401 the token issuer'],
    ['an expired token', async () => `Bearer ${await keys.sign({ ...good, exp: now - 1 })}`, '401 the token expired at'],
    ['a future token', async () => `Bearer ${await keys.sign({ ...good, nbf: now + 600 })}`, '401 the token is not valid before'],
    ['no roles', async () => `Bearer ${await keys.sign({ ...good, roles: undefined })}`, "403 the token has no 'Users.Read.All' role (roles: none)"],
  ])('refuses %s', async (_what, header, expected) => {
    expect(await fail(await header())).toContain(expected);
  });
});
