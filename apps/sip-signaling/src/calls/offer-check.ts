import { isIP } from 'node:net';
import { warningValue } from '@ci-connector/sip';

/**
 * Why the body of a new call's INVITE cannot be taken, as the answer to send:
 * the status, the headers it needs (Accept, Warning) and the text for the log.
 */
export interface InviteBodyProblem {
  status: 415 | 488;
  headers: [string, string][];
  problem: string;
}

/**
 * The B2BUA takes a new call with no body (a late offer: the callee's 2xx will
 * offer) or with one SDP offer it can anchor in rtpengine. Anything else is
 * refused before the callee is called, and the Warning says what is wrong
 * (RFC 3261 §20.43):
 * - another Content-Type (multipart included: the SDP must be anchored) or a
 *   Content-Encoding → 415 with Accept / Accept-Encoding (RFC 3261 §8.2.3, §21.4.13);
 * - an SDP that does not parse (RFC 8866 §5), has no media, or gives a media
 *   address rtpengine cannot use → 488 (RFC 3261 §21.4.26, RFC 3264 §6).
 * An SDP that passes here and that rtpengine still refuses goes through
 * un-anchored, by the rtpengine failure policy (README).
 */
export function checkInviteBody(contentType: string | undefined, contentEncoding: string | undefined, body: Buffer): InviteBodyProblem | undefined {
  if (body.length === 0) return undefined;
  const encoding = contentEncoding?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    const problem = `the INVITE body is encoded (Content-Encoding: ${contentEncoding}); only unencoded SDP is taken`;
    return { status: 415, headers: [['Accept-Encoding', 'identity'], ['Warning', warningValue(problem)]], problem };
  }
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/sdp') {
    const problem = `the INVITE body is ${type || 'of no Content-Type'}; only application/sdp can be anchored`;
    return { status: 415, headers: [['Accept', 'application/sdp'], ['Warning', warningValue(problem)]], problem };
  }
  const sdp = sdpProblem(body.toString('utf8'));
  if (!sdp) return undefined;
  const problem = `bad SDP offer: ${sdp.text}`;
  return { status: 488, headers: [['Warning', warningValue(problem, { code: sdp.code })]], problem };
}

// RFC 3261 §20.43 warning codes: 301 Incompatible network address formats, 304 Media type not available, 399 miscellaneous.
interface SdpProblem {
  code: 301 | 304 | 399;
  text: string;
}

const LINE = /^[a-z]=/;
// m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 8866 §5.14)
const MEDIA = /^m=(\S+) (\d{1,5})(?:\/\d+)? (\S+)(?: \S+)*$/;
// c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7); a multicast TTL or count may follow a slash.
const CONNECTION = /^c=IN (IP4|IP6) (\S+)$/;

/** The first thing that makes this SDP unusable for rtpengine, or undefined. */
export function sdpProblem(text: string): SdpProblem | undefined {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const quote = (l: string) => JSON.stringify(l.length > 60 ? `${l.slice(0, 60)}…` : l);
  if (lines[0] !== 'v=0') return { code: 399, text: `it must start with v=0, not ${quote(lines[0] ?? '')}` };
  let sessionConnection = false;
  let media: { line: string; connection: boolean } | undefined;
  let mediaCount = 0;
  for (const [i, line] of lines.entries()) {
    if (!LINE.test(line)) return { code: 399, text: `line ${i + 1} is not <type>=<value>: ${quote(line)}` };
    if (line.startsWith('m=')) {
      if (media && !media.connection && !sessionConnection) return { code: 399, text: `no c= line for ${quote(media.line)}` };
      const m = MEDIA.exec(line.trimEnd());
      if (!m || Number(m[2]) > 65535) return { code: 399, text: `bad m= line ${quote(line)}` };
      media = { line, connection: false };
      mediaCount++;
    } else if (line.startsWith('c=')) {
      const c = CONNECTION.exec(line.trimEnd());
      if (!c) return { code: 399, text: `bad c= line ${quote(line)}` };
      const address = (c[2] ?? '').split('/')[0] ?? '';
      if (isIP(address) !== (c[1] === 'IP4' ? 4 : 6)) return { code: 301, text: `the c= address ${quote(address)} is not an ${c[1]} address` };
      if (media) media.connection = true;
      else sessionConnection = true;
    }
  }
  if (mediaCount === 0) return { code: 304, text: 'no m= line: there is no media to anchor' };
  if (media && !media.connection && !sessionConnection) return { code: 399, text: `no c= line for ${quote(media.line)}` };
  return undefined;
}
