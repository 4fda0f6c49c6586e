import { backoffDelay } from './redis-client';

describe('backoffDelay', () => {
  it('grows exponentially, stays within [base, max], and is jittered', () => {
    expect(backoffDelay(1, 50, 2000, () => 1)).toBe(50);
    expect(backoffDelay(4, 50, 2000, () => 1)).toBe(400);
    expect(backoffDelay(30, 50, 2000, () => 1)).toBe(2000);
    expect(backoffDelay(30, 50, 2000, () => 0)).toBe(50);
    expect(backoffDelay(6, 50, 2000, () => 0.5)).toBe(800);
  });
});
