import { isIP } from 'node:net';
import type { StreamAnswer, StreamOffer } from './media-port';

/**
 * Our SDP answer (RFC 3264): one m=audio per offered stream, in the offer's
 * order, with the codec the media side chose, our own SDES key, recvonly (or
 * inactive for a pause) and the stream's label.
 */
export function buildAnswerSdp(opts: { host: string; sessionId: number; version: number; offers: readonly StreamOffer[]; answers: readonly StreamAnswer[] }): string {
  const ipv = isIP(opts.host) === 6 ? 'IP6' : 'IP4';
  const lines = ['v=0', `o=ci-emulator ${opts.sessionId} ${opts.version} IN ${ipv} ${opts.host}`, 's=ci-emulator SIPREC recorder', `c=IN ${ipv} ${opts.host}`, 't=0 0'];
  for (const offer of opts.offers) {
    const a = opts.answers.find((x) => x.label === offer.label);
    if (!a) throw new Error(`the media side gave no answer for label ${offer.label}`);
    const fmt = offer.payloadTypes.find((p) => p.pt === a.pt);
    const te = a.telephoneEventPt !== undefined ? offer.payloadTypes.find((p) => p.pt === a.telephoneEventPt) : undefined;
    lines.push(`m=audio ${a.port} RTP/SAVP ${a.pt}${te ? ` ${te.pt}` : ''}`);
    lines.push(`a=rtpmap:${a.pt} ${fmt?.encoding ?? (a.pt === 8 ? 'PCMA' : 'PCMU')}/${fmt?.clockRate ?? 8000}`);
    if (te) lines.push(`a=rtpmap:${te.pt} ${te.encoding}/${te.clockRate}`, `a=fmtp:${te.pt} 0-16`);
    if (a.rtcpPort !== a.port + 1) lines.push(`a=rtcp:${a.rtcpPort}`);
    lines.push(`a=crypto:${a.crypto}`, 'a=ptime:20', `a=${a.direction}`, `a=label:${a.label}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}
