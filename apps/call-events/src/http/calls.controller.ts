import { Body, Controller, Headers, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CallEventsService } from '../core/call-events-service';
import { PartnerGuard, principalOf, type AuthedRequest } from './auth.guard';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const apply = (...ds: Array<MethodDecorator>) => (t: object, k: string | symbol, d: PropertyDescriptor) => ds.forEach((x) => x(t, k, d));

const common = [
  ApiParam({ name: 'callId', description: "Your call id (URL-encoded), the same you passed to sip-signaling as X-Dialer-Call-Id: the Kafka key, and the widget's callId when the call is recorded." }),
  ApiResponse({ status: 400, description: 'Invalid: `problems` names each bad field (body, `callId`, `Idempotency-Key`), or the body is not JSON', schema: ref('Error') }),
  ApiResponse({ status: 401, description: 'No credential, or an unknown / revoked one', schema: ref('Error') }),
  ApiResponse({ status: 403, description: 'The tenant is unknown, or not one of yours', schema: ref('Error') }),
  ApiResponse({ status: 413, description: 'Body larger than MAX_BODY_SIZE (16 KB by default)', schema: ref('Error') }),
  ApiResponse({ status: 415, description: 'Not Content-Type: application/json', schema: ref('Error') }),
  ApiResponse({ status: 503, description: 'Kafka (or Redis) unavailable: not accepted. Retry after `Retry-After` seconds with the same Idempotency-Key', schema: ref('Error') }),
];
const idempotencyKey = ApiHeader({
  name: 'Idempotency-Key',
  required: true,
  description: 'Your unique key for this event (1-256 printable ASCII characters, e.g. a UUID). A retry with the same key gets the same eventId, and the pipeline delivers the event once.',
});

@ApiTags('call events')
@ApiSecurity('bearer')
@ApiSecurity('apiKey')
@Controller('v1/calls')
@UseGuards(PartnerGuard)
export class CallsController {
  constructor(private readonly events: CallEventsService) {}

  @Post(':callId/started')
  @HttpCode(202)
  @ApiOperation({
    summary: 'A call started',
    description: "The seed's CallStartedEvent plus tenant and seller. 202 only once Kafka has stored it (acks=all); the seller's widget then raises WIDGET_CALL_STARTED.",
  })
  @idempotencyKey
  @ApiBody({ schema: ref('CallStarted') })
  @ApiResponse({ status: 202, description: 'Stored', schema: ref('EventAccepted') })
  @apply(...common)
  started(@Req() req: AuthedRequest, @Param('callId') callId: string, @Headers('idempotency-key') key: string | undefined, @Body() body: unknown) {
    return this.events.postCallEvent(principalOf(req), 'call.started', { callId, idempotencyKey: key, body, idempotencyKeyField: 'Idempotency-Key' });
  }

  @Post(':callId/ended')
  @HttpCode(202)
  @ApiOperation({
    summary: 'A call ended',
    description: "The seed's CallEndedEvent plus tenant and seller (`callDurationInSeconds` always, 0 when the call never connected). 202 only once Kafka has stored it; the widget then raises WIDGET_CALL_ENDED, once.",
  })
  @idempotencyKey
  @ApiBody({ schema: ref('CallEnded') })
  @ApiResponse({ status: 202, description: 'Stored', schema: ref('EventAccepted') })
  @apply(...common)
  ended(@Req() req: AuthedRequest, @Param('callId') callId: string, @Headers('idempotency-key') key: string | undefined, @Body() body: unknown) {
    return this.events.postCallEvent(principalOf(req), 'call.ended', { callId, idempotencyKey: key, body, idempotencyKeyField: 'Idempotency-Key' });
  }

  @Post(':callId/recording/:action')
  @HttpCode(202)
  @ApiOperation({
    summary: "Start, stop, pause or resume the call's recording",
    description:
      'Published to ci.recording.control.v1; sip-signaling acts on it for the call with this id if it belongs to the tenant (start applies to tenants in manual recording mode). 202 once Kafka has stored the command; what happened shows in the recording events.',
  })
  @ApiParam({ name: 'action', enum: ['start', 'stop', 'pause', 'resume'] })
  @ApiBody({ schema: ref('RecordingCommand') })
  @ApiResponse({ status: 202, description: 'Stored', schema: ref('RecordingCommandAccepted') })
  @apply(...common)
  recording(@Req() req: AuthedRequest, @Param('callId') callId: string, @Param('action') action: string, @Body() body: unknown) {
    return this.events.controlRecording(principalOf(req), { callId, action, body });
  }
}
