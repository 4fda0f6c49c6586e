// Writes the parser torture corpus: one .sip file per message, raw bytes with
// CRLF line ends. The messages are ours, modelled on the cases of RFC 4475 §3
// and RFC 5118 §4 (same constructs, our own names, hosts and bodies).
//
//   node libs/sip/core/src/message/__corpus__/make-corpus.mjs
//
// Each message is a String.raw template: "\n" becomes CRLF, backslashes stay as
// written, and {NUL} {BEL} {DEL} {BT} (backtick) {LF} (a bare LF) {CR} {E9}
// (a Latin-1 byte) {BOM} stand for octets a template cannot show. {CL} is
// replaced by the body length in bytes.
import { writeFileSync, readdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const files = new Map();

const SDP = String.raw`v=0
o=alice 2890844526 2890844526 IN IP4 192.0.2.3
s=-
c=IN IP4 192.0.2.4
t=0 0
m=audio 49170 RTP/AVP 0 8
m=video 51372 RTP/AVP 31
a=rtpmap:31 H261/90000
`;

/** Bytes of a template: placeholders resolved, LF → CRLF. */
function bytes(template) {
  const parts = [];
  const text = template.replace(/\r?\n/g, '\r\n');
  const re = /\{(NUL|BEL|DEL|BT|LF|CR|E9|FF|BOM)\}/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    parts.push(Buffer.from(text.slice(last, m.index), 'utf8'));
    const octets = { NUL: [0], BEL: [7], DEL: [0x7f], BT: [0x60], LF: [0x0a], CR: [0x0d], E9: [0xe9], FF: [0xff], BOM: [0xef, 0xbb, 0xbf] }[m[1]];
    parts.push(Buffer.from(octets));
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** A message: head template, optional body (template or bytes); {CL} in the head becomes the body length. */
function msg(head, body = '') {
  const b = Buffer.isBuffer(body) ? body : bytes(body);
  const h = bytes(head.replace(/\n*$/, '\n') + '\n').toString('latin1').replace('{CL}', String(b.length));
  return Buffer.concat([Buffer.from(h, 'latin1'), b]);
}

function add(name, data) {
  if (files.has(name)) throw new Error(`duplicate ${name}`);
  files.set(name, data);
}

// ---------------------------------------------------------------- RFC 4475 §3.1.1: valid, tricky

add('wsinv', msg(String.raw`INVITE sip:vivian@chair.example.com;unknownparam SIP/2.0
TO :
 sip:vivian@chair.example.com ;   tag    = 1918181833n
from   : "K Ramesh \\\""       <sip:kram@example.com>
  ;
  tag = 98asjd8
MaX-fOrWaRdS: 0068
Call-ID: wsinv.4kd8s2@192.0.2.1
Content-Length   : {CL}
cseq: 0009
  INVITE
Via  : SIP  /   2.0
 /UDP
    192.0.2.2;rport;branch=390skdjuw
s :
NewFangledHeader:   newfangled value
 continued newfangled value
UnknownHeaderWithUnusualValue: ;;,,;;,;
Content-Type: application/sdp
Route:
 <sip:services.example.com;lr;unknownwith=value;unknown-no-value>
v:  SIP  / 2.0  / TCP     spindle.example.com   ;
  branch  =   z9hG4bK9ikj8  ,
 SIP  /    2.0   / UDP  192.168.255.111   ; branch=
 z9hG4bK30239
m:"Quoted string \"\"" <sip:kram@example.com> ; newparam =
      newvalue ;
  secondparam ; q = 0.33`, SDP));

add('intmeth', msg(String.raw`!odd-Method0123456789_*+{BT}.%still'~ sip:2_strange.URI~(for-sure!)&isn't+it$/odd?,/;;*:&pass+has=2,strange!*pa$wo~d_(isn't-it)@example.net SIP/2.0
Via: SIP/2.0/TCP host1.example.net;branch=z9hG4bK-.!%66*_+{BT}'~
To: "BEL:\{BEL} NUL:\{NUL} DEL:\{DEL}" <sip:2_strange.URI~(for-sure!)&isn't+it$/odd?,/;;*@example.net>
From: token1~{BT} token2'+_ token3*%!.- <sip:plain@example.com>;fromParam''~+*_!.-%="работающий";tag=_token~1'+{BT}*%!-.
Call-ID: intmeth.word%ZK-!.*_+'@word{BT}~)(><:\/"][?}{
CSeq: 139122385 !odd-Method0123456789_*+{BT}.%still'~
Max-Forwards: 255
extensionHeader-!.%*+_{BT}'~: {BOM}大停電
Content-Length: 0`));

add('esc01', msg(String.raw`INVITE sip:sips%3Aalice%40example.com@example.net SIP/2.0
To: sip:%61lice@example.com
From: <sip:I%20have%20spaces@example.net>;tag=938
Max-Forwards: 87
i: esc01.239409asdfakjkn23onasd0-3234
CSeq: 234234 INVITE
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw
C: application/sdp
Contact:
  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>
Content-Length: {CL}`, SDP));

add('escnull', msg(String.raw`REGISTER sip:example.com SIP/2.0
To: sip:null-%00-null@example.com
From: sip:null-%00-null@example.com;tag=839923423
Max-Forwards: 70
Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
Contact: <sip:%00@host5.example.com>
Contact: <sip:%00%00@host5.example.com>
L:0`));

add('esc02', msg(String.raw`RE%47IST%45R sip:registrar.example.com SIP/2.0
To: "%Z%45" <sip:resource@example.com>
From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23
Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf
Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234
CSeq: 29344 RE%47IST%45R
Max-Forwards: 70
Contact: <sip:alias1@host1.example.com>
C%6Fntact: <sip:alias2@host2.example.com>
Contact: <sip:alias3@host3.example.com>
l: 0`));

add('lwsdisp', msg(String.raw`OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: caller<sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID: lwsdisp.1234abcd@funky.example.com
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw
l: 0`));

{
  const extreme = 'extreme'.repeat(60);
  const long = 'long'.repeat(40);
  const vias = Array.from({ length: 30 }, (_, i) => `SIP/2.0/TCP sip${i + 33}.example.com;branch=z9hG4bK${'v'.repeat(20)}${i}`).join(', ');
  add('longreq', msg(`INVITE sip:user@example.com SIP/2.0
To: "I have a user name of ${extreme} proportion"<sip:user@example.com:6000;unknownparam1=very${long}value;longparam${long}name=shortvalue;very${long}ParameterNameWithNoValue>
F: sip:${'amazinglylongcallername'.repeat(8)}@example.net;tag=12${'982'.repeat(60)}424;unknownheaderparam${long}name=unknowheaderparam${long}value;unknownValueless${long}paramname
Call-ID: longreq.one${'really'.repeat(40)}longcallid
CSeq: 3882340 INVITE
Unknown-${long}-Name: unknown-${long}-value; unknown-${long}-parameter-name = unknown-${long}-parameter-value
Via: SIP/2.0/TCP sip33.example.com
v: SIP/2.0/TCP sip32.example.com
V: SIP/2.0/TCP sip31.example.com
Via: ${vias}
Max-Forwards: 70
X-Long-Text: ${'0123456789abcdef'.repeat(400)}
Contact: <sip:${'amazinglylongcallername'.repeat(8)}@host5.example.net>
Content-Type: application/sdp
l: {CL}`, SDP));
}

{
  const invite = msg(String.raw`INVITE sip:joe@example.com SIP/2.0
t: sip:joe@example.com
From: sip:caller@example.net;tag=141334
Max-Forwards: 8
Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234
Content-Type: application/sdp
Content-Length: {CL}`, SDP);
  add('dblreq', msg(String.raw`REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=43251j3j324
Max-Forwards: 8
I: dblreq.0ha0isndaksdj99sdfafnl3lk233412
Contact: sip:j.user@host.example.com
CSeq: 8 REGISTER
Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492
Content-Length: 0`, invite));
}

add('semiuri', msg(String.raw`OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Call-ID: semiuri.0ha0isndaksdj
CSeq: 8 OPTIONS
Accept: application/sdp, application/pkcs7-mime,
        multipart/mixed, multipart/signed,
        message/sip, message/sipfrag
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw
l: 0`));

add('transports', msg(String.raw`OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: <sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID:  transports.kijh4akdnaqjkwendsasfdj
Accept: application/sdp
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw
Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf
Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj
Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en
Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee
l: 0`));

{
  const binary = Buffer.concat([
    Buffer.from([0x30, 0x82, 0x01, 0x00, 0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x2d, 0x2d]),
    Buffer.from('\r\n--7a9cbec02ceef655X not a delimiter\r\n', 'latin1'),
    Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff)),
  ]);
  const body = Buffer.concat([
    bytes('--7a9cbec02ceef655\nContent-Type: text/plain\nContent-Transfer-Encoding: binary\n\nHello, Kumiko\n--7a9cbec02ceef655\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n'),
    binary,
    bytes('\n--7a9cbec02ceef655--\n'),
  ]);
  add('mpart01', msg(String.raw`MESSAGE sip:kumiko@example.org SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-161517-1
Max-Forwards: 70
From: "Hiro" <sip:hiro@example.net>;tag=4d5a
To: <sip:kumiko@example.org>
Call-ID: mpart01.1223@192.0.2.1
CSeq: 2 MESSAGE
Content-Type: multipart/mixed;boundary=7a9cbec02ceef655
MIME-Version: 1.0
Content-Length: {CL}`, body));
}

