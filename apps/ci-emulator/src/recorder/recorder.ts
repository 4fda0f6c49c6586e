import {
  createResponse,
  createSipStack,
  newTag,
  type Dialog,
  type IncomingInvite,
  type InboundSource,
  type InDialogRequest,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type SipStack,
  type TerminationReason,
} from '@ci-connector/sip';
import type { Logger } from 'pino';
import type { RegistrationStore } from '../state/registrations';
import { admit } from './admission';
import { buildAnswerSdp } from './answer';
import { FaultInjector } from './faults';
import type { MediaPort, StreamOffer } from './media-port';
import { RecordingStore, type HeaderPairs, type Recording, type Rejection } from './recordings';
import { checkInvite, reasonPhrase, violation, warningValue, type Violation } from './rules';

export interface SiprecRecorderOptions {
  /** Where to listen (SIPS over TLS) and with which certificate; `ca` verifies client certificates. */
  sip: { host: string; port: number; cert: string | Buffer; key: string | Buffer; ca: string | Buffer };
  /** The address put in our SDP answers (where the media side receives SRTP). */
  mediaHost: string;
  registrations: RegistrationStore;
  media: MediaPort;
  logger: Logger;
  /** Recordings and rejections kept for the inspection API. */
  maxRecordings: number;
}

const toTagOf = (req: SipRequest) => /;\s*tag=([^;\s]+)/i.exec(req.headers.get('To') ?? '')?.[1];
const headerPairs = (msg: SipMessage): HeaderPairs => [...msg.headers].map((f) => [f.name, f.value]);
const now = () => new Date().toISOString();

/**
 * The SIPREC recorder (SRS, RFC 7866) of the emulator: SIPS with mutual TLS on
 * one listener, admission by registered certificate and source network, every
 * INVITE checked against RULES (first broken rule → precise status + Warning),
 * recordings handed to the media side, and everything kept for inspection.
 */
export class SiprecRecorder {
  readonly recordings: RecordingStore;
  readonly faults = new FaultInjector();
  private stack?: SipStack;
  private warnAgent = '';
  private listenerPort = 0;
  private readonly pending = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private sessionSeq = Math.floor(Date.now() / 1000);

  constructor(private readonly opts: SiprecRecorderOptions) {
    this.recordings = new RecordingStore(opts.maxRecordings);
  }

  /** Where the SIPS listener is bound (after start). */
  get address(): { host: string; port: number } {
    return { host: this.opts.sip.host, port: this.listenerPort };
  }

  get running(): boolean {
    return this.stack !== undefined;
  }

