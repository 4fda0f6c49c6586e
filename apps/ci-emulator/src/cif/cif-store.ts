import { randomUUID } from 'node:crypto';
import {
  CALL_ENDED,
  CALL_STARTED,
  CIF_TIMEOUT_SECONDS,
  EMULATED_METHODS,
  LIFECYCLE_METHODS,
  callIdOf,
  checkCallEventPayload,
  checkRaiseEventArgs,
  readPayload,
  type Finding,
  type WireArg,
} from './cif-rules';

/** Faults and timing of the CIF double (GET/PUT /emulator/cif/settings; a page's query parameters override them for that page). */
export interface CifSettings {
  /** How long after the library loads CIFInitDone is dispatched on window. */
  initDelayMs: number;
  /** Never dispatch CIFInitDone: every call fails as "before CIFInitDone". */
  neverInit: boolean;
  /** raiseEvent never answers: its Promise rejects after CIF's own 10 s time-out. */
  raiseEventTimeout: boolean;
}

export const DEFAULT_CIF_SETTINGS: CifSettings = { initDelayMs: 250, neverInit: false, raiseEventTimeout: false };

/** What the page's library POSTs for every call (and for its own load and CIFInitDone). */
export interface CallReport {
  pageId: string;
  seq?: number;
  /** When the page made the call (ISO 8601, the browser's clock). */
  time: string;
  method: string;
  args: WireArg[];
  /** Whether CIFInitDone had been dispatched when the call was made. */
  initialised: boolean;
  /** The page's effective raiseEventTimeout fault. */
  timeoutFault?: boolean;
  pageUrl?: string;
  /** For `load`: what the script tag carried. */
  library?: { src?: string; crmurl?: string; cifid?: string };
}

export type Outcome = 'resolved' | 'rejected' | 'timed-out' | 'recorded';

export interface RecordedCall {
  id: string;
  pageId: string;
  seq?: number;
  time: string;
  receivedAt: string;
  method: string;
  eventName?: string;
  correlationId?: string;
  callId?: string;
  payload?: unknown;
  /** object | json-string | …: how eventInputParameters came. */
  payloadForm?: string;
  /** Field → type as the page saw it (Date stays Date). */
  payloadTypes?: Record<string, string>;
  args: WireArg[];
  outcome: Outcome;
  /** The rejection message the widget's Promise got (or will get, for timed-out). */
  message?: string;
  /** Broken rules: each also rejects the call. */
  violations: Finding[];
  /** Flagged but not rejected. */
  warnings: Finding[];
  pageUrl?: string;
  library?: CallReport['library'];
}

export interface CallFilter {
  method?: string;
  eventName?: string;
  callId?: string;
  correlationId?: string;
  outcome?: Outcome;
  pageId?: string;
  violations?: boolean;
  since?: Date;
  limit?: number;
}

const MAX_CALLS = 10_000;

/** The calls every CIF page made, the settings, and which calls were started/ended (for the once-only rules). */
export class CifStore {
  private settings: CifSettings = { ...DEFAULT_CIF_SETTINGS };
  private calls: RecordedCall[] = [];
  private readonly started = new Map<string, string>(); // callId → record id
  private readonly ended = new Map<string, string>();

  getSettings(): CifSettings {
    return { ...this.settings };
  }

  updateSettings(patch: Partial<CifSettings>): CifSettings {
    this.settings = { ...this.settings, ...patch };
    return this.getSettings();
  }

  resetSettings(): CifSettings {
    this.settings = { ...DEFAULT_CIF_SETTINGS };
    return this.getSettings();
  }

  /** Forgets every call and every started/ended call id. */
  clear(): void {
    this.calls = [];
    this.started.clear();
    this.ended.clear();
  }

  list(filter: CallFilter = {}): RecordedCall[] {
    let out = this.calls.filter(
      (c) =>
        (filter.method === undefined || c.method === filter.method) &&
        (filter.eventName === undefined || c.eventName === filter.eventName) &&
        (filter.callId === undefined || c.callId === filter.callId) &&
        (filter.correlationId === undefined || c.correlationId === filter.correlationId) &&
        (filter.outcome === undefined || c.outcome === filter.outcome) &&
        (filter.pageId === undefined || c.pageId === filter.pageId) &&
        (filter.violations === undefined || c.violations.length > 0 === filter.violations) &&
        (filter.since === undefined || Date.parse(c.receivedAt) >= filter.since.getTime()),
    );
    if (filter.limit !== undefined) out = out.slice(-filter.limit);
    return out;
  }

  get(id: string): RecordedCall | undefined {
    return this.calls.find((c) => c.id === id);
  }

  /** Decides the outcome of one call, records it and returns the record (what the page's Promise does follows it). */
  record(report: CallReport, now = new Date()): RecordedCall {
    const base: RecordedCall = {
      id: randomUUID(),
      pageId: report.pageId,
      ...(report.seq !== undefined ? { seq: report.seq } : {}),
      time: report.time,
      receivedAt: now.toISOString(),
      method: report.method,
      args: report.args,
      outcome: 'resolved',
      violations: [],
      warnings: [],
      ...(report.pageUrl !== undefined ? { pageUrl: report.pageUrl } : {}),
      ...(report.library !== undefined ? { library: report.library } : {}),
    };
    const rec = this.decide(base, report);
    this.calls.push(rec);
    if (this.calls.length > MAX_CALLS) this.calls.splice(0, this.calls.length - MAX_CALLS);
    return rec;
  }

