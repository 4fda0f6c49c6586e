import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule, type ReadinessCheck } from '@ci-connector/platform-nest';

@Module({})
export class AppModule {
  static forRoot(checks: ReadinessCheck[]): DynamicModule {
    return { module: AppModule, imports: [HealthModule.register(checks)] };
  }
}