  async start(): Promise<void> {
    const log = this.opts.logger;
    this.stack = await createSipStack({
      listen: [{ protocol: 'tls', host: this.opts.sip.host, port: this.opts.sip.port }],
      transport: {
        tlsServer: {
          cert: this.opts.sip.cert,
          key: this.opts.sip.key,
          ca: this.opts.sip.ca,
          requestCert: true,
          rejectUnauthorized: true,
          authorize: (peer, remote) => {
            const verdict = admit(peer ? { subject: peer.subject, ...(peer.subjectCN ? { subjectCN: peer.subjectCN } : {}), issuer: peer.issuer, ...(peer.issuerCN ? { issuerCN: peer.issuerCN } : {}), address: remote.address } : undefined, this.opts.registrations.list());
            if (verdict.ok) return undefined;
            this.recordings.reject({ at: now(), kind: 'connection', rule: verdict.rule, reason: verdict.reason, remote, ...(peer ? { certificate: { subject: peer.subject, issuer: peer.issuer } } : {}) });
            log.warn({ rule: verdict.rule, remote }, `recorder refused a TLS client: ${verdict.reason}`);
            return `${verdict.rule}: ${verdict.reason}`;
          },
        },
        idleTimeoutMs: 120_000,
      },
      supported: ['siprec'],
      userAgent: 'ci-emulator SIPREC recorder',
      contactUser: 'SRS',
      reuseInboundFlow: true,
      screen: (msg, source) => this.screen(msg, source),
      events: {
        onMalformed: (err, m) => log.warn({ remote: m.remote, code: err.code }, `recorder: malformed SIP message: ${err.message}`),
        onError: (err, context) => log.error({ err, context }, 'recorder: SIP stack error'),
      },
    });
    const bound = this.stack.addresses().find((a) => a.protocol === 'tls');
    this.listenerPort = bound?.port ?? this.opts.sip.port;
    this.warnAgent = `${bound?.address ?? this.opts.sip.host}:${this.listenerPort}`;
    this.stack.transport.onError((e) => {
      if (e.code === 'tls-client-certificate-refused' && !/tls-(registered-certificate|source-network):/.test(e.message)) {
        this.recordings.reject({ at: now(), kind: 'connection', rule: 'tls-client-certificate', reason: e.message, ...(e.remote ? { remote: e.remote } : {}) });
      }
      if (e.code.startsWith('tls-') || e.code === 'framing' || e.code === 'too-large') log.warn({ code: e.code }, `recorder transport: ${e.message}`);
    });
    this.stack.ua.onInvite((inv) => {
      void this.onInvite(inv).catch((err: unknown) => {
        log.error({ err, callId: inv.request.headers.get('Call-ID') }, 'recorder: INVITE handling failed');
        if (inv.state === 'pending') inv.reject(500, { reason: 'Server Internal Error (recorder)' });
      });
    });
    log.info({ sip: this.warnAgent }, 'SIPREC recorder listening (SIPS, mutual TLS)');
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const rec of this.recordings.active()) await this.finish(rec, 'recorder shut down');
    await this.stack?.close();
    this.stack = undefined;
  }

  /** Before the transaction layer: injected faults, the synchronous rules of initial INVITEs, X-AccountId of BYEs. */
  private screen(msg: SipMessage, source: InboundSource): 'drop' | SipResponse | undefined {
    if (msg.kind !== 'request') return undefined;
    const callId = msg.headers.get('Call-ID') ?? '';
    if (msg.method === 'INVITE' && toTagOf(msg) === undefined) {
      if (this.faults.take('no-answer', callId)) {
        this.recordings.reject({ at: now(), kind: 'fault', rule: 'fault-no-answer', reason: 'swallowed by the no-answer fault: no response at all', callId, headers: headerPairs(msg) });
        return 'drop';
      }
      const refuse = this.faults.take('refuse', callId);
      if (refuse) {
        const res = createResponse(msg, 503, 'Service Unavailable (fault: refuse)', { toTag: newTag() });
        res.headers.append('Retry-After', String(refuse.retryAfter ?? 30));
        res.headers.append('Warning', `399 ${this.warnAgent} "fault-refuse: refused by fault injection (${refuse.remaining} more)"`);
        this.recordings.reject({ at: now(), kind: 'fault', rule: 'fault-refuse', status: 503, reason: 'refused by the refuse fault', callId, headers: headerPairs(msg) });
        return res;
      }
      const v = checkInvite({ req: msg, source, kind: 'initial', listenerPort: this.listenerPort, registrations: this.opts.registrations.list(), activeCallIds: this.activeCallIds() }, { syncOnly: true });
      if (v) {
        this.rejectInvite('invite', msg, v);
        return this.violationResponse(msg, v, newTag());
      }
      this.pending.add(callId);
      return undefined;
    }
    if (msg.method === 'BYE') {
      const rec = this.recordings.get(callId);
      if (rec && !rec.finalising) {
        const given = msg.headers.get('X-AccountId')?.trim();
        if (given !== rec.accountId) {
          const v = violation('bye-x-accountid', given ? `X-AccountId ${given} is not the AccountId of this recording session` : 'X-AccountId is missing');
          this.rejectInvite('bye', msg, v);
          rec.requests.push({ method: 'BYE', cseq: msg.headers.get('CSeq') ?? '', at: now(), headers: headerPairs(msg), response: { status: v.status, reason: reasonPhrase(v), warning: warningValue(v, this.warnAgent) } });
          rec.timeline.push({ at: now(), event: 'bye-refused', detail: `${v.rule}: ${v.text}; the session continues` });
          return this.violationResponse(msg, v, toTagOf(msg));
        }
      }
    }
    return undefined;
  }

  private activeCallIds(): Set<string> {
    return new Set([...this.recordings.active().map((r) => r.callId), ...this.pending]);
  }

  private violationResponse(req: SipRequest, v: Violation, toTag: string | undefined): SipResponse {
    const res = createResponse(req, v.status, reasonPhrase(v), toTag ? { toTag } : {});
    res.headers.append('Warning', warningValue(v, this.warnAgent));
    for (const [n, val] of v.headers) res.headers.append(n, val);
    return res;
  }

  private rejectInvite(kind: Rejection['kind'], req: SipRequest, v: Violation): void {
    const callId = req.headers.get('Call-ID') ?? '';
    this.recordings.reject({ at: now(), kind, rule: v.rule, status: v.status, reason: v.text, callId, headers: headerPairs(req) });
    this.opts.logger.info({ callId, rule: v.rule, status: v.status }, `recorder rejected ${req.method}: ${v.rule}: ${v.text}`);
  }

  private async onInvite(inv: IncomingInvite): Promise<void> {
    const req = inv.request;
    const callId = req.headers.get('Call-ID') ?? '';
    try {
      const result = await checkInvite({ req, source: inv.source, kind: 'initial', listenerPort: this.listenerPort, registrations: this.opts.registrations.list(), activeCallIds: new Set(this.recordings.active().map((r) => r.callId)) });
      if (result.ok !== true) {
        const v = result.ok === false ? result.violation : violation('multipart-parts', 'the INVITE could not be checked');
        this.rejectInvite('invite', req, v);
        inv.reject(v.status, { reason: reasonPhrase(v), headers: [['Warning', warningValue(v, this.warnAgent)], ...v.headers] });
        return;
      }
      const accepted = result.accepted;
      let media;
      try {
        media = await this.opts.media.open(callId, accepted.offers);
      } catch (err) {
        const text = `the recorder could not set up media: ${err instanceof Error ? err.message : String(err)}`;
        this.recordings.reject({ at: now(), kind: 'invite', rule: 'media', status: 500, reason: text, callId, headers: headerPairs(req) });
        inv.reject(500, { reason: 'Server Internal Error (media)', headers: [['Warning', `399 ${this.warnAgent} "media: ${text.replace(/[\\"]/g, '')}"`]] });
        return;
      }
      if (inv.state !== 'pending') {
        await media.close(); // cancelled while we checked
        return;
      }
      const sessionId = this.sessionSeq++;
      const answer = buildAnswerSdp({ host: this.opts.mediaHost, sessionId, version: 1, offers: accepted.offers, answers: media.answers() });
      const rec: Recording = {
        callId,
        ...(accepted.tenant ? { tenantId: accepted.tenant.tenantId } : {}),
        accountId: accepted.accountId,
        state: accepted.offers.every((o) => o.direction === 'inactive') ? 'paused' : 'active',
        startedAt: now(),
        labels: accepted.offers.map((o) => o.label),
        requests: [{ method: 'INVITE', cseq: req.headers.get('CSeq') ?? '', at: now(), headers: headerPairs(req), response: { status: 200, reason: 'OK' } }],
        ...(accepted.metadata ? { metadata: accepted.metadata } : {}),
        sdp: [{ at: now(), method: 'INVITE', offer: accepted.sdpText, answer }],
        timeline: [{ at: now(), event: 'invite-accepted', detail: `tenant ${accepted.tenant?.tenantId ?? '?'}, labels ${accepted.offers.map((o) => o.label).join(', ')}` }],
        media,
        mediaDir: media.dir,
        sdpSessionId: sessionId,
        sdpVersion: 1,
      };
      this.recordings.add(rec);
      const dialog = inv.accept({ body: answer, contentType: 'application/sdp' });
      this.opts.logger.info({ callId, tenantId: rec.tenantId }, 'recorder: recording started');
      this.watch(rec, dialog, inv.source);
    } finally {
      this.pending.delete(callId);
    }
  }

  private watch(rec: Recording, dialog: Dialog, source: InboundSource): void {
    dialog.on('ack', () => rec.timeline.push({ at: now(), event: 'ack' }));
    dialog.on('request', (r) => {
      void this.inDialog(rec, r).catch((err: unknown) => {
        this.opts.logger.error({ err, callId: rec.callId }, 'recorder: in-dialog request failed');
        r.respond(500, { reason: 'Server Internal Error (recorder)' });
      });
    });
    dialog.on('terminated', (reason) => void this.finish(rec, this.describe(reason), reason));
    const drop = this.faults.take('drop-tls', rec.callId);
    if (drop && source.connectionId !== undefined) {
      const connectionId = source.connectionId;
      const t = setTimeout(() => {
        this.timers.delete(t);
        rec.timeline.push({ at: now(), event: 'tls-dropped', detail: `fault drop-tls: connection ${connectionId} closed ${drop.afterMs ?? 0} ms after the 200 OK` });
        void this.stack?.transport.closeConnection(connectionId);
      }, drop.afterMs ?? 0);
      this.timers.add(t);
    }
  }

  private describe(reason: TerminationReason): string {
    return reason.cause === 'bye-received' ? 'BYE received' : reason.cause;
  }

  private async inDialog(rec: Recording, r: InDialogRequest): Promise<void> {
    const req = r.request;
    const entry = { method: req.method, cseq: req.headers.get('CSeq') ?? '', at: now(), headers: headerPairs(req) };
    rec.requests.push(entry);
    if (req.method === 'OPTIONS' || req.method === 'INFO' || (req.method === 'UPDATE' && req.body.length === 0)) {
      r.respond(200);
      Object.assign(entry, { response: { status: 200, reason: 'OK' } });
      return;
    }
    if (req.method !== 'INVITE' && req.method !== 'UPDATE') {
      r.respond(501);
      Object.assign(entry, { response: { status: 501, reason: 'Not Implemented' } });
      return;
    }
    const result = await checkInvite({ req, source: r.transaction.source, kind: 're-invite', listenerPort: this.listenerPort, registrations: this.opts.registrations.list(), session: { accountId: rec.accountId, ...(rec.metadata ? { metadata: rec.metadata.parsed } : {}) } });
    if (result.ok !== true) {
      const v = result.ok === false ? result.violation : violation('multipart-parts', 'the re-INVITE could not be checked');
      this.rejectInvite('re-invite', req, v);
      r.respond(v.status, { reason: reasonPhrase(v), headers: [['Warning', warningValue(v, this.warnAgent)], ...v.headers] });
      Object.assign(entry, { response: { status: v.status, reason: reasonPhrase(v), warning: warningValue(v, this.warnAgent) } });
      rec.timeline.push({ at: now(), event: `${req.method.toLowerCase()}-refused`, detail: `${v.rule}: ${v.text}` });
      return;
    }
    const accepted = result.accepted;
    const media = rec.media;
    if (!media) {
      r.respond(481);
      return;
    }
    const answers = await media.update(accepted.offers);
    rec.sdpVersion += 1;
    const answer = buildAnswerSdp({ host: this.opts.mediaHost, sessionId: rec.sdpSessionId, version: rec.sdpVersion, offers: accepted.offers, answers });
    r.respond(200, { body: answer, contentType: 'application/sdp' });
    Object.assign(entry, { response: { status: 200, reason: 'OK' } });
    if (accepted.metadata) rec.metadata = accepted.metadata;
    rec.sdp.push({ at: now(), method: req.method, offer: accepted.sdpText, answer });
    const paused = accepted.offers.every((o: StreamOffer) => o.direction === 'inactive');
    rec.state = paused ? 'paused' : 'active';
    rec.timeline.push({ at: now(), event: paused ? 'paused' : 're-invite', detail: accepted.offers.map((o) => `${o.label} ${o.direction} ${o.remote.address}:${o.remote.port}`).join(', ') + (accepted.metadata ? '; metadata updated' : '') });
  }

  /** Ends the recording: closes the media session (WAVs finalised), then marks it ended; `rec.finalising` lets readers wait for it. */
  private finish(rec: Recording, why: string, reason?: TerminationReason): Promise<void> {
    if (rec.finalising) return rec.finalising;
    rec.endReason = why;
    if (reason?.request) rec.requests.push({ method: reason.request.method, cseq: reason.request.headers.get('CSeq') ?? '', at: now(), headers: headerPairs(reason.request), response: { status: 200, reason: 'OK' } });
    rec.timeline.push({ at: now(), event: 'ended', detail: why });
    rec.finalising = (async () => {
      const media = rec.media;
      if (media) {
        try {
          rec.finalStats = await media.close();
        } catch (err) {
          rec.timeline.push({ at: now(), event: 'media-close-failed', detail: err instanceof Error ? err.message : String(err) });
        }
      }
      rec.state = 'ended';
      rec.endedAt = now();
      rec.timeline.push({ at: now(), event: 'finalised' });
      this.opts.logger.info({ callId: rec.callId, tenantId: rec.tenantId }, `recorder: recording ended (${why})`);
    })();
    return rec.finalising;
  }
}
