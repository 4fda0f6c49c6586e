import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * libxml2's xmllint (the xmllint-wasm build) in ONE long-lived worker thread:
 * the WebAssembly module is compiled once, and each run gets a fresh instance
 * (fresh memory and file system), so runs do not see each other.
 *
 * Why not xmllint-wasm's own `validateXML`: it starts a new worker per call, and
 * a worker inherits the process's Node flags — the emulator runs with
 * `--import instrumentation.js`, so every SIPREC INVITE booted OpenTelemetry, the
 * config schema and the wasm again in a fresh thread (~390 ms of CPU each, which
 * capped the recorder at ~2.5 INVITEs per second per core). Here: `execArgv: []`,
 * one thread, ~4 ms per run.
 */
export interface XmllintFile {
  fileName: string;
  contents: string;
}

export interface XmllintRun {
  /** xmllint's exit code: 0 valid, 3/4 not valid (XSD), others an error; -1 the wasm aborted. */
  exitCode: number;
  stderr: string;
}

// CommonJS, evaluated in the worker (no file to build or ship next to the compiled code).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const factory = require(workerData.script);
const compiled = new WebAssembly.Module(readFileSync(workerData.wasm));
parentPort.on('message', (m) => {
  if (!m || m.kind !== 'ci-emulator-xmllint') return;
  let stderr = '';
  let done = false;
  const finish = (exitCode) => {
    if (done) return;
    done = true;
    parentPort.postMessage({ kind: 'ci-emulator-xmllint', id: m.id, exitCode, stderr });
  };
  try {
    factory({
      inputFiles: m.inputFiles,
      arguments: m.args,
      print: () => undefined,
      printErr: (t) => { stderr += t + '\\n'; },
      onExit: finish,
      onAbort: (reason) => { stderr += 'WASM abort: ' + reason + '\\n'; finish(-1); },
      // the module declares 256 initial pages (16 MiB); xmllint-wasm's default maximum is 512
      wasmMemory: new WebAssembly.Memory({ initial: 256, maximum: 512 }),
      instantiateWasm: (imports, ready) => {
        WebAssembly.instantiate(compiled, imports).then((instance) => ready(instance, compiled), (err) => { stderr += String(err) + '\\n'; finish(-1); });
        return {};
      },
    }).catch((err) => { stderr += String(err) + '\\n'; finish(-1); });
  } catch (err) {
    stderr += String(err) + '\\n';
    finish(-1);
  }
});
`;

export class XmllintWorker {
  private worker: Worker | undefined;
  private seq = 0;
  private starts = 0;
  private readonly waiting = new Map<number, { resolve: (r: XmllintRun) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly opts: { timeoutMs?: number } = {}) {}

  /** Runs xmllint once with these files (written to its file system) and arguments. */
  run(inputFiles: XmllintFile[], args: string[]): Promise<XmllintRun> {
    const worker = this.worker ?? this.start();
    const id = ++this.seq;
    return new Promise<XmllintRun>((resolve, reject) => {
      const timeoutMs = this.opts.timeoutMs ?? 10_000;
      const timer = setTimeout(() => this.fail(new Error(`xmllint did not finish within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject, timer });
      worker.postMessage({ kind: 'ci-emulator-xmllint', id, inputFiles, args });
    });
  }

  /** Workers started so far (1 unless one failed). */
  get started(): number {
    return this.starts;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.fail(new Error('the xmllint worker was closed'));
    await w?.terminate();
  }

  private start(): Worker {
    const script = require.resolve('xmllint-wasm/xmllint-node.js');
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { script, wasm: join(dirname(script), 'xmllint.wasm') } });
    this.starts++;
    worker.unref(); // referenced only while a run is pending: an idle validator never keeps the process alive
    worker.on('message', (m: { kind?: string; id?: number; exitCode?: number; stderr?: string }) => {
      if (m?.kind !== 'ci-emulator-xmllint' || m.id === undefined) return;
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      clearTimeout(w.timer);
      if (this.waiting.size === 0) worker.unref();
      w.resolve({ exitCode: m.exitCode ?? -1, stderr: m.stderr ?? '' });
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.fail(new Error(`the xmllint worker exited (${code})`));
    });
    this.worker = worker;
    return worker;
  }

  /** Rejects every pending run and drops the worker (the next run starts a new one). */
  private fail(err: Error): void {
    const w = this.worker;
    this.worker = undefined;
    for (const [id, p] of this.waiting) {
      clearTimeout(p.timer);
      this.waiting.delete(id);
      p.reject(err);
    }
    if (w) void w.terminate().catch(() => undefined);
  }
}

/**
 * The errors of a failed xmllint validation, each "line N: message" (or the
 * raw line), without xmllint's closing "<file> fails to validate" / "validates".
 */
export function xmllintErrors(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/ (fails to validate|validates)$/.test(l))
    .map((l) => {
      const m = /^[^:]+:(\d+):(.*)$/.exec(l);
      return m ? `line ${m[1]}: ${(m[2] ?? '').replace(/\s+/g, ' ').trim()}` : l.replace(/\s+/g, ' ');
    });
}
