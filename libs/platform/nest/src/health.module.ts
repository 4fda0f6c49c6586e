import { Controller, Get, HttpCode, Inject, Module, Res, type DynamicModule } from '@nestjs/common';
import type { Response } from 'express';

/** A check's answer; any further fields (latency, broker count) are shown as they are. */
export interface CheckResult {
  ok: boolean;
  error?: string;
}

/** One dependency readiness depends on (Redis, Kafka, …), or the drain state. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<CheckResult> | CheckResult;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

@Controller('health')
class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  /** Liveness: the process answers. Never depends on Redis or Kafka (a restart would not fix them). */
  @Get('live')
  @HttpCode(200)
  live() {
    return { status: 'ok' };
  }

  /** Readiness: every dependency answers; 503 with the failing ones otherwise. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response) {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        try {
          return [c.name, await c.check()] as const;
        } catch (err) {
          return [c.name, { ok: false, error: err instanceof Error ? err.message : String(err) }] as const;
        }
      }),
    );
    const ok = results.every(([, r]) => r.ok);
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks: Object.fromEntries(results) };
  }
}

@Module({})
export class HealthModule {
  /** `checks` may grow later: modules inject READINESS_CHECKS (global) and push their own. */
  static register(checks: ReadinessCheck[]): DynamicModule {
    return {
      module: HealthModule,
      global: true,
      controllers: [HealthController],
      providers: [{ provide: READINESS_CHECKS, useValue: checks }],
      exports: [READINESS_CHECKS],
    };
  }
}
