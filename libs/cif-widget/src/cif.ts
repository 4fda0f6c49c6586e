import { sleep } from './backoff';
import { CifWidgetError } from './errors';
import type { CIFrameworkLike } from './types';

// CIF 1.0 fails every call made before the CIFInitDone event (dispatched on window
// once the library has reached the host), and `Microsoft` is not defined at all until
// msdyn_ciLibrary.js has loaded. The widget waits for both before its first raiseEvent.

/** Where CIFInitDone is dispatched: window in a browser. */
export interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

export const CIF_INIT_DONE = 'CIFInitDone';

const pageWindow = typeof (globalThis as Partial<EventTargetLike>).addEventListener === 'function' ? (globalThis as unknown as EventTargetLike) : undefined;
// Noted from the moment this module loads: the widget's connect() may come later than the event.
let initDoneOnPage = false;
pageWindow?.addEventListener(CIF_INIT_DONE, () => {
  initDoneOnPage = true;
});

/** `Microsoft.CIFramework` of this page, when the library has defined it. */
export function pageCif(): CIFrameworkLike | undefined {
  const ms = (globalThis as { Microsoft?: { CIFramework?: Partial<CIFrameworkLike> } }).Microsoft;
  const f = ms?.CIFramework;
  return f && typeof f.raiseEvent === 'function' ? (f as CIFrameworkLike) : undefined;
}

export interface CifGateOptions {
  /** The CIFramework object, or how to find it (default: window.Microsoft.CIFramework). */
  cif?: CIFrameworkLike | (() => CIFrameworkLike | undefined);
  /** Where CIFInitDone is dispatched (default: window; none outside a browser). */
  cifEvents?: EventTargetLike;
  /** How long to wait for CIFInitDone once CIFramework is there before trying anyway (default 5 s; a failed call is retried). */
  initWaitMs?: number;
  /** After how long without Microsoft.CIFramework to report 'cif-unavailable' (default 10 s; the widget keeps waiting). */
  missingReportMs?: number;
  onError?: (err: CifWidgetError) => void;
}

/** Waits until CIF can take calls. */
export class CifGate {
  private readonly get: () => CIFrameworkLike | undefined;
  private readonly target: EventTargetLike | undefined;
  private initDone = false;
  private initWaited = false;

  constructor(private readonly opts: CifGateOptions = {}) {
    const cif = opts.cif;
    this.get = typeof cif === 'function' ? cif : cif ? () => cif : pageCif;
    this.target = opts.cifEvents ?? (opts.cif ? undefined : pageWindow);
    this.target?.addEventListener(CIF_INIT_DONE, this.onInitDone);
  }

  private readonly onInitDone = (): void => {
    this.initDone = true;
  };

  /** The CIFramework object once it is there and initialised (or the wait for CIFInitDone ran out); undefined if aborted first. */
  async ready(signal?: AbortSignal): Promise<CIFrameworkLike | undefined> {
    const started = Date.now();
    let reported = false;
    let delay = 50;
    let cif = this.get();
    while (!cif) {
      if (signal?.aborted) return undefined;
      if (!reported && Date.now() - started >= (this.opts.missingReportMs ?? 10_000)) {
        reported = true;
        this.opts.onError?.(
          new CifWidgetError('cif-unavailable', 'Microsoft.CIFramework is not on this page: load the CIF library from your org (<script src="https://<org>/webresources/Widget/msdyn_ciLibrary.js" data-crmurl="https://<org>" data-cifid="CIFMainLibrary">) before the widget; still waiting', { retrying: true }),
        );
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 2_000);
      cif = this.get();
    }
    if (!this.initWaited) await this.waitForInit(signal);
    return signal?.aborted ? undefined : cif;
  }

  private async waitForInit(signal?: AbortSignal): Promise<void> {
    const waitMs = this.opts.initWaitMs ?? 5_000;
    const deadline = Date.now() + waitMs;
    // Without a target to listen on (not a browser), there is nothing to wait for.
    while (this.target && !this.initDone && !(this.target === pageWindow && initDoneOnPage) && Date.now() < deadline) {
      if (signal?.aborted) return;
      await sleep(Math.min(50, Math.max(1, deadline - Date.now())), signal);
    }
    this.initWaited = true;
    this.target?.removeEventListener(CIF_INIT_DONE, this.onInitDone);
  }
}
