import { startEmulator, type EmulatorProcess } from '@ci-connector/ci-emulator-testing';

describe('ci-emulator process', () => {
  let emu: EmulatorProcess;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('serves its health over HTTPS with the minted test CA, on loopback', async () => {
    const r = await emu.request('GET', '/health/ready');
    expect(r.status).toBe(200);
    expect(emu.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const pid = emu.pid;
    await emu.stop({ keep: true });
    expect(emu.exitCode()).toBe(0);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(emu.output()).toMatch(/ci-emulator listening/);
  });
});