add('unreason', msg(String.raw`SIP/2.0 200 = 2**2 * 3 * 5 шестьдесят - совсем не простое
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Call-ID: unreason.1234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: {CL}
Content-Type: application/sdp
Contact: <sip:user@host198.example.com>`, SDP));

add('noreason', msg(`SIP/2.0 100 
Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe
Call-ID: noreason.asndj203insdf99223ndf
CSeq: 35 INVITE
From: <sip:user@example.com>;tag=39ansfi3
To: <sip:user@example.edu>;tag=902jndnke3
Content-Length: 0
Contact: <sip:user@host105.example.com>`));

// ---------------------------------------------------------------- RFC 4475 §3.1.2: invalid

add('badinv01', msg(String.raw`INVITE sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;;tag=134161461246
Max-Forwards: 7
Call-ID: badinv01.0ha0isndaksdjasdf3234nas
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;;,;,,
Contact: "Joe" <sip:joe@example.org>;;;;
Content-Length: {CL}
Content-Type: application/sdp`, SDP));

add('clerr', msg(String.raw`INVITE sip:user@example.com SIP/2.0
Max-Forwards: 80
To: sip:j.user@example.com
From: sip:caller@example.net;tag=93942939o2
Contact: <sip:caller@hungry.example.net>
Call-ID: clerr.0ha0isndaksdjweiafasdk3
CSeq: 8 INVITE
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523
Content-Type: application/sdp
Content-Length: 9999`, SDP));

