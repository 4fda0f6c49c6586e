export { HealthModule, READINESS_CHECKS, type ReadinessCheck, type CheckResult } from './health.module';
export { PinoNestLogger } from './pino-nest-logger';
export { bootstrapNestService, type NestServiceOptions, type RunningService } from './bootstrap';
