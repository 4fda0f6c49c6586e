import { formatSubject, parsePartners, partnerForSubject, PartnersFileError } from './partners';

const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';

function problems(json: string): string[] {
  try {
    parsePartners(json);
  } catch (e) {
    expect(e).toBeInstanceOf(PartnersFileError);
    return (e as PartnersFileError).problems;
  }
  throw new Error('expected a PartnersFileError');
}

describe('partners file (mutual TLS)', () => {
  it('parses partners, lowercasing tenant ids', () => {
    const p = parsePartners(JSON.stringify({ partners: [{ id: 'acme', subject: { CN: 'dialer.acme.example', O: 'Acme' }, tenants: [A.toUpperCase()] }, { id: 'carrier', subject: { CN: 'own-dialer' }, tenants: '*' }] }));
    expect(p).toEqual([
      { id: 'acme', subject: { CN: 'dialer.acme.example', O: 'Acme' }, tenants: [A] },
      { id: 'carrier', subject: { CN: 'own-dialer' }, tenants: '*' },
    ]);
  });

  it('lists every problem with its JSON path', () => {
    expect(problems('{ nope')[0]).toMatch(/^not JSON/);
    expect(problems(JSON.stringify({ partner: [] }))).toEqual(['$.partners: must be a list', '$.partner: unknown field (the file holds { "partners": [...] })']);
    expect(
      problems(
        JSON.stringify({
          partners: [
            { id: 'has space', subject: { O: 'Acme' }, tenants: [] },
            { id: 'b', subject: { CN: 'x', Email: 'a@b' }, tenants: 'all', extra: 1 },
          ],
        }),
      ).sort(),
    ).toEqual(
      [
        '$.partners[0].id: letters, digits and . _ : @ - only',
        '$.partners[0].subject: CN is required',
        '$.partners[0].tenants: must not be empty',
        '$.partners[1].extra: unknown field (a partner has id, subject, tenants)',
        '$.partners[1].subject.Email: unknown attribute (use CN, O, OU, C, ST, L, emailAddress, serialNumber)',
        '$.partners[1].tenants: must be "*" or a list of tenant ids',
      ].sort(),
    );
    expect(
      problems(
        JSON.stringify({
          partners: [
            { id: 'a', subject: { CN: 'x', O: 'Acme' }, tenants: '*' },
            { id: 'a', subject: { O: 'Acme', CN: 'x' }, tenants: '*' },
          ],
        }),
      ),
    ).toEqual(['$.partners[1].id: "a" appears twice', '$.partners[1].subject: the same as $.partners[0].subject']);
  });

  it('matches a certificate subject on every attribute given, the most specific partner first', () => {
    const partners = parsePartners(
      JSON.stringify({
        partners: [
          { id: 'by-cn', subject: { CN: 'dialer.acme.example' }, tenants: '*' },
          { id: 'by-cn-and-o', subject: { CN: 'dialer.acme.example', O: 'Acme' }, tenants: [A] },
        ],
      }),
    );
    expect(partnerForSubject(partners, { CN: 'dialer.acme.example', O: 'Acme', C: 'GB' })?.id).toBe('by-cn-and-o');
    expect(partnerForSubject(partners, { CN: 'dialer.acme.example', O: 'Other' })?.id).toBe('by-cn');
    expect(partnerForSubject(partners, { CN: 'dialer.acme.example.evil' })).toBeUndefined();
    expect(partnerForSubject(partners, { CN: ['dialer.acme.example', 'second'] })).toBeUndefined();
    expect(partnerForSubject(partners, undefined)).toBeUndefined();
    expect(formatSubject({ O: 'Acme', CN: 'dialer.acme.example', OU: ['a', 'b'] })).toBe('O=Acme, CN=dialer.acme.example, OU=a+b');
  });
});
