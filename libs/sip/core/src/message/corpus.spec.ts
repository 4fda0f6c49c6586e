import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNameAddr, parseVia, splitNameAddr } from './header-values';
import { findPart, parseMultipart } from './multipart';
import { parseMessage, responseForParseError, type ParseErrorCode } from './parser';
import { parseParams } from './scan';
import { serializeMessage } from './serializer';
import { SipParseError, type SipMessage } from './types';
import { parseUri, urisEqual } from './uri';

/**
 * The torture corpus: our own messages modelled on RFC 4475 §3 and RFC 5118 §4
 * (see __corpus__/make-corpus.mjs, which writes them), plus the parser's own
 * rules. Each file has one row: accepted with the values the parser must
 * return, or rejected with its code and the response it calls for.
 */
const CORPUS = join(__dirname, '__corpus__');
const SDP_LENGTH = 162;

interface Accepted {
  kind: 'request' | 'response';
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  callId: string;
  cseq: [number, string];
  via: { count: number; host: string; transport?: string; branch?: string; port?: number };
  bodyLength: number;
  toTag?: string;
  fromTag?: string;
  fromName?: string;
  toName?: string;
  check?: (m: SipMessage) => void;
}

interface Rejected {
  code: ParseErrorCode;
  /** Status of responseForParseError's answer, or null when there must be none. */
  response: number | null;
  reason?: string;
}

type Row = { file: string; section: string; stream?: boolean } & ({ accept: Accepted } | { reject: Rejected });

const hdr = (m: SipMessage, name: string) => m.headers.get(name);
const vias = (m: SipMessage) => m.headers.getAll('Via').map(parseVia);
const tagOf = (value: string | undefined) => {
  const params = value === undefined ? undefined : splitNameAddr(value).paramsText;
  return params === undefined ? undefined : (parseParams(params)['tag'] ?? undefined);
};
const uriOf = (m: SipMessage) => (m.kind === 'request' ? parseUri(m.uri) : undefined);

