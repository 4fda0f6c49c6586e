import { metric, type MetricDef } from './metric-def';

// Every metric ci-connector exposes, by the app that registers it (each app's
// src/metrics.ts builds its instruments from these definitions only), plus the
// rtpengine metrics the dashboard reads. charts/ci-connector/dashboards/ci-connector.json
// may query only names listed here (dashboard.spec.ts checks it).
//
// Label rules: small bounded value sets. `recorder` is a recorder's host:port
// (a region's SRS, a handful per release); `tenant_id` only on the per-tenant
// sync gauges (one series per customer tenant). Never a call id, user or seller.

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;
const SYNC_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800] as const;
/** Per-tenant series: one per customer tenant of the release. */
const TENANTS_MAX = 10_000;

/** Every app: the process (prom-client's names). */
export const PROCESS_METRICS = {
  cpuSeconds: metric({ name: 'process_cpu_seconds_total', kind: 'counter', help: 'User and system CPU time of the process', unit: 's', labels: [] }),
  residentMemory: metric({ name: 'process_resident_memory_bytes', kind: 'gauge', help: 'Resident set size of the process', unit: 'By', labels: [] }),
  heapUsed: metric({ name: 'nodejs_heap_size_used_bytes', kind: 'gauge', help: 'V8 heap in use', unit: 'By', labels: [] }),
  startTime: metric({ name: 'process_start_time_seconds', kind: 'gauge', help: 'When the process started (Unix time)', unit: 's', labels: [] }),
  eventLoopLagP99: metric({ name: 'nodejs_eventloop_lag_p99_seconds', kind: 'gauge', help: "The event loop's 99th percentile delay since the last scrape", unit: 's', labels: [] }),
} as const;

export const SIP_SIGNALING_METRICS = {
  activeCalls: metric({ name: 'cic_sip_active_calls', kind: 'gauge', help: 'Calls in progress (from the INVITE to the end)', labels: [] }),
  calls: metric({ name: 'cic_sip_calls_total', kind: 'counter', help: 'Calls that ended, by outcome: answered, cancelled (by the caller before an answer), failed (no answer, refused by the callee, no route)', labels: ['outcome'] }),
  callsRefused: metric({ name: 'cic_sip_calls_refused_total', kind: 'counter', help: 'INVITEs refused before routing, by reason: draining, busy (SIP_MAX_CALLS), max_forwards, bad_body, unknown_tenant', labels: ['reason'] }),
  draining: metric({ name: 'cic_sip_draining', kind: 'gauge', help: '1 while the replica drains (SIGTERM: new INVITEs get 503), else 0', labels: [] }),
  recordingsStarted: metric({ name: 'cic_sip_recordings_started_total', kind: 'counter', help: 'Recording sessions a recorder accepted (recording.started), by recorder (host:port)', labels: ['recorder'] }),
  recordingsFailed: metric({
    name: 'cic_sip_recordings_failed_total',
    kind: 'counter',
    help: 'Recordings that failed (recording.failed), by reason class and recorder (the last one tried; none when no recorder was tried)',
    labels: ['reason', 'recorder'],
    maxSeries: 300,
  }),
  recordingsStopped: metric({ name: 'cic_sip_recordings_stopped_total', kind: 'counter', help: 'Recording sessions that ended (recording.stopped), by reason class and recorder', labels: ['reason', 'recorder'], maxSeries: 300 }),
  recordingSessions: metric({ name: 'cic_sip_recording_sessions_active', kind: 'gauge', help: 'Calls with a recording session (starting, active or paused)', labels: [] }),
  recorderAttempts: metric({
    name: 'cic_sip_recorder_attempts_total',
    kind: 'counter',
    help: 'SIPREC INVITEs by recorder and result: ok, status_<code>, timeout, transport, bad_answer, circuit_open',
    labels: ['recorder', 'result'],
    maxSeries: 300,
  }),
  recorderUp: metric({ name: 'cic_sip_recorder_up', kind: 'gauge', help: 'Recorder health from OPTIONS pings and INVITEs: 1 up, 0 down (not reported before the first answer)', labels: ['recorder', 'region'] }),
  recorderCircuitOpen: metric({ name: 'cic_sip_recorder_circuit_open', kind: 'gauge', help: "1 when the recorder's circuit breaker is open or half-open (tried last or skipped), else 0", labels: ['recorder', 'region'] }),
  recordingEventsPublished: metric({ name: 'cic_sip_recording_events_published_total', kind: 'counter', help: 'Recording events Kafka acknowledged', labels: [] }),
  recordingEventsDropped: metric({ name: 'cic_sip_recording_events_dropped_total', kind: 'counter', help: 'Recording events not published, by reason: overflow, invalid, rejected, closed, shutdown', labels: ['reason'] }),
  recordingHookDropped: metric({ name: 'cic_sip_recording_hook_dropped_total', kind: 'counter', help: 'Recording hook invocations dropped (RECORDING_HOOK_MAX_PENDING), failed or timed out, by kind', labels: ['kind'] }),
} as const;

