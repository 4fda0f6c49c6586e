import { NestFactory } from '@nestjs/core';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ServerCredentials } from '@grpc/grpc-js';
import { json } from 'express';
import { CALL_EVENTS_V1, PROTO_LOADER_OPTIONS } from '@ci-connector/proto';
import { AppModule, type AppDeps } from './app.module';
import { RestErrorFilter, bodyErrorHandler, requireJsonBody } from './http/error.filter';
import { openApiSchemas } from './http/openapi';

/** PEM material of the mutual-TLS gRPC listener. */
export interface GrpcTls {
  port: number;
  host: string;
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

export interface AppOptions {
  grpc: { host: string; port: number };
  /** A second gRPC listener that demands client certificates. */
  grpcTls?: GrpcTls;
  maxBodyBytes: number;
  widgetTokenMaxTtlSeconds: number;
  logger?: LoggerService | false;
}

/**
 * The hybrid Nest app: REST (JSON bodies up to maxBodyBytes, one error shape,
 * OpenAPI at /openapi.json and Swagger UI at /docs) and gRPC
 * (ci_connector.call_events.v1.CallEventService), plain and optionally mutual TLS,
 * over the same service. Not yet listening: the caller starts the microservices
 * and the HTTP server (and the HTTPS one, see mtls-listener.ts).
 */
export async function createCallEventsApp(deps: AppDeps, opts: AppOptions): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(deps), { bodyParser: false, abortOnError: false, logger: opts.logger ?? false });
  app.use(requireJsonBody);
  app.use(json({ limit: opts.maxBodyBytes, type: ['application/json', 'application/*+json'] }));
  app.use(bodyErrorHandler);
  app.useGlobalFilters(new RestErrorFilter());

  const doc = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('ci-connector call-events')
    .setDescription(
      [
        "Partner dialers post a seller's call started / call ended here (the fields of Microsoft's CallStartedEvent / CallEndedEvent, plus tenant and seller);",
        "ci-connector delivers them to the seller's Dynamics 365 widget, which raises WIDGET_CALL_STARTED / WIDGET_CALL_ENDED through CIF.",
        'Every call needs a credential: an API key scoped to your tenants (`Authorization: Bearer cic_…`), or on the mutual-TLS listener your client certificate.',
        'A 202 means Kafka stored the event; a 503 means it did not: retry with the same `Idempotency-Key`.',
        'The same operations over gRPC: `ci_connector.call_events.v1.CallEventService`.',
      ].join(' '),
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'the API key as a bearer token' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'apiKey')
    .build();
  const document = SwaggerModule.createDocument(app, doc);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...openApiSchemas(opts.widgetTokenMaxTtlSeconds) } as never };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });

  const grpcOptions = (url: string, credentials?: ServerCredentials): GrpcOptions => ({
    transport: Transport.GRPC,
    options: {
      package: CALL_EVENTS_V1.package,
      protoPath: CALL_EVENTS_V1.protoPath,
      url,
      loader: { ...PROTO_LOADER_OPTIONS },
      maxReceiveMessageLength: opts.maxBodyBytes,
      ...(credentials ? { credentials } : {}),
    },
  });
  app.connectMicroservice<GrpcOptions>(grpcOptions(`${opts.grpc.host}:${opts.grpc.port}`));
  if (opts.grpcTls) {
    const t = opts.grpcTls;
    // checkClientCertificate: the handshake fails without a certificate chaining to the partners' CA.
    app.connectMicroservice<GrpcOptions>(grpcOptions(`${t.host}:${t.port}`, ServerCredentials.createSsl(t.ca, [{ cert_chain: t.cert, private_key: t.key }], true)));
  }
  return app;
}
