// A tiny UAS on 127.0.0.1: answers every INVITE with 180 then 200 and a fixed
// SDP, and prints each call as it comes, is answered and ends.
//
// Run from the workspace root (after `source scripts/node-env.sh`):
//   node --import ./libs/sip/stack/examples/register.mjs libs/sip/stack/examples/echo-uas.ts
// Environment: PORT (default 5080; UDP and TCP), CI_SIP_ANSWER_DELAY_MS (ring time before the 200, default 0).
// Try it:   sipp 127.0.0.1:5080 -sn uac -m 3 -r 5 -i 127.0.0.1 -p 5090 -ci 127.0.0.1 -cp 8890 -mi 127.0.0.1
// Stop it with Ctrl-C (SIGINT) or SIGTERM.
// Inside the workspace an app imports the same from '@ci-connector/sip'.
import { createSipStack, type IncomingInvite } from '../src/index';

const host = '127.0.0.1';
const port = Number(process.env['PORT'] ?? 5080);
const answerDelayMs = Number(process.env['CI_SIP_ANSWER_DELAY_MS'] ?? 0);

const answer = ['v=0', 'o=echo-uas 1 1 IN IP4 127.0.0.1', 's=echo-uas', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 49170 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');

function log(text: string): void {
  process.stdout.write(`${new Date().toISOString()} ${text}\n`);
}

async function main(): Promise<void> {
  const stack = await createSipStack({
    listen: [
      { protocol: 'udp', host, port },
      { protocol: 'tcp', host, port },
    ],
    userAgent: 'ci-connector echo-uas',
    events: {
      onMalformed: (err, from, answered) => log(`malformed message from ${from.remote.address}:${from.remote.port}: ${err.message}${answered ? ' (answered)' : ''}`),
      onError: (err, context) => log(`error in ${context}: ${err instanceof Error ? err.message : String(err)}`),
    },
  });

  let calls = 0;
  stack.ua.onInvite((inv: IncomingInvite) => {
    const n = ++calls;
    const req = inv.request;
    const from = req.headers.get('From') ?? '?';
    const media = /^m=.*$/m.exec(req.body.toString())?.[0] ?? 'no SDP offer';
    log(`#${n} INVITE ${req.uri} from ${from} over ${inv.source.protocol} ${inv.source.remote.address}:${inv.source.remote.port}, Call-ID ${req.headers.get('Call-ID') ?? '?'} (${media.trim()})`);
    inv.on('cancel', () => log(`#${n} cancelled by the caller`));
    inv.progress(180);
    const answerCall = () => {
      if (inv.state !== 'early') return; // cancelled meanwhile
      const dialog = inv.accept({ body: answer, contentType: 'application/sdp' });
      const answeredAt = Date.now();
      log(`#${n} answered 200 OK`);
      dialog.on('ack', () => log(`#${n} ACK received: call up`));
      dialog.on('request', (r) => {
        log(`#${n} in-dialog ${r.method}`);
        r.respond(200, r.method === 'INVITE' ? { body: answer, contentType: 'application/sdp' } : {});
      });
      dialog.on('terminated', ({ cause }) => log(`#${n} ended (${cause}) after ${Date.now() - answeredAt} ms`));
    };
    if (answerDelayMs > 0) setTimeout(answerCall, answerDelayMs);
    else answerCall();
  });

  for (const l of stack.addresses()) log(`echo-uas listening on ${l.protocol} ${l.address}:${l.port}`);

  const stop = (signal: string) => {
    log(`${signal}: closing after ${calls} call(s)`);
    stack.close().then(
      () => log('closed'),
      (err: unknown) => {
        log(`close failed: ${String(err)}`);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`echo-uas: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
