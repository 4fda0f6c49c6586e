import { Controller, Get, Inject, NotFoundException, Optional, Param } from '@nestjs/common';
import type { CallManager, CallSummary } from '../calls/call-manager';
import type { RecordingSnapshot } from '../recording/recording-session';

export const CALL_MANAGER = Symbol('CALL_MANAGER');
export const RECORDINGS = Symbol('RECORDINGS');

/** The recording state of a call by its call id (the SIPREC hook), when recording is on. */
export interface RecordingsView {
  sessionOf(callId: string): RecordingSnapshot | undefined;
}

/**
 * Admin API (bind it to loopback or a cluster network):
 * - `GET /calls`: the calls in progress;
 * - `GET /calls/{callId}/recording`: its recording (phase, recorder, reason,
 *   attempts, busy), 404 when the call is not being recorded here;
 * - `GET /drain`: whether the service is draining and how many calls are up
 *   (a preStop hook polls it until `activeCalls` is 0).
 */
@Controller()
export class CallsController {
  constructor(
    @Inject(CALL_MANAGER) private readonly calls: Pick<CallManager, 'list' | 'size' | 'isDraining'>,
    @Optional() @Inject(RECORDINGS) private readonly recordings?: RecordingsView,
  ) {}

  @Get('calls')
  list(): { activeCalls: number; draining: boolean; calls: CallSummary[] } {
    const calls = this.calls.list();
    return { activeCalls: calls.length, draining: this.calls.isDraining, calls };
  }

  @Get('calls/:callId/recording')
  recording(@Param('callId') callId: string): RecordingSnapshot {
    const snapshot = this.recordings?.sessionOf(callId);
    if (!snapshot) throw new NotFoundException(`call ${callId} is not being recorded here${this.recordings ? '' : ' (SIPREC recording is off)'}`);
    return snapshot;
  }

  @Get('drain')
  drain(): { draining: boolean; activeCalls: number } {
    return { draining: this.calls.isDraining, activeCalls: this.calls.size };
  }
}
