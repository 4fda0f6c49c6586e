import { z } from 'zod';
import { decodeWith, encodeWith } from './codec';
import { TOPICS } from './topics';

/**
 * The recording topics (names in TOPICS):
 * - `ci.recording.events.v1` (key = call id): sip-signaling publishes what
 *   happened to a call's recording; call-events and dashboards read it.
 * - `ci.recording.control.v1` (key = call id): call-events (issue 7) publishes
 *   start/stop/pause/resume commands; every sip-signaling replica reads all of
 *   them and acts on the calls it holds.
 *
 * The call id is the one id of a call end to end (the dialer's, else minted;
 * the SIPREC Call-ID). Values are UTF-8 JSON validated on both sides. Readers
 * ignore fields they do not know, so adding an optional field is compatible; a
 * breaking change is a new topic (`.v2`).
 */

export const RECORDING_EVENT_TYPES = ['recording.started', 'recording.failed', 'recording.stopped', 'recording.paused', 'recording.resumed'] as const;
export type RecordingEventTypeV1 = (typeof RECORDING_EVENT_TYPES)[number];

export const RECORDING_CONTROL_ACTIONS = ['start', 'stop', 'pause', 'resume'] as const;
export type RecordingControlAction = (typeof RECORDING_CONTROL_ACTIONS)[number];

/** Longest call id accepted (a SIP Call-ID of the dialer is at most 128 characters; room to spare). */
export const RECORDING_CALL_ID_MAX = 256;
const ID_MAX = 256;
const REASON_MAX = 1024;

/** Value of `ci.recording.events.v1` (the key is `callId`). */
export interface RecordingEventV1 {
  type: RecordingEventTypeV1;
  /** The call id end to end (the dialer's, else minted). */
  callId: string;
  /** The carrier-side Call-ID of the call's A leg (for SIP traces). */
  sipCallId: string;
  tenantId: string;
  /** The seller's identity (AOR or phone number) the recording belongs to. */
  seller: string;
  /** The recorder used (its URI, `sip:SRS@host:5061;transport=tls`), when one was reached or tried. */
  recorder?: string;
  /** Why (failed: what went wrong; stopped: call ended, command, recorder hung up…). */
  reason?: string;
  /** When it happened (ISO 8601 with offset). */
  at: string;
}

const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `longer than ${max} characters`);
const at = z.iso.datetime({ offset: true, error: 'not an ISO 8601 date-time with offset' });

export const recordingEventV1Schema = z.object({
  type: z.enum(RECORDING_EVENT_TYPES),
  callId: text(RECORDING_CALL_ID_MAX),
  sipCallId: text(ID_MAX),
  tenantId: text(ID_MAX),
  seller: text(ID_MAX),
  recorder: text(ID_MAX).optional(),
  reason: z.string().max(REASON_MAX, `longer than ${REASON_MAX} characters`).optional(),
  at,
});

/** Value of `ci.recording.control.v1` (the key is `callId`). */
export interface RecordingControlV1 {
  type: 'recording.control';
  action: RecordingControlAction;
  callId: string;
  /** When given, the command applies only if the call belongs to this tenant. */
  tenantId?: string;
  /** Who asked (a user, a service), for the logs. */
  requestedBy?: string;
  /** When it was asked (ISO 8601 with offset). */
  at: string;
}

export const recordingControlV1Schema = z.object({
  type: z.literal('recording.control'),
  action: z.enum(RECORDING_CONTROL_ACTIONS),
  callId: text(RECORDING_CALL_ID_MAX),
  tenantId: text(ID_MAX).optional(),
  requestedBy: text(ID_MAX).optional(),
  at,
});

/** Validates and encodes a recording event; throws EventDecodeError naming each bad field (nothing invalid is ever written). */
export function encodeRecordingEvent(event: RecordingEventV1): Buffer {
  return encodeWith(TOPICS.recordingEvents, recordingEventV1Schema, event);
}

export function decodeRecordingEvent(value: Buffer | null): RecordingEventV1 {
  return decodeWith(TOPICS.recordingEvents, recordingEventV1Schema, value);
}

/** Validates and encodes a recording command; throws EventDecodeError naming each bad field. */
export function encodeRecordingControl(command: RecordingControlV1): Buffer {
  return encodeWith(TOPICS.recordingControl, recordingControlV1Schema, command);
}

export function decodeRecordingControl(value: Buffer | null): RecordingControlV1 {
  return decodeWith(TOPICS.recordingControl, recordingControlV1Schema, value);
}
