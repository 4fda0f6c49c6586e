// Helpers for the sipp interop tests (*.int-spec.ts): scenario files, a sipp
// UAS that is known to listen before our UAC calls it, and a tap on what the
// stack puts on and takes off the wire. Test-only: not exported by the library.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, runSipp, waitFor, type SippOptions, type SippResult } from '@ci-connector/platform-testing';
import type { SipStack } from '../sip-stack';

/** The path of a scenario in src/sipp-scenarios/ (name without `.xml`). */
export function scenario(name: string): string {
  return join(__dirname, '..', 'sipp-scenarios', `${name}.xml`);
}

/** A minimal audio SDP on loopback; `version` changes the o= line for a new offer. */
export function sdp(port: number, version = 1): string {
  return `v=0\r\no=ci 1 ${version} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
}

export type Protocol = 'udp' | 'tcp';

/** Whether something on 127.0.0.1 listens on `port` (TCP) or is bound to it (UDP), from /proc/net. */
export function isBound(protocol: Protocol, port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const table = readFileSync(`/proc/net/${protocol}`, 'utf8').split('\n').slice(1);
  return table.some((line) => {
    const cols = line.trim().split(/\s+/);
    // st 0A is TCP_LISTEN; a bound UDP socket shows 07 (unconnected).
    return cols[1] === local && (protocol === 'udp' || cols[3] === '0A');
  });
}

export interface RunningSipp {
  /** The port sipp listens on (127.0.0.1). */
  port: number;
  /** sipp's result once it exits (or is killed at its deadline). */
  done: Promise<SippResult>;
}

const running = new Set<Promise<SippResult>>();

/**
 * Waits for every sipp started by startSippUas to exit. Call it in afterAll: a
 * test that fails before awaiting its sipp would otherwise leave it running
 * past Jest's --forceExit, which also drops runSipp's deadline timer.
 */
export async function settleSipps(): Promise<void> {
  await Promise.allSettled([...running]);
}

/**
 * Starts sipp as a UAS (no remote) and resolves once it listens, so our UAC's
 * first INVITE is not lost (UDP) or refused (TCP).
 */
export async function startSippUas(opts: Omit<SippOptions, 'localPort' | 'controlPort' | 'remote'>): Promise<RunningSipp> {
  const port = await freePort();
  const done = runSipp({ ...opts, localPort: port, controlPort: await freePort() });
  running.add(done);
  void done.finally(() => running.delete(done)).catch(() => undefined);
  let exited = false;
  void done.then(
    () => (exited = true),
    () => (exited = true),
  );
  await waitFor(`sipp ${opts.scenario} listening on ${opts.transport ?? 'udp'} ${port}`, () => exited || isBound(opts.transport ?? 'udp', port), 10_000, 20);
  if (exited) throw new Error(`sipp ${opts.scenario} exited before listening: ${JSON.stringify((await done).stderr.slice(-2000))}`);
  return { port, done };
}

/** Runs sipp as a UAC against `port` on 127.0.0.1. */
export async function runSippUac(opts: Omit<SippOptions, 'localPort' | 'controlPort' | 'remote'> & { port: number }): Promise<SippResult> {
  const { port, ...rest } = opts;
  return runSipp({ ...rest, remote: `127.0.0.1:${port}`, localPort: await freePort(), controlPort: await freePort() });
}

/** One SIP message seen by the tap: its start line, CSeq, Call-ID and when (performance.now()). */
export interface TappedMessage {
  startLine: string;
  cseq: string;
  callId: string;
  at: number;
}

export interface WireTap {
  sent: TappedMessage[];
  received: TappedMessage[];
  /** Messages sent whose start line starts with `prefix` (e.g. `ACK`, `SIP/2.0 491`), optionally for one Call-ID. */
  sentMatching(prefix: string, callId?: string): TappedMessage[];
  receivedMatching(prefix: string, callId?: string): TappedMessage[];
  clear(): void;
}

function describeMessage(data: Buffer): TappedMessage {
  const text = data.toString('latin1');
  const startLine = text.slice(0, Math.max(0, text.indexOf('\r\n')));
  const header = (name: string, compact: string) => new RegExp(`^(?:${name}|${compact})[ \\t]*:[ \\t]*(.*?)\\r?$`, 'im').exec(text)?.[1] ?? '';
  return { startLine, cseq: header('CSeq', 'CSeq'), callId: header('Call-ID', 'i'), at: performance.now() };
}

/**
 * Records the start lines of every message the stack sends (by wrapping
 * `transport.send`, which the transaction layer's sink calls) and receives.
 */
export function tapWire(stack: SipStack): WireTap {
  const sent: TappedMessage[] = [];
  const received: TappedMessage[] = [];
  const transport = stack.transport;
  const send = transport.send.bind(transport);
  transport.send = (target, data) => {
    sent.push(describeMessage(data));
    return send(target, data);
  };
  transport.onMessage((m) => void received.push(describeMessage(m.data)));
  const matching = (list: TappedMessage[], prefix: string, callId?: string) => list.filter((m) => m.startLine.startsWith(prefix) && (callId === undefined || m.callId === callId));
  return {
    sent,
    received,
    sentMatching: (prefix, callId) => matching(sent, prefix, callId),
    receivedMatching: (prefix, callId) => matching(received, prefix, callId),
    clear: () => {
      sent.length = 0;
      received.length = 0;
    },
  };
}

/** A short summary of a sipp run for failure messages. */
export function sippSummary(r: SippResult): string {
  return JSON.stringify({ code: r.code, killedAtDeadline: r.killedAtDeadline, successful: r.successful, failed: r.failed, stderr: r.stderr.slice(-3000) });
}
