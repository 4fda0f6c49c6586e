import { checkUsers, generatedUser, UserList } from './users';

describe('generated users', () => {
  const spec = { count: 100_000, seed: 's', domain: 'contoso.example' };

  it('are deterministic for (seed, index) and carry id, UPN, mail, E.164 phones and a name', () => {
    expect(generatedUser(spec, 42)).toEqual(generatedUser({ ...spec }, 42));
    expect(generatedUser(spec, 42)).not.toEqual(generatedUser({ ...spec, seed: 't' }, 42));
    const u = generatedUser(spec, 7);
    expect(u).toMatchObject({ userPrincipalName: expect.stringMatching(/^[a-z]+\.[a-z]+\.7@contoso\.example$/), mobilePhone: expect.stringMatching(/^\+1555\d{7}$/) });
    expect(u['mail']).toBe(u['userPrincipalName']);
    expect(u['id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('have unique ids and phones across 100,000', () => {
    const ids = new Set<unknown>();
    const phones = new Set<unknown>();
    for (let i = 0; i < spec.count; i++) {
      const u = generatedUser(spec, i);
      ids.add(u['id']);
      phones.add(u['mobilePhone']);
    }
    expect(ids.size).toBe(spec.count);
    expect(phones.size).toBe(spec.count);
  });
});

describe('UserList', () => {
  it('lists generated then explicit users, and removes either kind by any identifier', () => {
    const list = new UserList();
    list.generate({ count: 5, seed: 'x', domain: 'd.example' });
    expect(list.add({ userPrincipalName: 'extra@d.example' })).toBe('added');
    expect(list.add({ userPrincipalName: 'EXTRA@d.example' })).toBe('duplicate');
    const all = () => Array.from({ length: list.size }, (_, i) => JSON.parse(list.json(i)) as Record<string, unknown>);
    const before = all();
    expect(before).toHaveLength(6);
    expect(list.remove(String(before[1]?.['userPrincipalName']))).toBe(true);
    expect(list.remove(String(before[3]?.['id']))).toBe(true);
    expect(list.remove('extra@d.example')).toBe(true);
    expect(list.remove('nobody@d.example')).toBe(false);
    expect(all()).toEqual([before[0], before[2], before[4]]);
  });
});

describe('checkUsers', () => {
  it('names each bad user and field, and duplicates', () => {
    const r = checkUsers([{ id: 'x' }, {}, { mail: 'a@b.example' }, { mail: 'A@b.example' }, { mobilePhone: '0791234567', colour: 'red' }]);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.problems).toEqual([
      { field: '[0].id', message: 'not a GUID' },
      { field: '[1]', message: expect.stringContaining('at least one identifier') },
      { field: '[3]', message: expect.stringContaining('duplicate of [2]') },
      { field: '[4].colour', message: expect.stringContaining('unknown property') },
      { field: '[4].mobilePhone', message: expect.stringContaining('E.164') },
    ]);
    expect(checkUsers({})).toEqual({ ok: false, problems: [{ field: '(body)', message: 'must be a JSON array of users' }] });
  });
});
