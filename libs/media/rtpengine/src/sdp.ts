// Just enough SDP (RFC 4566) to check what rtpengine hands us and to complete a
// recorder's answer: sections, attributes, formats. Never throws on odd input.

export interface SdpSection {
  /** the section's lines, the `m=` line first (for the session part: everything before the first `m=`) */
  lines: string[];
}

export interface SplitSdp {
  session: SdpSection;
  media: SdpSection[];
  /** the line ending the text used (`\r\n` unless it used bare `\n` only) */
  eol: string;
}

export function splitSdp(sdp: string): SplitSdp {
  const eol = sdp.includes('\r\n') || !sdp.includes('\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  const session: SdpSection = { lines: [] };
  const media: SdpSection[] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) media.push({ lines: [line] });
    else (media[media.length - 1] ?? session).lines.push(line);
  }
  return { session, media, eol };
}

export function joinSdp(s: SplitSdp): string {
  return [...s.session.lines, ...s.media.flatMap((m) => m.lines)].join(s.eol) + s.eol;
}

export interface MediaLine {
  type: string;
  port: number;
  proto: string;
  formats: string[];
}

export function parseMediaLine(line: string): MediaLine | undefined {
  const m = /^m=(\S+) (\d+)(?:\/\d+)? (\S+)((?: \S+)*)\s*$/.exec(line);
  if (!m) return undefined;
  const [, type = '', port = '', proto = '', formats = ''] = m;
  return { type, port: Number(port), proto, formats: formats.trim().split(/\s+/).filter((f) => f.length > 0) };
}

/** The values of every `a=<name>` / `a=<name>:<value>` line of a section (value '' for a flag). */
export function attributes(section: SdpSection, name: string): string[] {
  const out: string[] = [];
  const end = 2 + name.length;
  for (const line of section.lines) {
    // `a=<name>` then the end of the line or ':' (no substring made for the lines that do not match)
    if (line.length < end || !line.startsWith(name, 2) || !line.startsWith('a=')) continue;
    if (line.length === end) out.push('');
    else if (line.charCodeAt(end) === 58 /* : */) out.push(line.slice(end + 1));
  }
  return out;
}

const DIRECTIONS = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

export function directions(section: SdpSection): string[] {
  return section.lines.filter((l) => DIRECTIONS.includes(l.slice(2)) && l.startsWith('a=')).map((l) => l.slice(2));
}

/** The static payload types of RFC 3551 this project meets, for formats without an rtpmap. */
const STATIC_RTPMAP: Record<string, string> = { '0': 'PCMU/8000', '8': 'PCMA/8000', '9': 'G722/8000', '18': 'G729/8000', '3': 'GSM/8000', '4': 'G723/8000' };

export interface Codec {
  pt: string;
  /** encoding/clock rate[/channels], as in the rtpmap (or the RFC 3551 static one) */
  rtpmap: string | undefined;
  /** the a=fmtp value without the payload type, when there is one */
  fmtp: string | undefined;
}

export function codecs(section: SdpSection): Codec[] {
  const m = parseMediaLine(section.lines[0] ?? '');
  if (!m) return [];
  const maps = new Map<string, string>();
  for (const v of attributes(section, 'rtpmap')) {
    const [pt, ...rest] = v.split(' ');
    if (pt !== undefined) maps.set(pt, rest.join(' ').trim());
  }
  const fmtps = new Map<string, string>();
  for (const v of attributes(section, 'fmtp')) {
    const [pt, ...rest] = v.split(' ');
    if (pt !== undefined) fmtps.set(pt, rest.join(' ').trim());
  }
  return m.formats.map((pt) => ({ pt, rtpmap: maps.get(pt) ?? STATIC_RTPMAP[pt], fmtp: fmtps.get(pt) }));
}

/** Compares encodings case-insensitively, with channels defaulting to 1. */
export function sameEncoding(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const norm = (s: string) => {
    const [enc = '', rate = '', ch = '1'] = s.split('/');
    return `${enc.toLowerCase()}/${rate}/${ch}`;
  };
  return norm(a) === norm(b);
}
