/** The fields every log line about a call carries (STYLE.md, "Errors, logging, tracing"). */
export interface CallContext {
  callId: string;
  tenantId?: string;
  region?: string;
  traceId?: string;
}

/** Keeps only the defined call fields, so a child logger never prints "undefined". */
export function callContext(ctx: CallContext): Record<string, string> {
  const out: Record<string, string> = { callId: ctx.callId };
  if (ctx.tenantId) out['tenantId'] = ctx.tenantId;
  if (ctx.region) out['region'] = ctx.region;
  if (ctx.traceId) out['traceId'] = ctx.traceId;
  return out;
}
