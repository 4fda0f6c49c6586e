import { Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { RECORDING_CALL_ID_MAX, RECORDING_CONTROL_ACTIONS, type RecordingControlAction, type RecordingControlV1 } from '@ci-connector/events';
import { ApiError } from './api-error';
import { CALL_OWNERS, RECORDING_COMMANDS, WIDGET_AUTH, type CallOwners, type RecordingCommands } from './ports';
import type { WidgetAuthenticator } from './widget-auth';

/**
 * `POST /v1/widget/calls/{callId}/recording/{action}`: the seller asks, from
 * the widget, to start/stop/pause/resume the recording of one of the calls
 * delivered to that widget (`callId` as the widget got it: the SIPREC Call-ID
 * when recorded). Produced to `ci.recording.control.v1` for sip-signaling,
 * tenant from the token, `requestedBy` = the seller. 202 once Kafka has it.
 */
@Controller('v1/widget/calls')
export class WidgetControlController {
  constructor(
    @Inject(WIDGET_AUTH) private readonly auth: WidgetAuthenticator,
    @Inject(RECORDING_COMMANDS) private readonly commands: RecordingCommands,
    @Inject(CALL_OWNERS) private readonly owners: CallOwners,
  ) {}

  @Post(':callId/recording/:action')
  @HttpCode(202)
  async control(@Req() req: Request, @Param('callId') callId: string, @Param('action') action: string) {
    const who = this.auth.authenticate(req.headers.authorization, req.query['token']);
    const details: { field: string; message: string }[] = [];
    if (!(RECORDING_CONTROL_ACTIONS as readonly string[]).includes(action)) details.push({ field: 'action', message: `must be one of ${RECORDING_CONTROL_ACTIONS.join(', ')}` });
    if (callId.length === 0 || callId.length > RECORDING_CALL_ID_MAX) details.push({ field: 'callId', message: `must be 1 to ${RECORDING_CALL_ID_MAX} characters` });
    if (details.length > 0) throw new ApiError(400, 'invalid_request', details.map((d) => `${d.field}: ${d.message}`).join('; '), details);

    const owner = await this.owners.ownerOf(who.tenantId, callId).catch((err: unknown) => {
      throw new ApiError(503, 'unavailable', `cannot check the call now (${err instanceof Error ? err.message : String(err)})`, [], { 'Retry-After': '2' });
    });
    if (owner === undefined) throw new ApiError(404, 'unknown_call', `no call ${JSON.stringify(callId)} was delivered to this seller's widget (or it is too long ago)`);
    if (owner !== who.sellerId) throw new ApiError(403, 'not_your_call', `call ${JSON.stringify(callId)} belongs to another seller`);

    const command: RecordingControlV1 = { type: 'recording.control', action: action as RecordingControlAction, callId, tenantId: who.tenantId, requestedBy: who.sellerId, at: new Date().toISOString() };
    try {
      await this.commands.send(command);
    } catch (err) {
      throw new ApiError(503, 'unavailable', `Kafka did not take the command (${err instanceof Error ? err.message : String(err)}); retry`, [], { 'Retry-After': '2' });
    }
    return { callId, action: command.action, tenantId: who.tenantId, requestedBy: who.sellerId, at: command.at };
  }
}
