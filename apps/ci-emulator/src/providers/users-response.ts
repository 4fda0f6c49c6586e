import type { Response } from 'express';
import { ApiError } from './api-error';
import type { DirectoryTenant } from '../entra/directory';

/**
 * `GET /api/v1.0/providers/users` answers in the tenant's configured shape:
 * - `array`: a bare JSON array of every user;
 * - `value`: `{ "value": [ …every user… ] }`;
 * - `paged`: `{ "value": [ …one page… ], "@odata.nextLink": "https://<emulator>/api/v1.0/providers/users?$top=N&$skiptoken=…" }`,
 *   the link absent on the last page. The link needs the same bearer token.
 * Query: `$top` (1-1000: the page size of the paged shape; accepted and ignored
 * by the others) and `$skiptoken` (only what a next link carries; paged shape only).
 * Anything else is a 400 naming the parameter. Big answers are streamed.
 */
export interface UsersPage {
  offset: number;
  end: number;
  pageSize: number;
  firstPage: boolean;
  next?: string;
}

interface SkipToken {
  o: number;
  v: number;
}

const encodeSkipToken = (t: SkipToken) => Buffer.from(JSON.stringify(t)).toString('base64url');

function decodeSkipToken(s: string): SkipToken | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(s)) return undefined;
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (t === null || typeof t !== 'object') return undefined;
    const { o, v } = t as Record<string, unknown>;
    return Number.isSafeInteger(o) && (o as number) >= 0 && Number.isSafeInteger(v) ? { o: o as number, v: v as number } : undefined;
  } catch {
    return undefined;
  }
}

export function planUsersPage(tenant: DirectoryTenant, query: Record<string, unknown>, base: string): UsersPage {
  const problems: Array<{ field: string; message: string }> = [];
  const one = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      problems.push({ field: name, message: 'given more than once' });
      return undefined;
    }
    return v;
  };
  for (const k of Object.keys(query)) if (k !== '$top' && k !== '$skiptoken') problems.push({ field: k, message: 'unknown query parameter (accepted: $top, $skiptoken)' });
  const topText = one('$top');
  const skipText = one('$skiptoken');
  let top: number | undefined;
  if (topText !== undefined) {
    if (!/^\d{1,4}$/.test(topText) || Number(topText) < 1 || Number(topText) > 1000) problems.push({ field: '$top', message: `must be an integer from 1 to 1000, got '${topText}'` });
    else top = Number(topText);
  }
  const shape = tenant.usersResponse.shape;
  let offset = 0;
  if (skipText !== undefined) {
    if (shape !== 'paged') problems.push({ field: '$skiptoken', message: `this tenant's users response is not paged (shape '${shape}'): there is nothing to skip to` });
    else {
      const t = decodeSkipToken(skipText);
      if (!t) problems.push({ field: '$skiptoken', message: 'not a skip token of this emulator (use the @odata.nextLink as given)' });
      else if (t.o > tenant.users.size) problems.push({ field: '$skiptoken', message: `points past the end of the list (${t.o} > ${tenant.users.size} users; the list changed?)` });
      else offset = t.o;
    }
  }
  if (problems.length > 0) throw new ApiError(400, 'InvalidQuery', `bad query: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
  const size = tenant.users.size;
  if (shape !== 'paged') return { offset: 0, end: size, pageSize: size, firstPage: true };
  const pageSize = top ?? tenant.usersResponse.pageSize;
  const end = Math.min(size, offset + pageSize);
  const next = end < size ? `${base}/api/v1.0/providers/users?$top=${pageSize}&$skiptoken=${encodeSkipToken({ o: end, v: tenant.users.version })}` : undefined;
  return { offset, end, pageSize, firstPage: skipText === undefined, ...(next ? { next } : {}) };
}

/** Streams the page as JSON, honouring back-pressure; stops if the client goes away. */
export async function writeUsers(res: Response, tenant: DirectoryTenant, page: UsersPage): Promise<void> {
  const shape = tenant.usersResponse.shape;
  res.status(200).set('content-type', 'application/json; charset=utf-8');
  let buf = shape === 'array' ? '[' : '{"value":[';
  const waitDrain = () => new Promise<void>((r) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      r();
    };
    res.on('drain', done);
    res.on('close', done);
  });
  for (let i = page.offset; i < page.end; i++) {
    if (i > page.offset) buf += ',';
    buf += tenant.users.json(i);
    if (buf.length >= 64 * 1024) {
      if (res.destroyed) return;
      const ok = res.write(buf);
      buf = '';
      if (!ok) await waitDrain();
    }
  }
  buf += shape === 'array' ? ']' : page.next ? `],"@odata.nextLink":${JSON.stringify(page.next)}}` : ']}';
  if (!res.destroyed) res.end(buf);
}
