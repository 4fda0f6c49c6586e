import { ApiError } from './api-error';
import { planUsersPage } from './users-response';
import { UserList } from '../entra/users';
import type { DirectoryTenant } from '../entra/directory';

const BASE = 'https://127.0.0.1:18443';

function tenant(shape: 'array' | 'value' | 'paged', count: number, pageSize = 100): DirectoryTenant {
  const users = new UserList();
  users.generate({ count, seed: 's', domain: 'd.example' });
  return { tenantId: 't', displayName: 't', consents: new Map(), users, usersResponse: { shape, pageSize } };
}

const problemFields = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return (err as ApiError).details.map((d) => d.field);
  }
  throw new Error('expected a 400');
};

describe('planUsersPage', () => {
  it('pages through every user with absolute https next links', () => {
    const t = tenant('paged', 250);
    const first = planUsersPage(t, {}, BASE);
    expect(first).toMatchObject({ offset: 0, end: 100, firstPage: true });
    expect(first.next).toMatch(/^https:\/\/127\.0\.0\.1:18443\/api\/v1\.0\/providers\/users\?\$top=100&\$skiptoken=[A-Za-z0-9_-]+$/);
    const q = Object.fromEntries(new URL(first.next ?? '').searchParams);
    const second = planUsersPage(t, q, BASE);
    expect(second).toMatchObject({ offset: 100, end: 200, firstPage: false });
    const third = planUsersPage(t, Object.fromEntries(new URL(second.next ?? '').searchParams), BASE);
    expect(third).toMatchObject({ offset: 200, end: 250 });
    expect(third.next).toBeUndefined();
    expect(planUsersPage(t, { $top: '7' }, BASE)).toMatchObject({ end: 7, pageSize: 7 });
  });

  it('answers everything at once in the other shapes ($top accepted and ignored)', () => {
    expect(planUsersPage(tenant('array', 5), {}, BASE)).toEqual({ offset: 0, end: 5, pageSize: 5, firstPage: true });
    expect(planUsersPage(tenant('value', 5), { $top: '2' }, BASE)).toMatchObject({ end: 5 });
  });

  it('400 naming each bad parameter', () => {
    const t = tenant('paged', 10);
    expect(problemFields(() => planUsersPage(t, { $top: '1001', $orderby: 'x' }, BASE))).toEqual(['$orderby', '$top']);
    expect(problemFields(() => planUsersPage(t, { $skiptoken: 'bm90LWpzb24' }, BASE))).toEqual(['$skiptoken']);
    expect(problemFields(() => planUsersPage(t, { $skiptoken: Buffer.from('{"o":99,"v":1}').toString('base64url') }, BASE))).toEqual(['$skiptoken']);
    expect(problemFields(() => planUsersPage(t, { $top: ['1', '2'] }, BASE))).toEqual(['$top']);
    expect(problemFields(() => planUsersPage(tenant('value', 3), { $skiptoken: 'x' }, BASE))).toEqual(['$skiptoken']);
  });
});