add('ncl', msg(String.raw`INVITE sip:user@example.com SIP/2.0
Max-Forwards: 254
To: sip:j.user@example.com
From: sip:caller@example.net;tag=32394234
Call-ID: ncl.0ha0isndaksdj2193423r542w35
CSeq: 0 INVITE
Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw
Contact: <sip:caller@example53.example.net>
Content-Type: application/sdp
Content-Length: -999`, SDP));

add('scalar02', msg(String.raw`REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3
To: <sip:user@example.com>
From: <sip:user@example.com>;tag=239232jh3
CSeq: 36893488147419103232 REGISTER
Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32
Max-Forwards: 300
Expires: 1${'0'.repeat(20)}
Contact: <sip:user@host129.example.com>
  ;expires=280297596632815
Content-Length: 0`.replace('${\'0\'.repeat(20)}', '0'.repeat(20))));

add('scalarlg', msg(String.raw`SIP/2.0 503 Service Unavailable
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129
To: <sip:user@example.com>
From: <sip:other@example.net>;tag=2easdjfejw
CSeq: 9292394834772304023312 OPTIONS
Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r
Retry-After: 949302838503028349304023988
Warning: 1812 overture "In Progress"
Content-Length: 0`));

add('quotbal', msg(String.raw`INVITE sip:user@example.com SIP/2.0
To: "Mr. J. User <sip:j.user@example.com>
From: sip:caller@example.net;tag=93334
Max-Forwards: 10
Call-ID: quotbal.aksdj
Contact: <sip:caller@host59.example.net>
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234
Content-Type: application/sdp
Content-Length: {CL}`, SDP));

add('ltgtruri', msg(String.raw`INVITE <sip:user@example.com> SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=39291
Max-Forwards: 23
Call-ID: ltgtruri.1@192.0.2.5
CSeq: 1 INVITE
Via: SIP/2.0/UDP 192.0.2.5
Contact: <sip:caller@host5.example.net>
Content-Type: application/sdp
Content-Length: {CL}`, SDP));

