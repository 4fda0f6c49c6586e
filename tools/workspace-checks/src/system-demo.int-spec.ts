import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseWav, stackWorkDir } from '@ci-connector/platform-testing';

// The README's run command as a newcomer meets it: `bash scripts/system.sh up`
// starts the services, sip-signaling and the ci-emulator on their fixed ports,
// onboards the demo tenant and places one recorded call; `down` stops all of it
// but the local stack, which the test command (not system.sh) started.

const repo = join(__dirname, '../../..');
const systemSh = join(repo, 'scripts/system.sh');
const stackSh = join(repo, 'deploy/local/stack.sh');
const work = stackWorkDir();

// The fixed ports system.sh uses (its defaults; the variables that move them are
// removed from the script's environment below so these are the ones checked).
const TCP_PORTS: Record<number, string> = {
  18080: 'skeleton HTTP',
  18081: 'registration-service HTTP',
  18051: 'registration-service gRPC',
  18083: 'policy-sync-worker HTTP',
  18084: 'sip-signaling HTTP',
  15060: 'sip-signaling SIP/TCP',
  18443: 'ci-emulator HTTPS',
  15061: 'ci-emulator SIPS',
};
const UDP_PORTS: Record<number, string> = { 15060: 'sip-signaling SIP/UDP', 15070: "the demo's sipp UAS" };
const PORT_VARIABLES = [
  'SKELETON_HTTP_PORT', 'REGISTRATION_HTTP_PORT', 'REGISTRATION_GRPC_PORT', 'POLICY_SYNC_HTTP_PORT', 'SIP_SIGNALING_HTTP_PORT',
  'SIP_SIGNALING_SIP_PORT', 'DEMO_UAS_PORT', 'CI_EMULATOR_HTTPS_PORT', 'CI_EMULATOR_SIP_PORT', 'CI_EMULATOR_CONFIG',
];
const SYSTEM_PROCESSES = ['skeleton', 'registration-service', 'policy-sync-worker', 'sip-signaling', 'ci-emulator'];

const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !PORT_VARIABLES.includes(k)));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], deadlineMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script, ...args], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    // system.sh waits on bounded steps only; this bounds the whole run should one hang.
    const timer = setTimeout(() => child.kill('SIGTERM'), deadlineMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const tail = (r: Run) => `exit ${r.code}\n--- stdout (end)\n${r.stdout.slice(-4000)}\n--- stderr (end)\n${r.stderr.slice(-3000)}`;

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const v of samples) sum += v * v;
  return samples.length ? Math.sqrt(sum / samples.length) : 0;
}

