import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { decodeRecordingControl, EventDecodeError, TOPICS, type RecordingControlV1 } from '@ci-connector/events';
import type { EventsLogger } from './recording-events';

/** Called for every valid command, in the topic's order per call id. It decides whether the call is one of ours. */
export type RecordingControlHandler = (command: RecordingControlV1) => void | Promise<void>;

/** What the recording session listens to. `onCommand` returns a function that removes the handler. */
export interface RecordingControlSource {
  onCommand(handler: RecordingControlHandler): () => void;
}

export interface KafkaRecordingControlSourceOptions {
  kafka: Kafka;
  logger: EventsLogger & { debug?(obj: object, msg?: string): void };
  topic?: string;
  /** Prefix of this replica's own consumer group (default `sip-signaling-recording-control`). */
  groupIdPrefix?: string;
  /** This replica's id in its group name (default `<hostname>-<pid>-<random>`): unique per process. */
  instanceId?: string;
  /** Commands older than this (by their `at`) are skipped: asked for a moment long gone (default 5 min; 0 = never skip). */
  maxAgeMs?: number;
  /** Delete this replica's group at stop (default true): per-instance groups must not pile up in the cluster. */
  deleteGroupOnStop?: boolean;
  now?: () => number;
}

export interface RecordingControlStats {
  groupId: string;
  joined: boolean;
  received: number;
  handled: number;
  skipped: { undecodable: number; keyMismatch: number; stale: number };
  handlerErrors: number;
  crashed?: string;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Consumes `ci.recording.control.v1` (key = call id).
 *
 * **A consumer group per replica, from the latest offset.** A command is for the
 * one replica holding the call, and nothing outside says which one that is (the
 * key is the call id; calls are not partitioned by replica). A shared group
 * would hand each partition, hence each call's commands, to one arbitrary
 * replica. So every replica reads every command in a group of its own
 * (`<prefix>.<instanceId>`) and acts only on the calls it holds (the handler
 * ignores the others). A new group starts at the latest offset: a replica that
 * starts holds no call, so older commands are not for it; a consumer that
 * restarts within its process resumes from its committed offset. The group is
 * deleted at `stop()` (and an abandoned one expires with the broker's
 * `offsets.retention.minutes`).
 *
 * A message that cannot be decoded, whose key is not its call id, or older than
 * `maxAgeMs` is logged and skipped (it can never succeed). Handlers run in
 * order; their errors (thrown or rejected) are logged and counted, never
 * retried, never stop the consumer.
 */
export class KafkaRecordingControlSource implements RecordingControlSource {
  readonly groupId: string;
  private readonly topic: string;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly consumer: Consumer;
  private readonly handlers = new Set<RecordingControlHandler>();
  private joined = false;
  private crashed: string | undefined;
  private started = false;
  private readonly counters = { received: 0, handled: 0, handlerErrors: 0, skipped: { undecodable: 0, keyMismatch: 0, stale: 0 } };
  private readyResolve: (() => void) | undefined;
  private readonly readyPromise: Promise<void>;

  constructor(private readonly opts: KafkaRecordingControlSourceOptions) {
    this.topic = opts.topic ?? TOPICS.recordingControl;
    this.maxAgeMs = opts.maxAgeMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    const instance = opts.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.groupId = `${opts.groupIdPrefix ?? 'sip-signaling-recording-control'}.${instance}`;
    this.readyPromise = new Promise((resolve) => (this.readyResolve = resolve));
    this.consumer = opts.kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 1000, retry: { retries: 10 } });
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, (e) => {
      this.joined = true;
      this.crashed = undefined;
      opts.logger.info({ groupId: this.groupId, topic: this.topic, assigned: e.payload.memberAssignment }, 'recording control: joined this replica\'s consumer group');
    });
    // The first completed fetch after joining: offsets resolved (to the latest), every later command will be seen.
    this.consumer.on(events.FETCH, () => {
      if (this.joined) this.readyResolve?.();
    });
    this.consumer.on(events.CRASH, (e) => {
      this.joined = false;
      this.crashed = errorText(e.payload.error);
      opts.logger.error({ groupId: this.groupId, err: this.crashed, restart: e.payload.restart }, 'recording control consumer crashed');
    });
  }

  onCommand(handler: RecordingControlHandler): () => void {
    this.handlers.add(handler);
    return () => void this.handlers.delete(handler);
  }

  /** Connects, subscribes from the latest offset, and runs. Rejects when Kafka cannot be reached (the caller logs and may retry). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: false });
    await this.consumer.run({ eachMessage: async ({ message, partition }) => this.handle(message.key, message.value, partition, message.offset) });
  }

  /** Resolves once the group is joined and its offsets resolved: a command produced from now on reaches the handlers. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  get stats(): RecordingControlStats {
    return { groupId: this.groupId, joined: this.joined, ...this.counters, skipped: { ...this.counters.skipped }, ...(this.crashed ? { crashed: this.crashed } : {}) };
  }

  /** For readiness: never unready (commands are best effort), `degraded` while not in the group. */
  health(): { ok: true; degraded?: true } & RecordingControlStats {
    const s = this.stats;
    return { ok: true, ...(!s.joined ? { degraded: true as const } : {}), ...s };
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.consumer.disconnect().catch((err: unknown) => this.opts.logger.warn({ err: errorText(err) }, 'recording control consumer disconnect failed'));
    this.joined = false;
    if (this.opts.deleteGroupOnStop === false) return;
    const admin = this.opts.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch (err) {
      this.opts.logger.warn({ groupId: this.groupId, err: errorText(err) }, 'could not delete this replica\'s recording control group (it expires with offsets.retention.minutes)');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** One message (public for the unit tests: no broker needed). */
  handle(key: Buffer | null | undefined, value: Buffer | null, partition = 0, offset = '0'): void {
    const { logger } = this.opts;
    this.counters.received++;
    const where = { topic: this.topic, partition, offset };
    let command: RecordingControlV1;
    try {
      command = decodeRecordingControl(value);
    } catch (err) {
      this.counters.skipped.undecodable++;
      logger.warn({ ...where, key: key?.toString('utf8').slice(0, 256), err: err instanceof EventDecodeError ? err.message : errorText(err) }, 'undecodable recording command: skipped');
      return;
    }
    const k = key?.toString('utf8');
    if (k !== undefined && k !== command.callId) {
      this.counters.skipped.keyMismatch++;
      logger.warn({ ...where, key: k.slice(0, 256), callId: command.callId }, 'recording command whose key is not its call id: skipped');
      return;
    }
    const age = this.now() - Date.parse(command.at);
    if (this.maxAgeMs > 0 && age > this.maxAgeMs) {
      this.counters.skipped.stale++;
      logger.warn({ ...where, callId: command.callId, action: command.action, at: command.at, ageMs: age }, 'recording command too old: skipped');
      return;
    }
    logger.debug?.({ ...where, callId: command.callId, action: command.action, requestedBy: command.requestedBy }, 'recording command');
    this.counters.handled++;
    for (const h of this.handlers) {
      try {
        const r = h(command);
        if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch((err: unknown) => this.handlerFailed(command, err));
      } catch (err) {
        this.handlerFailed(command, err);
      }
    }
  }

  private handlerFailed(command: RecordingControlV1, err: unknown): void {
    this.counters.handlerErrors++;
    this.opts.logger.error({ callId: command.callId, action: command.action, err: errorText(err) }, 'recording command handler failed');
  }
}
