/**
 * The SDP (RFC 4566) the recorder needs: enough to check a SIPREC offer and to
 * write the answer. Lines are `<type>=<value>`; session-level lines come
 * before the first `m=`; `c=` at media level overrides the session one.
 */

export interface SdpMedia {
  /** 0-based position among the m= lines. */
  index: number;
  media: string;
  port: number;
  proto: string;
  formats: string[];
  connection?: SdpConnection;
  /** Attributes as written after `a=`: `{ name, value }` (value undefined for flags). */
  attributes: { name: string; value: string | undefined }[];
}

export interface SdpConnection {
  netType: string;
  addrType: string;
  address: string;
}

export interface SessionDescription {
  version: string;
  origin?: string;
  sessionName?: string;
  connection?: SdpConnection;
  media: SdpMedia[];
}

export class SdpError extends Error {}

function parseConnection(value: string): SdpConnection {
  const [netType, addrType, address] = value.trim().split(/\s+/);
  if (!netType || !addrType || !address) throw new SdpError(`c=${value}: expected "<nettype> <addrtype> <address>"`);
  return { netType, addrType, address: address.split('/')[0] ?? address };
}

/** Parses an SDP body; throws SdpError naming the line that is wrong. */
export function parseSdp(text: string): SessionDescription {
  const lines = text.split(/\r?\n/).filter((l, i, all) => l !== '' || i < all.length - 1);
  if (lines.length === 0 || lines[0] !== 'v=0') throw new SdpError(`the first line must be "v=0" (found "${(lines[0] ?? '').slice(0, 40)}")`);
  const sd: SessionDescription = { version: '0', media: [] };
  let current: SdpMedia | undefined;
  let seenT = false;
  for (const [n, line] of lines.entries()) {
    if (line === '') throw new SdpError(`line ${n + 1} is empty`);
    const m = /^([a-z])=(.*)$/.exec(line);
    if (!m) throw new SdpError(`line ${n + 1} "${line.slice(0, 60)}" is not <type>=<value>`);
    const type = m[1] ?? '';
    const value = m[2] ?? '';
    switch (type) {
      case 'o':
        sd.origin = value;
        break;
      case 's':
        sd.sessionName = value;
        break;
      case 't':
        seenT = true;
        break;
      case 'c':
        if (current) current.connection = parseConnection(value);
        else sd.connection = parseConnection(value);
        break;
      case 'm': {
        const [media, port, proto, ...formats] = value.trim().split(/\s+/);
        const portNum = Number((port ?? '').split('/')[0]);
        if (!media || !proto || !Number.isInteger(portNum) || portNum < 0 || portNum > 65535 || formats.length === 0) throw new SdpError(`m=${value}: expected "<media> <port> <proto> <fmt> ..."`);
        current = { index: sd.media.length, media, port: portNum, proto, formats, attributes: [] };
        sd.media.push(current);
        break;
      }
      case 'a': {
        const colon = value.indexOf(':');
        const attr = colon < 0 ? { name: value, value: undefined } : { name: value.slice(0, colon), value: value.slice(colon + 1) };
        if (current) current.attributes.push(attr);
        break;
      }
      default:
        break;
    }
  }
  if (!sd.origin) throw new SdpError('no o= line');
  if (sd.sessionName === undefined) throw new SdpError('no s= line');
  if (!seenT) throw new SdpError('no t= line');
  return sd;
}

export const attr = (m: SdpMedia, name: string): string[] => m.attributes.filter((a) => a.name.toLowerCase() === name.toLowerCase()).map((a) => a.value ?? '');
export const hasFlag = (m: SdpMedia, name: string): boolean => m.attributes.some((a) => a.name.toLowerCase() === name.toLowerCase());

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
/** The media's direction attribute (RFC 4566 §6; sendrecv when none). Several are reported as they are. */
export function directionsOf(m: SdpMedia): Direction[] {
  return (['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const).filter((d) => hasFlag(m, d));
}

export interface Rtpmap {
  pt: number;
  encoding: string;
  clockRate: number;
}

/** rtpmap per payload type, with the static RFC 3551 ones (0 PCMU, 8 PCMA) when not written. */
export function rtpmaps(m: SdpMedia): Map<number, Rtpmap> {
  const map = new Map<number, Rtpmap>();
  for (const v of attr(m, 'rtpmap')) {
    const r = /^(\d+)\s+([^/\s]+)\/(\d+)/.exec(v.trim());
    if (r) map.set(Number(r[1]), { pt: Number(r[1]), encoding: r[2] ?? '', clockRate: Number(r[3]) });
  }
  for (const f of m.formats) {
    const pt = Number(f);
    if (pt === 0 && !map.has(0)) map.set(0, { pt: 0, encoding: 'PCMU', clockRate: 8000 });
    if (pt === 8 && !map.has(8)) map.set(8, { pt: 8, encoding: 'PCMA', clockRate: 8000 });
  }
  return map;
}

export interface SdesCrypto {
  tag: string;
  suite: string;
  keyParams: string;
  /** The decoded inline key||salt. */
  keyMaterial?: Buffer;
  raw: string;
}

/** a=crypto (RFC 4568 §9.1): `<tag> <crypto-suite> inline:<key||salt base64>[|lifetime][|MKI:len] [session params]`. */
export function parseCrypto(value: string): SdesCrypto | undefined {
  const m = /^(\d{1,9})\s+(\S+)\s+(\S+)(\s.*)?$/.exec(value.trim());
  if (!m) return undefined;
  const keyParams = m[3] ?? '';
  const inline = /^inline:([A-Za-z0-9+/=]+)/.exec(keyParams);
  const b64 = inline?.[1];
  const keyMaterial = b64 !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(b64) && b64.length % 4 === 0 ? Buffer.from(b64, 'base64') : undefined;
  return { tag: m[1] ?? '', suite: m[2] ?? '', keyParams, ...(keyMaterial ? { keyMaterial } : {}), raw: value.trim() };
}
