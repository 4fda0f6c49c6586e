import { FakeTimers } from './fake-timers';

describe('FakeTimers', () => {
  it('fires due timers in due order, ties in the order set, and timers set by callbacks within the window', () => {
    const t = new FakeTimers();
    const fired: string[] = [];
    t.setTimer(300, () => fired.push(`c@${t.now()}`));
    t.setTimer(100, () => {
      fired.push(`a@${t.now()}`);
      t.setTimer(50, () => fired.push(`a2@${t.now()}`));
    });
    t.setTimer(100, () => fired.push(`b@${t.now()}`));
    expect(t.advance(200)).toBe(3);
    expect(fired).toEqual(['a@100', 'b@100', 'a2@150']);
    expect(t.now()).toBe(200);
    t.advance(100);
    expect(fired).toEqual(['a@100', 'b@100', 'a2@150', 'c@300']);
    expect(t.pending).toBe(0);
  });

  it('does not fire cleared timers and counts only live ones', () => {
    const t = new FakeTimers(1000);
    const fn = jest.fn();
    const h = t.setTimer(10, fn);
    t.setTimer(20, () => undefined);
    t.clearTimer(h);
    expect(t.pending).toBe(1);
    expect(t.nextDue()).toBe(1020);
    t.advance(100);
    expect(fn).not.toHaveBeenCalled();
    expect(t.pending).toBe(0);
  });

  it('runAll stops at the limit when timers re-arm forever', () => {
    const t = new FakeTimers();
    const tick = (): void => void t.setTimer(1, tick);
    tick();
    expect(t.runAll(50)).toBe(50);
  });
});
