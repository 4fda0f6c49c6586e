import { NestFactory } from '@nestjs/core';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json } from 'express';
import { PROTO_LOADER_OPTIONS, REGISTRATION_V1 } from '@ci-connector/proto';
import { AppModule, type AppDeps } from './app.module';
import { RegistrationJobs } from './core/registration-jobs';
import { RestErrorFilter, bodyErrorHandler, requireJsonBody } from './http/error.filter';
import { openApiSchemas } from './http/schemas';

export interface AppOptions {
  grpc: { host: string; port: number };
  maxBodyBytes: number;
  logger?: LoggerService | false;
}

export interface RegistrationApp {
  app: INestApplication;
  jobs: RegistrationJobs;
}

/**
 * The hybrid Nest app: REST (JSON bodies up to maxBodyBytes, one error shape,
 * OpenAPI at /openapi.json and Swagger UI at /docs) and gRPC
 * (ci_connector.registration.v1.TenantService) over the same services. Not yet
 * listening: the caller starts the microservice and the HTTP server.
 */
export async function createRegistrationApp(deps: AppDeps, opts: AppOptions): Promise<RegistrationApp> {
  const app = await NestFactory.create(AppModule.forRoot(deps), { bodyParser: false, abortOnError: false, logger: opts.logger ?? false });
  app.use(requireJsonBody);
  app.use(json({ limit: opts.maxBodyBytes, type: ['application/json', 'application/*+json'] }));
  app.use(bodyErrorHandler);
  app.useGlobalFilters(new RestErrorFilter());

  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('ci-connector registration-service')
    .setDescription(
      'Customer tenants of a carrier running ci-connector: create them, register the provider at the Dynamics 365 conversation intelligence providers API, ask for a sync of the users to record. Every call needs an API key (`Authorization: Bearer cic_…` or `x-api-key`). The same operations over gRPC: `ci_connector.registration.v1.TenantService`.',
    )
    .setVersion('1.0')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'apiKey')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'the API key as a bearer token' }, 'bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...openApiSchemas() } as never };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });

  app.connectMicroservice<GrpcOptions>({
    transport: Transport.GRPC,
    options: {
      package: REGISTRATION_V1.package,
      protoPath: REGISTRATION_V1.protoPath,
      url: `${opts.grpc.host}:${opts.grpc.port}`,
      loader: { ...PROTO_LOADER_OPTIONS },
    },
  });
  return { app, jobs: app.get(RegistrationJobs) };
}
