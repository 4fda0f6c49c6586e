import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SippOptions {
  /** A built-in scenario (`uac`, `uas`, …) or the path of a scenario XML file. */
  scenario: string;
  /** host:port of the peer under test; omit for a UAS that only listens. */
  remote?: string;
  /** The port sipp binds on 127.0.0.1 (0 is not allowed by sipp: choose a free one). */
  localPort: number;
  /** The port of sipp's control socket; sipp binds 0.0.0.0:8888 without it. */
  controlPort: number;
  transport?: 'udp' | 'tcp';
  /** Calls to make (UAC) or to handle before exiting (UAS). */
  calls: number;
  /** Calls per second (UAC). */
  rate?: number;
  /** Kill sipp after this long, whatever it is doing: its own -timeout does not end stuck calls. */
  deadlineMs: number;
  /** Extra `-key name value` pairs for the scenario's [key] fields. */
  keys?: Record<string, string>;
  extraArgs?: string[];
}

export interface SippResult {
  /** sipp's exit code: 0 all calls succeeded, 1 some failed, 97/99 other ends; null when killed. */
  code: number | null;
  killedAtDeadline: boolean;
  stdout: string;
  stderr: string;
  /** From sipp's final statistics: successful and failed calls. */
  successful: number;
  failed: number;
  /** Response time repartition is not parsed; the raw stat lines are here. */
  statsCsv: string;
}

/**
 * Runs sipp bound to loopback (signalling, media and control socket), with the
 * big socket buffers LOCAL-INFRA.md asks for, stopped by its PID at the deadline.
 */
export function runSipp(opts: SippOptions): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const args = [
    ...(opts.remote ? [opts.remote] : []),
    ...(opts.scenario.endsWith('.xml') ? ['-sf', opts.scenario] : ['-sn', opts.scenario]),
    '-i', '127.0.0.1', '-mi', '127.0.0.1', '-ci', '127.0.0.1', '-cp', String(opts.controlPort),
    '-p', String(opts.localPort),
    '-t', opts.transport === 'tcp' ? 't1' : 'u1',
    '-m', String(opts.calls),
    '-r', String(opts.rate ?? 10),
    '-buff_size', '4194304',
    '-nostdin',
    '-trace_stat', '-stf', join(dir, 'stats.csv'), '-fd', '1',
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    ...Object.entries(opts.keys ?? {}).flatMap(([k, v]) => ['-key', k, v]),
    ...(opts.extraArgs ?? []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d) => (stdout = (stdout + String(d)).slice(-200_000)));
    child.stderr.on('data', (d) => (stderr = (stderr + String(d)).slice(-200_000)));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, opts.deadlineMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      let statsCsv = '';
      try {
        statsCsv = readFileSync(join(dir, 'stats.csv'), 'utf8');
      } catch {
        statsCsv = '';
      }
      const errors = readdirSync(dir).filter((f) => f.startsWith('errors')).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
      rmSync(dir, { recursive: true, force: true });
      const { successful, failed } = lastStats(statsCsv);
      resolve({ code, killedAtDeadline: killed, stdout, stderr: stderr + errors, successful, failed, statsCsv });
    });
  });
}

/** Reads SuccessfulCall(C) and FailedCall(C) from the last line of sipp's -trace_stat CSV. */
function lastStats(csv: string): { successful: number; failed: number } {
  const lines = csv.trim().split('\n');
  const header = lines[0]?.split(';') ?? [];
  const last = lines[lines.length - 1]?.split(';') ?? [];
  const col = (name: string) => Number(last[header.indexOf(name)] ?? NaN);
  return { successful: col('SuccessfulCall(C)') || 0, failed: col('FailedCall(C)') || 0 };
}
