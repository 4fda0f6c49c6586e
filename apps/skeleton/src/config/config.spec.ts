import { skeletonConfig } from './config';

describe('skeletonConfig', () => {
  it('defaults to loopback and no external dependency', () => {
    expect(skeletonConfig({})).toEqual({
      service: { name: 'skeleton', version: '0.1.0' },
      http: { host: '127.0.0.1', port: 8080 },
      log: { level: 'info' },
      telemetry: { sampleRatio: 1 },
      shutdownTimeoutMs: 10_000,
    });
  });
});
