// The demo call (`bash scripts/system.sh demo`, also the end of `up`): one call
// of a seller the demo tenant records, sipp UAC (a customer) → sip-signaling →
// sipp UAS (the seller's phone, the tenant's nextHop), with ~5 s of audio each
// way through rtpengine. sip-signaling forks it to the ci-emulator's SIPREC
// recorder; then this prints what happened: the recorder's session, the two
// WAVs and the metadata (saved under <work>/demo/<call id>/), and the call's
// recording events read back from Kafka. Exit 0 only when the call was recorded.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTheLiveList, recordedUser } from './directory.mjs';
import { DemoError, GiveUp, demoConfig, describeAnswer, http, runMain, say, waitFor } from './lib.mjs';
import { alawFromPcap, alawMelody, mediaSocket, PACKET_SAMPLES, SAMPLE_RATE, sendRtp } from './media.mjs';
import { callEvents, eventsMark } from './recording-events.mjs';
import { freeUdpPorts, runSipp, udpPortBound, udpPortTaken } from './sipp.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const TALK_SECONDS = 5;
const SPEECH = '/usr/share/sip-tester/g711a.pcap';
const CUSTOMER = { phone: '+442079460123', name: 'Alex Customer' };

const header = (req, name) => req.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];

/** Level of a WAV's samples (16-bit PCM, what the emulator writes): seconds and RMS. */
function wavLevel(buf) {
  if (buf.length < 44 || buf.toString('latin1', 0, 4) !== 'RIFF') return { seconds: 0, rms: 0 };
  let off = 12;
  while (off + 8 <= buf.length && buf.toString('latin1', off, off + 4) !== 'data') off += 8 + buf.readUInt32LE(off + 4);
  const data = buf.subarray(off + 8, off + 8 + (off + 8 <= buf.length ? buf.readUInt32LE(off + 4) : 0));
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += data.readInt16LE(i) ** 2;
  const n = Math.floor(data.length / 2);
  return { seconds: n / SAMPLE_RATE, rms: n ? Math.sqrt(sum / n) : 0 };
}

