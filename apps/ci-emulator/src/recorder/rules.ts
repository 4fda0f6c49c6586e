import { parseMediaType, parseMultipart, parseNameAddr, parseUri, REASON_PHRASES, SipParseError, type InboundSource, type MultipartPart, type SipRequest } from '@ci-connector/sip';
import ipaddr from 'ipaddr.js';
import type { Registration } from '../state/registrations';
import { admit } from './admission';
import type { StreamOffer } from './media-port';
import { MetadataError, parseXml, readMetadata, schemaErrors, type ParsedMetadata } from './metadata';
import { attr, directionsOf, parseCrypto, parseSdp, rtpmaps, SdpError, type SessionDescription } from './sdp';

/**
 * Every rule the recorder enforces, in the order it checks them (RULES.md is
 * the same table for people). The first broken rule is the one reported.
 */
export const RULES = {
  'sips-transport': { status: 403, warn: 399, meaning: 'the request arrived over TLS on the recorder listener and its Request-URI is sips: or carries ;transport=tls' },
  'tls-registered': { status: 403, warn: 399, meaning: 'the TLS client certificate (subject, issuer) and address still match a registered tenant' },
  'siprec-require': { status: 421, warn: 399, meaning: 'an initial INVITE carries Require: siprec (RFC 7866 §6.1.1); the 421 carries Require: siprec' },
  'siprec-contact-src': { status: 400, warn: 399, meaning: 'exactly one Contact, with the +sip.src feature tag (RFC 7866 §6.1.1)' },
  'x-accountid': { status: 403, warn: 399, meaning: 'X-AccountId is present and equals the AccountId registered for the tenant of the client certificate (re-INVITE: of the session)' },
  'multipart-mixed': { status: 415, warn: 399, meaning: 'the body is multipart/mixed with a boundary (RFC 7866 §8); the 415 carries Accept: multipart/mixed' },
  'multipart-parts': { status: 400, warn: 399, meaning: 'the multipart body parses and has exactly two parts: one application/sdp and one application/rs-metadata+xml (a re-INVITE may send the SDP alone)' },
  'metadata-disposition': { status: 400, warn: 399, meaning: 'the metadata part carries Content-Disposition: recording-session (RFC 7866 §8, RFC 7865)' },
  'metadata-xml': { status: 400, warn: 399, meaning: 'the metadata is well-formed XML (UTF-8)' },
  'metadata-schema': { status: 400, warn: 399, meaning: 'the metadata is valid against the RFC 7865 §9 XML schema (xmllint errors in the Warning)' },
  'metadata-extension': { status: 400, warn: 399, meaning: 'ExtensionParameters carry Role (inbound|outbound), CallerDisplayName and CalleeDisplayName, each non-empty' },
  'sdp-syntax': { status: 400, warn: 399, meaning: 'the SDP part parses (RFC 4566: v=0 first, o=, s=, t=, <type>=<value> lines)' },
  'sdp-two-audio': { status: 488, warn: 304, meaning: 'exactly two m= lines, both audio' },
  'sdp-rtp-savp': { status: 488, warn: 302, meaning: 'each m=audio uses RTP/SAVP (SRTP with SDES keys)' },
  'sdp-sendonly': { status: 488, warn: 306, meaning: 'each stream is a=sendonly (a re-INVITE may pause with a=inactive), with one direction attribute' },
  'sdp-labels': { status: 488, warn: 306, meaning: 'one a=label per stream: a=label:inbound on one, a=label:outbound on the other' },
  'sdp-crypto': { status: 488, warn: 306, meaning: 'each stream offers a=crypto with AES_CM_128_HMAC_SHA1_80 and an inline key of 30 bytes (16 key + 14 salt, base64)' },
  'sdp-codec': { status: 488, warn: 305, meaning: 'each stream offers PCMU (0) or PCMA (8) at 8000 Hz (telephone-event allowed; other formats are ignored)' },
  'sdp-connection': { status: 488, warn: 301, meaning: 'each stream has a usable unicast c= address (IN IP4/IP6, not 0.0.0.0) and a port 1-65535' },
  'metadata-stream-labels': { status: 400, warn: 399, meaning: "the metadata's <stream> labels are exactly the SDP labels (inbound, outbound), each once" },
  'call-id-unique': { status: 400, warn: 399, meaning: 'an initial INVITE does not reuse the Call-ID of a recording in progress' },
  'bye-x-accountid': { status: 403, warn: 399, meaning: 'a BYE carries X-AccountId equal to the session\'s AccountId (the session continues when refused)' },
} as const;

