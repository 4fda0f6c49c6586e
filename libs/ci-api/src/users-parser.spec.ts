import fc from 'fast-check';
import { UsersBodyParser, UsersShapeError, type ProviderUser } from './users-parser';

/** Parses `text` fed in pieces of `chunk` characters. */
function parse(text: string, chunk = text.length || 1) {
  const users: ProviderUser[] = [];
  const parser = new UsersBodyParser((u) => users.push(u));
  for (let i = 0; i < text.length; i += chunk) parser.push(text.slice(i, i + chunk));
  return { users, summary: parser.end() };
}

const shapeError = (text: string): string => {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(UsersShapeError);
    return (err as Error).message;
  }
  throw new Error(`expected ${text} to be refused`);
};

const USERS = [
  { id: 'a', userPrincipalName: 'Ann@Contoso.example', note: 'braces } ] and , in "quotes" \\ and \u00e9' },
  { id: 'b', businessPhones: ['+1 555 0100', '(555) 0101'], nested: { deep: [1, { x: '}' }] } },
  { mail: 'c@contoso.example' },
];

describe('UsersBodyParser (tolerant users answers, streamed)', () => {
  it('reads a bare array', () => {
    const { users, summary } = parse(JSON.stringify(USERS));
    expect(users).toEqual(USERS);
    expect(summary).toEqual({ shape: 'array', users: 3 });
  });

  it.each(['value', 'users', 'items'])('reads { %s: [...] } with other members around it', (key) => {
    const body = { '@odata.context': 'x', [key]: USERS, count: 3 };
    const { users, summary } = parse(JSON.stringify(body, null, 2));
    expect(users).toEqual(USERS);
    expect(summary).toEqual({ shape: key, users: 3 });
  });

  it.each(['@odata.nextLink', 'nextLink', 'next', 'odata.nextLink'])('finds the next link under %s, before or after the list', (key) => {
    expect(parse(JSON.stringify({ value: USERS, [key]: 'https://api/next?p=2' })).summary.nextLink).toBe('https://api/next?p=2');
    expect(parse(JSON.stringify({ [key]: '/rel?p=2', value: [] })).summary.nextLink).toBe('/rel?p=2');
  });

  it('gives the same users whatever the chunk boundaries (every split of a tricky body)', () => {
    const text = JSON.stringify({ 'a\\"b': 'x', value: USERS, '@odata.nextLink': 'n\\"' });
    for (let chunk = 1; chunk <= 12; chunk++) {
      const { users, summary } = parse(text, chunk);
      expect(users).toEqual(USERS);
      expect(summary.nextLink).toBe('n\\"');
    }
  });

  it('matches JSON.parse for any array of objects, in any chunking (property)', () => {
    const user = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 });
    fc.assert(
      fc.property(fc.array(user, { maxLength: 8 }), fc.integer({ min: 1, max: 50 }), fc.boolean(), (list, chunk, wrapped) => {
        const text = JSON.stringify(wrapped ? { value: list, other: { value: 'not this' } } : list, null, chunk % 3);
        const { users } = parse(text, chunk);
        expect(users).toEqual(JSON.parse(JSON.stringify(list)));
      }),
      { numRuns: 300 },
    );
  });

  it('reads an empty list', () => {
    expect(parse('[]').users).toEqual([]);
    expect(parse('{"value":[]}').summary).toEqual({ shape: 'value', users: 0 });
  });

  it('names the shape it cannot read', () => {
    expect(shapeError('{"error":{"code":"x"},"data":[]}')).toBe('an object with the members "error", "data" and no users list');
    expect(shapeError('{}')).toBe('an object with no members and no users list');
    expect(shapeError('{"value":{"id":"a"}}')).toBe('"value" is an object, not an array of users');
    expect(shapeError('"users"')).toBe('a JSON string, not a JSON array or object');
    expect(shapeError('<html>502</html>')).toBe('HTML or XML, not a JSON array or object');
    expect(shapeError('')).toBe('the body is empty');
    expect(shapeError('[{"id":"a"},"bob"]')).toBe('user 1 is a string, not an object');
  });

  it('refuses malformed or truncated JSON', () => {
    expect(shapeError('[{"id":"a"},{"id":')).toMatch(/ends in the middle/);
    expect(shapeError('[{"id":"a"} {"id":"b"}]')).toMatch(/user 0 is not valid JSON/);
    expect(shapeError('[{"id":"a"}, {"id":"b"} 7]')).toMatch(/user 1 is not valid JSON/);
    expect(shapeError('[{"id":"a"},]')).toMatch(/a ',' before '\]'/);
    expect(shapeError('[{"id":a}]')).toMatch(/user 0 is not valid JSON/);
    expect(shapeError('[] []')).toBe('more text after the end of the JSON');
  });

  it('keeps only the unfinished user in memory', () => {
    const parser = new UsersBodyParser(() => undefined);
    parser.push('[');
    const one = JSON.stringify({ id: 'x'.repeat(100) });
    for (let i = 0; i < 1000; i++) parser.push(`${one},`);
    parser.push(one.slice(0, 50));
    expect((parser as unknown as { buf: string }).buf.length).toBeLessThanOrEqual(50);
    parser.push(`${one.slice(50)}]`);
    expect(parser.end().users).toBe(1001);
  });
});
