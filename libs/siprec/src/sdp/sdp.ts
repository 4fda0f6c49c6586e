import { clip, SiprecError } from '../errors';

/**
 * A minimal SDP (RFC 4566) model that keeps every line it does not interpret:
 * `serializeSdp(parseSdp(text))` gives back the same lines in the same order
 * (with CRLF line ends). Session-level lines are those before the first `m=`;
 * each media section is its `m=` line (parsed) and the lines after it.
 */
export interface SdpLine {
  /** The one-letter type before `=`. */
  type: string;
  value: string;
}

export interface SdpMedia {
  media: string;
  port: number;
  /** `m=audio 49170/2 …`: the port count, when written. */
  portCount?: number;
  proto: string;
  formats: string[];
  /** Every line after the `m=` line, up to the next `m=`, in order. */
  lines: SdpLine[];
}

export interface Sdp {
  /** Session-level lines (`v=` first), in order. */
  session: SdpLine[];
  media: SdpMedia[];
}

export class SdpError extends SiprecError {
  constructor(message: string) {
    super('sdp-syntax', message);
    this.name = 'SdpError';
  }
}

/** The longest SDP accepted (a SIPREC offer is ~1.5 KB; rtpengine's unnarrowed one ~4 KB). */
export const SDP_MAX_LENGTH = 65536;

/** What `.` does not match in a JavaScript regular expression: a line may not hold one. */
const BREAK = /[\n\r\u2028\u2029]/;

/** Parses an SDP body. Throws SdpError naming the line that is wrong. */
export function parseSdp(text: string): Sdp {
  if (typeof text !== 'string') throw new SdpError('the SDP is not a string');
  if (text.length > SDP_MAX_LENGTH) throw new SdpError(`the SDP is ${text.length} characters long, more than ${SDP_MAX_LENGTH}`);
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== 'v=0') throw new SdpError(`the first line must be "v=0" (found "${clip(lines[0] ?? '')}")`);
  const sdp: Sdp = { session: [], media: [] };
  let current: SdpMedia | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    // <type>=<value>: one of a-z, '=', then no line break (what /^([a-z])=(.*)$/ accepts, without its match array)
    const t = line.charCodeAt(0);
    if (!(t >= 97 && t <= 122) || line.charCodeAt(1) !== 61 || BREAK.test(line)) throw new SdpError(`line ${i + 1} "${clip(line)}" is not <type>=<value>`);
    const type = line[0] as string;
    const value = line.slice(2);
    if (type === 'm') {
      current = parseMediaLine(value, i + 1);
      sdp.media.push(current);
    } else if (current) {
      current.lines.push({ type, value });
    } else {
      sdp.session.push({ type, value });
    }
  }
  for (const needed of ['o', 's', 't']) {
    if (!sdp.session.some((l) => l.type === needed)) throw new SdpError(`no session-level ${needed}= line`);
  }
  return sdp;
}

function parseMediaLine(value: string, lineNo: number): SdpMedia {
  const [media, port, proto, ...formats] = value.trim().split(/ +/);
  const pm = /^(\d{1,5})(?:\/(\d{1,5}))?$/.exec(port ?? '');
  const portNum = Number(pm?.[1]);
  if (!media || !/^[a-z][a-z0-9-]*$/i.test(media) || !pm || portNum > 65535 || !proto || formats.length === 0 || formats.some((f) => !/^[\x21-\x7e]+$/.test(f))) {
    throw new SdpError(`line ${lineNo} "m=${clip(value)}" is not "m=<media> <port> <proto> <fmt> ..."`);
  }
  return { media, port: portNum, ...(pm[2] !== undefined ? { portCount: Number(pm[2]) } : {}), proto, formats, lines: [] };
}

/** Serializes with CRLF line ends and a final CRLF. */
export function serializeSdp(sdp: Sdp): string {
  const out: string[] = sdp.session.map((l) => `${l.type}=${l.value}`);
  for (const m of sdp.media) {
    out.push(`m=${m.media} ${m.port}${m.portCount !== undefined ? `/${m.portCount}` : ''} ${m.proto} ${m.formats.join(' ')}`);
    for (const l of m.lines) out.push(`${l.type}=${l.value}`);
  }
  return `${out.join('\r\n')}\r\n`;
}

/** A deep copy (the helpers below mutate). */
export function cloneSdp(sdp: Sdp): Sdp {
  return {
    session: sdp.session.map((l) => ({ ...l })),
    media: sdp.media.map((m) => ({ ...m, formats: [...m.formats], lines: m.lines.map((l) => ({ ...l })) })),
  };
}

/** `a=name:value` → { name, value }; `a=flag` → { name, value: undefined }. */
export function splitAttribute(value: string): { name: string; value: string | undefined } {
  const colon = value.indexOf(':');
  return colon < 0 ? { name: value, value: undefined } : { name: value.slice(0, colon), value: value.slice(colon + 1) };
}

/**
 * The value of an `a=` line when its attribute name is `want` (lower case;
 * compared case-insensitively): '' for a flag, undefined for another attribute.
 * Makes no string for the lines that do not match.
 */
function attributeValue(value: string, want: string): string | undefined {
  const n = want.length;
  if (value.length < n || (value.length > n && value.charCodeAt(n) !== 58) /* : */) return undefined;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    // ASCII letters folded to lower case; nothing else is folded
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== want.charCodeAt(i)) return undefined;
  }
  return value.length === n ? '' : value.slice(n + 1);
}

