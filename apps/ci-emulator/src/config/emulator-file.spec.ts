import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintCerts } from '@ci-connector/ci-emulator-testing';
import { EmulatorFileError, loadEmulatorFile, parseEmulatorFile } from './emulator-file';

const APP = '1a1a1a1a-1111-4111-8111-111111111111';
const T = 'a0a0a0a0-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const REG = { tenantId: T, clientId: APP, orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f', Type: 'custom', hosting: 'cloud', displayName: 'p', AuthenticationDetails: { AccountId: 'A', CertificateSubjectName: 'CN=s', CertificateIssuer: 'CN=i', SourceIPNetwork: '0.0.0.0' } };

describe('the emulator file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'emu-file-'));
    mintCerts(join(dir, 'certs'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const problems = (doc: unknown) => {
    const r = parseEmulatorFile(doc, dir);
    return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
  };

  it('loads apps (certificate paths relative to the file), tenants and registrations', () => {
    const file = join(dir, 'emu.json');
    writeFileSync(file, JSON.stringify({ apps: [{ clientId: APP.toUpperCase(), secrets: ['s', { value: 'old', expiresAt: '2020-01-01T00:00:00Z' }], certificates: ['certs/app.pem'] }], tenants: [{ tenantId: T, consents: [{ clientId: APP, roles: ['Users.Read.All'] }], users: { generate: { count: 3 } }, usersResponse: { shape: 'paged', pageSize: 2 } }], registrations: [REG] }));
    const data = loadEmulatorFile(file);
    expect(data.apps[0]).toMatchObject({ clientId: APP, secrets: [{ value: 's' }, { value: 'old', expiresAt: new Date('2020-01-01T00:00:00Z') }] });
    expect(data.apps[0]?.certificates[0]?.thumbprintSha256).toMatch(/^[0-9A-F]{64}$/);
    expect(data.tenants[0]).toMatchObject({ tenantId: T, usersResponse: { shape: 'paged', pageSize: 2 }, users: { generate: { count: 3, seed: 'ci-emulator', domain: 'ta0a0a0a0.example.com' } } });
    expect(data.registrations[0]).toMatchObject({ tenantId: T, clientId: APP, fields: { accountId: 'A' } });
  });

  it('names the JSON path of every problem', () => {
    expect(
      problems({
        apps: [{ clientId: APP, secrets: [''], certificates: ['certs/missing.pem', { file: 'a', pem: 'b' }] }, { clientId: APP }],
        tenants: [{ tenantId: T }, { tenantId: T }, { tenantId: 'nope' }, { tenantId: T.replace('a0', 'b0'), consents: [{ clientId: '9f9f9f9f-9999-4999-8999-999999999999' }], users: [{ id: 'x' }], usersResponse: { shape: 'pages' } }],
        registrations: [{ ...REG, Type: 'other', tenantId: '4e4e4e4e-4444-4444-8444-444444444444' }],
        extra: 1,
      }),
    ).toEqual([
      'extra: unknown property',
    ]);
    expect(
      problems({
        apps: [{ clientId: APP, secrets: [''], certificates: ['certs/missing.pem', { file: 'a', pem: 'b' }] }, { clientId: APP }],
        tenants: [{ tenantId: T }, { tenantId: T }, { tenantId: 'nope' }, { tenantId: T.replace('a0', 'b0'), consents: [{ clientId: '9f9f9f9f-9999-4999-8999-999999999999' }], users: [{ id: 'x' }] }, { tenantId: T.replace('a0', 'c0'), usersResponse: { shape: 'pages' } }],
        registrations: [{ ...REG, Type: 'other', tenantId: '4e4e4e4e-4444-4444-8444-444444444444' }],
      }),
    ).toEqual([
      'apps[0].secrets[0].value: must not be empty',
      'apps[0].certificates[1]: give exactly one of file and pem',
      expect.stringMatching(/^apps\[0\]\.certificates\[0\]: cannot read certificate file .*missing\.pem \(ENOENT\)$/),
      'apps[1].clientId: duplicate of apps[0]',
      'tenants[1].tenantId: duplicate of tenants[0]',
      'tenants[2].tenantId: not a GUID',
      'tenants[3].users[0].id: not a GUID',
      'tenants[4].usersResponse.shape: must be \'array\', \'value\' or \'paged\'',
      "registrations[0].Type: must be 'custom', got 'other'",
    ]);
  });

  it('checks references between sections', () => {
    expect(problems({ apps: [{ clientId: APP }], tenants: [{ tenantId: T, consents: [{ clientId: '9f9f9f9f-9999-4999-8999-999999999999' }] }], registrations: [{ ...REG, tenantId: '4e4e4e4e-4444-4444-8444-444444444444' }] })).toEqual([
      'tenants[0].consents[0].clientId: 9f9f9f9f-9999-4999-8999-999999999999 is not one of the apps',
      'registrations[0].tenantId: 4e4e4e4e-4444-4444-8444-444444444444 is not one of the tenants',
    ]);
  });

  it('throws one error listing every problem for a bad or unreadable file', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ tenants: [{ tenantId: 'x' }, {}] }));
    expect(() => loadEmulatorFile(file)).toThrow(EmulatorFileError);
    expect(() => loadEmulatorFile(file)).toThrow(/is invalid:\n {2}tenants\[0\]\.tenantId: not a GUID\n {2}tenants\[1\]\.tenantId: required/);
    writeFileSync(file, '{ nope');
    expect(() => loadEmulatorFile(file)).toThrow(/\(file\): not valid JSON/);
    expect(() => loadEmulatorFile(join(dir, 'none.json'))).toThrow(/\(file\): cannot be read \(ENOENT\)/);
  });
});
