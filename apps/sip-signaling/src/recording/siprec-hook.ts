import { isIP } from 'node:net';
import type { ConnectionClosed } from '@ci-connector/sip';
import type { RecordingPolicy, TenantStore } from '@ci-connector/recording-policy';
import type { Tenant } from '@ci-connector/tenancy';
import { FailoverPolicy, type FailoverPolicyOptions, type RecorderTarget } from '@ci-connector/siprec';
import { decideRecording, type CallEnd, type MediaChange, type RecordingCallContext, type RecordingHook } from './recording-hook';
import type { RecorderPool, RecordingControlCommand, RecordingControlSource } from './ports';
import { RecordingSession, type RecordingSessionDeps, type RecordingSnapshot, type SessionLogger } from './recording-session';

export type PolicyUnavailable = 'skip' | 'record';

export interface SiprecHookOptions {
  policy?: Pick<RecordingPolicy, 'isRecorded'>;
  tenants?: Pick<TenantStore, 'get'>;
  pool: RecorderPool;
  control?: RecordingControlSource;
  session: Omit<RecordingSessionDeps, 'pool' | 'logger'>;
  logger: SessionLogger;
  /** Bound of the isRecorded and tenant lookups. */
  decisionTimeoutMs: number;
  /** Redis unavailable: `skip` (default, the call goes on unrecorded) or `record` (with the tenant last read, when there is one). */
  whenPolicyUnavailable: PolicyUnavailable;
  failover: FailoverPolicyOptions;
  /** How long a tenant read from Redis is reused (and kept as the fallback when Redis fails). */
  tenantCacheMs?: number;
  /** The SIPREC stack's connections: one the recorder closes (or that fails) makes its sessions check they still exist. */
  connections?: { onConnectionClosed(handler: (c: ConnectionClosed) => void): () => void };
  /** How long that check (an in-dialog OPTIONS) may take before the recorder counts as lost. Default the failover's attempt timeout. */
  probeTimeoutMs?: number;
}

interface Pending {
  ended: boolean;
  tenantId?: string;
  session?: RecordingSession;
  /** Control commands that came while the decision was still being made: applied once the session exists. */
  early?: RecordingControlCommand[];
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The recording session in the call path: on answer decides (the seller on
 * the tenant's list, the tenant's recording mode), then drives one
 * RecordingSession per recorded call (libs/siprec's reducer: rtpengine
 * subscription, SIPREC INVITE over TLS, re-INVITEs, BYE, failover). Runs
 * detached behind SafeRecordingHook: nothing here can fail the call.
 */
export class SiprecRecordingHook implements RecordingHook {
  /** By A's SIP Call-ID (unique per call). */
  private readonly calls = new Map<string, Pending>();
  /** The one call id → A's SIP Call-ID, for control commands. */
  private readonly byCallId = new Map<string, string>();
  private readonly tenantCache = new Map<string, { tenant: Tenant; at: number }>();
  private readonly failover: FailoverPolicy;

  constructor(private readonly o: SiprecHookOptions) {
    this.failover = new FailoverPolicy(o.failover);
    o.control?.onCommand((c) => this.command(c));
    o.connections?.onConnectionClosed((c) => {
      if (c.closedBy === 'peer' && c.protocol === 'tls' && c.direction === 'outbound') this.connectionLost(c);
    });
  }

  /**
   * A recorder closed our TLS connection (or it failed): each session at that
   * recorder probes its dialog. A target named by host name matches on its port
   * (the address it resolved to is not kept).
   */
  connectionLost(c: Pick<ConnectionClosed, 'remote' | 'id'>): void {
    const timeout = this.o.probeTimeoutMs ?? this.failover.attemptTimeoutMs;
    for (const p of this.calls.values()) {
      const t = p.session?.recorderInUse;
      if (!t || t.port !== c.remote.port) continue;
      const host = t.host.replace(/^\[|\]$/g, '');
      if (isIP(host) !== 0 && host !== c.remote.address) continue;
      p.session?.probe(`connection ${c.id} to ${c.remote.address}:${c.remote.port} closed by the recorder`, timeout);
    }
  }

  get activeSessions(): number {
    let n = 0;
    for (const p of this.calls.values()) if (p.session && !p.session.settled) n++;
    return n;
  }

  /** The recording state of a call (admin, tests). */
  sessionOf(callId: string): RecordingSnapshot | undefined {
    const sip = this.byCallId.get(callId);
    return sip ? this.calls.get(sip)?.session?.snapshot : undefined;
  }

  private async tenant(id: string): Promise<{ tenant?: Tenant; error?: string }> {
    const cached = this.tenantCache.get(id);
    const ttl = this.o.tenantCacheMs ?? 30_000;
    if (cached && Date.now() - cached.at < ttl) return { tenant: cached.tenant };
    if (!this.o.tenants) return { error: 'no tenant store' };
    try {
      const t = await withTimeout(this.o.tenants.get(id), this.o.decisionTimeoutMs, 'the tenant lookup');
      if (t) this.tenantCache.set(id, { tenant: t, at: Date.now() });
      else this.tenantCache.delete(id);
      return t ? { tenant: t } : {};
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return cached ? { tenant: cached.tenant, error } : { error };
    }
  }

