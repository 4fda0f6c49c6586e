import { SiprecError } from '../errors';
import { INBOUND, OUTBOUND, type Role } from '../labels';
import type { RandomBytes } from '../ports';
import { displayNameOf, type MetadataParty } from './party';
import { stripNonXmlChars, toUriReference, xmlAttr, xmlText } from './xml';

/** RFC 7865 §9: the namespace of the recording metadata. */
export const RECORDING_NS = 'urn:ietf:params:xml:ns:recording:1';
/** Content-Type and Content-Disposition of the metadata part (RFC 7866 §8). */
export const RS_METADATA_CONTENT_TYPE = 'application/rs-metadata+xml';
export const RS_METADATA_DISPOSITION = 'recording-session';

/**
 * The namespace of `<ExtensionParameters>` when none is configured: the seed's
 * own example (`http://provider.com/siprec`), the only one known to reach CI.
 * Microsoft documents no other; the emulator accepts any namespace.
 */
export const DEFAULT_EXTENSION_NAMESPACE = 'http://provider.com/siprec';

/** The identifiers of one recording session's metadata: keep them for the whole session (re-INVITEs that update the metadata reuse them). */
export interface RecordingMetadataIds {
  sessionId: string;
  /** [caller, callee] */
  participantIds: [string, string];
  streamIds: { inbound: string; outbound: string };
}

/**
 * An RFC 7865 identifier: a UUID (RFC 4122 version 4, from 16 random bytes)
 * encoded in base64 (RFC 7865 §6.9), as in the seed (`Wd/putWgTWCW2z1lI5Db9w==`).
 */
export function newMetadataId(random: RandomBytes): string {
  const bytes = Buffer.from(random(16));
  if (bytes.length !== 16) throw new SiprecError('metadata-random', `the random source gave ${bytes.length} bytes, 16 wanted`);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return bytes.toString('base64');
}

export function newMetadataIds(random: RandomBytes): RecordingMetadataIds {
  return {
    sessionId: newMetadataId(random),
    participantIds: [newMetadataId(random), newMetadataId(random)],
    streamIds: { inbound: newMetadataId(random), outbound: newMetadataId(random) },
  };
}

export interface RecordingMetadataInput {
  /** The call's direction for the seller. */
  role: Role;
  caller: MetadataParty;
  callee: MetadataParty;
  /** When the session was associated with the recording (epoch ms or a Date): `associate-time`. */
  associateTime: number | Date;
  /** The session's identifiers; minted with `random` when absent. */
  ids?: RecordingMetadataIds;
  random?: RandomBytes;
  /** Namespace of `<ExtensionParameters>`; DEFAULT_EXTENSION_NAMESPACE when absent. */
  extensionNamespace?: string;
}

export interface RecordingMetadata {
  /** The `application/rs-metadata+xml` body. */
  xml: string;
  ids: RecordingMetadataIds;
  /** The values written as ExtensionParameters. */
  parameters: { Role: Role; CallerDisplayName: string; CalleeDisplayName: string };
}

const BASE64_ID = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function checkIds(ids: RecordingMetadataIds): void {
  const all = [ids.sessionId, ...ids.participantIds, ids.streamIds.inbound, ids.streamIds.outbound];
  for (const id of all) {
    if (typeof id !== 'string' || id === '' || !BASE64_ID.test(id)) throw new SiprecError('metadata-ids', `metadata id "${String(id).slice(0, 40)}" is not base64 (RFC 7865 ids are xs:base64Binary)`);
  }
  if (new Set(all).size !== all.length) throw new SiprecError('metadata-ids', 'metadata ids must be distinct');
}

/**
 * The RFC 7865 recording metadata CI wants, element by element as in the
 * seed's INVITE: `datamode complete`; one `session` holding
 * `ExtensionParameters` Role, CallerDisplayName, CalleeDisplayName; two
 * `participant`s (caller, callee) with `nameID aor`; two `stream`s labelled
 * `inbound` and `outbound`; `sessionrecordingassoc` and one
 * `participantsessionassoc` per participant with `associate-time`; one
 * `participantstreamassoc` per participant: the seller sends `outbound` and
 * receives `inbound`, the other party the reverse. Every value is XML-escaped.
 */