add('lwsruri', msg(String.raw`INVITE sip:user@example.com; lr SIP/2.0
To: sip:user@example.com;tag=3xfe-9921883-z9f
From: sip:caller@example.net;tag=231413434
Max-Forwards: 5
Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423
CSeq: 2130706432 INVITE
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw2395
Contact: <sip:caller@host1.example.net>
Content-Type: application/sdp
Content-Length: {CL}`, SDP));

add('lwsstart', msg(String.raw`INVITE  sip:user@example.com  SIP/2.0
Max-Forwards: 8
To: sip:user@example.com
From: sip:caller@example.net;tag=8814
Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com
CSeq: 1893884 INVITE
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923
Contact: <sip:caller@host1.example.net>
Content-Type: application/sdp
Content-Length: {CL}`, SDP));

add('trws', msg(`OPTIONS sip:remote-target@example.com SIP/2.0  
Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK299342093
To: <sip:remote-target@example.com>
From: <sip:local-resource@example.com>;tag=329429089
Call-ID: trws.oicu34958239neffasdhr2345r
Accept: application/sdp
CSeq: 238923 OPTIONS
Max-Forwards: 70
Content-Length: 0`));

add('escruri', msg(String.raw`INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=341518
Max-Forwards: 7
Contact: <sip:caller@host39923.example.net>
Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5
CSeq: 39234 INVITE
Via: SIP/2.0/UDP host-of-the-hidden-host.example.com;branch=z9hG4bKkdjuw
Content-Type: application/sdp
Content-Length: {CL}`, SDP));

add('baddate', msg(String.raw`INVITE sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=2234923
Max-Forwards: 70
Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234
CSeq: 1392934 INVITE
Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw
Date: Fri, 01 Jan 2010 16:00:00 EST
Contact: <sip:caller@host5.example.net>
Content-Type: application/sdp
Content-Length: {CL}`, SDP));

add('regbadct', msg(String.raw`REGISTER sip:example.com SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=998332
Max-Forwards: 70
Call-ID: regbadct.k345asrl3fdbv@10.0.0.1
CSeq: 1 REGISTER
Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw
Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E
l: 0`));

add('badaspec', msg(String.raw`OPTIONS sip:user@example.org SIP/2.0
Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234
Max-Forwards: 70
From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423
To: "Watson, Thomas" < sip:t.watson@example.org >
Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3
Accept: application/sdp
CSeq: 3923239 OPTIONS
l: 0`));

add('baddn', msg(String.raw`OPTIONS sip:t.watson@example.org SIP/2.0
Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards:      70
From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43
To:      Watson, Thomas <sip:t.watson@example.org>
Call-ID: baddn.31415@c.example.com
Accept: application/sdp
CSeq:    3923239 OPTIONS
l: 0`));

add('badvers', msg(String.raw`OPTIONS sip:t.watson@example.org SIP/7.0
Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw
Max-Forwards:     70
From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe
To:      T. Watson <sip:t.watson@example.org>
Call-ID: badvers.31417@c.example.com
CSeq:    1 OPTIONS
l: 0`));

add('mismatch01', msg(String.raw`OPTIONS sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;tag=34525
Max-Forwards: 6
Call-ID: mismatch01.dj0234sxdfl3
CSeq: 8 INVITE
Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw
l: 0`));

add('mismatch02', msg(String.raw`NEWMETHOD sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;tag=34525
Max-Forwards: 6
Call-ID: mismatch02.dj0234sxdfl3
CSeq: 8 INVITE
Contact: <sip:caller@host.example.net>
Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuw
Content-Type: application/sdp
l: {CL}`, SDP));

add('bigcode', msg(String.raw`SIP/2.0 4294967301 better not break the receiver
Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe
Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i
CSeq: 353494 INVITE
From: <sip:user@example.com>;tag=39ansfi3
To: <sip:user@example.edu>;tag=902jndnke3
Content-Length: 0
Contact: <sip:user@host105.example.com>`));

// ---------------------------------------------------------------- RFC 4475 §3.2: transaction layer

add('badbranch', msg(String.raw`OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK
Accept: application/sdp
Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n
CSeq: 8 OPTIONS
l: 0`));

// ---------------------------------------------------------------- RFC 4475 §3.3: application layer