const ROWS: Row[] = [
  // ---------------------------------------------------------------- RFC 4475 §3.1.1 valid
  {
    file: 'wsinv', section: '4475 3.1.1.1',
    accept: {
      kind: 'request', method: 'INVITE', uri: 'sip:vivian@chair.example.com;unknownparam', callId: 'wsinv.4kd8s2@192.0.2.1', cseq: [9, 'INVITE'],
      via: { count: 3, host: '192.0.2.2', transport: 'UDP', branch: '390skdjuw' }, bodyLength: SDP_LENGTH, toTag: '1918181833n', fromTag: '98asjd8', fromName: 'K Ramesh \\"',
      check: (m) => {
        expect([...m.headers].map((f) => f.name).slice(0, 3)).toEqual(['TO', 'from', 'MaX-fOrWaRdS']);
        expect(hdr(m, 'Max-Forwards')).toBe('0068');
        expect(hdr(m, 'Subject')).toBe('');
        expect(hdr(m, 'NewFangledHeader')).toBe('newfangled value continued newfangled value');
        expect(hdr(m, 'UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
        expect(hdr(m, 'Route')).toBe('<sip:services.example.com;lr;unknownwith=value;unknown-no-value>');
        expect(hdr(m, 'CSeq')).toBe('0009 INVITE');
        expect(vias(m).slice(1)).toEqual([
          { protocol: 'SIP/2.0', transport: 'TCP', host: 'spindle.example.com', params: { branch: 'z9hG4bK9ikj8' } },
          { protocol: 'SIP/2.0', transport: 'UDP', host: '192.168.255.111', params: { branch: 'z9hG4bK30239' } },
        ]);
        const contact = parseNameAddr(hdr(m, 'Contact') ?? '');
        expect(contact.displayName).toBe('Quoted string ""');
        expect(contact.params).toEqual({ newparam: 'newvalue', secondparam: null, q: '0.33' });
        expect(uriOf(m)?.params).toEqual({ unknownparam: null });
      },
    },
  },
  {
    file: 'intmeth', section: '4475 3.1.1.2',
    accept: {
      kind: 'request', method: "!odd-Method0123456789_*+`.%still'~", uri: "sip:2_strange.URI~(for-sure!)&isn't+it$/odd?,/;;*:&pass+has=2,strange!*pa$wo~d_(isn't-it)@example.net", callId: "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{", cseq: [139122385, "!odd-Method0123456789_*+`.%still'~"],
      via: { count: 1, host: 'host1.example.net', transport: 'TCP', branch: "z9hG4bK-.!%66*_+`'~" }, bodyLength: 0,
      toName: 'BEL:\x07 NUL:\x00 DEL:\x7f', fromName: "token1~` token2'+_ token3*%!.-", fromTag: "_token~1'+`*%!-.",
      check: (m) => {
        const uri = uriOf(m);
        expect(uri?.user).toBe("2_strange.URI~(for-sure!)&isn't+it$/odd?,/;;*");
        expect(uri?.password).toBe("&pass+has=2,strange!*pa$wo~d_(isn't-it)");
        expect(uri?.host).toBe('example.net');
        expect(hdr(m, 'Max-Forwards')).toBe('255');
        expect(parseNameAddr(hdr(m, 'From') ?? '').params["fromparam''~+*_!.-%"]).toBe('"работающий"');
        expect(hdr(m, "extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
      },
    },
  },
  {
    file: 'esc01', section: '4475 3.1.1.3',
    accept: {
      kind: 'request', method: 'INVITE', uri: 'sip:sips%3Aalice%40example.com@example.net', callId: 'esc01.239409asdfakjkn23onasd0-3234', cseq: [234234, 'INVITE'],
      via: { count: 1, host: 'host5.example.net', branch: 'z9hG4bKkdjuw' }, bodyLength: SDP_LENGTH, fromTag: '938',
      check: (m) => {
        expect(uriOf(m)?.user).toBe('sips%3Aalice%40example.com');
        expect(hdr(m, 'Content-Type')).toBe('application/sdp');
        const contact = parseNameAddr(hdr(m, 'Contact') ?? '');
        expect(contact.uri.user).toBe('cal%6Cer');
        expect(contact.uri.params).toEqual({ '%6c%72': null, 'n%61me': 'v%61lue%25%34%31' });
        expect(urisEqual(parseNameAddr(hdr(m, 'To') ?? '').uri, parseUri('sip:alice@example.com'))).toBe(true);
      },
    },
  },
  {
    file: 'escnull', section: '4475 3.1.1.4',
    accept: {
      kind: 'request', method: 'REGISTER', uri: 'sip:example.com', callId: 'escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd', cseq: [14398234, 'REGISTER'],
      via: { count: 1, host: 'host5.example.com' }, bodyLength: 0, fromTag: '839923423',
      check: (m) => {
        expect(parseNameAddr(hdr(m, 'To') ?? '').uri.user).toBe('null-%00-null');
        expect(m.headers.getAll('Contact').map((c) => parseNameAddr(c).uri.user)).toEqual(['%00', '%00%00']);
        expect(hdr(m, 'Content-Length')).toBe('0');
      },
    },
  },
  {
    file: 'esc02', section: '4475 3.1.1.5',
    accept: {
      kind: 'request', method: 'RE%47IST%45R', uri: 'sip:registrar.example.com', callId: 'esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf', cseq: [29344, 'RE%47IST%45R'],
      via: { count: 1, host: 'host.example.com', transport: 'TCP', branch: 'z9hG4bK209%fzsnel234' }, bodyLength: 0, toName: '%Z%45', fromName: '%Z%45', fromTag: 'f232jadfj23',
      check: (m) => {
        // C%6Fntact is another header name, not Contact: % is no escape in a token.
        expect(m.headers.getAll('Contact')).toEqual(['<sip:alias1@host1.example.com>', '<sip:alias3@host3.example.com>']);
        expect(hdr(m, 'C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
      },
    },
  },
  {
    file: 'lwsdisp', section: '4475 3.1.1.6',
    accept: { kind: 'request', method: 'OPTIONS', uri: 'sip:user@example.com', callId: 'lwsdisp.1234abcd@funky.example.com', cseq: [60, 'OPTIONS'], via: { count: 1, host: 'funky.example.com' }, bodyLength: 0, fromName: 'caller', fromTag: '323' },
  },
  {
    file: 'longreq', section: '4475 3.1.1.7',
    accept: {
      kind: 'request', method: 'INVITE', uri: 'sip:user@example.com', callId: `longreq.one${'really'.repeat(40)}longcallid`, cseq: [3882340, 'INVITE'],
      via: { count: 33, host: 'sip33.example.com', transport: 'TCP' }, bodyLength: SDP_LENGTH,
      toName: `I have a user name of ${'extreme'.repeat(60)} proportion`, fromTag: `12${'982'.repeat(60)}424`,
      check: (m) => {
        expect(vias(m)[0]?.params).toEqual({});
        expect(vias(m)[32]?.host).toBe('sip62.example.com');
        expect(hdr(m, 'X-Long-Text')).toHaveLength(6400);
        expect(parseNameAddr(hdr(m, 'To') ?? '').uri.port).toBe(6000);
      },
    },
  },
  {
    file: 'dblreq', section: '4475 3.1.1.8',
    accept: { kind: 'request', method: 'REGISTER', uri: 'sip:example.com', callId: 'dblreq.0ha0isndaksdj99sdfafnl3lk233412', cseq: [8, 'REGISTER'], via: { count: 1, host: '192.0.2.125', branch: 'z9hG4bKkdjuw23492' }, bodyLength: 0, fromTag: '43251j3j324' },
  },
  {
    file: 'semiuri', section: '4475 3.1.1.9',
    accept: {
      kind: 'request', method: 'OPTIONS', uri: 'sip:user;par=u%40example.net@example.com', callId: 'semiuri.0ha0isndaksdj', cseq: [8, 'OPTIONS'], via: { count: 1, host: '192.0.2.1' }, bodyLength: 0,
      check: (m) => {
        expect(uriOf(m)).toMatchObject({ user: 'user;par=u%40example.net', host: 'example.com', params: {} });
        expect(m.headers.getAll('Accept')).toHaveLength(6);
      },
    },
  },
  {
    file: 'transports', section: '4475 3.1.1.10',
    accept: {
      kind: 'request', method: 'OPTIONS', uri: 'sip:user@example.com', callId: 'transports.kijh4akdnaqjkwendsasfdj', cseq: [60, 'OPTIONS'], via: { count: 5, host: 't1.example.com', transport: 'UDP' }, bodyLength: 0,
      check: (m) => expect(vias(m).map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']),
    },
  },
  {
    file: 'mpart01', section: '4475 3.1.1.11',
    accept: {
      kind: 'request', method: 'MESSAGE', uri: 'sip:kumiko@example.org', callId: 'mpart01.1223@192.0.2.1', cseq: [2, 'MESSAGE'], via: { count: 1, host: '192.0.2.1', port: 5060 }, bodyLength: 336, fromName: 'Hiro',
      check: (m) => {
        const { parts } = parseMultipart(m.body, hdr(m, 'Content-Type') ?? '');
        expect(parts.map((p) => p.headers.get('Content-Type'))).toEqual(['text/plain', 'application/octet-stream']);
        expect(parts[0]?.body.toString()).toBe('Hello, Kumiko');
        const binary = parts[1]?.body ?? Buffer.alloc(0);
        expect([...binary.subarray(0, 6)]).toEqual([0x30, 0x82, 0x01, 0x00, 0x00, 0xff]);
        expect(binary.includes('--7a9cbec02ceef655X not a delimiter')).toBe(true);
        expect(binary).toHaveLength(14 + 39 + 64);
      },
    },
  },
  {
    file: 'unreason', section: '4475 3.1.1.12',
    accept: {
      kind: 'response', status: 200, reason: '= 2**2 * 3 * 5 шестьдесят - совсем не простое', callId: 'unreason.1234ksdfak3j2erwedfsASdf', cseq: [35, 'INVITE'],
      via: { count: 1, host: '192.0.2.198', branch: 'z9hG4bK1324923' }, bodyLength: SDP_LENGTH, toTag: '2229', fromTag: '11141343',
    },
  },
  {
    file: 'noreason', section: '4475 3.1.1.13',
    accept: { kind: 'response', status: 100, reason: '', callId: 'noreason.asndj203insdf99223ndf', cseq: [35, 'INVITE'], via: { count: 1, host: '192.0.2.105' }, bodyLength: 0, toTag: '902jndnke3' },
  },

  // ---------------------------------------------------------------- RFC 4475 §3.1.2 invalid
  { file: 'badinv01', section: '4475 3.1.2.1', reject: { code: 'bad-via', response: 400, reason: 'Bad Via header' } },
  { file: 'clerr', section: '4475 3.1.2.2', reject: { code: 'content-length-mismatch', response: 400, reason: 'Content-Length mismatch' } },
  { file: 'ncl', section: '4475 3.1.2.3', reject: { code: 'bad-content-length', response: 400 } },
  { file: 'scalar02', section: '4475 3.1.2.4', reject: { code: 'bad-cseq', response: 400 } },
  { file: 'scalarlg', section: '4475 3.1.2.5', reject: { code: 'bad-cseq', response: null } },
  { file: 'quotbal', section: '4475 3.1.2.6', reject: { code: 'bad-name-addr', response: 400, reason: 'Bad To header' } },
  { file: 'ltgtruri', section: '4475 3.1.2.7', reject: { code: 'bad-request-uri', response: 400, reason: 'Bad Request-URI' } },
  { file: 'lwsruri', section: '4475 3.1.2.8', reject: { code: 'bad-start-line', response: 400, reason: 'Bad Request-Line' } },
  { file: 'lwsstart', section: '4475 3.1.2.9', reject: { code: 'bad-start-line', response: 400 } },
  { file: 'trws', section: '4475 3.1.2.10', reject: { code: 'bad-start-line', response: 400 } },
  { file: 'escruri', section: '4475 3.1.2.11', reject: { code: 'bad-request-uri', response: 400 } },
  { file: 'baddate', section: '4475 3.1.2.12', reject: { code: 'bad-date', response: 400, reason: 'Bad Date header' } },
  { file: 'regbadct', section: '4475 3.1.2.13', reject: { code: 'bad-name-addr', response: 400, reason: 'Bad Contact header' } },
  { file: 'badaspec', section: '4475 3.1.2.14', reject: { code: 'bad-name-addr', response: 400, reason: 'Bad To header' } },
  { file: 'baddn', section: '4475 3.1.2.15', reject: { code: 'bad-name-addr', response: 400, reason: 'Bad From header' } },
  { file: 'badvers', section: '4475 3.1.2.16', reject: { code: 'unsupported-version', response: 505, reason: 'Version Not Supported' } },
  { file: 'mismatch01', section: '4475 3.1.2.17', reject: { code: 'cseq-method-mismatch', response: 400 } },
  { file: 'mismatch02', section: '4475 3.1.2.18', reject: { code: 'cseq-method-mismatch', response: 400 } },
  { file: 'bigcode', section: '4475 3.1.2.19', reject: { code: 'bad-start-line', response: null } },

  // ---------------------------------------------------------------- RFC 4475 §3.2 transaction layer
  {
    file: 'badbranch', section: '4475 3.2.1',
    accept: { kind: 'request', method: 'OPTIONS', uri: 'sip:user@example.com', callId: 'badbranch.sadonfo23i420jv0as0derf3j3n', cseq: [8, 'OPTIONS'], via: { count: 1, host: '192.0.2.1', branch: 'z9hG4bK' }, bodyLength: 0 },
  },

  // ---------------------------------------------------------------- RFC 4475 §3.3 application layer
  { file: 'insuf', section: '4475 3.3.1', reject: { code: 'missing-header', response: 400, reason: 'Missing To, From, Call-ID headers' } },
  { file: 'unkscm', section: '4475 3.3.2', reject: { code: 'unsupported-uri-scheme', response: 416, reason: 'Unsupported URI Scheme' } },
  { file: 'novelsc', section: '4475 3.3.3', reject: { code: 'unsupported-uri-scheme', response: 416 } },
  {
    file: 'unksm2', section: '4475 3.3.4',
    accept: {
      kind: 'request', method: 'REGISTER', uri: 'sip:example.com', callId: 'unksm2.daksdj@hyphenated-host.example.com', cseq: [234902, 'REGISTER'], via: { count: 1, host: '192.0.2.21', port: 5060 }, bodyLength: 0, fromTag: '3234233',
      check: (m) => {
        expect(hdr(m, 'To')).toBe('isbn:2983792873');
        expect(splitNameAddr(hdr(m, 'Contact') ?? '').uriText).toBe('name:John_Smith');
      },
    },
  },
  {
    file: 'bext01', section: '4475 3.3.5',
    accept: {
      kind: 'request', method: 'OPTIONS', uri: 'sip:user@example.com', callId: 'bext01.0ha0isndaksdj', cseq: [8, 'OPTIONS'], via: { count: 1, host: 'fold-and-staple.example.com', transport: 'TLS' }, bodyLength: 0,
      check: (m) => expect(m.headers.getAll('Proxy-Require')).toEqual(['noProxiesSupportThis', 'nothingSupportedHere']),
    },
  },
  {
    file: 'invut', section: '4475 3.3.6',
    accept: {
      kind: 'request', method: 'INVITE', uri: 'sip:user@example.com', callId: 'invut.0ha0isndaksdjadsfij34n23d', cseq: [235448, 'INVITE'], via: { count: 1, host: 'somehost.example.com' }, bodyLength: 40,
      check: (m) => expect(hdr(m, 'Content-Type')).toBe('application/unknownformat'),
    },
  },
  {
    file: 'regaut01', section: '4475 3.3.7',
    accept: {
      kind: 'request', method: 'REGISTER', uri: 'sip:example.com', callId: 'regaut01.0ha0isndaksdj', cseq: [9338, 'REGISTER'], via: { count: 1, host: '192.0.2.253', transport: 'TCP' }, bodyLength: 0,
      check: (m) => expect(hdr(m, 'Authorization')).toBe('NoOneKnowsThisScheme opaque-data=here'),
    },
  },
  { file: 'multi01', section: '4475 3.3.8', reject: { code: 'duplicate-header', response: 400, reason: 'Duplicate To, From, Call-ID, CSeq, Max-Forwards headers' } },
  { file: 'mcl01', section: '4475 3.3.9', reject: { code: 'duplicate-header', response: 400, reason: 'Duplicate Content-Length header' } },
  {
    file: 'bcast', section: '4475 3.3.10',
    accept: {
      kind: 'response', status: 200, reason: 'OK', callId: 'bcast.0384840201234ksdfak3j2erwedfsASdf', cseq: [35, 'INVITE'], via: { count: 2, host: '192.0.2.198' }, bodyLength: SDP_LENGTH, toTag: '2229',
      check: (m) => expect(vias(m)[1]?.host).toBe('255.255.255.255'),
    },
  },
  {
    file: 'zeromf', section: '4475 3.3.11',
    accept: {
      kind: 'request', method: 'OPTIONS', uri: 'sip:user@example.com', callId: 'zeromf.jfasdlfnm2o2l43r5u0asdfas', cseq: [39234321, 'OPTIONS'], via: { count: 1, host: 'host1.example.com' }, bodyLength: 0,
      check: (m) => expect(hdr(m, 'Max-Forwards')).toBe('0'),
    },
  },
  {
    file: 'cparam01', section: '4475 3.3.12',
    accept: {
      kind: 'request', method: 'REGISTER', uri: 'sip:example.com', callId: 'cparam01.70710@saturn.example.com', cseq: [2, 'REGISTER'], via: { count: 1, host: 'saturn.example.com', port: 5060 }, bodyLength: 0,
      check: (m) => {
        // addr-spec form: the parameter belongs to the header (RFC 3261 §20.10).
        const contact = parseNameAddr(hdr(m, 'Contact') ?? '');
        expect(contact.params).toEqual({ unknownparam: null });
        expect(contact.uri.params).toEqual({});
      },
    },
  },
  {
    file: 'cparam02', section: '4475 3.3.13',
    accept: {
      kind: 'request', method: 'REGISTER', uri: 'sip:example.com', callId: 'cparam02.70710@saturn.example.com', cseq: [3, 'REGISTER'], via: { count: 1, host: 'saturn.example.com' }, bodyLength: 0,
      check: (m) => {
        const contact = parseNameAddr(hdr(m, 'Contact') ?? '');
        expect(contact.params).toEqual({});
        expect(contact.uri.params).toEqual({ unknownparam: null });
      },
    },
  },
  {
    file: 'regescrt', section: '4475 3.3.14',
    accept: {
      kind: 'request', method: 'REGISTER', uri: 'sip:example.com', callId: 'regescrt.k345asrl3fdbv@192.0.2.1', cseq: [14398234, 'REGISTER'], via: { count: 1, host: 'host5.example.com' }, bodyLength: 0,
      check: (m) => expect(parseNameAddr(hdr(m, 'Contact') ?? '').uri.headers).toEqual({ Route: '%3Csip:sip.example.com%3E' }),
    },
  },
  {
    file: 'sdp01', section: '4475 3.3.15',
    accept: {
      kind: 'request', method: 'INVITE', uri: 'sip:user@example.com', callId: 'sdp01.ndaksdj9342dasdd', cseq: [8, 'INVITE'], via: { count: 1, host: '192.0.2.15' }, bodyLength: SDP_LENGTH,
      check: (m) => expect(hdr(m, 'Accept')).toBe('text/nobodyKnowsThis'),
    },
  },

  // ---------------------------------------------------------------- RFC 4475 §3.4 backward compatibility
  {
    file: 'inv2543', section: '4475 3.4.1',
    accept: {
      kind: 'request', method: 'INVITE', uri: 'sip:UserB@example.com', callId: 'inv2543.1717@ift.client.example.com', cseq: [56, 'INVITE'], via: { count: 1, host: 'iftgw.example.com', transport: 'UDP' }, bodyLength: SDP_LENGTH,
      check: (m) => {
        expect(vias(m)[0]?.params).toEqual({});
        expect(tagOf(hdr(m, 'From'))).toBeUndefined();
        expect(m.headers.has('Max-Forwards')).toBe(false);
        expect(m.headers.has('Content-Length')).toBe(false);
        expect(parseNameAddr(hdr(m, 'To') ?? '').params).toEqual({ user: 'phone' });
      },
    },
  },

  // ---------------------------------------------------------------- RFC 5118 §4 IPv6
  {
    file: 'ipv6-good', section: '5118 4.1',
    accept: {
      kind: 'request', method: 'REGISTER', uri: 'sip:[2001:db8::10]', callId: 'ipv6-good.8a7b3c@host_4100', cseq: [98176, 'REGISTER'], via: { count: 1, host: '[2001:db8::9:1]', branch: 'z9hG4bKas3-111' }, bodyLength: 0,
      check: (m) => {
        expect(uriOf(m)?.host).toBe('[2001:db8::10]');
        expect(parseNameAddr(hdr(m, 'Contact') ?? '').uri.host).toBe('[2001:db8::1]');
      },
    },
  },
  { file: 'ipv6-bad', section: '5118 4.2', reject: { code: 'bad-request-uri', response: 400 } },
  {
    file: 'port-ambiguous', section: '5118 4.3',
    accept: {
      kind: 'request', method: 'REGISTER', uri: 'sip:[2001:db8::10:5070]', callId: 'port-ambiguous.8a7b3c@host_4100', cseq: [98176, 'REGISTER'], via: { count: 1, host: '[2001:db8::9:1]' }, bodyLength: 0,
      check: (m) => {
        // Everything inside [] is the address; there is no port.
        expect(uriOf(m)?.host).toBe('[2001:db8::10:5070]');
        expect(uriOf(m)?.port).toBeUndefined();
      },
    },
  },
  {
    file: 'port-unambiguous', section: '5118 4.4',
    accept: {
      kind: 'request', method: 'REGISTER', uri: 'sip:[2001:db8::10]:5070', callId: 'port-unambiguous.8a7b3c@host_4100', cseq: [98176, 'REGISTER'], via: { count: 1, host: '[2001:db8::9:1]' }, bodyLength: 0,
      check: (m) => expect(uriOf(m)).toMatchObject({ host: '[2001:db8::10]', port: 5070 }),
    },
  },
  {
    file: 'via-received-param-with-delim', section: '5118 4.5',
    accept: {
      kind: 'request', method: 'OPTIONS', uri: 'sip:[2001:db8::10]', callId: 'via-with-delim.8a7b3c@host_4100', cseq: [23, 'OPTIONS'], via: { count: 1, host: '[2001:db8::9:1]', branch: 'z9hG4bKas3-111' }, bodyLength: 0,
      check: (m) => expect(vias(m)[0]?.params['received']).toBe('[2001:db8::9:255]'),
    },
  },
  {
    file: 'via-received-param-no-delim', section: '5118 4.5',
    accept: {
      kind: 'request', method: 'OPTIONS', uri: 'sip:[2001:db8::10]', callId: 'via-no-delim.8a7b3c@host_4100', cseq: [23, 'OPTIONS'], via: { count: 1, host: '[2001:db8::9:1]', branch: 'z9hG4bKas3-111' }, bodyLength: 0,
      check: (m) => expect(vias(m)[0]?.params['received']).toBe('2001:db8::9:255'),
    },
  },
  {
    file: 'ipv6-in-sdp', section: '5118 4.6',
    accept: {
      kind: 'request', method: 'INVITE', uri: 'sip:user@[2001:db8::10]', callId: 'ipv6-in-sdp.8a7b3c@host_4100', cseq: [8612, 'INVITE'], via: { count: 1, host: '[2001:db8::20]' }, bodyLength: 156,
      check: (m) => expect(m.body.toString()).toContain('c=IN IP6 2001:db8::20\r\n'),
    },
  },
  {
    file: 'mult-ip-in-header', section: '5118 4.7',
    accept: {
      kind: 'request', method: 'BYE', uri: 'sip:user@host.example.net', callId: 'mult-ip.997077@lab.example.com', cseq: [89187, 'BYE'], via: { count: 3, host: '[2001:db8::9:1]', port: 6050 }, bodyLength: 0, toTag: '9817--94',
      check: (m) => {
        expect(vias(m)[1]?.host).toBe('192.0.2.1');
        expect(vias(m)[2]).toMatchObject({ transport: 'TCP', host: '[2001:db8::9:255]', params: { received: '192.0.2.200' } });
      },
    },
  },
  {
    file: 'mult-ip-in-sdp', section: '5118 4.8',
    accept: {
      kind: 'request', method: 'INVITE', uri: 'sip:user@example.com', callId: 'mult-ip-in-sdp.7077@lab.example.com', cseq: [8912, 'INVITE'], via: { count: 1, host: '[2001:db8::9:1]' }, bodyLength: 190,
      check: (m) => expect(m.body.toString()).toMatch(/c=IN IP4 192\.0\.2\.1\r\n[\s\S]*c=IN IP6 2001:db8::1\r\n/),
    },
  },
  {
    file: 'ipv4-mapped-ipv6', section: '5118 4.9',
    accept: {
      kind: 'request', method: 'INVITE', uri: 'sip:user@example.com', callId: 'ipv4-mapped.9905523997077@lab.example.com', cseq: [612, 'INVITE'], via: { count: 2, host: '[::ffff:192.0.2.10]', port: 19823 }, bodyLength: 171,
      check: (m) => expect(parseNameAddr(hdr(m, 'Contact') ?? '')).toMatchObject({ displayName: 'T. desk phone', uri: { host: '[::ffff:192.0.2.2]' } }),
    },
  },
  {
    file: 'ipv6-bug-abnf-3-colons', section: '5118 4.10',
    accept: {
      kind: 'request', method: 'OPTIONS', uri: 'sip:user@[2001:db8:::192.0.2.1]', callId: 'abnf-3.G9559905523997077@lab.example.com', cseq: [689, 'OPTIONS'], via: { count: 1, host: 'lab1.east.example.com' }, bodyLength: 0,
      check: (m) => expect(uriOf(m)?.host).toBe('[2001:db8:::192.0.2.1]'),
    },
  },
  {
    file: 'ipv6-correct-abnf-2-colons', section: '5118 4.10',
    accept: {
      kind: 'request', method: 'OPTIONS', uri: 'sip:user@[2001:db8::192.0.2.1]', callId: 'abnf-2.G9559905523997077@lab.example.com', cseq: [689, 'OPTIONS'], via: { count: 1, host: 'lab1.east.example.com' }, bodyLength: 0,
    },
  },
  {
    file: 'siprec-mpart-ipv6', section: '5118 4.6 + RFC 7866',
    accept: {
      kind: 'request', method: 'INVITE', uri: 'sip:srs@[2001:db8::5]:5061;transport=tls', callId: 'siprec.d253c800-b0d1ea39-4a7dd-3f0e20a', cseq: [101, 'INVITE'], via: { count: 1, host: '[2001:db8::a1]', port: 5061, transport: 'TLS' }, bodyLength: 937,
      fromTag: '35e195d2-947d-4585-946f-09839247',
      check: (m) => {
        const { parts } = parseMultipart(m.body, hdr(m, 'Content-Type') ?? '');
        expect(parts).toHaveLength(2);
        expect(findPart(parts, 'application/sdp')?.body.toString()).toContain('c=IN IP6 2001:db8::a1\r\n');
        const metadata = findPart(parts, 'application/rs-metadata+xml');
        expect(metadata?.headers.get('Content-Disposition')).toBe('recording-session');
        expect(metadata?.body.toString()).toMatch(/^<\?xml[\s\S]*<\/recording>\r\n$/);
        expect(parseNameAddr(hdr(m, 'Contact') ?? '').params).toEqual({ '+sip.src': null });
      },
    },
  },

  // ---------------------------------------------------------------- the parser's own rules
  { file: 'leading-crlf', section: '3261 7.5', accept: { kind: 'request', method: 'OPTIONS', uri: 'sip:user@example.com', callId: 'leading-crlf.1@example.com', cseq: [1, 'OPTIONS'], via: { count: 1, host: 'host1.example.com' }, bodyLength: 0 } },
  {
    file: 'datagram-cl-short', section: '3261 18.3',
    accept: {
      kind: 'request', method: 'MESSAGE', uri: 'sip:user@example.com', callId: 'cl-short.1@example.com', cseq: [1, 'MESSAGE'], via: { count: 1, host: 'host1.example.com' }, bodyLength: 5,
      check: (m) => expect(m.body.toString()).toBe('Hello'),
    },
  },
  { file: 'stream-missing-cl', section: '3261 18.3', stream: true, reject: { code: 'missing-content-length', response: 400 } },
  { file: 'stream-cl-short', section: '3261 18.3', stream: true, reject: { code: 'content-length-mismatch', response: 400 } },
  { file: 'bare-lf', section: '3261 7', reject: { code: 'bad-line-ending', response: null } },
  { file: 'no-empty-line', section: '3261 7', reject: { code: 'truncated', response: 400 } },
  { file: 'ack-missing-call-id', section: '3261 17.2.3', reject: { code: 'missing-header', response: null } },
  { file: 'cancel-cseq-mismatch', section: '3261 9.1', reject: { code: 'cseq-method-mismatch', response: 400 } },
  {
    file: 'lowercase-method', section: '3261 7.1',
    accept: { kind: 'request', method: 'invite', uri: 'sip:user@example.com', callId: 'lowercase.1@example.com', cseq: [1, 'invite'], via: { count: 1, host: 'host1.example.com' }, bodyLength: 0 },
  },
  { file: 'mixedcase-method-mismatch', section: '3261 7.1', reject: { code: 'cseq-method-mismatch', response: 400 } },
  {
    file: 'latin1-display-name', section: 'robustness',
    accept: { kind: 'request', method: 'OPTIONS', uri: 'sip:user@example.com', callId: 'latin1.1@example.com', cseq: [1, 'OPTIONS'], via: { count: 1, host: 'host1.example.com' }, bodyLength: 0, fromName: 'René Dupont' },
  },
  { file: 'too-many-headers', section: 'limits', reject: { code: 'too-large', response: null } },
  { file: 'ctl-in-header', section: '3261 25.1', reject: { code: 'bad-header', response: 400 } },
];

const read = (file: string) => readFileSync(join(CORPUS, `${file}.sip`));

function parseRow(row: Row): SipMessage {
  return parseMessage(read(row.file), row.stream ? { stream: true } : {});
}

function caught(fn: () => unknown): SipParseError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
  throw new Error('expected a SipParseError');
}

/** What must survive serialize → parse: everything but Content-Length, which the serializer sets. */
function comparable(m: SipMessage) {
  return {
    start: m.kind === 'request' ? [m.method, m.uri] : [m.status, m.reason],
    headers: [...m.headers].filter((f) => f.name.toLowerCase() !== 'content-length').map((f) => [f.name, f.value]),
    body: m.body.toString('hex'),
  };
}

describe('torture corpus (RFC 4475 §3, RFC 5118 §4)', () => {
  it('has one row per file and at least 45 messages', () => {
    const files = readdirSync(CORPUS).filter((f) => f.endsWith('.sip')).map((f) => f.slice(0, -4)).sort();
    expect(ROWS.map((r) => r.file).sort()).toEqual(files);
    expect(files.length).toBeGreaterThanOrEqual(45);
  });

  it('ends every head line with CRLF (but the one that tests a bare LF)', () => {
    for (const row of ROWS.filter((r) => r.file !== 'bare-lf')) {
      const data = read(row.file);
      const end = data.indexOf('\r\n\r\n');
      const head = data.subarray(0, end < 0 ? data.length : end).toString('latin1');
      expect({ file: row.file, bare: /[^\r]\n|\r[^\n]/.test(head) }).toEqual({ file: row.file, bare: false });
    }
  });

  describe.each(ROWS.filter((r): r is Row & { accept: Accepted } => 'accept' in r).map((r) => [`${r.file} (${r.section})`, r] as const))('accepts %s', (_name, row) => {
    const e = row.accept;

    it('with the values it carries', () => {
      const m = parseRow(row);
      expect(m.kind).toBe(e.kind);
      if (m.kind === 'request') expect([m.method, m.uri]).toEqual([e.method, e.uri]);
      else expect([m.status, m.reason]).toEqual([e.status, e.reason]);
      expect(hdr(m, 'Call-ID')).toBe(e.callId);
      const cseq = (hdr(m, 'CSeq') ?? '').split(/\s+/);
      expect([Number(cseq[0]), cseq[1]]).toEqual(e.cseq);
      const v = vias(m);
      expect(v).toHaveLength(e.via.count);
      expect(v[0]?.host).toBe(e.via.host);
      if (e.via.transport) expect(v[0]?.transport).toBe(e.via.transport);
      if (e.via.branch !== undefined) expect(v[0]?.params['branch']).toBe(e.via.branch);
      if (e.via.port !== undefined) expect(v[0]?.port).toBe(e.via.port);
      expect(m.body).toHaveLength(e.bodyLength);
      if (hdr(m, 'Content-Length') !== undefined) expect(Number(hdr(m, 'Content-Length'))).toBe(e.bodyLength);
      if (e.toTag !== undefined) expect(tagOf(hdr(m, 'To'))).toBe(e.toTag);
      if (e.fromTag !== undefined) expect(tagOf(hdr(m, 'From'))).toBe(e.fromTag);
      if (e.fromName !== undefined) expect(splitNameAddr(hdr(m, 'From') ?? '').displayName).toBe(e.fromName);
      if (e.toName !== undefined) expect(splitNameAddr(hdr(m, 'To') ?? '').displayName).toBe(e.toName);
      e.check?.(m);
    });

    it('round-trips: parse(serialize(parse(x))) equals parse(x)', () => {
      const m = parseRow(row);
      const again = parseMessage(serializeMessage(m), { stream: true });
      expect(comparable(again)).toEqual(comparable(m));
      expect(again.headers.get('Content-Length')).toBe(String(m.body.length));
    });
  });

  describe.each(ROWS.filter((r): r is Row & { reject: Rejected } => 'reject' in r).map((r) => [`${r.file} (${r.section})`, r] as const))('rejects %s', (_name, row) => {
    const e = row.reject;

    it(`with code ${e.code} and the response it calls for`, () => {
      const err = caught(() => parseRow(row));
      expect(err.code).toBe(e.code);
      expect(err.message.length).toBeGreaterThan(0);
      const res = responseForParseError(err);
      if (e.response === null) {
        expect(res).toBeUndefined();
        return;
      }
      expect(res?.status).toBe(e.response);
      if (e.reason) expect(res?.reason).toBe(e.reason);
      expect(res?.headers.get('Warning')).toMatch(/^399 - ".+"$/);
      expect(res?.headers.getAll('Via')).toEqual(err.request?.headers.getAll('Via'));
    });
  });

  it('answers with responses that are themselves valid messages', () => {
    for (const file of ['badvers', 'unkscm', 'mismatch01', 'clerr', 'multi01', 'baddate']) {
      const err = caught(() => parseMessage(read(file)));
      const res = responseForParseError(err);
      if (!res) throw new Error(`no response for ${file}`);
      const wire = serializeMessage(res);
      const back = parseMessage(wire, { stream: true });
      expect(back).toMatchObject({ kind: 'response', status: res.status, reason: res.reason });
      expect(tagOf(back.headers.get('To'))).toBeDefined();
    }
  });
});
