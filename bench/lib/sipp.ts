// sipp for the recording benchmarks: the scenarios of bench/sipp/, bound to
// the namespace's loopback, `-buff_size 4194304` (LOCAL-INFRA.md), pinned with
// taskset, killed by PID at a deadline of our own (sipp's -timeout does not end
// stuck calls). Statistics from -trace_stat, response times from -trace_rtt.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, udpPortBound, waitFor } from '@ci-connector/platform-testing';
import { cpuTicks } from './recording-rig';

export const SCENARIO_UAC = join(__dirname, '../sipp/sip-signaling-uac.xml');
export const SCENARIO_UAS = join(__dirname, '../sipp/sip-signaling-uas.xml');

export interface SippRun {
  pid: number;
  child: ChildProcess;
  /** Resolves when sipp exits (or is killed at the deadline). */
  done: Promise<SippStats>;
  kill(): void;
}

export interface SippStats {
  code: number | null;
  killed: boolean;
  attempted: number;
  successful: number;
  failed: number;
  retransmissions: number;
  unexpected: number;
  /** INVITE sent → 200 received, ms (sipp's 4 ms ticks), one per call (UAC only). */
  rtt: number[];
  /** sipp's own CPU over its life, ticks. */
  cpuTicks: number;
  errors: string;
}

const running = new Set<ChildProcess>();
export function killAllSipp(): void {
  for (const c of running) c.kill('SIGKILL');
}

function stats(csv: string): Record<string, string> {
  const lines = csv.trim().split('\n');
  const h = lines[0]?.split(';') ?? [];
  const v = lines[lines.length - 1]?.split(';') ?? [];
  return Object.fromEntries(h.map((k, i) => [k, v[i] ?? '']));
}

export interface SippOptions {
  role: 'uac' | 'uas';
  /** UAC: sip-signaling's host:port. */
  remote?: string;
  localPort: number;
  calls: number;
  rate?: number;
  /** UAC: hold each call this long before the BYE (-d). */
  holdMs?: number;
  /** UAC: injection file of sellers. */
  injection?: string;
  /** Max simultaneous calls (-l). */
  limit?: number;
  deadlineMs: number;
  core?: string;
}

export async function startSipp(o: SippOptions): Promise<SippRun> {
  const dir = mkdtempSync(join(tmpdir(), `ss-bench-sipp-${o.role}-`));
  const controlPort = await freePort();
  const mediaPort = await freePort();
  const args = [
    ...(o.remote ? [o.remote] : []),
    '-sf', o.role === 'uac' ? SCENARIO_UAC : SCENARIO_UAS,
    '-i', '127.0.0.1', '-mi', '127.0.0.1', '-mp', String(mediaPort), '-ci', '127.0.0.1', '-cp', String(controlPort),
    '-p', String(o.localPort), '-t', 'u1',
    '-m', String(o.calls),
    ...(o.rate !== undefined ? ['-r', String(o.rate), '-rp', '1000'] : []),
    ...(o.holdMs !== undefined ? ['-d', String(o.holdMs)] : []),
    ...(o.injection ? ['-inf', o.injection] : []),
    '-l', String(o.limit ?? Math.max(10_000, o.calls)),
    '-buff_size', '4194304', '-nostdin',
    '-trace_stat', '-stf', join(dir, 'stats.csv'), '-fd', '1',
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    ...(o.role === 'uac' ? ['-trace_rtt', '-rtt_freq', '1'] : []),
  ];
  const child = o.core ? spawn('taskset', ['-c', o.core, 'sipp', ...args], { cwd: dir, stdio: 'ignore' }) : spawn('sipp', args, { cwd: dir, stdio: 'ignore' });
  running.add(child);
  let killed = false;
  let ticks = 0;
  const sampler = setInterval(() => {
    const t = cpuTicks(child.pid ?? -1);
    if (Number.isFinite(t)) ticks = t;
  }, 250);
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, o.deadlineMs);
  const done = new Promise<SippStats>((resolve, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      clearInterval(sampler);
      running.delete(child);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(sampler);
      running.delete(child);
      let st: Record<string, string> = {};
      try {
        st = stats(readFileSync(join(dir, 'stats.csv'), 'utf8'));
      } catch {
        // killed before the first statistics line
      }
      const rttFile = readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
      const rtt = rttFile
        ? readFileSync(join(dir, rttFile), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(';')[1])).filter(Number.isFinite)
        : [];
      const errors = readdirSync(dir)
        .filter((f) => f.startsWith('errors'))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .join('')
        .slice(-3000);
      rmSync(dir, { recursive: true, force: true });
      const n = (k: string) => Number(st[k] ?? NaN);
      resolve({
        code,
        killed,
        attempted: o.role === 'uac' ? n('OutgoingCall(C)') : n('IncomingCall(C)'),
        successful: n('SuccessfulCall(C)'),
        failed: n('FailedCall(C)'),
        retransmissions: n('Retransmissions(C)'),
        unexpected: n('FailedUnexpectedMessage(C)'),
        rtt: rtt.sort((a, b) => a - b),
        cpuTicks: ticks,
        errors,
      });
    });
  });
  if (o.role === 'uas') {
    let exited = false;
    void done.then(() => (exited = true), () => (exited = true));
    await waitFor('sipp UAS listening', () => exited || udpPortBound(o.localPort), 10_000, 20);
  }
  return { pid: child.pid ?? -1, child, done, kill: () => child.kill('SIGKILL') };
}
