import { createReadStream, existsSync, statSync } from 'node:fs';
import { Body, Controller, Delete, Get, HttpCode, HttpException, Inject, Param, Post, Query, Res, StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { FAULT_KINDS, type FaultKind } from './faults';
import type { Recording } from './recordings';
import { RULES, RULE_ORDER } from './rules';
import { SiprecRecorder } from './recorder';

function apiError(status: number, code: string, message: string, details: { field: string; message: string }[] = []): HttpException {
  return new HttpException({ error: { code, message, details } }, status);
}

const faultBody = z
  .object({
    fault: z.enum(FAULT_KINDS as [FaultKind, ...FaultKind[]], { message: `must be one of ${FAULT_KINDS.join(', ')}` }),
    count: z.number({ message: 'must be a number' }).int('must be an integer').min(1, 'must be at least 1').max(1_000_000, 'must be at most 1000000').default(1),
    retryAfter: z.number({ message: 'must be a number' }).int('must be an integer').min(0, 'must be at least 0').max(86_400, 'must be at most 86400').optional(),
    afterMs: z.number({ message: 'must be a number' }).int('must be an integer').min(0, 'must be at least 0').max(3_600_000, 'must be at most 3600000').optional(),
  })
  .strict();

function summary(r: Recording) {
  return { callId: r.callId, tenantId: r.tenantId ?? null, accountId: r.accountId, state: r.state, startedAt: r.startedAt, endedAt: r.endedAt ?? null, labels: r.labels };
}

function stats(r: Recording) {
  return r.finalStats ?? r.media?.stats() ?? [];
}

function detail(r: Recording) {
  return {
    ...summary(r),
    endReason: r.endReason ?? null,
    requests: r.requests,
    metadata: r.metadata ? { parsed: r.metadata.parsed, xml: r.metadata.xml } : null,
    sdp: r.sdp,
    streams: stats(r),
    mediaDir: r.mediaDir ?? null,
    timeline: r.timeline,
  };
}

/** The recorder's inspection and fault API (HTTPS, under /emulator/). */
@Controller('emulator')
export class RecorderController {
  constructor(@Inject(SiprecRecorder) private readonly recorder: SiprecRecorder) {}

  @Get('recordings')
  async list() {
    await Promise.all(this.recorder.recordings.list().map((r) => r.finalising));
    return { recordings: this.recorder.recordings.list().map(summary) };
  }

  /** Forgets the finished recordings (calls still running stay). */
  @Delete('recordings')
  clear() {
    const deleted = this.recorder.recordings.clearEnded();
    return { deleted, kept: this.recorder.recordings.list().map((r) => r.callId) };
  }

  @Get('recordings/:callId')
  async get(@Param('callId') callId: string) {
    const rec = this.find(callId);
    await rec.finalising; // a call that just ended is shown once its WAVs are final
    return detail(rec);
  }

  @Get('recordings/:callId/:file')
  async wav(@Param('callId') callId: string, @Param('file') file: string, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const rec = this.find(callId);
    await rec.finalising;
    const m = /^(.+)\.wav$/.exec(file);
    if (!m) throw apiError(404, 'NotFound', `no ${file} in recording ${callId}: download <label>.wav (labels: ${rec.labels.join(', ')})`);
    const label = m[1] ?? '';
    if (!rec.labels.includes(label)) throw apiError(404, 'NotFound', `recording ${callId} has no stream labelled "${label}" (labels: ${rec.labels.join(', ')})`);
    if (rec.state !== 'ended') throw apiError(409, 'RecordingInProgress', `recording ${callId} is still ${rec.state}: its WAV files are complete after the BYE`);
    const path = stats(rec).find((s) => s.label === label)?.wavPath;
    if (typeof path !== 'string' || !existsSync(path)) throw apiError(404, 'NotFound', `recording ${callId} has no WAV file for "${label}"`);
    res.setHeader('Content-Type', 'audio/wav');
    res.setHeader('Content-Disposition', `attachment; filename="${label}.wav"`);
    res.setHeader('Content-Length', String(statSync(path).size));
    return new StreamableFile(createReadStream(path));
  }

  @Get('recorder/rejections')
  rejections(@Query('callId') callId?: string) {
    const all = this.recorder.recordings.rejections();
    return { rejections: callId ? all.filter((r) => r.callId === callId) : all };
  }

  @Delete('recorder/rejections')
  clearRejections() {
    this.recorder.recordings.clearRejections();
    return { rejections: [] };
  }

  /** The rules in the order they are checked (same as src/recorder/RULES.md). */
  @Get('recorder/rules')
  rules() {
    return { rules: RULE_ORDER.concat(['bye-x-accountid']).map((id) => ({ id, status: RULES[id].status, warnCode: RULES[id].warn, meaning: RULES[id].meaning })) };
  }

  @Get('recorder/faults')
  faults() {
    return this.recorder.faults.list();
  }

  @Post('recorder/faults')
  @HttpCode(201)
  setFault(@Body() body: unknown) {
    const parsed = faultBody.safeParse(body ?? {});
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => ({ field: i.path.join('.') || (i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys?.join(', ') ?? '(body)' : '(body)'), message: i.message }));
      throw apiError(400, 'ValidationFailed', `the fault is invalid: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
    }
    const { fault, count, retryAfter, afterMs } = parsed.data;
    if (retryAfter !== undefined && fault !== 'refuse') throw apiError(400, 'ValidationFailed', 'retryAfter: only the refuse fault takes it', [{ field: 'retryAfter', message: 'only the refuse fault takes it' }]);
    if (afterMs !== undefined && fault !== 'drop-tls') throw apiError(400, 'ValidationFailed', 'afterMs: only the drop-tls fault takes it', [{ field: 'afterMs', message: 'only the drop-tls fault takes it' }]);
    const setting = this.recorder.faults.set({
      kind: fault,
      remaining: count,
      ...(fault === 'refuse' ? { retryAfter: retryAfter ?? 30 } : {}),
      ...(fault === 'drop-tls' ? { afterMs: afterMs ?? 0 } : {}),
    });
    return { armed: setting };
  }

  @Delete('recorder/faults')
  clearFaults(@Query('fault') fault?: string) {
    if (fault !== undefined && !(FAULT_KINDS as readonly string[]).includes(fault)) throw apiError(400, 'ValidationFailed', `fault: must be one of ${FAULT_KINDS.join(', ')}`, [{ field: 'fault', message: `must be one of ${FAULT_KINDS.join(', ')}` }]);
    this.recorder.faults.clear(fault as FaultKind | undefined);
    return this.recorder.faults.list();
  }

  private find(callId: string): Recording {
    const rec = this.recorder.recordings.get(callId);
    if (!rec) throw apiError(404, 'NotFound', `no recording with Call-ID ${callId}`);
    return rec;
  }
}