export const POLICY_SYNC_METRICS = {
  lastSync: metric({
    name: 'cic_policy_last_sync_timestamp_seconds',
    kind: 'gauge',
    help: "When the tenant's live list of users to record was last synced (Unix time; from Redis, the same on every replica: use max by (tenant_id))",
    unit: 's',
    labels: ['tenant_id'],
    maxSeries: TENANTS_MAX,
  }),
  stale: metric({ name: 'cic_policy_tenant_stale', kind: 'gauge', help: "1 when the registered tenant's list is older than DEGRADED_AFTER (or it never had one for that long)", labels: ['tenant_id'], maxSeries: TENANTS_MAX }),
  degraded: metric({ name: 'cic_policy_degraded', kind: 'gauge', help: 'Registered tenants whose list is stale (GET /status degraded)', labels: [] }),
  syncs: metric({ name: 'cic_policy_syncs_total', kind: 'counter', help: 'Syncs this replica finished, by result: synced, superseded (a newer list went live), failed', labels: ['result'] }),
  failures: metric({
    name: 'cic_policy_sync_failures_total',
    kind: 'counter',
    help: 'Failed or aborted syncs, by reason: providers_<code> (the providers API), token_<code> (Entra ID), lease_lost, redis, other',
    labels: ['reason'],
  }),
  usersSynced: metric({ name: 'cic_policy_users_synced_total', kind: 'counter', help: 'Users read from the providers API in syncs that went live', labels: [] }),
  syncDuration: metric({ name: 'cic_policy_sync_duration_seconds', kind: 'histogram', help: 'From the start of a sync to its list going live', unit: 's', labels: [], buckets: SYNC_BUCKETS }),
  inFlight: metric({ name: 'cic_policy_syncs_in_flight', kind: 'gauge', help: 'Syncs this replica runs now', labels: [] }),
} as const;

export const CALL_EVENTS_METRICS = {
  accepted: metric({ name: 'cic_call_events_accepted_total', kind: 'counter', help: 'Dialer events Kafka stored (202), by type: call_started, call_ended', labels: ['type'] }),
  rejected: metric({
    name: 'cic_call_events_rejected_total',
    kind: 'counter',
    help: 'Dialer events refused, by type and reason: invalid (400), forbidden (403), unavailable (503: Kafka or Redis), too_large, unsupported_media_type, internal',
    labels: ['type', 'reason'],
  }),
  authFailures: metric({ name: 'cic_call_events_auth_failures_total', kind: 'counter', help: 'Requests refused with 401, by credential: api_key, certificate', labels: ['method'] }),
  recordingCommands: metric({ name: 'cic_call_events_recording_commands_total', kind: 'counter', help: 'Recording commands (start/stop/pause/resume) by action and result: accepted or the rejection reason', labels: ['action', 'result'] }),
  widgetTokens: metric({ name: 'cic_call_events_widget_tokens_total', kind: 'counter', help: 'Widget tokens requested, by result: issued or the rejection reason', labels: ['result'] }),
  produceDuration: metric({
    name: 'cic_call_events_produce_duration_seconds',
    kind: 'histogram',
    help: 'From handing a message to the producer to Kafka acknowledging it (what a 202 waits for), by outcome: ok, error',
    unit: 's',
    labels: ['outcome'],
    buckets: LATENCY_BUCKETS,
  }),
  producePending: metric({ name: 'cic_call_events_produce_pending', kind: 'gauge', help: 'Messages waiting for Kafka (KAFKA_MAX_PENDING refuses more)', labels: [] }),
} as const;

