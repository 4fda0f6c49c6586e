import { BadRequestException, Body, Controller, Delete, Get, Header, Headers, HttpCode, Inject, NotFoundException, Param, Post, Put, Query, Req, Res, UnsupportedMediaTypeException } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { EmulatorConfig } from '../config/config';
import { EMULATOR_CONFIG, EMULATOR_LOGGER } from '../state/tokens';
import { CIF_HOST_CSS, CIF_HOST_JS, CIF_LIBRARY_JS, cifPageHtml, cifRefusalHtml } from './cif-assets';
import { loopbackUrl } from './cif-rules';
import { CifStore, type CallFilter, type CallReport, type CifSettings } from './cif-store';

/**
 * The CIF 1.0 double: the host page (/emulator/cif), the library at the path a
 * Dynamics org serves it, and the record of every call a page made. Every bad
 * input is a 400 `{ error, field, message }` naming the field.
 */

// The page may load scripts and talk only to itself and to loopback (a widget under
// test on another local port, e.g. the dialer's dev server). Nothing inline, no eval.
const LOOPBACK_SOURCES = ['https://127.0.0.1:*', 'http://127.0.0.1:*', 'https://localhost:*', 'http://localhost:*'];
export function cifCsp(extraOrigin?: string): string {
  const sources = ["'self'", ...LOOPBACK_SOURCES, ...(extraOrigin && !LOOPBACK_SOURCES.some((s) => s.replace(':*', '') === extraOrigin.replace(/:\d+$/, '')) ? [extraOrigin] : [])].join(' ');
  const ws = ['wss://127.0.0.1:*', 'ws://127.0.0.1:*', 'wss://localhost:*', 'ws://localhost:*'].join(' ');
  return [
    "default-src 'none'",
    `script-src ${sources}`,
    `connect-src ${sources} ${ws}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
  ].join('; ');
}

const bool = (field: string) =>
  z
    .string()
    .refine((s) => ['true', 'false', '1', '0'].includes(s), { message: `${field} must be true, false, 1 or 0` })
    .transform((s) => s === 'true' || s === '1');
const delay = z.coerce.number({ message: 'initDelayMs must be a number of milliseconds' }).int('initDelayMs must be a whole number of milliseconds').min(0, 'initDelayMs must be ≥ 0').max(60_000, 'initDelayMs must be ≤ 60000');

const pageQuery = z.strictObject({
  initDelayMs: delay.optional(),
  neverInit: bool('neverInit').optional(),
  raiseEventTimeout: bool('raiseEventTimeout').optional(),
  widget: z.string().max(2048, 'widget URL is longer than 2048 characters').optional(),
});

const settingsBody = z.strictObject({
  initDelayMs: z.number({ message: 'initDelayMs must be a number of milliseconds' }).int('initDelayMs must be a whole number of milliseconds').min(0, 'initDelayMs must be ≥ 0').max(60_000, 'initDelayMs must be ≤ 60000').optional(),
  neverInit: z.boolean({ message: 'neverInit must be a boolean' }).optional(),
  raiseEventTimeout: z.boolean({ message: 'raiseEventTimeout must be a boolean' }).optional(),
});

const wireArg: z.ZodType<{ type: string; value?: unknown; fields?: Record<string, string> }> = z.strictObject({
  type: z.string().min(1).max(32),
  value: z.unknown().optional(),
  fields: z.record(z.string().max(256), z.string().max(32)).optional(),
});

const callBody = z.strictObject({
  pageId: z.string({ message: 'pageId must be a string' }).min(1, 'pageId must not be empty').max(64, 'pageId is longer than 64 characters'),
  seq: z.number().int().min(0).optional(),
  time: z.iso.datetime({ offset: true, message: 'time must be an ISO 8601 date-time' }),
  method: z.string({ message: 'method must be a string' }).regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/, 'method must be a JavaScript method name (at most 64 characters)'),
  args: z.array(wireArg, { message: 'args must be an array of { type, value?, fields? }' }).max(8, 'args has more than 8 entries'),
  initialised: z.boolean({ message: 'initialised must be a boolean' }),
  timeoutFault: z.boolean({ message: 'timeoutFault must be a boolean' }).optional(),
  pageUrl: z.string().max(4096).optional(),
  library: z.strictObject({ src: z.string().max(4096).optional(), crmurl: z.string().max(4096).optional(), cifid: z.string().max(256).optional() }).optional(),
});

const OUTCOMES = ['resolved', 'rejected', 'timed-out', 'recorded'] as const;
const callsQuery = z.strictObject({
  method: z.string().max(64).optional(),
  eventName: z.string().max(256).optional(),
  callId: z.string().max(256).optional(),
  correlationId: z.string().max(256).optional(),
  outcome: z.enum(OUTCOMES, { message: `outcome must be one of ${OUTCOMES.join(', ')}` }).optional(),
  pageId: z.string().max(64).optional(),
  violations: bool('violations').optional(),
  since: z.iso.datetime({ offset: true, message: 'since must be an ISO 8601 date-time' }).optional(),
  limit: z.coerce.number({ message: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be ≥ 1').max(10_000, 'limit must be ≤ 10000').optional(),
});

interface BadInput {
  field: string;
  message: string;
}

/** The first problem zod found, as the field it concerns and a message naming it. */
export function firstProblem(error: z.ZodError, where: string): BadInput {
  const issue = error.issues[0];
  if (!issue) return { field: where, message: `${where} is invalid` };
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '?';
    const field = [...issue.path.map(String), key].join('.');
    return { field, message: `${where}: unknown field ${field}` };
  }
  const field = issue.path.map(String).join('.') || where;
  return { field, message: issue.message.startsWith(field) ? `${where}: ${issue.message}` : `${where}: ${field}: ${issue.message}` };
}

function parse<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const p = firstProblem(r.error, where);
    throw new BadRequestException({ error: 'invalid_request', field: p.field, message: p.message });
  }
  return r.data;
}

@Controller()
export class CifController {
  constructor(
    private readonly store: CifStore,
    @Inject(EMULATOR_CONFIG) private readonly config: EmulatorConfig,
    @Inject(EMULATOR_LOGGER) private readonly logger: Logger,
  ) {}

  @Get('emulator/cif')
  page(@Query() query: Record<string, unknown>, @Req() req: Request, @Res({ passthrough: true }) res: Response): string {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const refuse = (field: string, message: string) => {
      res.status(400);
      res.setHeader('Content-Security-Policy', cifCsp());
      return cifRefusalHtml(field, message);
    };
    const repeated = Object.entries(query).find(([, v]) => typeof v !== 'string');
    if (repeated) return refuse(repeated[0], `query: ${repeated[0]} must be given once, as a plain value`);
    const parsed = pageQuery.safeParse(query);
    if (!parsed.success) {
      const p = firstProblem(parsed.error, 'query');
      return refuse(p.field, p.message);
    }
    let widgetOrigin: string | undefined;
    if (parsed.data.widget !== undefined) {
      const check = loopbackUrl(parsed.data.widget);
      if (!check.ok) return refuse('widget', `refused to load the widget script: ${check.reason}`);
      widgetOrigin = check.url.origin;
    }
    res.setHeader('Content-Security-Policy', cifCsp(widgetOrigin));
    const { widget, ...overrides } = parsed.data;
    const settings: CifSettings = { ...this.store.getSettings(), ...stripUndefined(overrides) };
    return cifPageHtml({ crmUrl: this.crmUrl(req), settingsJson: JSON.stringify(settings), ...(widget !== undefined ? { widget } : {}) });
  }

  @Get('webresources/Widget/msdyn_ciLibrary.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('X-Content-Type-Options', 'nosniff')
  library(): string {
    return CIF_LIBRARY_JS;
  }

  @Get('emulator/cif/host.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  hostJs(): string {
    return CIF_HOST_JS;
  }

  @Get('emulator/cif/host.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  hostCss(): string {
    return CIF_HOST_CSS;
  }

  @Post('emulator/cif/calls')
  @HttpCode(201)
  recordCall(@Body() body: unknown, @Headers('content-type') contentType: string | undefined) {
    if (!/^application\/json\b/i.test(contentType ?? '')) throw new UnsupportedMediaTypeException({ error: 'invalid_request', field: 'content-type', message: `content-type: must be application/json, got ${contentType ?? 'none'}` });
    if (body === undefined || body === null || typeof body !== 'object') throw new BadRequestException({ error: 'invalid_request', field: 'body', message: 'body: a JSON object is required (Content-Type: application/json)' });
    const report = parse(callBody, body, 'body') as CallReport;
    const rec = this.store.record(report);
    if (rec.violations.length > 0) this.logger.info({ cif: { id: rec.id, method: rec.method, eventName: rec.eventName, violations: rec.violations.map((v) => v.rule) } }, 'CIF call broke a rule');
    return rec;
  }

  @Get('emulator/cif/calls')
  listCalls(@Query() query: Record<string, unknown>) {
    const q = parse(callsQuery, singleValued(query), 'query');
    const filter: CallFilter = { ...stripUndefined({ ...q, since: undefined }), ...(q.since !== undefined ? { since: new Date(q.since) } : {}) };
    const calls = this.store.list(filter);
    return { count: calls.length, calls };
  }

  @Get('emulator/cif/calls/:id')
  getCall(@Param('id') id: string) {
    const rec = this.store.get(id);
    if (!rec) throw new NotFoundException({ error: 'not_found', field: 'id', message: `no CIF call recorded with id ${id}` });
    return rec;
  }

  @Delete('emulator/cif/calls')
  @HttpCode(204)
  clearCalls(): void {
    this.store.clear();
  }

  @Get('emulator/cif/settings')
  @Header('Cache-Control', 'no-store')
  getSettings(): CifSettings {
    return this.store.getSettings();
  }

  @Put('emulator/cif/settings')
  putSettings(@Body() body: unknown): CifSettings {
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException({ error: 'invalid_request', field: 'body', message: 'body: a JSON object is required (Content-Type: application/json)' });
    return this.store.updateSettings(stripUndefined(parse(settingsBody, body, 'body')));
  }

  @Delete('emulator/cif/settings')
  resetSettings(): CifSettings {
    return this.store.resetSettings();
  }

  /** The org URL the page passes as data-crmurl: the emulator as the browser reached it. */
  private crmUrl(req: Request): string {
    if (this.config.https.publicUrl) return this.config.https.publicUrl;
    const host = req.headers.host;
    if (host && /^[A-Za-z0-9.\-[\]:]+$/.test(host)) return `https://${host}`;
    return `https://${this.config.https.host}:${this.config.https.port}`;
  }
}

/** Query values given twice arrive as arrays: refuse them rather than guess. */
function singleValued(query: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(query)) {
    if (typeof v !== 'string') throw new BadRequestException({ error: 'invalid_request', field: k, message: `query: ${k} must be given once, as a plain value` });
  }
  return query;
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
