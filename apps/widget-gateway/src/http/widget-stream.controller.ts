import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { SseHub } from '../sse/sse-hub';
import { resumePoint } from '../sse/sse-format';
import { ApiError } from './api-error';
import { SSE_HUB, WIDGET_AUTH } from './ports';
import type { WidgetAuthenticator } from './widget-auth';

/**
 * `GET /v1/widget/stream`: the seller's widget events as server-sent events
 * (`id:` = stream entry id, `event:` = WIDGET_CALL_STARTED|WIDGET_CALL_ENDED,
 * `data:` = `{ eventId, name, payload, recording }`), resuming after
 * `Last-Event-ID` (header, or `?lastEventId=`), with heartbeat comments.
 */
@Controller('v1/widget')
export class WidgetStreamController {
  constructor(
    @Inject(SSE_HUB) private readonly hub: SseHub,
    @Inject(WIDGET_AUTH) private readonly auth: WidgetAuthenticator,
  ) {}

  @Get('stream')
  async stream(@Req() req: Request, @Res() res: Response): Promise<void> {
    const who = this.auth.authenticate(req.headers.authorization, req.query['token']);
    const resume = resumePoint(req.headers['last-event-id'], req.query['lastEventId']);
    if (!resume.ok) {
      const field = resume.error.split(':')[0] ?? 'Last-Event-ID';
      throw new ApiError(400, 'invalid_last_event_id', resume.error, [{ field, message: resume.error.slice(field.length + 2) }]);
    }
    await this.hub.open(res, who, resume.lastEventId);
  }
}