add('insuf', msg(String.raw`INVITE sip:user@example.com SIP/2.0
CSeq: 193942 INVITE
Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf
Content-Type: application/sdp
l: {CL}`, SDP));

add('unkscm', msg(String.raw`OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=384
Max-Forwards: 3
Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34
CSeq: 3923423 OPTIONS
Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234
Content-Length: 0`));

add('novelsc', msg(String.raw`OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=384
Max-Forwards: 3
Call-ID: novelsc.asdfasser0q239nwsdfasdkl34
CSeq: 3923423 OPTIONS
Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234
Content-Length: 0`));

add('unksm2', msg(String.raw`REGISTER sip:example.com SIP/2.0
To: isbn:2983792873
From: <http://www.example.com>;tag=3234233
Call-ID: unksm2.daksdj@hyphenated-host.example.com
CSeq: 234902 REGISTER
Max-Forwards: 70
Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw
Contact: <name:John_Smith>
l: 0`));

add('bext01', msg(String.raw`OPTIONS sip:user@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.net;tag=242etr
Max-Forwards: 6
Call-ID: bext01.0ha0isndaksdj
Require: nothingSupportedHere
Proxy-Require: noProxiesSupportThis, nothingSupportedHere
CSeq: 8 OPTIONS
Via: SIP/2.0/TLS fold-and-staple.example.com;branch=z9hG4bKkdjuw
Content-Length: 0`));

add('invut', msg(String.raw`INVITE sip:user@example.com SIP/2.0
Contact: <sip:caller@host5.example.net>
To: sip:j.user@example.com
From: sip:caller@example.net;tag=8392034
Max-Forwards: 70
Call-ID: invut.0ha0isndaksdjadsfij34n23d
CSeq: 235448 INVITE
Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw
Content-Type: application/unknownformat
Content-Length: {CL}`, String.raw`<audio>
 <pcmu port="443"/>
</audio>
`));

add('regaut01', msg(String.raw`REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=87321hj23128
Max-Forwards: 8
Call-ID: regaut01.0ha0isndaksdj
CSeq: 9338 REGISTER
Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw
Authorization: NoOneKnowsThisScheme opaque-data=here
Content-Length:0`));

add('multi01', msg(String.raw`INVITE sip:user@company.com SIP/2.0
Contact: <sip:caller@host25.example.net>
Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw
Max-Forwards: 70
CSeq: 5 INVITE
Call-ID: multi01.98asdh@192.0.2.1
CSeq: 59 INVITE
Call-ID: multi01.98asdh@192.0.2.2
From: sip:caller@example.com;tag=3413415
To: sip:user@example.com
To: sip:other@example.net
From: sip:caller@example.net;tag=2923420123
Content-Type: application/sdp
l: {CL}
Contact: <sip:caller@host36.example.net>
Max-Forwards: 5`, SDP));

add('mcl01', msg(String.raw`OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423
To: sip:user@example.com
From: sip:other@example.net;tag=3923942
Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf
CSeq: 15932 OPTIONS
Content-Length: 13
Max-Forwards: 60
Content-Length: 5
Content-Type: text/plain`, String.raw`There's no way to know how many octets are supposed to be here.
`));

add('bcast', msg(String.raw`SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23
Call-ID: bcast.0384840201234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: {CL}
Content-Type: application/sdp
Contact: <sip:user@host28.example.com>`, SDP));

add('zeromf', msg(String.raw`OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=3ghsd41
Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas
CSeq: 39234321 OPTIONS
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349i
Max-Forwards: 0
Content-Length: 0`));

add('cparam01', msg(String.raw`REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards: 70
From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe
To: sip:watson@example.com
Call-ID: cparam01.70710@saturn.example.com
CSeq: 2 REGISTER
Contact: sip:+19725552222@gw1.example.net;unknownparam
l: 0`));

add('cparam02', msg(String.raw`REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards: 70
From: sip:watson@example.com;tag=838293
To: sip:watson@example.com
Call-ID: cparam02.70710@saturn.example.com
CSeq: 3 REGISTER
Contact: <sip:+19725552222@gw1.example.net;unknownparam>
l: 0`));

add('regescrt', msg(String.raw`REGISTER sip:example.com SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=8
Max-Forwards: 70
Call-ID: regescrt.k345asrl3fdbv@192.0.2.1
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>
L:0`));

