import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { freePort } from '@ci-connector/platform-testing';
import { createCallEventsApp } from '../app';
import { PartnerAuthenticator } from '../core/auth';
import { CallEventsService } from '../core/call-events-service';
import { BatchingSender } from '../core/event-sender';
import { FakeApiKeyStore, FakeProducer, FakeTenantDirectory } from './fakes';

export const SECRET = 'unit-test-widget-token-secret-0123456789';
export const TOPICS = { callEvents: 'test.call-events', recordingControl: 'test.recording-control' };

export interface TestApp {
  app: INestApplication;
  url: string;
  grpcAddress: string;
  keys: FakeApiKeyStore;
  tenants: FakeTenantDirectory;
  producer: FakeProducer;
  sender: BatchingSender;
  /** Whether the sender sees Kafka connected. */
  kafka: { ready: boolean };
  close(): Promise<void>;
}

/** The whole app (REST + gRPC) over fakes of our interfaces and the real sender, on 127.0.0.1. */
export async function startTestApp(opts: { maxBodyBytes?: number; deadlineMs?: number; cacheTtlMs?: number } = {}): Promise<TestApp> {
  const keys = new FakeApiKeyStore();
  const tenants = new FakeTenantDirectory();
  const producer = new FakeProducer();
  const kafka = { ready: true };
  const sender = new BatchingSender(producer, { deadlineMs: opts.deadlineMs ?? 2000, maxPending: 100, maxBatch: 50, retryAfterSeconds: 3 }, () => kafka.ready);
  const auth = new PartnerAuthenticator(keys, [], opts.cacheTtlMs ?? 0);
  const events = new CallEventsService(sender, tenants, { topics: TOPICS, widgetToken: { secret: SECRET, defaultTtlSeconds: 3600, maxTtlSeconds: 7200 } });
  const grpcPort = await freePort();
  const app = await createCallEventsApp({ auth, events, checks: [] }, { grpc: { host: '127.0.0.1', port: grpcPort }, maxBodyBytes: opts.maxBodyBytes ?? 16384, widgetTokenMaxTtlSeconds: 7200 });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    keys,
    tenants,
    producer,
    sender,
    kafka,
    close: async () => {
      producer.release();
      await app.close();
    },
  };
}
