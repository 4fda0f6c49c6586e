import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthModule, type ReadinessCheck } from './health.module';

async function serve(checks: ReadinessCheck[]): Promise<{ app: INestApplication; base: string }> {
  @Module({ imports: [HealthModule.register(checks)] })
  class Root {}
  const app = await NestFactory.create(Root, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, base: await app.getUrl() };
}

describe('HealthModule', () => {
  it('is live and ready when every check passes', async () => {
    const { app, base } = await serve([{ name: 'redis', check: () => ({ ok: true, latencyMs: 1 }) }]);
    try {
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok', checks: { redis: { ok: true, latencyMs: 1 } } });
    } finally {
      await app.close();
    }
  });

  it('answers 503 naming the failing check, a throwing one included, while staying live', async () => {
    const { app, base } = await serve([
      { name: 'redis', check: () => ({ ok: true }) },
      { name: 'kafka', check: () => ({ ok: false, error: 'no brokers' }) },
      {
        name: 'draining',
        check: () => {
          throw new Error('shutting down');
        },
      },
    ]);
    try {
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'unavailable',
        checks: { redis: { ok: true }, kafka: { ok: false, error: 'no brokers' }, draining: { ok: false, error: 'shutting down' } },
      });
    } finally {
      await app.close();
    }
  });
});