export type RuleId = keyof typeof RULES;

export interface Violation {
  rule: RuleId;
  status: number;
  warnCode: number;
  /** What exactly is wrong, for the Warning text. */
  text: string;
  /** Headers the status needs (Accept for 415, Require for 421). */
  headers: [string, string][];
}

export function violation(rule: RuleId, text: string, headers: [string, string][] = []): Violation {
  return { rule, status: RULES[rule].status, warnCode: RULES[rule].warn, text, headers };
}

/** Reason phrase naming the rule, e.g. `Extension Required (siprec-require)`. */
export function reasonPhrase(v: Violation): string {
  return `${REASON_PHRASES[v.status] ?? 'Rejected'} (${v.rule})`;
}

/** RFC 3261 §20.43 Warning value; the text is one line, quotes and backslashes escaped, at most ~900 characters. */
export function warningValue(v: Violation, agent: string): string {
  let t = `${v.rule}: ${v.text}`.replace(/[\r\n\t]+/g, ' ');
  if (t.length > 900) t = `${t.slice(0, 897)}...`;
  return `${v.warnCode} ${agent} "${t.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export interface InviteCheckContext {
  req: SipRequest;
  source: InboundSource;
  kind: 'initial' | 're-invite';
  listenerPort: number;
  registrations: readonly Registration[];
  /** re-INVITE: the session's AccountId and current metadata. */
  session?: { accountId: string; metadata?: ParsedMetadata };
  /** initial: Call-IDs of recordings in progress. */
  activeCallIds?: ReadonlySet<string>;
}

export interface AcceptedInvite {
  tenant?: Registration;
  accountId: string;
  sdp: SessionDescription;
  sdpText: string;
  offers: StreamOffer[];
  metadata?: { xml: string; parsed: ParsedMetadata };
}

type State = { ctx: InviteCheckContext; tenant?: Registration; accountId?: string; sdpPart?: MultipartPart; metaPart?: MultipartPart; sdpText?: string; xml?: string; root?: ReturnType<typeof parseXml>; metadata?: ParsedMetadata; sdp?: SessionDescription; offers?: StreamOffer[] };
type Step = { rule: RuleId; async?: boolean; run(s: State): Violation | undefined | Promise<Violation | undefined> };

interface TlsPeer {
  subject: string;
  subjectCN?: string;
  issuer: string;
  issuerCN?: string;
}

const hasTag = (values: string[], tag: string) => values.flatMap((v) => v.split(',')).some((t) => t.trim().toLowerCase() === tag);

const STEPS: Step[] = [
  {
    rule: 'sips-transport',
    run: ({ ctx }) => {
      if (ctx.source.protocol !== 'tls') return violation('sips-transport', `arrived over ${ctx.source.protocol.toUpperCase()}, not TLS`);
      if (ctx.source.local.port !== ctx.listenerPort) return violation('sips-transport', `arrived on port ${ctx.source.local.port}, not the recorder listener ${ctx.listenerPort}`);
      let uri;
      try {
        uri = parseUri(ctx.req.uri);
      } catch {
        return violation('sips-transport', `Request-URI ${ctx.req.uri} does not parse`);
      }
      if (uri.scheme !== 'sips' && uri.params['transport']?.toLowerCase() !== 'tls') return violation('sips-transport', `Request-URI ${ctx.req.uri} is neither sips: nor ;transport=tls`);
      return undefined;
    },
  },
  {
    rule: 'tls-registered',
    run: (s) => {
      const peer = s.ctx.source.tlsPeer as TlsPeer | undefined; // the transport's TlsPeerInfo (sip-core keeps it opaque)
      const verdict = admit(peer ? { subject: peer.subject, ...(peer.subjectCN ? { subjectCN: peer.subjectCN } : {}), issuer: peer.issuer, ...(peer.issuerCN ? { issuerCN: peer.issuerCN } : {}), address: s.ctx.source.remote.address } : undefined, s.ctx.registrations);
      if (!verdict.ok) return violation('tls-registered', verdict.reason);
      const given = s.ctx.req.headers.get('X-AccountId')?.trim();
      s.tenant = verdict.registrations.find((r) => r.accountId === given) ?? verdict.registrations[0];
      return undefined;
    },
  },
  {
    rule: 'siprec-require',
    run: ({ ctx }) => (ctx.kind === 'initial' && !hasTag(ctx.req.headers.getAll('Require'), 'siprec') ? violation('siprec-require', 'Require: siprec is missing', [['Require', 'siprec']]) : undefined),
  },
  {
    rule: 'siprec-contact-src',
    run: ({ ctx }) => {
      const contacts = ctx.req.headers.getAll('Contact');
      if (contacts.length !== 1) return violation('siprec-contact-src', `expected exactly one Contact, found ${contacts.length}`);
      let params;
      try {
        params = parseNameAddr(contacts[0] ?? '').params;
      } catch {
        return violation('siprec-contact-src', `Contact ${contacts[0]} does not parse`);
      }
      return '+sip.src' in params ? undefined : violation('siprec-contact-src', `Contact ${contacts[0]} lacks the +sip.src feature tag`);
    },
  },
  {
    rule: 'x-accountid',
    run: (s) => {
      const values = s.ctx.req.headers.getAll('X-AccountId').map((v) => v.trim());
      if (values.length === 0 || values[0] === '') return violation('x-accountid', 'X-AccountId is missing');
      if (values.length > 1) return violation('x-accountid', `X-AccountId appears ${values.length} times`);
      const given = values[0] ?? '';
      if (s.ctx.session && given !== s.ctx.session.accountId) return violation('x-accountid', `X-AccountId ${given} is not the AccountId of this recording session`);
      // tls-registered picked the matching registration with this AccountId when there is one.
      if (!s.ctx.session && s.tenant?.accountId !== given) return violation('x-accountid', `X-AccountId ${given} is not the AccountId registered for tenant ${s.tenant?.tenantId ?? '?'} of this certificate`);
      s.accountId = given;
      return undefined;
    },
  },
  {
    rule: 'multipart-mixed',
    run: (s) => {
      const ct = s.ctx.req.headers.get('Content-Type');
      const accept: [string, string][] = [['Accept', 'multipart/mixed']];
      if (s.ctx.req.body.length === 0 || !ct) return violation('multipart-mixed', 'the INVITE has no body (expected multipart/mixed with SDP and recording metadata)', accept);
      let media;
      try {
        media = parseMediaType(ct);
      } catch {
        return violation('multipart-mixed', `Content-Type ${ct} does not parse`, accept);
      }
      if (s.ctx.kind === 're-invite' && media.type === 'application/sdp') {
        s.sdpText = s.ctx.req.body.toString('utf8');
        return undefined;
      }
      if (media.type !== 'multipart/mixed') return violation('multipart-mixed', `Content-Type is ${media.type}, not multipart/mixed`, accept);
      if (!media.params['boundary']) return violation('multipart-mixed', 'Content-Type multipart/mixed has no boundary parameter', accept);
      return undefined;
    },
  },
  {
    rule: 'multipart-parts',
    run: (s) => {
      if (s.sdpText !== undefined) return undefined; // re-INVITE with a bare SDP
      let parts: MultipartPart[];
      try {
        parts = parseMultipart(s.ctx.req.body, s.ctx.req.headers.get('Content-Type') ?? '').parts;
      } catch (err) {
        if (err instanceof SipParseError) return violation('multipart-parts', `the multipart body does not parse: ${err.message}`);
        throw err;
      }
      const typeOf = (p: MultipartPart) => {
        try {
          return parseMediaType(p.headers.get('Content-Type') ?? '').type;
        } catch {
          return p.headers.get('Content-Type') ?? '(none)';
        }
      };
      const types = parts.map(typeOf);
      const sdp = parts.filter((_, i) => types[i] === 'application/sdp');
      const meta = parts.filter((_, i) => types[i] === 'application/rs-metadata+xml');
      const metaWanted = s.ctx.kind === 'initial' ? 1 : meta.length;
      if (sdp.length !== 1 || meta.length !== metaWanted || meta.length > 1 || parts.length !== sdp.length + meta.length) {
        return violation('multipart-parts', `expected one application/sdp and one application/rs-metadata+xml part, found ${parts.length} part(s): ${types.join(', ') || 'none'}`);
      }
      s.sdpPart = sdp[0];
      s.metaPart = meta[0];
      s.sdpText = sdp[0]?.body.toString('utf8');
      return undefined;
    },
  },
  {
    rule: 'metadata-disposition',
    run: (s) => {
      if (!s.metaPart) return undefined;
      const cd = s.metaPart.headers.get('Content-Disposition');
      const type = cd?.split(';')[0]?.trim().toLowerCase();
      return type === 'recording-session' ? undefined : violation('metadata-disposition', cd ? `the metadata part has Content-Disposition: ${cd}, not recording-session` : 'the metadata part has no Content-Disposition: recording-session');
    },
  },
  {
    rule: 'metadata-xml',
    run: (s) => {
      if (!s.metaPart) return undefined;
      s.xml = s.metaPart.body.toString('utf8');
      try {
        s.root = parseXml(s.xml);
      } catch (err) {
        if (err instanceof MetadataError) return violation('metadata-xml', err.message);
        throw err;
      }
      return undefined;
    },
  },
  {
    rule: 'metadata-schema',
    async: true,
    run: async (s) => {
      if (s.xml === undefined || !s.root) return undefined;
      const errors = await schemaErrors(s.xml);
      if (errors.length > 0) return violation('metadata-schema', `not valid against the RFC 7865 schema: ${errors.join('; ')}`);
      s.metadata = readMetadata(s.root);
      return undefined;
    },
  },
  {
    rule: 'metadata-extension',
    run: (s) => {
      if (!s.metadata) return undefined;
      const p = s.metadata.extensionParameters;
      const missing = ['Role', 'CallerDisplayName', 'CalleeDisplayName'].filter((k) => !(p[k] ?? '').trim());
      if (missing.length) return violation('metadata-extension', `ExtensionParameters lack ${missing.join(', ')} (each a non-empty <Parameter name=… value=…/>)`);
      if (p['Role'] !== 'inbound' && p['Role'] !== 'outbound') return violation('metadata-extension', `Role is "${p['Role']}", expected inbound or outbound`);
      return undefined;
    },
  },
  {
    rule: 'sdp-syntax',
    run: (s) => {
      try {
        s.sdp = parseSdp(s.sdpText ?? '');
      } catch (err) {
        if (err instanceof SdpError) return violation('sdp-syntax', `the SDP does not parse: ${err.message}`);
        throw err;
      }
      return undefined;
    },
  },
  {
    rule: 'sdp-two-audio',
    run: ({ sdp }) => {
      const media = sdp?.media ?? [];
      if (media.length !== 2 || media.some((m) => m.media !== 'audio')) return violation('sdp-two-audio', `expected exactly two m=audio lines, found ${media.map((m) => `m=${m.media}`).join(', ') || 'none'}`);
      return undefined;
    },
  },
  {
    rule: 'sdp-rtp-savp',
    run: ({ sdp }) => {
      const bad = sdp?.media.find((m) => m.proto !== 'RTP/SAVP');
      return bad ? violation('sdp-rtp-savp', `m=audio #${bad.index + 1} uses ${bad.proto}, not RTP/SAVP`) : undefined;
    },
  },
  {
    rule: 'sdp-sendonly',
    run: ({ sdp, ctx }) => {
      for (const m of sdp?.media ?? []) {
        const dirs = directionsOf(m);
        const allowed = ctx.kind === 'initial' ? ['sendonly'] : ['sendonly', 'inactive'];
        if (dirs.length !== 1 || !allowed.includes(dirs[0] ?? '')) return violation('sdp-sendonly', `m=audio #${m.index + 1} is ${dirs.length ? dirs.map((d) => `a=${d}`).join(' ') : 'without a direction (sendrecv)'}, expected ${allowed.map((d) => `a=${d}`).join(' or ')}`);
      }
      return undefined;
    },
  },
  {
    rule: 'sdp-labels',
    run: ({ sdp }) => {
      const labels = (sdp?.media ?? []).map((m) => attr(m, 'label'));
      const bad = labels.findIndex((l) => l.length !== 1);
      if (bad >= 0) return violation('sdp-labels', `m=audio #${bad + 1} has ${labels[bad]?.length ?? 0} a=label lines, expected one`);
      const flat = labels.map((l) => (l[0] ?? '').trim()).sort();
      if (flat.join(',') !== 'inbound,outbound') return violation('sdp-labels', `labels are ${flat.join(', ')}, expected one inbound and one outbound`);
      return undefined;
    },
  },
  {
    rule: 'sdp-crypto',
    run: ({ sdp }) => {
      for (const m of sdp?.media ?? []) {
        const cryptos = attr(m, 'crypto').map(parseCrypto);
        const suite = cryptos.find((c) => c?.suite === 'AES_CM_128_HMAC_SHA1_80');
        if (!suite) return violation('sdp-crypto', `m=audio #${m.index + 1} offers no a=crypto with AES_CM_128_HMAC_SHA1_80${cryptos.length ? ` (offers ${cryptos.map((c) => c?.suite ?? 'unparseable').join(', ')})` : ''}`);
        if (!suite.keyMaterial || suite.keyMaterial.length !== 30) return violation('sdp-crypto', `m=audio #${m.index + 1} a=crypto:${suite.tag} key is ${suite.keyMaterial ? `${suite.keyMaterial.length} bytes` : 'not inline base64'}, expected inline:<base64 of 30 bytes>`);
      }
      return undefined;
    },
  },
  {
    rule: 'sdp-codec',
    run: ({ sdp }) => {
      for (const m of sdp?.media ?? []) {
        const maps = rtpmaps(m);
        const g711 = m.formats.map(Number).filter((pt) => {
          const r = maps.get(pt);
          return r && ['PCMU', 'PCMA'].includes(r.encoding.toUpperCase()) && r.clockRate === 8000;
        });
        if (g711.length === 0) return violation('sdp-codec', `m=audio #${m.index + 1} offers ${m.formats.join(' ')} with no PCMU/8000 or PCMA/8000`);
      }
      return undefined;
    },
  },
  {
    rule: 'sdp-connection',
    run: ({ sdp }) => {
      for (const m of sdp?.media ?? []) {
        const c = m.connection ?? sdp?.connection;
        if (!c) return violation('sdp-connection', `m=audio #${m.index + 1} has no c= line (media or session level)`);
        if (c.netType !== 'IN' || (c.addrType !== 'IP4' && c.addrType !== 'IP6')) return violation('sdp-connection', `c=${c.netType} ${c.addrType} ${c.address} is not IN IP4/IP6`);
        let addr;
        try {
          addr = ipaddr.parse(c.address);
        } catch {
          return violation('sdp-connection', `c= address ${c.address} is not an IP address`);
        }
        if ((addr.kind() === 'ipv4') !== (c.addrType === 'IP4')) return violation('sdp-connection', `c= address ${c.address} is not ${c.addrType}`);
        const range = addr.range();
        if (range === 'unspecified' || range === 'multicast' || range === 'broadcast') return violation('sdp-connection', `c= address ${c.address} is ${range}, not a usable unicast address`);
        if (m.port < 1) return violation('sdp-connection', `m=audio #${m.index + 1} port ${m.port} is not usable (1-65535)`);
      }
      return undefined;
    },
  },
  {
    rule: 'metadata-stream-labels',
    run: (s) => {
      const md = s.metadata ?? s.ctx.session?.metadata;
      if (!md) return undefined;
      const labels = md.streams.map((x) => x.label).sort();
      const sdpLabels = (s.sdp?.media ?? []).map((m) => (attr(m, 'label')[0] ?? '').trim()).sort();
      if (labels.join(',') !== sdpLabels.join(',')) return violation('metadata-stream-labels', `metadata <stream> labels are [${labels.join(', ')}], the SDP labels are [${sdpLabels.join(', ')}]`);
      return undefined;
    },
  },
  {
    rule: 'call-id-unique',
    run: ({ ctx }) => {
      const callId = ctx.req.headers.get('Call-ID') ?? '';
      return ctx.kind === 'initial' && ctx.activeCallIds?.has(callId) ? violation('call-id-unique', `Call-ID ${callId} is a recording in progress; a new INVITE needs a new Call-ID`) : undefined;
    },
  },
];