describe('bash scripts/system.sh up: the whole system and a recorded demo call', () => {
  let started = false;
  let demoDir: string | undefined;

  beforeAll(async () => {
    // What this test needs, and what it must not disturb: said plainly, never skipped.
    const stack = await run(stackSh, ['status'], 30_000);
    if (stack.code !== 0) throw new Error(`the local stack is not up (deploy/local/stack.sh status exit ${stack.code}): start it with \`bash deploy/local/stack.sh up\` (the test command does)\n${stack.stdout}`);
    const status = await run(systemSh, ['status'], 30_000);
    const running = SYSTEM_PROCESSES.filter((p) => new RegExp(`^${p}: (running|not ready)`, 'm').test(status.stdout));
    if (running.length > 0) {
      throw new Error(`someone's \`bash scripts/system.sh up\` is running here (${running.join(', ')}): this test starts and stops the system itself; stop it first with \`bash scripts/system.sh down\`\n${status.stdout}`);
    }
    const taken = [
      ...(await Promise.all(Object.entries(TCP_PORTS).map(async ([p, what]) => ((await tcpFree(Number(p))) ? [] : [`tcp ${p} (${what})`])))).flat(),
      ...(await Promise.all(Object.entries(UDP_PORTS).map(async ([p, what]) => ((await udpFree(Number(p))) ? [] : [`udp ${p} (${what})`])))).flat(),
    ];
    if (taken.length > 0) throw new Error(`system.sh's fixed ports on 127.0.0.1 are taken by other processes: ${taken.join(', ')} (see \`ss -ltnup\`); free them before running this test`);
  }, 60_000);

  afterAll(async () => {
    // Whatever happened, what up started stops here (by its PID files); the stack stays.
    if (started) await run(systemSh, ['down'], 60_000);
    if (demoDir) rmSync(demoDir, { recursive: true, force: true });
  }, 70_000);

  it('starts everything, onboards the demo tenant, records one call (two WAVs of ~5 s of audio, the metadata, started/stopped events); down leaves the stack up', async () => {
    started = true;
    const up = await run(systemSh, ['up'], 120_000);
    expect({ code: up.code, output: up.code === 0 ? '' : tail(up) }).toEqual({ code: 0, output: '' });

    // The summary names the call and where its files are.
    const m = /^Demo call (demo-\S+) recorded: inbound\.wav and outbound\.wav in (\S+), events (.+)\.$/m.exec(up.stdout);
    expect(m).not.toBeNull();
    const callId = m?.[1] ?? '';
    demoDir = join(work, 'demo', callId);
    expect(resolve(repo, m?.[2] ?? '')).toBe(demoDir);
    expect(up.stdout).toContain(`X-Dialer-Call-Id: ${callId}`);

    // The two WAVs: 8 kHz, about the 5 s each side said, not silence.
    for (const label of ['inbound', 'outbound']) {
      const file = join(demoDir, `${label}.wav`);
      expect({ label, exists: existsSync(file) }).toEqual({ label, exists: true });
      const wav = parseWav(readFileSync(file));
      expect({ label, sampleRate: wav.sampleRate, channels: wav.channels }).toEqual({ label, sampleRate: 8000, channels: 1 });
      const seconds = wav.samples.length / wav.sampleRate;
      expect({ label, about5s: seconds >= 4.5 && seconds <= 6 }).toEqual({ label, about5s: true });
      expect({ label, audible: rms(wav.samples) > 300 }).toEqual({ label, audible: true });
    }
    // Two different sides: the customer's speech is not the seller's melody.
    const [inbound, outbound] = ['inbound', 'outbound'].map((l) => parseWav(readFileSync(join(demoDir ?? '', `${l}.wav`))).samples);
    expect(inbound?.some((v, i) => v !== outbound?.[i])).toBe(true);

    // The recorder's session as printed and saved: the seed's headers and metadata, no SRTP auth failures.
    expect(up.stdout).toMatch(/INVITE X-AccountId ACdemo0001, answered 200; BYE X-AccountId ACdemo0001, answered 200/);
    expect(up.stdout).toMatch(/metadata: Role inbound, CallerDisplayName "Alex Customer", CalleeDisplayName "[^"]+"/);
    const session = JSON.parse(readFileSync(join(demoDir, 'session.json'), 'utf8')) as { callId: string; state: string; accountId: string; streams: { label: string; authFailed: number }[] };
    expect(session).toMatchObject({ callId, state: 'ended', accountId: 'ACdemo0001' });
    expect(session.streams.map((s) => [s.label, s.authFailed]).sort()).toEqual([['inbound', 0], ['outbound', 0]]);
    expect(readFileSync(join(demoDir, 'metadata.xml'), 'utf8')).toMatch(/<Parameter name="Role" value="inbound"\/>/);

    // The events read back from Kafka, printed in order.
    const printed = up.stdout.slice(up.stdout.indexOf('Recording events on Kafka ci.recording.events.v1'));
    const types = [...printed.matchAll(/^ {2}\S+ {2}(recording\.\w+) /gm)].map((x) => x[1]);
    expect(types).toEqual(['recording.started', 'recording.stopped']);
    const events = JSON.parse(readFileSync(join(demoDir, 'events.json'), 'utf8')) as { type: string; callId: string }[];
    expect(events.map((e) => [e.type, e.callId])).toEqual([['recording.started', callId], ['recording.stopped', callId]]);

    // down: every process up started stops; the stack the test command started stays up.
    const down = await run(systemSh, ['down'], 60_000);
    expect({ code: down.code, output: down.code === 0 ? '' : tail(down) }).toEqual({ code: 0, output: '' });
    started = false;
    expect(down.stdout).toContain('sip-signaling stopped');
    expect(down.stdout).toMatch(/local stack .* was not started by system\.sh up: left running/);
    const after = await run(systemSh, ['status'], 30_000);
    for (const p of SYSTEM_PROCESSES) expect(after.stdout).toMatch(new RegExp(`^${p}: stopped`, 'm'));
    const stack = await run(stackSh, ['status'], 30_000);
    expect({ code: stack.code, stdout: stack.stdout }).toEqual({ code: 0, stdout: expect.stringContaining('all running') });
  }, 200_000);
});