  private decide(rec: RecordedCall, report: CallReport): RecordedCall {
    const reject = (violations: Finding[]): RecordedCall => ({
      ...rec,
      outcome: 'rejected',
      violations: [...rec.violations, ...violations],
      message: `ci-emulator CIF double: Microsoft.CIFramework.${rec.method}${rec.eventName ? `('${rec.eventName}')` : ''} failed: ${violations.map((v) => `${v.message} [${v.rule}]`).join('; ')}`,
    });

    if ((LIFECYCLE_METHODS as readonly string[]).includes(report.method)) {
      const findings: Finding[] = [];
      if (report.method === 'load') {
        const lib = report.library ?? {};
        if (!lib.crmurl) findings.push({ rule: 'cif.library.crmurl', message: 'msdyn_ciLibrary.js was loaded without data-crmurl on its script tag (nor a ucilib URL parameter): CIF cannot reach the org and never initialises' });
        else if (!/^https?:\/\/[^/]+\/?$/.test(lib.crmurl)) findings.push({ rule: 'cif.library.crmurl', message: `data-crmurl must be the org's origin (e.g. https://crmorg.crm.dynamics.com), got "${lib.crmurl}"` });
        if (lib.cifid !== 'CIFMainLibrary') findings.push({ rule: 'cif.library.cifid', message: `the msdyn_ciLibrary.js script tag needs data-cifid="CIFMainLibrary", got ${lib.cifid === undefined ? 'none' : `"${lib.cifid}"`}` });
      }
      return { ...rec, outcome: 'recorded', violations: findings };
    }

    if (report.method === 'raiseEvent') {
      const [eventNameArg, payloadArg, correlationArg] = report.args;
      const payload = readPayload(payloadArg);
      const eventName = eventNameArg?.type === 'string' && typeof eventNameArg.value === 'string' ? eventNameArg.value : undefined;
      const callId = callIdOf(payload);
      rec = {
        ...rec,
        ...(eventName !== undefined ? { eventName } : {}),
        ...(correlationArg?.type === 'string' && typeof correlationArg.value === 'string' ? { correlationId: correlationArg.value } : {}),
        ...(callId !== undefined && (eventName === CALL_STARTED || eventName === CALL_ENDED) ? { callId } : {}),
        ...(payload.value !== undefined ? { payload: payload.value } : {}),
        payloadForm: payload.form,
        ...(payload.fields ? { payloadTypes: payload.fields } : {}),
      };
      if (!report.initialised) return reject([beforeInit(rec.method)]);
      const violations = [...checkRaiseEventArgs(eventNameArg, payload, correlationArg)];
      if (eventName) violations.push(...checkCallEventPayload(eventName, payload));
      if (eventName === CALL_STARTED && callId !== undefined && this.started.has(callId)) {
        violations.push({ rule: 'cif.call-started.once', field: 'callId', message: `WIDGET_CALL_STARTED was already raised for callId ${callId}: raise it once per call` });
      }
      if (eventName === CALL_ENDED && callId !== undefined && this.ended.has(callId)) {
        violations.push({ rule: 'cif.call-ended.once', field: 'callId', message: `WIDGET_CALL_ENDED was already raised for callId ${callId}: raise it once per call (a known mistake of Microsoft's own Twilio sample)` });
      }
      if (violations.length > 0) return reject(violations);
      // Only calls that passed count as started/ended.
      if (eventName === CALL_STARTED && callId !== undefined) this.started.set(callId, rec.id);
      if (eventName === CALL_ENDED && callId !== undefined) {
        this.ended.set(callId, rec.id);
        if (!this.started.has(callId)) {
          rec.warnings.push({ rule: 'cif.call-ended.after-started', field: 'callId', message: `WIDGET_CALL_ENDED for callId ${callId} without a WIDGET_CALL_STARTED before it: conversation intelligence has no call to end` });
        }
      }
      if (report.timeoutFault) {
        return { ...rec, outcome: 'timed-out', message: `ci-emulator CIF double: Microsoft.CIFramework.raiseEvent('${eventName ?? ''}') timed out after ${CIF_TIMEOUT_SECONDS} s (fault raiseEventTimeout)` };
      }
      return rec;
    }

    if (!(EMULATED_METHODS as readonly string[]).includes(report.method)) {
      return reject([{ rule: 'cif.method', message: `${report.method} is not a CIF 1.0 method the double emulates (${EMULATED_METHODS.join(', ')})` }]);
    }
    if (!report.initialised) return reject([beforeInit(report.method)]);
    return rec;
  }
}

function beforeInit(method: string): Finding {
  return { rule: 'cif.init', message: `Microsoft.CIFramework.${method} was called before CIFInitDone: wait for the CIFInitDone event on window (CIF 1.0 fails calls made before it)` };
}
