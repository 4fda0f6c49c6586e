import { Controller, Get, Inject } from '@nestjs/common';
import type { CallManager, CallSummary } from '../calls/call-manager';

export const CALL_MANAGER = Symbol('CALL_MANAGER');

/**
 * Admin API (bind it to loopback or a cluster network):
 * - `GET /calls`: the calls in progress;
 * - `GET /drain`: whether the service is draining and how many calls are up
 *   (a preStop hook polls it until `activeCalls` is 0).
 */
@Controller()
export class CallsController {
  constructor(@Inject(CALL_MANAGER) private readonly calls: Pick<CallManager, 'list' | 'size' | 'isDraining'>) {}

  @Get('calls')
  list(): { activeCalls: number; draining: boolean; calls: CallSummary[] } {
    const calls = this.calls.list();
    return { activeCalls: calls.length, draining: this.calls.isDraining, calls };
  }

  @Get('drain')
  drain(): { draining: boolean; activeCalls: number } {
    return { draining: this.calls.isDraining, activeCalls: this.calls.size };
  }
}
