export type ShutdownHook = () => Promise<void> | void;

interface MinimalLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ShutdownOptions {
  logger: MinimalLogger;
  /** The whole shutdown's deadline; past it the process exits 1 with what is still running. */
  timeoutMs: number;
  /** Called with the exit code at the end; process.exit by default (tests pass their own). */
  exit?: (code: number) => void;
}

/**
 * Ordered, bounded shutdown. Hooks run in reverse order of registration (last
 * started, first stopped: stop taking work, drain, then close clients, then
 * telemetry). A second signal while shutting down exits at once.
 */
export class GracefulShutdown {
  private readonly hooks: { name: string; fn: ShutdownHook }[] = [];
  private running: Promise<number> | undefined;
  private readonly exit: (code: number) => void;

  constructor(private readonly opts: ShutdownOptions) {
    this.exit = opts.exit ?? ((code) => process.exit(code));
  }

  /** True once shutdown has begun: readiness checks answer "not ready" from then on. */
  get isShuttingDown(): boolean {
    return this.running !== undefined;
  }

  onShutdown(name: string, fn: ShutdownHook): void {
    this.hooks.push({ name, fn });
  }

  /** Installs SIGTERM and SIGINT handlers. */
  listen(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
    for (const signal of signals) {
      process.on(signal, () => {
        if (this.running) {
          this.opts.logger.error({ signal }, 'second signal during shutdown: exiting now');
          this.exit(1);
          return;
        }
        void this.shutdown(signal);
      });
    }
  }

  /** Runs every hook once; later calls return the same result. Resolves to the exit code. */
  shutdown(reason: string): Promise<number> {
    this.running ??= this.run(reason);
    return this.running;
  }

  private async run(reason: string): Promise<number> {
    const started = Date.now();
    this.opts.logger.info({ reason }, 'shutting down');
    let code = 0;
    let pending = '';
    const deadline = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.opts.timeoutMs).unref());
    const all = (async () => {
      for (const hook of [...this.hooks].reverse()) {
        pending = hook.name;
        try {
          await hook.fn();
        } catch (err) {
          code = 1;
          this.opts.logger.error({ err, hook: hook.name }, 'shutdown step failed');
        }
      }
      pending = '';
    })();
    if ((await Promise.race([all.then(() => 'done' as const), deadline])) === 'timeout') {
      code = 1;
      this.opts.logger.error({ pending, timeoutMs: this.opts.timeoutMs }, 'shutdown timed out');
    }
    this.opts.logger.info({ reason, ms: Date.now() - started, code }, 'shut down');
    this.exit(code);
    return code;
  }
}
