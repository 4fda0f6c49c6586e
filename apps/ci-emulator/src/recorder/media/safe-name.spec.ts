import { safeCallDir } from './safe-name';

describe('safeCallDir', () => {
  it('keeps a Call-ID made of safe characters as it is', () => {
    expect(safeCallDir('a84b4c76e66710-1.x_y')).toBe('a84b4c76e66710-1.x_y');
  });
  it('replaces unsafe characters and adds a hash so different Call-IDs stay apart', () => {
    const a = safeCallDir('a84b4c76e66710@pc33.atlanta.com');
    const b = safeCallDir('a84b4c76e66710_pc33.atlanta.com');
    expect(a).toMatch(/^a84b4c76e66710_pc33\.atlanta\.com-[0-9a-f]{12}$/);
    expect(b).toBe('a84b4c76e66710_pc33.atlanta.com');
    expect(a).not.toBe(b);
  });
  it.each(['..', '.', '../../etc/passwd', '/abs', 'a/b', 'x\\y', '', '\u0000'])('never yields a path component that escapes: %j', (id) => {
    const d = safeCallDir(id);
    expect(d).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/);
    expect(d).not.toContain('/');
  });
  it('bounds the length', () => {
    expect(safeCallDir('x'.repeat(5000)).length).toBeLessThanOrEqual(113);
  });
});