add('sdp01', msg(String.raw`INVITE sip:user@example.com SIP/2.0
To: sip:j_user@example.com
Contact: <sip:caller@host15.example.net>
From: sip:caller@example.net;tag=234
Max-Forwards: 5
Call-ID: sdp01.ndaksdj9342dasdd
Accept: text/nobodyKnowsThis
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw
Content-Length: {CL}
Content-Type: application/sdp`, SDP));

// ---------------------------------------------------------------- RFC 4475 §3.4: backward compatibility

add('inv2543', msg(String.raw`INVITE sip:UserB@example.com SIP/2.0
Via: SIP/2.0/UDP iftgw.example.com
From: <sip:+13035551111@ift.client.example.net;user=phone>
Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>
To: sip:+16505552222@ss1.example.net;user=phone
Call-ID: inv2543.1717@ift.client.example.com
CSeq: 56 INVITE
Content-Type: application/sdp`, SDP));

// ---------------------------------------------------------------- RFC 5118 §4: IPv6

add('ipv6-good', msg(String.raw`REGISTER sip:[2001:db8::10] SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=81x2
Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111
Call-ID: ipv6-good.8a7b3c@host_4100
Max-Forwards: 70
Contact: "Caller" <sip:caller@[2001:db8::1]>
CSeq: 98176 REGISTER
Content-Length: 0`));

add('ipv6-bad', msg(String.raw`REGISTER sip:2001:db8::10 SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=81x2
Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111
Call-ID: ipv6-bad.8a7b3c@host_4100
Max-Forwards: 70
Contact: "Caller" <sip:caller@[2001:db8::1]>
CSeq: 98176 REGISTER
Content-Length: 0`));

add('port-ambiguous', msg(String.raw`REGISTER sip:[2001:db8::10:5070] SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=81x2
Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111
Call-ID: port-ambiguous.8a7b3c@host_4100
Max-Forwards: 70
Contact: "Caller" <sip:caller@[2001:db8::1]>
CSeq: 98176 REGISTER
Content-Length: 0`));

add('port-unambiguous', msg(String.raw`REGISTER sip:[2001:db8::10]:5070 SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=81x2
Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111
Call-ID: port-unambiguous.8a7b3c@host_4100
Max-Forwards: 70
Contact: "Caller" <sip:caller@[2001:db8::1]>
CSeq: 98176 REGISTER
Content-Length: 0`));

add('via-received-param-with-delim', msg(String.raw`OPTIONS sip:[2001:db8::10] SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=81x2
Via: SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111
Call-ID: via-with-delim.8a7b3c@host_4100
Max-Forwards: 70
Contact: "Caller" <sip:caller@[2001:db8::9:1]>
CSeq: 23 OPTIONS
Content-Length: 0`));

add('via-received-param-no-delim', msg(String.raw`OPTIONS sip:[2001:db8::10] SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=81x2
Via: SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3-111
Call-ID: via-no-delim.8a7b3c@host_4100
Max-Forwards: 70
Contact: "Caller" <sip:caller@[2001:db8::9:1]>
CSeq: 23 OPTIONS
Content-Length: 0`));

const SDP6 = String.raw`v=0
o=assistant 971731711378798081 0 IN IP6 2001:db8::20
s=Live from the lab
c=IN IP6 2001:db8::20
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
`;

add('ipv6-in-sdp', msg(String.raw`INVITE sip:user@[2001:db8::10] SIP/2.0
To: sip:user@[2001:db8::10]
From: sip:user@example.com;tag=81x2
Via: SIP/2.0/UDP [2001:db8::20];branch=z9hG4bKas3-111
Call-ID: ipv6-in-sdp.8a7b3c@host_4100
Contact: "Caller" <sip:caller@[2001:db8::20]>
CSeq: 8612 INVITE
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: {CL}`, SDP6));

add('mult-ip-in-header', msg(String.raw`BYE sip:user@host.example.net SIP/2.0
Via: SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKjhja8781hjuaij65144
Via: SIP/2.0/TCP [2001:db8::9:255];branch=z9hG4bK451jj;received=192.0.2.200
Call-ID: mult-ip.997077@lab.example.com
Max-Forwards: 70
CSeq: 89187 BYE
To: sip:user@example.net;tag=9817--94
From: sip:user@example.com;tag=81x2
Content-Length: 0`));

