import { SrsAnswerError } from '../sdp/siprec-sdp';
import { describeFailure, FailoverPolicy, isRecorderFault, type FailoverContext, type RecorderFailure } from './failover';

const ctx = (over: Partial<FailoverContext> = {}): FailoverContext => ({ failedIndex: 0, targetCount: 2, attempts: 1, startedAt: 1000, now: 1500, ...over });

describe('FailoverPolicy', () => {
  const policy = new FailoverPolicy();
  it.each<[RecorderFailure, string]>([
    [{ kind: 'status', status: 503, retryAfter: 30 }, 'try-next'],
    [{ kind: 'status', status: 500 }, 'try-next'],
    [{ kind: 'status', status: 408 }, 'try-next'],
    [{ kind: 'timeout' }, 'try-next'],
    [{ kind: 'transport', message: 'ECONNRESET' }, 'try-next'],
    [{ kind: 'bad-answer', error: new SrsAnswerError('answer-not-savp', 'RTP/AVP') }, 'try-next'],
    [{ kind: 'circuit-open' }, 'try-next'],
    [{ kind: 'status', status: 403 }, 'give-up'],
    [{ kind: 'status', status: 404 }, 'give-up'],
    [{ kind: 'status', status: 488 }, 'give-up'],
    [{ kind: 'status', status: 421 }, 'give-up'],
    [{ kind: 'status', status: 603 }, 'give-up'],
  ])('%j → %s', (failure, action) => {
    expect(policy.decide(failure, ctx()).action).toBe(action);
  });

  it('says why it gives up', () => {
    expect(policy.decide({ kind: 'status', status: 403, reason: 'Forbidden' }, ctx())).toEqual({ action: 'give-up', reason: '403 Forbidden: every recorder would refuse it the same way (no failover on 403)' });
    expect(policy.decide({ kind: 'timeout' }, ctx({ failedIndex: 1 }))).toEqual({ action: 'give-up', reason: 'no answer in time: no other recorder to try' });
    expect(policy.decide({ kind: 'timeout' }, ctx({ now: 1000 + 8000 }))).toMatchObject({ action: 'give-up', reason: expect.stringMatching(/8000 ms budget/) });
    expect(new FailoverPolicy({ maxAttempts: 1 }).decide({ kind: 'timeout' }, ctx())).toMatchObject({ action: 'give-up', reason: expect.stringMatching(/1 attempt\(s\) made/) });
  });

  it('takes its own skip list and 6xx setting', () => {
    const p = new FailoverPolicy({ noFailoverStatuses: [503], noFailoverOn6xx: false });
    expect(p.decide({ kind: 'status', status: 503 }, ctx()).action).toBe('give-up');
    expect(p.decide({ kind: 'status', status: 403 }, ctx())).toEqual({ action: 'try-next', targetIndex: 1 });
    expect(p.decide({ kind: 'status', status: 600 }, ctx()).action).toBe('try-next');
  });

  it('refuses nonsense options', () => {
    expect(() => new FailoverPolicy({ attemptTimeoutMs: 0 })).toThrow(/attemptTimeoutMs must be a positive number/);
    expect(() => new FailoverPolicy({ noFailoverStatuses: [200] })).toThrow(/200 is not a final non-2xx SIP status/);
  });

  it('an attempt times out within the 2 s the acceptance allows by default', () => {
    expect(policy.attemptTimeoutMs).toBeLessThan(2000);
  });
});

describe('isRecorderFault / describeFailure', () => {
  it('only recorder-side failures count against a recorder', () => {
    expect(isRecorderFault({ kind: 'status', status: 503 })).toBe(true);
    expect(isRecorderFault({ kind: 'status', status: 408 })).toBe(true);
    expect(isRecorderFault({ kind: 'status', status: 403 })).toBe(false);
    expect(isRecorderFault({ kind: 'status', status: 603 })).toBe(false);
    expect(isRecorderFault({ kind: 'timeout' })).toBe(true);
    expect(isRecorderFault({ kind: 'circuit-open' })).toBe(false);
    expect(describeFailure({ kind: 'transport', message: 'TLS handshake failed' })).toBe('transport error: TLS handshake failed');
  });
});