/** Values of the `a=<name>` lines (case-insensitive name); a flag gives ''. */
export function attributes(lines: readonly SdpLine[], name: string): string[] {
  const want = name.toLowerCase();
  const out: string[] = [];
  for (const l of lines) {
    if (l.type !== 'a') continue;
    const v = attributeValue(l.value, want);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Whether a line is an `a=<name>` attribute line (case-insensitive name). */
export function isAttribute(l: SdpLine, name: string): boolean {
  return l.type === 'a' && attributeValue(l.value, name.toLowerCase()) !== undefined;
}

/** Removes the `a=<name>` lines for which `drop(value)` is true (every one without a predicate). */
export function removeAttributes(lines: SdpLine[], name: string, drop: (value: string) => boolean = () => true): SdpLine[] {
  const want = name.toLowerCase();
  return lines.filter((l) => {
    if (l.type !== 'a') return true;
    const v = attributeValue(l.value, want);
    return v === undefined || !drop(v);
  });
}

export const DIRECTIONS = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** The direction attributes a media section carries (RFC 4566 §6), as written; session-level ones apply when it has none. */
export function directionsOf(sdp: Sdp, m: SdpMedia): Direction[] {
  const own = DIRECTIONS.filter((d) => m.lines.some((l) => l.type === 'a' && l.value === d));
  if (own.length > 0) return own;
  return DIRECTIONS.filter((d) => sdp.session.some((l) => l.type === 'a' && l.value === d));
}

/** The effective direction: the single one written, `sendrecv` when none, undefined when several conflict. */
export function directionOf(sdp: Sdp, m: SdpMedia): Direction | undefined {
  const dirs = directionsOf(sdp, m);
  if (dirs.length === 0) return 'sendrecv';
  return dirs.length === 1 ? dirs[0] : undefined;
}

/** Sets a media section's direction: replaces its direction attributes (keeping the first one's position) or appends one. */
export function setDirection(m: SdpMedia, direction: Direction): void {
  const isDir = (l: SdpLine) => l.type === 'a' && (DIRECTIONS as readonly string[]).includes(l.value);
  const at = m.lines.findIndex(isDir);
  const rest = m.lines.filter((l) => !isDir(l));
  const line = { type: 'a', value: direction };
  if (at < 0) rest.push(line);
  else rest.splice(at, 0, line);
  m.lines = rest;
}

export interface SdpConnection {
  netType: string;
  addrType: string;
  address: string;
}

/** The media's `c=` (its own, else the session's), or undefined; throws SdpError when the line does not parse. */
export function connectionOf(sdp: Sdp, m: SdpMedia): SdpConnection | undefined {
  const line = m.lines.find((l) => l.type === 'c') ?? sdp.session.find((l) => l.type === 'c');
  if (!line) return undefined;
  const [netType, addrType, address, extra] = line.value.trim().split(/ +/);
  if (!netType || !addrType || !address || extra !== undefined) throw new SdpError(`c=${clip(line.value)} is not "<nettype> <addrtype> <address>"`);
  return { netType, addrType, address: address.split('/')[0] ?? address };
}

export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: bigint;
  netType: string;
  addrType: string;
  address: string;
}

/** The `o=` line (RFC 4566 §5.2). */
export function originOf(sdp: Sdp): SdpOrigin {
  const line = sdp.session.find((l) => l.type === 'o');
  const parts = line?.value.trim().split(/ +/) ?? [];
  const [username, sessionId, version, netType, addrType, address] = parts;
  if (parts.length !== 6 || !username || !sessionId || !version || !/^\d{1,20}$/.test(version) || !netType || !addrType || !address) {
    throw new SdpError(`o=${clip(line?.value ?? '')} is not "<username> <sess-id> <sess-version> <nettype> <addrtype> <address>"`);
  }
  return { username, sessionId, sessionVersion: BigInt(version), netType, addrType, address };
}

export function setOrigin(sdp: Sdp, o: SdpOrigin): void {
  const value = `${o.username} ${o.sessionId} ${o.sessionVersion.toString()} ${o.netType} ${o.addrType} ${o.address}`;
  const line = sdp.session.find((l) => l.type === 'o');
  if (line) line.value = value;
  else sdp.session.splice(1, 0, { type: 'o', value });
}

export interface Rtpmap {
  pt: number;
  encoding: string;
  clockRate: number;
}

/** rtpmap per payload type of a media section, with the static RFC 3551 ones (0 PCMU, 8 PCMA) when not written. */
export function rtpmaps(m: SdpMedia): Map<number, Rtpmap> {
  const map = new Map<number, Rtpmap>();
  for (const v of attributes(m.lines, 'rtpmap')) {
    const r = /^(\d{1,3})\s+([^/\s]+)\/(\d+)/.exec(v.trim());
    if (r) map.set(Number(r[1]), { pt: Number(r[1]), encoding: r[2] ?? '', clockRate: Number(r[3]) });
  }
  for (const f of m.formats) {
    if (f === '0' && !map.has(0)) map.set(0, { pt: 0, encoding: 'PCMU', clockRate: 8000 });
    if (f === '8' && !map.has(8)) map.set(8, { pt: 8, encoding: 'PCMA', clockRate: 8000 });
  }
  return map;
}

/** The G.711 formats (PCMU/8000, PCMA/8000) a media section lists, in its order. */
export function g711Formats(m: SdpMedia): Rtpmap[] {
  const maps = rtpmaps(m);
  return m.formats
    .map((f) => (/^\d{1,3}$/.test(f) ? maps.get(Number(f)) : undefined))
    .filter((r): r is Rtpmap => r !== undefined && r.clockRate === 8000 && ['PCMU', 'PCMA'].includes(r.encoding.toUpperCase()));
}