add('mult-ip-in-sdp', msg(String.raw`INVITE sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:user@east.example.com;tag=81x2
Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111
Call-ID: mult-ip-in-sdp.7077@lab.example.com
Contact: "Caller" <sip:caller@[2001:db8::9:1]>
CSeq: 8912 INVITE
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: {CL}`, String.raw`v=0
o=bob 280744730 28977631 IN IP4 host.example.com
s=-
t=0 0
m=audio 22334 RTP/AVP 0
c=IN IP4 192.0.2.1
m=video 6024 RTP/AVP 107
c=IN IP6 2001:db8::1
a=rtpmap:107 H263-1998/90000
`));

add('ipv4-mapped-ipv6', msg(String.raw`INVITE sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:user@east.example.com;tag=81x2
Via: SIP/2.0/UDP [::ffff:192.0.2.10]:19823;branch=z9hG4bKbh19
Via: SIP/2.0/UDP [::ffff:192.0.2.2];branch=z9hG4bKas3-111
Call-ID: ipv4-mapped.9905523997077@lab.example.com
Contact: "T. desk phone" <sip:ted@[::ffff:192.0.2.2]>
CSeq: 612 INVITE
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: {CL}`, String.raw`v=0
o=assistant 971731711378798081 0 IN IP6 ::ffff:192.0.2.2
s=Call me soon, please!
c=IN IP6 ::ffff:192.0.2.2
t=0 0
m=audio 6000 RTP/AVP 2
a=rtpmap:2 G726-32/8000
`));

add('ipv6-bug-abnf-3-colons', msg(String.raw`OPTIONS sip:user@[2001:db8:::192.0.2.1] SIP/2.0
To: sip:user@[2001:db8:::192.0.2.1]
From: sip:user@example.com;tag=810x2
Via: SIP/2.0/UDP lab1.east.example.com;branch=z9hG4bKas3-111
Call-ID: abnf-3.G9559905523997077@lab.example.com
CSeq: 689 OPTIONS
Max-Forwards: 70
Content-Length: 0`));

add('ipv6-correct-abnf-2-colons', msg(String.raw`OPTIONS sip:user@[2001:db8::192.0.2.1] SIP/2.0
To: sip:user@[2001:db8::192.0.2.1]
From: sip:user@example.com;tag=810x2
Via: SIP/2.0/UDP lab1.east.example.com;branch=z9hG4bKas3-111
Call-ID: abnf-2.G9559905523997077@lab.example.com
CSeq: 689 OPTIONS
Max-Forwards: 70
Content-Length: 0`));

{
  // A SIPREC offer (RFC 7866 §8.1.1) over IPv6: SDP with two labelled streams and the metadata.
  const sdp = String.raw`v=0
o=SRC 2890844526 2890844526 IN IP6 2001:db8::a1
s=SIPREC
c=IN IP6 2001:db8::a1
t=0 0
m=audio 49170 RTP/AVP 0
a=label:1
a=sendonly
m=audio 49172 RTP/AVP 0
a=label:2
a=sendonly
`;
  const xml = String.raw`<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode>
  <session session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <sipSessionID>ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2</sipSessionID>
  </session>
  <participant participant_id="srfBElmCRp2QB23b7Mpk0w==">
    <nameID aor="sip:alice@example.com"/>
  </participant>
  <stream stream_id="i1Pz3to5hGk8fuXl+PbwCw==" session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <label>1</label>
  </stream>
</recording>
`;
  const body = bytes(`--siprec-boundary-42\nContent-Type: application/sdp\n\n${sdp}\n--siprec-boundary-42\nContent-Type: application/rs-metadata+xml\nContent-Disposition: recording-session\n\n${xml}\n--siprec-boundary-42--\n`);
  add('siprec-mpart-ipv6', msg(String.raw`INVITE sip:srs@[2001:db8::5]:5061;transport=tls SIP/2.0
Via: SIP/2.0/TLS [2001:db8::a1]:5061;branch=z9hG4bK47c8eb30
Max-Forwards: 70
From: <sip:src@[2001:db8::a1]>;tag=35e195d2-947d-4585-946f-09839247
To: <sip:srs@[2001:db8::5]>
Call-ID: siprec.d253c800-b0d1ea39-4a7dd-3f0e20a
CSeq: 101 INVITE
Contact: <sip:src@[2001:db8::a1]:5061;transport=tls>;+sip.src
Require: siprec
Accept: application/sdp, application/rs-metadata+xml
Content-Type: multipart/mixed;boundary=siprec-boundary-42
Content-Length: {CL}`, body));
}

