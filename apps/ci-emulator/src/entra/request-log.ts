/** What the emulator counts: one entry per request to the Microsoft-facing routes. */
export type RequestKind = 'token' | 'discovery' | 'register' | 'users';

export interface LoggedRequest {
  time: string;
  kind: RequestKind;
  method: string;
  path: string;
  tenantId?: string;
  clientId?: string;
  status: number;
  durationMs: number;
  /** The injected fault that shaped the answer, if any. */
  fault?: string;
  /** users: true for a listing's first request (no $skiptoken), i.e. one sync. */
  firstPage?: boolean;
}

interface Counter {
  kind: RequestKind;
  tenantId: string | null;
  clientId: string | null;
  status: number;
  count: number;
}

export const REQUEST_LOG_CAPACITY = 10_000;

/** Counters per (kind, tenant, client, status) and the last 10,000 requests. */
export class RequestLog {
  private counters = new Map<string, Counter>();
  private ring: LoggedRequest[] = [];
  private next = 0;
  private since = new Date().toISOString();

  record(r: LoggedRequest): void {
    const key = `${r.kind}|${r.tenantId ?? ''}|${r.clientId ?? ''}|${r.status}`;
    const c = this.counters.get(key);
    if (c) c.count++;
    else this.counters.set(key, { kind: r.kind, tenantId: r.tenantId ?? null, clientId: r.clientId ?? null, status: r.status, count: 1 });
    if (this.ring.length < REQUEST_LOG_CAPACITY) this.ring.push(r);
    else this.ring[this.next] = r;
    this.next = (this.next + 1) % REQUEST_LOG_CAPACITY;
  }

  reset(): void {
    this.counters.clear();
    this.ring = [];
    this.next = 0;
    this.since = new Date().toISOString();
  }

  /** Oldest first. */
  last(filter: { kind?: string; tenantId?: string; limit: number }): LoggedRequest[] {
    const ordered = this.ring.length < REQUEST_LOG_CAPACITY ? this.ring : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    const matched = ordered.filter((r) => (!filter.kind || r.kind === filter.kind) && (!filter.tenantId || r.tenantId === filter.tenantId));
    return matched.slice(Math.max(0, matched.length - filter.limit));
  }

  snapshot(filter: { kind?: string; tenantId?: string; limit: number }) {
    const counters = [...this.counters.values()].map((c) => ({ ...c }));
    const totals: Record<string, { total: number; byStatus: Record<string, number>; byTenant: Record<string, number>; byClient: Record<string, number> }> = {};
    for (const c of counters) {
      const t = (totals[c.kind] ??= { total: 0, byStatus: {}, byTenant: {}, byClient: {} });
      t.total += c.count;
      t.byStatus[c.status] = (t.byStatus[c.status] ?? 0) + c.count;
      if (c.tenantId) t.byTenant[c.tenantId] = (t.byTenant[c.tenantId] ?? 0) + c.count;
      if (c.clientId) t.byClient[c.clientId] = (t.byClient[c.clientId] ?? 0) + c.count;
    }
    // One sync = a users listing's first page answered 200 (paging requests do not count).
    const syncs: Record<string, { count: number; times: string[] }> = {};
    for (const r of this.last({ kind: 'users', limit: REQUEST_LOG_CAPACITY })) {
      if (!r.firstPage || r.status !== 200 || !r.tenantId) continue;
      const s = (syncs[r.tenantId] ??= { count: 0, times: [] });
      s.count++;
      s.times.push(r.time);
    }
    return { since: this.since, totals, counters, syncsByTenant: syncs, last: this.last(filter) };
  }
}

export interface TrackedRequest {
  tenantId?: string;
  clientId?: string;
  fault?: string;
  firstPage?: boolean;
}

/** Records the request when its response has been sent; the handler fills in what it learns. */
export function track(log: RequestLog, kind: RequestKind, req: { method?: string; url?: string }, res: { on(e: 'finish' | 'close', f: () => void): unknown; statusCode: number }): TrackedRequest {
  const started = process.hrtime.bigint();
  const time = new Date().toISOString();
  const ctx: TrackedRequest = {};
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    log.record({
      time,
      kind,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      ...(ctx.tenantId ? { tenantId: ctx.tenantId } : {}),
      ...(ctx.clientId ? { clientId: ctx.clientId } : {}),
      status: res.statusCode,
      durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      ...(ctx.fault ? { fault: ctx.fault } : {}),
      ...(ctx.firstPage !== undefined ? { firstPage: ctx.firstPage } : {}),
    });
  };
  res.on('finish', finish);
  res.on('close', finish);
  return ctx;
}