async function main() {
  const cfg = demoConfig();
  const emu = (path) => http(`${cfg.emulatorUrl}${path}`, { ca: cfg.ca, timeoutMs: 30_000 });

  // What must be there before a call can be recorded.
  const ready = await http(`${cfg.sipSignalingUrl}/health/ready`).catch((err) => ({ status: 0, err }));
  if (ready.status !== 200) throw new DemoError(`sip-signaling does not answer at ${cfg.sipSignalingUrl}/health/ready (${ready.err?.message ?? ready.status}): run \`bash scripts/system.sh up\` first`);
  if (await udpPortTaken(cfg.uasPort)) throw new DemoError(`UDP 127.0.0.1:${cfg.uasPort}, where the demo's seller phone (sipp UAS, the tenant's nextHop) listens, is taken by another process (ss -lunp 'sport = :${cfg.uasPort}'); stop it, or choose another port with DEMO_UAS_PORT=<port> and restart the system (down, then up)`);
  const speech = alawFromPcap(SPEECH);
  const seller = await recordedUser(cfg);
  const listed = await onTheLiveList(cfg, seller.phone);
  if (listed !== true) throw new DemoError(`the demo tenant's users are not in Redis yet (${seller.phone} is not on a live list): run \`bash scripts/system.sh up\`, which onboards the tenant and syncs its users`);

  const callId = `demo-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
  const out = join(cfg.work, 'demo', callId);
  mkdirSync(out, { recursive: true });
  // paths under the checkout relative to it (system.sh runs from there), others in full
  const shown = (p) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p) || p);

  say();
  say(`Demo call ${callId}: ${CUSTOMER.name} (${CUSTOMER.phone}) calls ${seller.displayName} (${seller.phone}), a seller Contoso records`);
  say(`  sipp UAC → sip-signaling sip:127.0.0.1:${cfg.sipPort} (UDP) → sipp UAS sip:127.0.0.1:${cfg.uasPort} (the tenant's nextHop), X-Dialer-Call-Id: ${callId}`);

  const mark = await eventsMark(cfg);
  // sipp writes the port rtpengine gave each side here (see sipp/*.xml)
  const portFile = (side) => join(out, `.rtp-port-${side}`);
  const [customer, sellerPhone] = [await mediaSocket(), await mediaSocket()];
  try {
    const [uacPort, uasControl, uacControl] = await freeUdpPorts(3);
    const uas = runSipp({ scenario: join(here, 'sipp/uas.xml'), localPort: cfg.uasPort, controlPort: uasControl, keys: { port_file: portFile('seller'), rtp_port: String(sellerPhone.port) }, deadlineMs: 60_000 });
    let uasEnded = false;
    void uas.then(() => (uasEnded = true));
    await waitFor('the sipp UAS to listen', () => uasEnded || udpPortBound(cfg.uasPort), 10_000, 20);
    if (uasEnded) throw new DemoError(`the sipp UAS ended at once: ${(await uas).output}`);
    const uac = runSipp({
      scenario: join(here, 'sipp/uac.xml'),
      remote: `127.0.0.1:${cfg.sipPort}`,
      localPort: uacPort,
      controlPort: uacControl,
      keys: { port_file: portFile('customer'), rtp_port: String(customer.port), caller: CUSTOMER.phone, caller_name: CUSTOMER.name, callee: seller.phone, callee_name: seller.displayName, dialer_id: callId },
      // talk time: the audio, plus room for the recording session to come up first
      extraArgs: ['-d', String((TALK_SECONDS + 3) * 1000)],
      deadlineMs: 60_000,
    });
    let uacEnded;
    void uac.then((r) => (uacEnded = r));
    const ports = await waitFor(
      'the call to be answered (rtpengine ports of both sides)',
      async () => {
        if (uacEnded) throw new GiveUp(`the sipp UAC ended before the call was up (exit ${uacEnded.code}): ${uacEnded.output}`);
        const [c, s] = ['customer', 'seller'].map((side) => (existsSync(portFile(side)) ? Number(readFileSync(portFile(side), 'utf8').trim()) : 0));
        return c > 0 && s > 0 ? { customer: c, seller: s } : undefined;
      },
      10_000,
      20,
    );
    say(`  answered; rtpengine anchors the media: customer ↔ 127.0.0.1:${ports.customer}, seller ↔ 127.0.0.1:${ports.seller}`);

    // The recording session comes up on answer; audio sent before the fork is not recorded.
    await waitFor(
      `the recording session at the ci-emulator (GET /emulator/recordings/${callId})`,
      async (note) => {
        const r = await emu(`/emulator/recordings/${encodeURIComponent(callId)}`);
        if (r.status === 404) {
          const rej = await emu(`/emulator/recorder/rejections?callId=${encodeURIComponent(callId)}`);
          const last = rej.json?.rejections?.at(-1);
          if (last) note(`the recorder refused it: ${last.status ?? ''} ${last.rule ?? ''}: ${last.reason ?? ''}; GET /emulator/recorder/rejections?callId=${callId} has it all`);
          else note("no session yet; sip-signaling's log says why (recording decision …)");
        }
        return r.status === 200 && r.json.state === 'active';
      },
      5_000,
      50,
    );
    say(`  recording: sip-signaling opened a SIPREC session at the ci-emulator; sending ${TALK_SECONDS} s of audio each way`);
    const startAt = 0.4 * SAMPLE_RATE; // the sample's first 0.4 s are silence
    const talk = TALK_SECONDS * SAMPLE_RATE;
    const [sentCustomer, sentSeller] = await Promise.all([
      sendRtp(customer, ports.customer, Buffer.concat([speech, speech]).subarray(startAt, startAt + talk), 0x0c0570e1),
      sendRtp(sellerPhone, ports.seller, alawMelody(TALK_SECONDS), 0x5e11e201),
    ]);
    const [uacResult, uasResult] = await Promise.all([uac, uas]);
    if (!uacResult.ok) throw new DemoError(`the call failed at the caller (sipp UAC exit ${uacResult.code}${uacResult.killed ? ', killed at its deadline' : ''}): ${uacResult.output}`);
    if (!uasResult.ok) throw new DemoError(`the call failed at the seller (sipp UAS exit ${uasResult.code}${uasResult.killed ? ', killed at its deadline' : ''}): ${uasResult.output}`);
    say(`  hung up: ${sentCustomer} packets sent by the customer (speech, ${SPEECH}), ${sentSeller} by the seller (a melody), ${PACKET_SAMPLES / 8} ms each`);
  } finally {
    customer.socket.close();
    sellerPhone.socket.close();
    for (const side of ['customer', 'seller']) rmSync(portFile(side), { force: true });
  }

  // The recorder's view of the session.
  const rec = await waitFor(
    'the recording session to end',
    async () => {
      const r = await emu(`/emulator/recordings/${encodeURIComponent(callId)}`);
      return r.status === 200 && r.json.state === 'ended' ? r.json : undefined;
    },
    10_000,
    100,
  );
  writeFileSync(join(out, 'session.json'), `${JSON.stringify(rec, null, 2)}\n`);
  const invite = rec.requests.find((r) => r.method === 'INVITE');
  const bye = rec.requests.find((r) => r.method === 'BYE');
  const ext = rec.metadata?.parsed?.extensionParameters ?? {};
  say();
  say(`The ci-emulator's recording (GET ${cfg.emulatorUrl}/emulator/recordings/${callId}; all of it in ${shown(join(out, 'session.json'))}):`);
  say(`  state ${rec.state}${rec.endReason ? ` (${rec.endReason})` : ''}, tenant ${rec.tenantId}, Call-ID ${invite ? header(invite, 'Call-ID') : '?'}`);
  say(`  INVITE X-AccountId ${invite ? header(invite, 'X-AccountId') : '?'}, answered ${invite?.response?.status ?? '?'}; BYE X-AccountId ${bye ? header(bye, 'X-AccountId') : '?'}, answered ${bye?.response?.status ?? '?'}`);
  say(`  metadata: Role ${ext.Role ?? '?'}, CallerDisplayName "${ext.CallerDisplayName ?? '?'}", CalleeDisplayName "${ext.CalleeDisplayName ?? '?'}"`);
  for (const s of rec.streams) {
    say(`  stream ${s.label.padEnd(8)} ${s.packetsReceived ?? '?'} SRTP packets received, ${s.packetsDecoded ?? '?'} decoded, ${s.authFailed ?? '?'} auth failures, ${s.lost ?? '?'} lost (${s.encoding ?? '?'})`);
  }

  // The audio and the metadata, saved.
  say();
  say(`Saved in ${shown(out)}:`);
  const wavs = {};
  for (const label of ['inbound', 'outbound']) {
    const r = await emu(`/emulator/recordings/${encodeURIComponent(callId)}/${label}.wav`);
    if (r.status !== 200) throw new DemoError(`GET /emulator/recordings/${callId}/${label}.wav: ${describeAnswer(r)}`);
    const file = join(out, `${label}.wav`);
    writeFileSync(file, r.body);
    wavs[label] = wavLevel(r.body);
    const who = label === 'outbound' ? 'what the seller said' : 'what the seller heard';
    say(`  ${shown(file)}  ${wavs[label].seconds.toFixed(2)} s, RMS ${Math.round(wavs[label].rms)} (${label}: ${who})`);
  }
  const xml = rec.metadata?.xml ?? '';
  writeFileSync(join(out, 'metadata.xml'), xml);
  say(`  ${shown(join(out, 'metadata.xml'))}  the RFC 7865 recording metadata sip-signaling sent:`);
  say(xml.replace(/\r\n/g, '\n').trimEnd().replace(/^/gm, '    '));

  // The recording events, as a consumer of the topic sees them.
  const events = await callEvents(cfg, mark, callId, 15_000);
  writeFileSync(join(out, 'events.json'), `${JSON.stringify(events, null, 2)}\n`);
  say();
  say(`Recording events on Kafka ${cfg.eventsTopic} (key ${callId}; saved as ${shown(join(out, 'events.json'))}):`);
  for (const e of events) say(`  ${e.at}  ${e.type.padEnd(18)} seller ${e.seller}, tenant ${e.tenantId}${e.recorder ? `, recorder ${e.recorder}` : ''}${e.reason ? `, reason: ${e.reason}` : ''}`);
  if (events.length === 0) say('  (none)');

  // The verdict: what a newcomer should have seen.
  const problems = [];
  if (rec.state !== 'ended') problems.push(`the session is ${rec.state}, not ended`);
  if (ext.Role !== 'inbound') problems.push(`Role is ${ext.Role}, expected inbound (the seller was called)`);
  for (const s of rec.streams) if (s.authFailed) problems.push(`${s.authFailed} SRTP packets of ${s.label} failed authentication`);
  for (const [label, w] of Object.entries(wavs)) if (w.seconds < TALK_SECONDS - 1 || w.rms < 100) problems.push(`${label}.wav holds ${w.seconds.toFixed(2)} s at RMS ${Math.round(w.rms)}: expected ~${TALK_SECONDS} s of audio`);
  for (const type of ['recording.started', 'recording.stopped']) if (!events.some((e) => e.type === type)) problems.push(`no ${type} event on ${cfg.eventsTopic}`);
  say();
  if (problems.length > 0) throw new DemoError(`call ${callId} was not recorded as it should be: ${problems.join('; ')} (logs: ${shown(join(cfg.run, 'sip-signaling.log'))}, ${shown(join(cfg.run, 'ci-emulator.log'))})`);
  say(`Demo call ${callId} recorded: ${Object.keys(wavs).map((l) => `${l}.wav`).join(' and ')} in ${shown(out)}, events ${events.map((e) => e.type).join(' → ')}.`);
  return 0;
}

runMain('demo', main);