// ---------------------------------------------------------------- Our parser's own rules

add('leading-crlf', Buffer.concat([Buffer.from('\r\n\r\n'), msg(String.raw`OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bKlead
To: <sip:user@example.com>
From: <sip:probe@example.com>;tag=1
Call-ID: leading-crlf.1@example.com
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0`)]));

add('datagram-cl-short', msg(String.raw`MESSAGE sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKshort
To: <sip:user@example.com>
From: <sip:sender@example.com>;tag=2
Call-ID: cl-short.1@example.com
CSeq: 1 MESSAGE
Max-Forwards: 70
Content-Type: text/plain
Content-Length: 5`, 'Hello and then some trailing bytes'));

add('stream-missing-cl', msg(String.raw`OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bKnocl
To: <sip:user@example.com>
From: <sip:probe@example.com>;tag=1
Call-ID: stream-missing-cl.1@example.com
CSeq: 1 OPTIONS
Max-Forwards: 70`));

add('stream-cl-short', msg(String.raw`MESSAGE sip:user@example.com SIP/2.0
Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bKshort
To: <sip:user@example.com>
From: <sip:sender@example.com>;tag=2
Call-ID: stream-cl-short.1@example.com
CSeq: 1 MESSAGE
Max-Forwards: 70
Content-Type: text/plain
Content-Length: 5`, 'Hello and more'));

add('bare-lf', msg(String.raw`OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKlf{LF}To: <sip:user@example.com>
From: <sip:probe@example.com>;tag=1
Call-ID: bare-lf.1@example.com
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0`));

add('no-empty-line', Buffer.from('OPTIONS sip:user@example.com SIP/2.0\r\nVia: SIP/2.0/UDP host1.example.com;branch=z9hG4bKtrunc\r\nTo: <sip:user@example.com>\r\nFrom: <sip:probe@example.com>;tag=1\r\nCall-ID: no-empty-line.1@example.com\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n', 'latin1'));

add('ack-missing-call-id', msg(String.raw`ACK sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKack
To: <sip:user@example.com>;tag=99
From: <sip:caller@example.com>;tag=1
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0`));

add('cancel-cseq-mismatch', msg(String.raw`CANCEL sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKcancel
To: <sip:user@example.com>
From: <sip:caller@example.com>;tag=1
Call-ID: cancel.1@example.com
CSeq: 1 INVITE
Max-Forwards: 70
Content-Length: 0`));

add('lowercase-method', msg(String.raw`invite sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKlower
To: <sip:user@example.com>
From: <sip:caller@example.com>;tag=1
Call-ID: lowercase.1@example.com
CSeq: 1 invite
Max-Forwards: 70
Content-Length: 0`));

add('mixedcase-method-mismatch', msg(String.raw`Invite sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKmixed
To: <sip:user@example.com>
From: <sip:caller@example.com>;tag=1
Call-ID: mixedcase.1@example.com
CSeq: 1 INVITE
Max-Forwards: 70
Content-Length: 0`));

add('latin1-display-name', msg(String.raw`OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKlatin
To: <sip:user@example.com>
From: "Ren{E9} Dupont" <sip:rene@example.fr>;tag=1
Call-ID: latin1.1@example.com
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0`));

add('too-many-headers', msg(`OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKmany
To: <sip:user@example.com>
From: <sip:probe@example.com>;tag=1
Call-ID: too-many.1@example.com
CSeq: 1 OPTIONS
${Array.from({ length: 300 }, (_, i) => `X-Filler-${i}: ${i}`).join('\n')}
Content-Length: 0`));

add('ctl-in-header', msg(String.raw`OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKctl
To: <sip:user@example.com>
From: <sip:probe@example.com>;tag=1
Subject: a bell{BEL}in the text
Call-ID: ctl.1@example.com
CSeq: 1 OPTIONS
Content-Length: 0`));

for (const f of readdirSync(dir)) if (f.endsWith('.sip')) unlinkSync(join(dir, f));
for (const [name, data] of files) writeFileSync(join(dir, `${name}.sip`), data);
console.log(`wrote ${files.size} messages to ${dir}`);