function offersOf(sdp: SessionDescription): StreamOffer[] {
  return sdp.media.map((m) => {
    const maps = rtpmaps(m);
    const payloadTypes = m.formats
      .map((f) => maps.get(Number(f)))
      .filter((r): r is NonNullable<typeof r> => r !== undefined && (['PCMU', 'PCMA'].includes(r.encoding.toUpperCase()) ? r.clockRate === 8000 : r.encoding.toLowerCase() === 'telephone-event'))
      .map((r) => ({ pt: r.pt, encoding: r.encoding, clockRate: r.clockRate }));
    const crypto = attr(m, 'crypto').find((v) => parseCrypto(v)?.suite === 'AES_CM_128_HMAC_SHA1_80') ?? '';
    const c = m.connection ?? sdp.connection;
    return {
      label: (attr(m, 'label')[0] ?? '').trim(),
      payloadTypes,
      crypto: crypto.trim(),
      direction: directionsOf(m)[0] === 'inactive' ? 'inactive' : 'sendonly',
      remote: { address: c?.address ?? '', port: m.port },
    };
  });
}

export type CheckResult = { ok: true; accepted: AcceptedInvite } | { ok: false; violation: Violation } | { ok: 'pending' };

/**
 * Checks an INVITE rule by rule, in RULES order, and stops at the first broken
 * one. With `syncOnly` it stops before the first asynchronous rule (the schema)
 * and answers `pending` when nothing before it broke: the stack's inbound
 * screen uses that to reject before the UA's own automatic answers.
 */