export const WIDGET_GATEWAY_METRICS = {
  delivered: metric({ name: 'cic_widget_events_delivered_total', kind: 'counter', help: "Widget events appended to the seller's stream (delivered once), by name", labels: ['name'] }),
  duplicates: metric({ name: 'cic_widget_events_duplicates_total', kind: 'counter', help: 'Widget events dropped at delivery because their event id was delivered already', labels: [] }),
  deliveryLag: metric({
    name: 'cic_widget_delivery_lag_seconds',
    kind: 'histogram',
    help: "From call-events accepting the dialer event (receivedAt) to its delivery into the seller's stream",
    unit: 's',
    labels: [],
    buckets: LAG_BUCKETS,
  }),
  produced: metric({ name: 'cic_widget_events_produced_total', kind: 'counter', help: 'Widget events correlation produced to the widget-events topic (WIDGET_DELIVERY=topic; with direct, see cic_widget_events_delivered_total)', labels: [] }),
  correlated: metric({ name: 'cic_widget_events_correlated_total', kind: 'counter', help: 'Widget events carrying the SIPREC Call-ID of a recording', labels: [] }),
  staleSkipped: metric({ name: 'cic_widget_events_stale_skipped_total', kind: 'counter', help: 'Events older than EVENT_MAX_AGE, skipped, by stage: correlation, delivery', labels: ['stage'] }),
  deadLetters: metric({ name: 'cic_widget_dead_letters_total', kind: 'counter', help: 'Messages sent to the dead-letter topic, by consumer group', labels: ['consumer'] }),
  retries: metric({ name: 'cic_widget_processing_retries_total', kind: 'counter', help: 'Retried message processing, by consumer group', labels: ['consumer'] }),
  sseConnections: metric({ name: 'cic_widget_sse_connections', kind: 'gauge', help: 'Open widget event streams (SSE) on this replica', labels: [] }),
  sseClosed: metric({ name: 'cic_widget_sse_closed_total', kind: 'counter', help: 'Streams this replica closed, by reason: replaced (a newer one of the seller), slow (not reading), expired (token)', labels: ['reason'] }),
  recordingCommands: metric({ name: 'cic_widget_recording_commands_total', kind: 'counter', help: "Widget recording commands produced to Kafka, by action and result: ok, error", labels: ['action', 'result'] }),
} as const;

export const REGISTRATION_METRICS = {
  tenants: metric({ name: 'cic_registration_tenants', kind: 'gauge', help: 'Tenants in the registry, by registration state: unregistered, pending, registered, failed', labels: ['state'] }),
  attempts: metric({ name: 'cic_registration_attempts_total', kind: 'counter', help: 'Registration attempts at the CI providers API, by result: ok, retryable_error, error', labels: ['result'] }),
} as const;

/**
 * rtpengine's own metrics (listen-http, GET /metrics; names as rtpengine 10.5
 * serves them). sip-signaling does not see media: SRTP packets come from here.
 * With `table = -1` (userspace) the forked SRTP streams count in type="userspace".
 */
export const RTPENGINE_METRICS = {
  packets: metric({ name: 'rtpengine_packets_total', kind: 'counter', help: 'Relayed packets (every stream: the call legs and the forked SRTP to the recorder), by type userspace/kernel', labels: ['type'] }),
  packetErrors: metric({ name: 'rtpengine_packet_errors_total', kind: 'counter', help: 'Relayed packet errors (SRTP auth failures included), by type', labels: ['type'] }),
  bytes: metric({ name: 'rtpengine_bytes_total', kind: 'counter', help: 'Relayed bytes, by type', labels: ['type'] }),
  sessions: metric({ name: 'rtpengine_sessions', kind: 'gauge', help: 'Calls rtpengine holds, by type own/foreign', labels: ['type'] }),
  sessionsTotal: metric({ name: 'rtpengine_sessions_total', kind: 'counter', help: 'Calls rtpengine managed', labels: [] }),
  closedSessions: metric({ name: 'rtpengine_closed_sessions_total', kind: 'counter', help: 'Calls rtpengine closed, by reason (terminated, timeout, silent_timeout, …)', labels: ['reason'] }),
  zeroPacketStreams: metric({ name: 'rtpengine_zero_packet_streams_total', kind: 'counter', help: 'Streams that relayed no packet', labels: [] }),
  oneWaySessions: metric({ name: 'rtpengine_one_way_sessions_total', kind: 'counter', help: 'Calls with media one way only', labels: [] }),
  portsUsed: metric({ name: 'rtpengine_ports_used', kind: 'gauge', help: 'Media ports in use, by interface', labels: ['name', 'address'] }),
  portsFree: metric({ name: 'rtpengine_ports_free', kind: 'gauge', help: 'Media ports free, by interface', labels: ['name', 'address'] }),
  ports: metric({ name: 'rtpengine_ports', kind: 'gauge', help: 'Media ports of the range, by interface', labels: ['name', 'address'] }),
  uptime: metric({ name: 'rtpengine_uptime_seconds', kind: 'gauge', help: 'Uptime of rtpengine', unit: 's', labels: [] }),
} as const;

/** Every component's metrics: the five apps (each also exposes PROCESS_METRICS) and rtpengine. */
export const METRIC_CATALOGUE: Readonly<Record<'sip-signaling' | 'policy-sync-worker' | 'call-events' | 'widget-gateway' | 'registration-service' | 'process' | 'rtpengine', Readonly<Record<string, MetricDef>>>> = {
  'sip-signaling': SIP_SIGNALING_METRICS,
  'policy-sync-worker': POLICY_SYNC_METRICS,
  'call-events': CALL_EVENTS_METRICS,
  'widget-gateway': WIDGET_GATEWAY_METRICS,
  'registration-service': REGISTRATION_METRICS,
  process: PROCESS_METRICS,
  rtpengine: RTPENGINE_METRICS,
};
