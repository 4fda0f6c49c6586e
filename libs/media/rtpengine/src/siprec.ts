import { attributes, codecs, directions, joinSdp, parseMediaLine, sameEncoding, splitSdp, type SdpSection } from './sdp';

/** The one SRTP suite the recorder leg may use (what the SRS side accepts). */
export const SIPREC_SUITE = 'AES_CM_128_HMAC_SHA1_80';

/**
 * Every SDES suite rtpengine 10.5 offers by default, in its order (checked
 * against the daemon: 12 `a=crypto` lines per stream, AEAD_AES_256_GCM first).
 * `SDES-only-<suite>` does not exist in 10.5 (silently ignored), so the
 * narrowing is `no-<suite>` for each of the others.
 */
export const RTPENGINE_SDES_SUITES = [
  'AEAD_AES_256_GCM',
  'AEAD_AES_128_GCM',
  'AES_256_CM_HMAC_SHA1_80',
  'AES_256_CM_HMAC_SHA1_32',
  'AES_192_CM_HMAC_SHA1_80',
  'AES_192_CM_HMAC_SHA1_32',
  'AES_CM_128_HMAC_SHA1_80',
  'AES_CM_128_HMAC_SHA1_32',
  'F8_128_HMAC_SHA1_80',
  'F8_128_HMAC_SHA1_32',
  'NULL_HMAC_SHA1_80',
  'NULL_HMAC_SHA1_32',
] as const;

/** The ng keys of a SIPREC `subscribe request` (without call-id and tags). */
export function siprecSubscribeKeys(): Record<string, unknown> {
  return {
    // `all` selects every offer/answer participant (both legs); in 10.5 it must be a flag,
    // the `all: 'all'` key gives "No monologues matched".
    flags: ['all', 'siprec'],
    'transport-protocol': 'RTP/SAVP',
    SDES: RTPENGINE_SDES_SUITES.filter((s) => s !== SIPREC_SUITE).map((s) => `no-${s}`),
    DTLS: 'off',
    ICE: 'remove',
  };
}

/**
 * What is wrong with a SIPREC offer rtpengine returned, given its media-labels:
 * each m= line RTP/SAVP, sendonly, one a=label known to media-labels, exactly one
 * a=crypto and it AES_CM_128_HMAC_SHA1_80, no DTLS fingerprint, no ICE; every
 * label of media-labels present. Empty when it is right.
 */
export function siprecOfferProblems(sdp: string, labels: readonly string[]): string[] {
  const problems: string[] = [];
  const s = splitSdp(sdp);
  if (s.media.length === 0) problems.push('no m= line');
  if (attributes(s.session, 'fingerprint').length > 0) problems.push('a session-level a=fingerprint (DTLS)');
  const seen = new Set<string>();
  s.media.forEach((m, i) => {
    const where = `m= line ${i + 1}`;
    const ml = parseMediaLine(m.lines[0] ?? '');
    if (!ml) return void problems.push(`${where} does not parse: '${m.lines[0] ?? ''}'`);
    if (ml.proto !== 'RTP/SAVP') problems.push(`${where} uses ${ml.proto}, not RTP/SAVP`);
    const dirs = directions(m);
    if (dirs.length !== 1 || dirs[0] !== 'sendonly') problems.push(`${where} has direction ${dirs.join(',') || 'none'}, not sendonly`);
    const lbl = attributes(m, 'label');
    if (lbl.length !== 1) problems.push(`${where} has ${lbl.length} a=label lines, not 1`);
    else if (!labels.includes(lbl[0] ?? '')) problems.push(`${where} has a=label:${lbl[0] ?? ''}, which media-labels does not list`);
    else seen.add(lbl[0] ?? '');
    const crypto = attributes(m, 'crypto');
    const suites = crypto.map((c) => c.trim().split(/\s+/)[1] ?? '');
    if (crypto.length !== 1 || suites[0] !== SIPREC_SUITE) problems.push(`${where} offers crypto suites [${suites.join(', ')}], not exactly ${SIPREC_SUITE}`);
    if (attributes(m, 'fingerprint').length > 0) problems.push(`${where} has a=fingerprint (DTLS)`);
    if (attributes(m, 'candidate').length > 0 || attributes(m, 'ice-ufrag').length > 0) problems.push(`${where} has ICE attributes`);
  });
  for (const l of labels) if (!seen.has(l)) problems.push(`media-labels lists '${l}' but no m= line carries it`);
  return problems;
}

function labelOf(m: SdpSection): string | undefined {
  return attributes(m, 'label')[0];
}

/**
 * rtpengine 10.5 refuses a `subscribe answer` that does not accept every codec
 * of the subscription offer ("Failed to process subscription answer") unless
 * transcoding is allowed. A recorder typically answers one codec (+ telephone-event).
 * This adds, to the answer given to rtpengine only, each codec the offer had
 * and the answer lacks (matched by label, else by position; by encoding, not by
 * payload type number), so rtpengine forwards the source's packets untouched.
 * A codec whose payload type number the answer already uses for another
 * encoding is left out. Rejected streams (port 0) are left as they are.
 */
export function completeAnswerCodecs(offerSdp: string, answerSdp: string): { sdp: string; added: string[] } {
  const offer = splitSdp(offerSdp);
  const answer = splitSdp(answerSdp);
  const added: string[] = [];
  answer.media.forEach((am, i) => {
    const aml = parseMediaLine(am.lines[0] ?? '');
    if (!aml || aml.port === 0) return;
    const lbl = labelOf(am);
    const om = (lbl !== undefined ? offer.media.find((m) => labelOf(m) === lbl) : undefined) ?? offer.media[i];
    if (!om) return;
    const have = codecs(am);
    const extraFormats: string[] = [];
    const extraLines: string[] = [];
    for (const oc of codecs(om)) {
      if (have.some((c) => sameEncoding(c.rtpmap, oc.rtpmap))) continue;
      if (have.some((c) => c.pt === oc.pt) || oc.rtpmap === undefined) continue;
      extraFormats.push(oc.pt);
      extraLines.push(`a=rtpmap:${oc.pt} ${oc.rtpmap}`);
      if (oc.fmtp !== undefined) extraLines.push(`a=fmtp:${oc.pt} ${oc.fmtp}`);
      added.push(`${lbl ?? `#${i + 1}`}:${oc.pt} ${oc.rtpmap}`);
    }
    if (extraFormats.length === 0) return;
    am.lines[0] = `${(am.lines[0] ?? '').trimEnd()} ${extraFormats.join(' ')}`;
    // after the last rtpmap/fmtp line of the section, else right after m= (and c=)
    let at = 0;
    am.lines.forEach((l, k) => {
      if (l.startsWith('a=rtpmap:') || l.startsWith('a=fmtp:') || (l.startsWith('c=') && at === 0)) at = k;
    });
    am.lines.splice(at + 1, 0, ...extraLines);
  });
  return { sdp: added.length > 0 ? joinSdp(answer) : answerSdp, added };
}