export function checkInvite(ctx: InviteCheckContext, opts: { syncOnly: true }): Violation | undefined;
export function checkInvite(ctx: InviteCheckContext): Promise<CheckResult>;
export function checkInvite(ctx: InviteCheckContext, opts?: { syncOnly: true }): Violation | undefined | Promise<CheckResult> {
  const s: State = { ctx };
  if (opts?.syncOnly) {
    for (const step of STEPS) {
      if (step.async) return undefined;
      const v = step.run(s) as Violation | undefined;
      if (v) return v;
    }
    return undefined;
  }
  return (async (): Promise<CheckResult> => {
    for (const step of STEPS) {
      const v = await step.run(s);
      if (v) return { ok: false, violation: v };
    }
    if (!s.sdp || s.accountId === undefined) return { ok: 'pending' };
    return {
      ok: true,
      accepted: {
        ...(s.tenant ? { tenant: s.tenant } : {}),
        accountId: s.accountId,
        sdp: s.sdp,
        sdpText: s.sdpText ?? '',
        offers: offersOf(s.sdp),
        ...(s.xml !== undefined && s.metadata ? { metadata: { xml: s.xml, parsed: s.metadata } } : {}),
      },
    };
  })();
}

/** The order the rules are checked in (for RULES.md and the tests). */
export const RULE_ORDER: RuleId[] = STEPS.map((s) => s.rule);
