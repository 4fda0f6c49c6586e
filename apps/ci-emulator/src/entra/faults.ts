import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { guidSchema } from '../config/emulator-file';

/** Which endpoint a fault applies to. */
export type FaultKind = 'token' | 'register' | 'users';

export const faultBodySchema = z
  .strictObject({
    kind: z.enum(['token', 'register', 'users'], { error: "must be 'token', 'register' or 'users'" }),
    tenantId: guidSchema.optional(),
    type: z.enum(['429', '500', 'slow'], { error: "must be '429', '500' or 'slow'" }),
    retryAfter: z.number({ error: 'must be a number of seconds' }).int('must be an integer').min(0).max(86400).optional(),
    delayMs: z.number({ error: 'must be a number of milliseconds' }).int('must be an integer').min(1, 'must be at least 1').max(120_000, 'at most 120000').optional(),
    count: z.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be at least 1').optional(),
  })
  .superRefine((f, ctx) => {
    if (f.type === 'slow' && f.delayMs === undefined) ctx.addIssue({ code: 'custom', path: ['delayMs'], message: "required for type 'slow'" });
    if (f.type !== 'slow' && f.delayMs !== undefined) ctx.addIssue({ code: 'custom', path: ['delayMs'], message: "only for type 'slow'" });
    if (f.type !== '429' && f.retryAfter !== undefined) ctx.addIssue({ code: 'custom', path: ['retryAfter'], message: "only for type '429'" });
  });

export interface Fault {
  id: string;
  kind: FaultKind;
  tenantId?: string;
  type: '429' | '500' | 'slow';
  /** Seconds, for 429 (default 1). */
  retryAfter?: number;
  delayMs?: number;
  /** Requests it still applies to; null = until cleared. */
  remaining: number | null;
  hits: number;
  createdAt: string;
}

/** Injected faults, matched in the order they were added; a counted one disappears when used up. */
export class FaultStore {
  private faults: Fault[] = [];

  add(spec: z.infer<typeof faultBodySchema>): Fault {
    const fault: Fault = {
      id: randomUUID(),
      kind: spec.kind,
      ...(spec.tenantId ? { tenantId: spec.tenantId } : {}),
      type: spec.type,
      ...(spec.type === '429' ? { retryAfter: spec.retryAfter ?? 1 } : {}),
      ...(spec.delayMs !== undefined ? { delayMs: spec.delayMs } : {}),
      remaining: spec.count ?? null,
      hits: 0,
      createdAt: new Date().toISOString(),
    };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** The fault for this request, if any (counted as used). */
  take(kind: FaultKind, tenantId: string | undefined): Fault | undefined {
    const f = this.faults.find((x) => x.kind === kind && (x.tenantId === undefined || x.tenantId === tenantId?.toLowerCase()));
    if (!f) return undefined;
    f.hits++;
    if (f.remaining !== null) {
      f.remaining--;
      if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
    }
    return { ...f };
  }
}
