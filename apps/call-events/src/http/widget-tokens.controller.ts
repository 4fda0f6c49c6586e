import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CallEventsService } from '../core/call-events-service';
import { PartnerGuard, principalOf, type AuthedRequest } from './auth.guard';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

@ApiTags('widget tokens')
@ApiSecurity('bearer')
@ApiSecurity('apiKey')
@Controller('v1/widget-tokens')
@UseGuards(PartnerGuard)
export class WidgetTokensController {
  constructor(private readonly events: CallEventsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: "Issue a widget token for a seller of one of your tenants",
    description: "The seller's widget (libs/cif-widget) connects to widget-gateway with it and receives that seller's call events; it can also start/stop/pause/resume the recording of that tenant's calls. Mint it server-side and hand it to the widget page.",
  })
  @ApiBody({ schema: ref('WidgetTokenRequest') })
  @ApiResponse({ status: 201, schema: ref('WidgetToken') })
  @ApiResponse({ status: 400, schema: ref('Error') })
  @ApiResponse({ status: 401, schema: ref('Error') })
  @ApiResponse({ status: 403, description: 'The tenant is unknown, or not one of yours', schema: ref('Error') })
  @ApiResponse({ status: 503, description: 'Redis unavailable', schema: ref('Error') })
  create(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.events.createWidgetToken(principalOf(req), body);
  }
}
