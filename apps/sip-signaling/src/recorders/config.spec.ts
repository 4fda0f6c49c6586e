import { z } from 'zod';
import { recorderPoolConfig, recorderPoolEnv } from './config';

const parse = (env: Record<string, string>) => {
  const r = z.object(recorderPoolEnv).safeParse(env);
  if (!r.success) return { errors: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  return recorderPoolConfig(r.data);
};

describe('recorder pool variables', () => {
  it('defaults: no overrides, global fallback, 30 s pings, circuits after 3 failures for 30 s', () => {
    expect(parse({})).toEqual({ problems: [], config: { globalFallback: true, pingIntervalMs: 30_000, pingTimeoutMs: 5000, pingRegions: [], breaker: { failureThreshold: 3, openMs: 30_000 }, openCircuits: 'last' } });
  });

  it('points every region, or some, at other hosts (the ci-emulator)', () => {
    const r = parse({ RECORDER_HOST_OVERRIDES: '*=127.0.0.1:15061, uksouth=127.0.0.1:15062', RECORDER_PING_REGIONS: 'uksouth,global' });
    expect('config' in r && r.config.hostOverrides).toMatchObject({ global: '127.0.0.1:15061', westeurope: '127.0.0.1:15061', uksouth: '127.0.0.1:15062' });
    expect('config' in r && r.config.pingRegions).toEqual(['uksouth', 'global']);
  });

  it('names each bad variable', () => {
    expect(parse({ RECORDER_HOST_OVERRIDES: 'mars=1.2.3.4', RECORDER_PING_REGIONS: 'atlantis', RECORDER_OPEN_CIRCUITS: 'first' })).toEqual({
      errors: [expect.stringMatching(/^RECORDER_HOST_OVERRIDES\.0: unknown region/), expect.stringMatching(/^RECORDER_PING_REGIONS\.0: unknown region/), expect.stringMatching(/^RECORDER_OPEN_CIRCUITS: /)],
    });
    expect(parse({ RECORDER_PING_TIMEOUT: '30s' })).toMatchObject({
      problems: [{ variable: 'RECORDER_PING_TIMEOUT', problem: 'must be shorter than RECORDER_PING_INTERVAL' }],
    });
  });
});
