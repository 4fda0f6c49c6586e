/**
 * Test support (used by specs only): the ci-emulator recorder's own checks,
 * called purely — the RFC 7865 schema (xmllint-wasm), its metadata reader and
 * its full INVITE rule chain (rules.ts) on the seed's INVITE with our body.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMultipart, parseMessage, type InboundSource, type SipRequest } from '@ci-connector/sip-core';
import { parseCryptoAttribute } from '@ci-connector/media-srtp';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { buildAnswerSdp } from '../../../../apps/ci-emulator/src/recorder/answer';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { checkInvite, type CheckResult } from '../../../../apps/ci-emulator/src/recorder/rules';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { parseXml, readMetadata, schemaErrors, type ParsedMetadata } from '../../../../apps/ci-emulator/src/recorder/metadata';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { RegistrationStore } from '../../../../apps/ci-emulator/src/state/registrations';

export { schemaErrors };

export const EMULATOR_RECORDER_DIR = join(__dirname, '../../../../apps/ci-emulator/src/recorder');

export function emulatorReadMetadata(xml: string): ParsedMetadata {
  return readMetadata(parseXml(xml));
}

const ACCOUNT = 'ACxxxxxxxxxxxxxxxxxxxx';
const source: InboundSource = {
  protocol: 'tls',
  remote: { address: '127.0.0.1', port: 40334 },
  local: { address: '127.0.0.1', port: 15061 },
  connectionId: 'tls-1',
  tlsPeer: { subject: 'CN=sbc.carrier.example,O=Example Carrier', subjectCN: 'sbc.carrier.example', issuer: 'CN=ci-emulator test CA,O=ci-connector test', issuerCN: 'ci-emulator test CA', verified: true, fingerprint256: '' },
};

/** The seed's INVITE (the emulator's fixture) with our SDP and metadata as its multipart body, run through every recorder rule. */
export async function emulatorCheckInvite(sdp: string, metadataXml: string): Promise<CheckResult> {
  const req = parseMessage(readFileSync(join(EMULATOR_RECORDER_DIR, '__fixtures__/seed-invite.sip'))) as SipRequest;
  const { body, contentType } = buildMultipart([
    { headers: [['Content-Type', 'application/sdp']], body: sdp },
    { headers: [['Content-Type', 'application/rs-metadata+xml'], ['Content-Disposition', 'recording-session']], body: metadataXml },
  ]);
  req.body = body;
  req.headers.set('Content-Type', contentType);
  req.headers.set('Content-Length', String(body.length));
  const store = new RegistrationStore();
  store.upsert({ tenantId: 't1', clientId: 'c', orgId: 'o', type: 'custom', hosting: 'cloud', displayName: 'd', accountId: ACCOUNT, certificateSubjectName: 'sbc.carrier.example', certificateIssuer: 'ci-emulator test CA', sourceIpNetwork: '0.0.0.0' });
  return checkInvite({ req, source, kind: 'initial', listenerPort: 15061, registrations: store.list() });
}

/** The answer the emulator's recorder would give to an accepted INVITE: recvonly (inactive to inactive), its own key under the offered tag, the first G.711 codec. */
export function emulatorAnswer(result: CheckResult): string {
  if (result.ok !== true) throw new Error(`the emulator refused the INVITE: ${JSON.stringify(result)}`);
  const offers = result.accepted.offers;
  const answers = offers.map((o, i) => {
    const offered = parseCryptoAttribute(o.crypto);
    const audio = o.payloadTypes.find((p) => /^PCM[UA]$/i.test(p.encoding));
    const te = o.payloadTypes.find((p) => /^telephone-event$/i.test(p.encoding));
    return {
      label: o.label,
      port: 31000 + 2 * i,
      rtcpPort: 31001 + 2 * i,
      crypto: `${offered.tag} ${offered.suite} inline:${randomBytes(30).toString('base64')}`,
      pt: audio?.pt ?? 0,
      ...(te ? { telephoneEventPt: te.pt } : {}),
      direction: o.direction === 'inactive' ? ('inactive' as const) : ('recvonly' as const),
    };
  });
  return buildAnswerSdp({ host: '127.0.0.1', sessionId: 7, version: 1, offers, answers });
}
