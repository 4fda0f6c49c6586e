import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage, type InboundSource, type SipRequest } from '@ci-connector/sip';
import { RegistrationStore } from '../state/registrations';
import { buildAnswerSdp } from './answer';
import { checkInvite, reasonPhrase, RULE_ORDER, violation, warningValue } from './rules';
import { parseSdp, SdpError } from './sdp';
import { schemaErrors } from './metadata';

const seed = () => parseMessage(readFileSync(join(__dirname, '__fixtures__/seed-invite.sip'))) as SipRequest;
const source: InboundSource = {
  protocol: 'tls',
  remote: { address: '127.0.0.1', port: 40334 },
  local: { address: '127.0.0.1', port: 15061 },
  connectionId: 'tls-1',
  tlsPeer: { subject: 'CN=sbc.carrier.example,O=Example Carrier', subjectCN: 'sbc.carrier.example', issuer: 'CN=ci-emulator test CA,O=ci-connector test', issuerCN: 'ci-emulator test CA', verified: true, fingerprint256: '' },
};
const store = new RegistrationStore();
store.upsert({ tenantId: 't1', clientId: 'c', orgId: 'o', type: 'custom', hosting: 'cloud', displayName: 'd', accountId: 'ACxxxxxxxxxxxxxxxxxxxx', certificateSubjectName: 'sbc.carrier.example', certificateIssuer: 'ci-emulator test CA', sourceIpNetwork: '0.0.0.0' });
const ctx = (req: SipRequest) => ({ req, source, kind: 'initial' as const, listenerPort: 15061, registrations: store.list() });

describe('checkInvite on the seed INVITE (fixture)', () => {
  it('accepts it: tenant, AccountId, both offers with their keys, and the parsed metadata', async () => {
    const r = await checkInvite(ctx(seed()));
    if (r.ok !== true) throw new Error(JSON.stringify(r));
    expect(r.accepted.tenant?.tenantId).toBe('t1');
    expect(r.accepted.accountId).toBe('ACxxxxxxxxxxxxxxxxxxxx');
    expect(r.accepted.offers).toEqual([
      { label: 'inbound', payloadTypes: [{ pt: 0, encoding: 'PCMU', clockRate: 8000 }, { pt: 8, encoding: 'PCMA', clockRate: 8000 }, { pt: 101, encoding: 'telephone-event', clockRate: 8000 }], crypto: '1 AES_CM_128_HMAC_SHA1_80 inline:bckPlyxG6j4/3JzzT4wXPyJ7hYHdYCTy3IPtkjfk', direction: 'sendonly', remote: { address: '127.0.0.1', port: 15352 } },
      expect.objectContaining({ label: 'outbound', crypto: '1 AES_CM_128_HMAC_SHA1_80 inline:Prim5f8HmxbSyFEHhCv2wOpDoeTaYPExJNKBgljj', remote: { address: '127.0.0.1', port: 16022 } }),
    ]);
    expect(r.accepted.metadata?.parsed).toMatchObject({
      datamode: 'complete',
      sessions: [{ sessionId: 'Wd/putWgTWCW2z1lI5Db9w==' }],
      participants: [{ participantId: 'bXCloPcETS6P/kfeeJtiow==', aors: ['EE5C7EF0'] }, { participantId: '3nPi8XzBSzWrtSLlkU8Gjw==', aors: ['230908'] }],
      streams: [{ label: 'inbound' }, { label: 'outbound' }],
      extensionParameters: { Role: 'inbound', CallerDisplayName: 'Kiana Anderson', CalleeDisplayName: 'Tomas Richardson' },
    });
  });

  it('the synchronous prefix passes the seed too (the schema rule is left to the async check)', () => {
    expect(checkInvite(ctx(seed()), { syncOnly: true })).toBeUndefined();
  });

  it('reports the FIRST broken rule when several are broken', async () => {
    const req = seed();
    req.headers.delete('Require');
    req.headers.set('X-AccountId', 'wrong');
    const r = await checkInvite(ctx(req));
    expect(r.ok === false && r.violation.rule).toBe('siprec-require');
    expect(checkInvite(ctx(req), { syncOnly: true })?.rule).toBe('siprec-require');
  });

  it('checks the rules in the documented order', () => {
    expect(RULE_ORDER[0]).toBe('sips-transport');
    expect(RULE_ORDER.indexOf('metadata-schema')).toBeLessThan(RULE_ORDER.indexOf('sdp-syntax'));
    expect(RULE_ORDER.at(-1)).toBe('call-id-unique');
  });
});

