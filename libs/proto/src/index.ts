import { join } from 'node:path';

/**
 * The versioned gRPC contracts of ci-connector. Each `.proto` file ships next to
 * this module (tools/build.mjs copies them into dist/), so the path below is valid
 * both from the sources and from a built app.
 */
export const REGISTRATION_V1 = {
  /** Absolute path of registration.proto. */
  protoPath: join(__dirname, 'ci_connector/registration/v1/registration.proto'),
  /** The proto package: servers and clients load the service from it. */
  package: 'ci_connector.registration.v1',
  service: 'TenantService',
} as const;

/** The partner dialers' ingest of call-events (issue 7): call started / ended, recording control, widget tokens. */
export const CALL_EVENTS_V1 = {
  /** Absolute path of call_events.proto. */
  protoPath: join(__dirname, 'ci_connector/call_events/v1/call_events.proto'),
  package: 'ci_connector.call_events.v1',
  service: 'CallEventService',
} as const;

/** Options for @grpc/proto-loader that every server and client of these protos uses (field names become lowerCamelCase). */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: false,
} as const;
