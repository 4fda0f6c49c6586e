import { fakeCif, memoryStorage, until } from '../test/fakes';
import { CifWidgetError } from './errors';
import { createRaiser } from './raise';
import type { CIFrameworkLike } from './types';

const fast = { initialDelayMs: 1, maxDelayMs: 4, raiseTimeoutMs: 200, maxAttempts: 4 };
const started = (callId: string) => ({ callId, startTime: new Date('2026-05-01T10:00:00Z'), isIncomingCall: true, contactNumber: '+15550100', contactName: 'Kenny Smith' });
const ended = (callId: string) => ({ callId, callDurationInSeconds: 42, callTerminationReason: 'success' as const, callEndTime: '2026-05-01T10:00:42Z', isCallStarted: true });

/** Errors shaped as CIF 1.0 gives them (and as the ci-emulator's double words them). */
const cifTimeout = () => Promise.reject(new Error("Microsoft.CIFramework.raiseEvent('WIDGET_CALL_ENDED') timed out after 10 s"));
const beforeInit = () => Promise.reject(Object.assign(new Error('Microsoft.CIFramework.raiseEvent was called before CIFInitDone [cif.init]'), { violations: [{ rule: 'cif.init' }] }));

describe('raiseCallStarted / raiseCallEnded from a dialer’s own code', () => {
  it('raises the seed events with their exact fields and types, as the seed snippet does', async () => {
    const cif = fakeCif();
    const r = createRaiser({ cif, storage: memoryStorage(), retry: fast });
    await expect(r.raiseCallStarted(started('CA1'))).resolves.toBe(true);
    await expect(r.raiseCallEnded(ended('CA1'))).resolves.toBe(true);
    expect(cif.calls.map((c) => c.name)).toEqual(['WIDGET_CALL_STARTED', 'WIDGET_CALL_ENDED']);
    expect(cif.calls[0]!.payload).toEqual(started('CA1'));
    expect(cif.calls[1]!.payload).toEqual({ ...ended('CA1'), callEndTime: new Date('2026-05-01T10:00:42Z') });
    expect(cif.calls[1]!.payload['callEndTime']).toBeInstanceOf(Date);
  });

  it('raises ended once per call id: a second onCallEnded resolves false without calling CIF, also when both race', async () => {
    const cif = fakeCif(() => new Promise((r) => setTimeout(() => r(true), 20)));
    const r = createRaiser({ cif, storage: memoryStorage(), retry: fast });
    const [a, b] = await Promise.all([r.raiseCallEnded(ended('CA2')), r.raiseCallEnded(ended('CA2'))]);
    expect([a, b]).toEqual([true, false]);
    await expect(r.raiseCallEnded({ ...ended('CA2'), callTerminationReason: 'error' })).resolves.toBe(false);
    expect(cif.calls.filter((c) => c.name === 'WIDGET_CALL_ENDED')).toHaveLength(1);
    // Another call id is its own call.
    await expect(r.raiseCallEnded(ended('CA3'))).resolves.toBe(true);
  });

  it('the once-memory is kept in the storage: a reloaded page (new raiser, same sessionStorage) does not raise ended again', async () => {
    const storage = memoryStorage();
    const first = fakeCif();
    await createRaiser({ cif: first, storage, retry: fast }).raiseCallEnded(ended('CA4'));
    // What a reload would start from: the same storage contents, read afresh.
    const reloaded = memoryStorage();
    for (const [k, v] of storage.data) reloaded.setItem(k, v);
    const second = fakeCif();
    await expect(createRaiser({ cif: second, storage: reloaded, retry: fast }).raiseCallEnded(ended('CA4'))).resolves.toBe(false);
    expect(second.calls).toHaveLength(0);
  });

  it('retries CIF time-outs with backoff and reports each retry', async () => {
    const cif = fakeCif((n) => (n <= 2 ? cifTimeout() : Promise.resolve(true)));
    const retries: CifWidgetError[] = [];
    const r = createRaiser({ cif, storage: memoryStorage(), retry: fast, onRetry: (e) => retries.push(e) });
    await expect(r.raiseCallEnded(ended('CA5'))).resolves.toBe(true);
    expect(cif.calls).toHaveLength(3);
    expect(retries.map((e) => [e.code, e.retrying])).toEqual([
      ['cif-raise-failed', true],
      ['cif-raise-failed', true],
    ]);
    expect(retries[0]!.message).toMatch(/^WIDGET_CALL_ENDED for call CA5: attempt 1 of 4 timed out \(.*timed out after 10 s\); again in \d+ ms$/);
  });

  it('a raiseEvent that never settles counts as timed out (raiseTimeoutMs) and is tried again', async () => {
    const cif = fakeCif((n) => (n === 1 ? new Promise(() => undefined) : Promise.resolve(true)));
    const retries: string[] = [];
    const r = createRaiser({ cif, storage: memoryStorage(), retry: { ...fast, raiseTimeoutMs: 30 }, onRetry: (e) => retries.push(e.message) });
    await expect(r.raiseCallStarted(started('CA6'))).resolves.toBe(true);
    expect(cif.calls).toHaveLength(2);
    expect(retries[0]).toMatch(/did not answer in 30 ms/);
  });

  it('after a time-out, "already raised" from CIF means the earlier attempt got through: done, not an error', async () => {
    const already = () => Promise.reject(Object.assign(new Error('WIDGET_CALL_ENDED was already raised for callId CA7 [cif.call-ended.once]'), { violations: [{ rule: 'cif.call-ended.once' }] }));
    const cif = fakeCif((n) => (n === 1 ? cifTimeout() : already()));
    const r = createRaiser({ cif, storage: memoryStorage(), retry: fast });
    await expect(r.raiseCallEnded(ended('CA7'))).resolves.toBe(false);
    expect(cif.calls).toHaveLength(2);
  });

  it('calls before CIFInitDone fail and are retried until CIF is initialised', async () => {
    let initialised = false;
    const cif = fakeCif(() => (initialised ? Promise.resolve(true) : beforeInit()));
    setTimeout(() => (initialised = true), 15);
    const r = createRaiser({ cif, storage: memoryStorage(), retry: { ...fast, maxAttempts: 50 } });
    await expect(r.raiseCallStarted(started('CA8'))).resolves.toBe(true);
    expect(cif.calls.length).toBeGreaterThan(1);
  });

  it('a payload CIF refuses by rule is not retried; the error names the rule', async () => {
    const cif = fakeCif(() => Promise.reject(Object.assign(new Error('WIDGET_CALL_STARTED payload: contactName must be a string [cif.call-started.contactName]'), { violations: [{ rule: 'cif.call-started.contactName' }] })));
    const r = createRaiser({ cif, storage: memoryStorage(), retry: fast });
    const err = await r.raiseCallStarted(started('CA9')).catch((e: unknown) => e as CifWidgetError);
    expect(err).toBeInstanceOf(CifWidgetError);
    expect(err).toMatchObject({ code: 'cif-raise-failed', retrying: false });
    expect((err as Error).message).toMatch(/CIF refused it: .*\[cif\.call-started\.contactName\]/);
    expect(cif.calls).toHaveLength(1);
  });

  it('gives up after maxAttempts, and a later call for the same id may try again', async () => {
    let up = false;
    const cif = fakeCif(() => (up ? Promise.resolve(true) : cifTimeout()));
    const r = createRaiser({ cif, storage: memoryStorage(), retry: fast });
    await expect(r.raiseCallEnded(ended('CA10'))).rejects.toThrow(/WIDGET_CALL_ENDED for call CA10: failed 4 times, giving up/);
    expect(cif.calls).toHaveLength(4);
    up = true;
    await expect(r.raiseCallEnded(ended('CA10'))).resolves.toBe(true);
  });

  it('invalid input rejects before CIF is called, naming each field', async () => {
    const cif = fakeCif();
    const r = createRaiser({ cif, storage: memoryStorage(), retry: fast });
    const { callDurationInSeconds: _, ...noDuration } = ended('CA11');
    const err = (await r.raiseCallEnded(noDuration as never).catch((e: unknown) => e)) as CifWidgetError;
    expect(err.code).toBe('invalid-input');
    expect(err.problems.map((p) => p.field)).toEqual(['callDurationInSeconds']);
    expect(cif.calls).toHaveLength(0);
  });

  it('waits for Microsoft.CIFramework to appear and for CIFInitDone before the first call', async () => {
    const page: { cif?: CIFrameworkLike & { calls: unknown[] } } = {};
    const events = new EventTarget();
    const r = createRaiser({ cif: () => page.cif, cifEvents: events, storage: memoryStorage(), retry: fast, initWaitMs: 10_000 });
    const raised = r.raiseCallStarted(started('CA12'));
    await new Promise((res) => setTimeout(res, 30));
    const cif = (page.cif = fakeCif());
    await new Promise((res) => setTimeout(res, 120));
    expect(cif.calls).toHaveLength(0); // there, but not initialised yet
    events.dispatchEvent(new Event('CIFInitDone'));
    await expect(raised).resolves.toBe(true);
    await until('the call', () => cif.calls.length === 1);
  });

  it('tells when Microsoft.CIFramework does not come (the CIF library not loaded), and keeps waiting', async () => {
    const errors: CifWidgetError[] = [];
    const page: { cif?: CIFrameworkLike } = {};
    const r = createRaiser({ cif: () => page.cif, storage: memoryStorage(), retry: fast, missingReportMs: 20, onError: (e) => errors.push(e) });
    const raised = r.raiseCallStarted(started('CA13'));
    await until('the report', () => errors.length > 0);
    expect(errors[0]).toMatchObject({ code: 'cif-unavailable', retrying: true });
    expect(errors[0]!.message).toMatch(/msdyn_ciLibrary\.js/);
    page.cif = fakeCif();
    await expect(raised).resolves.toBe(true);
  });
});