describe('Warning and reason', () => {
  it('names the rule, escapes quotes and keeps one line', () => {
    const v = violation('metadata-schema', 'element "x": bad\r\nthing \\ here');
    expect(reasonPhrase(v)).toBe('Bad Request (metadata-schema)');
    expect(warningValue(v, '127.0.0.1:15061')).toBe('399 127.0.0.1:15061 "metadata-schema: element \\"x\\": bad thing \\\\ here"');
  });

  it('uses the SDP warn-codes of RFC 3261 §20.43 where they fit', () => {
    expect(violation('sdp-rtp-savp', 'x').warnCode).toBe(302);
    expect(violation('sdp-codec', 'x').warnCode).toBe(305);
    expect(violation('siprec-require', 'x', [['Require', 'siprec']])).toMatchObject({ status: 421, headers: [['Require', 'siprec']] });
  });
});

describe('RFC 7865 schema', () => {
  it('rejects an unknown element in the recording namespace with xmllint saying which', async () => {
    const errors = await schemaErrors(`<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode><bogus/></recording>`);
    expect(errors.join(' ')).toMatch(/bogus/);
  });

  it('requires the id attributes', async () => {
    const errors = await schemaErrors(`<recording xmlns="urn:ietf:params:xml:ns:recording:1"><stream session_id="AAAA"><label>x</label></stream></recording>`);
    expect(errors.join(' ')).toMatch(/stream_id/);
  });

  it('validates documents that arrive together in one run, each with its own verdict', async () => {
    const seedXml = (() => {
      const t = readFileSync(join(__dirname, '__fixtures__/seed-invite.sip'), 'utf8');
      return t.slice(t.indexOf('<?xml'), t.lastIndexOf('</recording>') + '</recording>'.length);
    })();
    const bogus = (i: number) => `<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode><bogus${i}/></recording>`;
    const docs = Array.from({ length: 12 }, (_, i) => (i % 3 === 1 ? bogus(i) : seedXml));
    const results = await Promise.all(docs.map((d) => schemaErrors(d)));
    results.forEach((errors, i) => {
      if (i % 3 === 1) {
        expect(errors.join(' ')).toMatch(new RegExp(`bogus${i}\\b`));
        for (const j of [1, 4, 7, 10].filter((j) => j !== i)) expect(errors.join(' ')).not.toMatch(new RegExp(`bogus${j}\\b`));
      } else expect(errors).toEqual([]);
    });
  });
});

describe('SDP', () => {
  it('names the line that is wrong', () => {
    expect(() => parseSdp('v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio x RTP/SAVP 0\r\n')).toThrow(SdpError);
    expect(() => parseSdp('v=0\r\ngarbage\r\n')).toThrow(/line 2/);
  });

  it('builds an answer per offered stream in offer order: recvonly, our key, label, telephone-event kept', () => {
    const sdp = buildAnswerSdp({
      host: '127.0.0.1',
      sessionId: 7,
      version: 1,
      offers: [
        { label: 'inbound', payloadTypes: [{ pt: 0, encoding: 'PCMU', clockRate: 8000 }, { pt: 101, encoding: 'telephone-event', clockRate: 8000 }], crypto: 'x', direction: 'sendonly', remote: { address: '127.0.0.1', port: 1 } },
        { label: 'outbound', payloadTypes: [{ pt: 8, encoding: 'PCMA', clockRate: 8000 }], crypto: 'y', direction: 'sendonly', remote: { address: '127.0.0.1', port: 2 } },
      ],
      answers: [
        { label: 'outbound', port: 31002, rtcpPort: 31003, crypto: '1 AES_CM_128_HMAC_SHA1_80 inline:OUT', pt: 8, direction: 'recvonly' },
        { label: 'inbound', port: 31000, rtcpPort: 31001, crypto: '1 AES_CM_128_HMAC_SHA1_80 inline:IN', pt: 0, telephoneEventPt: 101, direction: 'recvonly' },
      ],
    });
    expect(sdp).toBe(
      [
        'v=0', 'o=ci-emulator 7 1 IN IP4 127.0.0.1', 's=ci-emulator SIPREC recorder', 'c=IN IP4 127.0.0.1', 't=0 0',
        'm=audio 31000 RTP/SAVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:IN', 'a=ptime:20', 'a=recvonly', 'a=label:inbound',
        'm=audio 31002 RTP/SAVP 8', 'a=rtpmap:8 PCMA/8000', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:OUT', 'a=ptime:20', 'a=recvonly', 'a=label:outbound', '',
      ].join('\r\n'),
    );
  });
});
