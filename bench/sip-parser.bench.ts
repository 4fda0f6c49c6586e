/**
 * SIP message parser and serializer throughput on a SIPREC-style INVITE with SDP.
 *
 *   node --experimental-transform-types --no-warnings --import ./bench/ts-resolve.mjs bench/sip-parser.bench.ts
 *
 * (from the workspace root, after `source scripts/node-env.sh`; Node 24 runs the
 * TypeScript sources as they are, bench/ts-resolve.mjs resolves their imports.)
 * Prints the median of 5 timed runs of ~1 s each, after a warm-up.
 * Target: ≥ 50,000 INVITEs/s parsed on a 2-core machine. Never a test.
 */
import { cpus } from 'node:os';
import { parseMessage } from '../libs/sip/core/src/message/parser';
import { serializeMessage } from '../libs/sip/core/src/message/serializer';

const sdp = [
  'v=0',
  'o=SRC 2890844526 2890844527 IN IP4 198.51.100.10',
  's=SIPREC',
  'c=IN IP4 198.51.100.10',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=label:1',
  'a=sendonly',
  'm=audio 49172 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=label:2',
  'a=sendonly',
  '',
].join('\r\n');

const invite = Buffer.from(
  [
    'INVITE sip:recorder@srs.example.com:5061;transport=tls SIP/2.0',
    'Via: SIP/2.0/TLS 198.51.100.10:5061;branch=z9hG4bK-524287-1---a3f5c1d2e4b6a7c8;rport',
    'Via: SIP/2.0/TLS 203.0.113.7:5061;branch=z9hG4bK776asdhds;received=203.0.113.7',
    'Max-Forwards: 69',
    'From: "Sales Line" <sip:+14255550100@sbc.example.net>;tag=8f3a2c1d',
    'To: <sip:recorder@srs.example.com>',
    'P-Asserted-Identity: "Sales Line" <sip:+14255550100@sbc.example.net;user=phone>',
    'Record-Route: <sip:203.0.113.7:5061;transport=tls;lr>',
    'Call-ID: 4f1c9b2e-8d7a-4c3b-9e6f-1a2b3c4d5e6f@198.51.100.10',
    'CSeq: 101 INVITE',
    'Contact: <sip:src@198.51.100.10:5061;transport=tls>;+sip.src',
    'Require: siprec',
    'Supported: replaces, timer, 100rel',
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, NOTIFY',
    'Session-Expires: 1800;refresher=uac',
    'User-Agent: ExampleSBC/7.2.1',
    'X-Tenant: contoso-sales-emea',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n'),
);

function rate(label: string, fn: () => void): number {
  const runs: number[] = [];
  const warmEnd = performance.now() + 1500;
  while (performance.now() < warmEnd) for (let i = 0; i < 1000; i++) fn();
  for (let r = 0; r < 5; r++) {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < 1000) {
      for (let i = 0; i < 1000; i++) fn();
      n += 1000;
      now = performance.now();
    }
    runs.push((n * 1000) / (now - start));
  }
  runs.sort((a, b) => a - b);
  const median = runs[2] ?? 0;
  console.log(`${label.padEnd(24)} ${Math.round(median).toLocaleString('en-US').padStart(10)} /s   (${(1e6 / median).toFixed(2)} µs each; runs ${runs.map((x) => Math.round(x)).join(', ')})`);
  return median;
}

const parsed = parseMessage(invite);
let sink = 0;
console.log(`SIP parser benchmark: ${invite.length}-byte SIPREC INVITE with SDP; Node ${process.version}, ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}`);
const parseRate = rate('parse INVITE (UDP)', () => {
  sink += parseMessage(invite).body.length;
});
rate('parse INVITE (stream)', () => {
  sink += parseMessage(invite, { stream: true }).body.length;
});
rate('serialize INVITE', () => {
  sink += serializeMessage(parsed).length;
});
rate('parse + serialize', () => {
  sink += serializeMessage(parseMessage(invite)).length;
});
console.log(parseRate >= 50_000 ? 'target (≥ 50,000 INVITEs/s parsed): met' : 'target (≥ 50,000 INVITEs/s parsed): NOT met');
if (sink === 42) console.log('');