  async onAnswer(ctx: RecordingCallContext): Promise<void> {
    const pending: Pending = { ended: false, ...(ctx.tenantId ? { tenantId: ctx.tenantId } : {}) };
    this.calls.set(ctx.sipCallId, pending);
    this.byCallId.set(ctx.callId, ctx.sipCallId);
    const log = { callId: ctx.callId, tenantId: ctx.tenantId, seller: ctx.seller?.identity, role: ctx.role };
    const d = await decideRecording(this.o.policy, ctx, this.o.decisionTimeoutMs);
    let record = d.record;
    if (d.reason === 'policy-unavailable' && this.o.whenPolicyUnavailable === 'record') record = true;
    if (!record || !ctx.tenantId || !ctx.seller) {
      this.o.logger[d.reason === 'policy-unavailable' ? 'warn' : 'info']({ ...log, ...d }, `recording decision: do not record (${d.reason})`);
      return this.forget(ctx, pending);
    }
    const { tenant, error } = await this.tenant(ctx.tenantId);
    if (!tenant) {
      this.o.logger.warn({ ...log, err: error }, error ? 'recording decision: tenant unavailable, not recording (the call goes on)' : 'recording decision: the tenant is not in the tenant store, not recording');
      return this.forget(ctx, pending);
    }
    if (pending.ended) return this.forget(ctx, pending);
    let targets: RecorderTarget[];
    try {
      targets = this.o.pool.targetsFor(tenant);
    } catch (err) {
      this.o.logger.warn({ ...log, err: err instanceof Error ? err.message : String(err) }, 'no usable recorder for the tenant; not recording');
      targets = [];
    }
    this.o.logger.info({ ...log, reason: d.reason, mode: tenant.recordingMode, recorders: targets.map((t) => t.uri) }, `recording decision: record (${tenant.recordingMode})`);
    const session = new RecordingSession(
      { ctx, tenantId: tenant.id, seller: ctx.seller.identity, accountId: tenant.accountId, mode: tenant.recordingMode, targets, failover: this.failover },
      { ...this.o.session, pool: this.o.pool, logger: this.o.logger },
    );
    pending.session = session;
    session.dispatch({ type: 'call-answered' });
    for (const c of pending.early ?? []) this.apply(session, c);
    delete pending.early;
  }

  onMediaChange(ctx: RecordingCallContext, change: MediaChange): void {
    const session = this.calls.get(ctx.sipCallId)?.session;
    if (!session) return;
    this.o.logger.debug({ callId: ctx.callId, ...change }, 'media changed: re-INVITE the recorder');
    session.dispatch({ type: 'media-changed' });
  }

  async onEnd(ctx: RecordingCallContext, end: CallEnd): Promise<void> {
    const pending = this.calls.get(ctx.sipCallId);
    if (!pending) return;
    pending.ended = true;
    const session = pending.session;
    if (!session) return; // still deciding: onAnswer forgets it
    session.dispatch({ type: 'call-ended' });
    this.o.logger.debug({ callId: ctx.callId, by: end.by }, 'call ended: recording stops');
    await session.whenSettled(5_000);
    this.forget(ctx, pending);
  }

  private forget(ctx: RecordingCallContext, pending: Pending): void {
    if (this.calls.get(ctx.sipCallId) === pending) {
      this.calls.delete(ctx.sipCallId);
      if (this.byCallId.get(ctx.callId) === ctx.sipCallId) this.byCallId.delete(ctx.callId);
    }
  }

  /**
   * recording.control: start, stop, pause, resume by call id. Only calls held
   * here that are being recorded or may be (the seller on the tenant's list; a
   * manual-mode call waits for `start`); a command naming another tenant is
   * ignored; one that comes while the decision is still being made is applied
   * once it is made.
   */
  command(c: RecordingControlCommand): void {
    const sip = this.byCallId.get(c.callId);
    const pending = sip ? this.calls.get(sip) : undefined;
    if (!pending || pending.ended) {
      this.o.logger.info({ callId: c.callId, action: c.action }, 'recording control: no recorded call with this id here; ignored');
      return;
    }
    if (c.tenantId !== undefined && c.tenantId !== pending.tenantId) {
      this.o.logger.warn({ callId: c.callId, action: c.action, tenantId: c.tenantId, callTenantId: pending.tenantId }, 'recording control: the call is not this tenant\'s; ignored');
      return;
    }
    if (!pending.session) {
      (pending.early ??= []).push(c);
      return;
    }
    this.apply(pending.session, c);
  }

  private apply(session: RecordingSession, c: RecordingControlCommand): void {
    this.o.logger.info({ callId: c.callId, action: c.action, requestedBy: c.requestedBy }, 'recording control');
    session.dispatch(c.action === 'stop' ? { type: 'stop', reason: `stop command${c.requestedBy ? ` from ${c.requestedBy}` : ''}` } : { type: c.action });
  }

  /** Waits (bounded) for the sessions of ended calls to send their BYEs. */
  async settle(ms: number): Promise<void> {
    await Promise.all([...this.calls.values()].map((p) => p.session?.whenSettled(ms)));
  }
}