export function buildRecordingMetadata(input: RecordingMetadataInput): RecordingMetadata {
  if (input.role !== 'inbound' && input.role !== 'outbound') throw new SiprecError('metadata-role', `Role must be inbound or outbound, got ${String(input.role).slice(0, 40)}`);
  const ns = input.extensionNamespace ?? DEFAULT_EXTENSION_NAMESPACE;
  if (typeof ns !== 'string' || ns.trim() === '' || ns === RECORDING_NS) throw new SiprecError('metadata-namespace', `the ExtensionParameters namespace must be a non-empty URI other than ${RECORDING_NS}`);
  const time = typeof input.associateTime === 'number' ? new Date(input.associateTime) : input.associateTime;
  if (!(time instanceof Date) || Number.isNaN(time.getTime())) throw new SiprecError('metadata-time', 'associate-time is not a valid time');
  let ids = input.ids;
  if (!ids) {
    if (!input.random) throw new SiprecError('metadata-ids', 'neither ids nor a random source given');
    ids = newMetadataIds(input.random);
  }
  checkIds(ids);
  const parameters = { Role: input.role, CallerDisplayName: displayNameOf(input.caller), CalleeDisplayName: displayNameOf(input.callee) };
  const at = time.toISOString();
  const s = xmlAttr(ids.sessionId);
  const [callerId, calleeId] = ids.participantIds.map(xmlAttr) as [string, string];
  const inId = xmlAttr(ids.streamIds.inbound);
  const outId = xmlAttr(ids.streamIds.outbound);
  // The seller sends `outbound`; the seller is the callee of an inbound call and the caller of an outbound one.
  const callerSends = input.role === 'inbound' ? inId : outId;
  const calleeSends = input.role === 'inbound' ? outId : inId;
  const aor = (p: MetadataParty) => xmlAttr(aorOf(p));
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<recording xmlns='${RECORDING_NS}'>`,
    '  <datamode>complete</datamode>',
    `  <session session_id="${s}">`,
    `    <ExtensionParameters xmlns="${xmlAttr(ns)}">`,
    ...Object.entries(parameters).map(([name, value]) => `      <Parameter name="${name}" value="${xmlAttr(value)}"/>`),
    '    </ExtensionParameters>',
    '  </session>',
    `  <participant participant_id="${callerId}">`,
    `    <nameID aor="${aor(input.caller)}"/>`,
    '  </participant>',
    `  <participant participant_id="${calleeId}">`,
    `    <nameID aor="${aor(input.callee)}"/>`,
    '  </participant>',
    `  <stream stream_id="${inId}" session_id="${s}"><label>${xmlText(INBOUND)}</label></stream>`,
    `  <stream stream_id="${outId}" session_id="${s}"><label>${xmlText(OUTBOUND)}</label></stream>`,
    `  <sessionrecordingassoc session_id="${s}">`,
    `    <associate-time>${at}</associate-time>`,
    '  </sessionrecordingassoc>',
    ...[callerId, calleeId].flatMap((p) => [`  <participantsessionassoc participant_id="${p}" session_id="${s}">`, `    <associate-time>${at}</associate-time>`, '  </participantsessionassoc>']),
    ...[
      [callerId, callerSends, calleeSends],
      [calleeId, calleeSends, callerSends],
    ].flatMap(([p, send, recv]) => [`  <participantstreamassoc participant_id="${p}">`, `    <send>${send}</send>`, `    <recv>${recv}</recv>`, '  </participantstreamassoc>']),
    '</recording>',
    '',
  ].join('\r\n');
  return { xml, ids, parameters };
}

/** `nameID aor`: the party's AOR, else its number, else `unknown` (the attribute is required), as a URI reference. */
function aorOf(p: MetadataParty): string {
  for (const v of [p.aor, p.number]) {
    const uri = toUriReference(stripNonXmlChars(v ?? '').trim());
    if (uri) return uri;
  }
  return 'unknown';
}
