import type { RecordingControlV1 } from '@ci-connector/events';

export const SSE_HUB = Symbol('SSE_HUB');
export const WIDGET_AUTH = Symbol('WIDGET_AUTH');
export const RECORDING_COMMANDS = Symbol('RECORDING_COMMANDS');
export const CALL_OWNERS = Symbol('CALL_OWNERS');

/** Where widget-originated recording commands go (`ci.recording.control.v1`). Rejects when Kafka did not take it. */
export interface RecordingCommands {
  send(command: RecordingControlV1): Promise<void>;
}

/** The seller a widget call id was delivered to. */
export interface CallOwners {
  ownerOf(tenantId: string, widgetCallId: string): Promise<string | undefined>;
}
