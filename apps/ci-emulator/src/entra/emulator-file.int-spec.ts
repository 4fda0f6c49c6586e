import { startEmulator } from '@ci-connector/ci-emulator-testing';

describe('the emulator file at start-up', () => {
  it('a bad file stops the start with a message naming each JSON path', async () => {
    const started = startEmulator({ configFile: { apps: [{ clientId: 'nope' }], tenants: [{ tenantId: 'a0a0a0a0-aaaa-4aaa-8aaa-aaaaaaaaaaaa' }, { tenantId: 'x' }] } });
    await expect(started).rejects.toThrow(/apps\[0\]\.clientId: not a GUID[\s\S]*tenants\[1\]\.tenantId: not a GUID/);
  });
});
