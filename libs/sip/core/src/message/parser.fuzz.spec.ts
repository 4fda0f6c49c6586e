import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitNameAddr } from './header-values';
import { HeaderList } from './headers';
import { PARSE_ERROR_CODES, parseMessage, responseForParseError, type ParseOptions } from './parser';
import { serializeMessage } from './serializer';
import { SipParseError, type SipMessage } from './types';

/**
 * Whatever bytes arrive, parseMessage returns a message or throws a
 * SipParseError with a known code — never another exception, never a hang —
 * and what it accepts serializes to bytes it reads back the same.
 */

// SIP_FUZZ_RUNS=200000 for a deeper local run; CI keeps it around 2,000 runs in all (~1 s).
const RUNS = Number(process.env['SIP_FUZZ_RUNS'] ?? 1500);

const SEEDS = ['wsinv', 'intmeth', 'esc01', 'escnull', 'longreq', 'mpart01', 'unreason', 'inv2543', 'siprec-mpart-ipv6', 'ipv4-mapped-ipv6', 'dblreq'].map((f) =>
  readFileSync(join(__dirname, '__corpus__', `${f}.sip`)),
);

// Octets that mean something to the grammar, and a few that never may.
const SPECIAL = [0x0d, 0x0a, 0x00, 0xff, 0x22, 0x3c, 0x3e, 0x3b, 0x2c, 0x3a, 0x20, 0x09, 0x5c, 0x25, 0x40, 0x5b, 0x5d, 0x3d, 0x2f, 0x2d, 0x7f, 0xc3];
const FRAGMENTS = ['\r\n', '\r\n ', '\r\n\r\n', 'sip:', ';tag=', ';branch=z9hG4bK', 'Via: SIP/2.0/UDP ', 'Content-Length: 99999', '"', '<sip:a@[2001:db8::1]>', ',', 'SIP/2.0', '%00', '\\"'].map((s) => [...Buffer.from(s, 'latin1')]);

const chunk = fc.oneof(
  fc.array(fc.constantFrom(...SPECIAL), { minLength: 1, maxLength: 4 }),
  fc.constantFrom(...FRAGMENTS),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
);

type Mutation =
  | { op: 'set'; at: number; byte: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'delete'; at: number; length: number }
  | { op: 'truncate'; at: number }
  | { op: 'duplicate-line'; at: number }
  | { op: 'repeat'; at: number; bytes: number[]; times: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(...SPECIAL), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: chunk }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), bytes: chunk, times: fc.integer({ min: 2, max: 40_000 }) }),
);

function mutate(seed: Buffer, mutations: Mutation[]): Buffer {
  let b = seed;
  for (const m of mutations) {
    const at = m.at % (b.length + 1);
    switch (m.op) {
      case 'set':
        b = Buffer.from(b);
        if (at < b.length) b[at] = m.byte;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'duplicate-line': {
        const start = b.lastIndexOf('\r\n', at);
        const end = b.indexOf('\r\n', at);
        if (start >= 0 && end > start) b = Buffer.concat([b.subarray(0, end), b.subarray(start, end), b.subarray(end)]);
        break;
      }
      case 'repeat': {
        // Up to the size limit (and now and then past it).
        const times = Math.min(m.times, Math.floor((70_000 - b.length) / m.bytes.length));
        if (times > 0) b = Buffer.concat([b.subarray(0, at), Buffer.alloc(times * m.bytes.length, Buffer.from(m.bytes)), b.subarray(at)]);
        break;
      }
    }
  }
  return b;
}

function comparable(m: SipMessage) {
  return {
    start: m.kind === 'request' ? [m.method, m.uri] : [m.status, m.reason],
    headers: [...m.headers].filter((f) => f.name.toLowerCase() !== 'content-length').map((f) => [f.name, f.value]),
    body: m.body.toString('hex'),
  };
}

/** The parser's contract for any input: a message that round-trips, or a typed error. */
function checkContract(data: Buffer, opts: ParseOptions): void {
  let m: SipMessage;
  try {
    m = parseMessage(data, opts);
  } catch (err) {
    if (!(err instanceof SipParseError)) throw err;
    expect(PARSE_ERROR_CODES).toContain(err.code);
    expect(err.code).not.toBe('malformed');
    const res = responseForParseError(err);
    if (res) expect(serializeMessage(res).length).toBeGreaterThan(0);
    return;
  }
  // Expanded compact names and an added Content-Length may make it longer than what came in.
  const again = parseMessage(serializeMessage(m), { stream: true, limits: { ...opts.limits, maxMessageBytes: Number.MAX_SAFE_INTEGER } });
  expect(comparable(again)).toEqual(comparable(m));
}

describe('parser fuzzing', () => {
  it('mutated valid messages yield a message that round-trips or a SipParseError, nothing else', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: SEEDS.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.boolean(),
        (seedIndex, mutations, stream, bigLimits) => {
          const data = mutate(SEEDS[seedIndex] ?? Buffer.alloc(0), mutations);
          // With raised limits the validators themselves meet huge values (no quadratic paths).
          checkContract(data, { stream, ...(bigLimits ? { limits: { maxLineLength: 70_000, maxHeaders: 40_000, maxMessageBytes: 70_000 } } : {}) });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('survives huge values of every kind within the limits', () => {
    const big = { limits: { maxLineLength: 70_000, maxHeaders: 70_000, maxMessageBytes: 70_000 } };
    const base = 'INVITE sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nTo: <sip:b@example.com>\r\nFrom: <sip:a@example.com>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n';
    const huge = [
      `To: ${'<'.repeat(60_000)}`,
      `Contact: ${'"'.repeat(60_000)}`,
      `Contact: <sip:${'a'.repeat(60_000)}!>`,
      `X-Semis: ${';'.repeat(60_000)}`,
      `Via: SIP/2.0/UDP ${'1:'.repeat(30_000)}x`,
      `Via: SIP/2.0/UDP h;${'a=b;'.repeat(15_000)}`,
      `Call-ID: ${'a@'.repeat(30_000)}`,
      `Contact: <tel:+${'1'.repeat(60_000)}x>`,
      `Contact: <sip:[${'1:'.repeat(30_000)}]>`,
      `Content-Type: ${'a/'.repeat(30_000)}`,
      `X-Folds: a${'\r\n b'.repeat(15_000)}`,
      'x'.repeat(60_000),
      `${'X-H: 1\r\n'.repeat(8_000)}`,
    ];
    for (const line of huge) {
      for (const start of [base, base.replace('INVITE sip:a@example.com SIP/2.0', `INVITE sip:${'a'.repeat(30_000)}@[::1 SIP/2.0`)]) {
        checkContract(Buffer.from(`${start}${line}\r\nContent-Length: 0\r\n\r\n`, 'latin1'), big);
        checkContract(Buffer.from(`${start}${line}\r\nContent-Length: 0\r\n\r\n`, 'latin1'), {});
      }
    }
  });

  // Values from safe alphabets: what the serializer writes must come back field for field.
  const token = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~'), minLength: 1, maxLength: 16 });
  const label = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 1, maxLength: 10 });
  const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
  const word = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`\'~()<>:\\"/[]?{}'), minLength: 1, maxLength: 24 });
  const text = fc
    .string({ unit: fc.oneof(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz ABC019"\\;,:<>=@[]{}()!#$%&*+-./?^_`|~\''), fc.constantFrom('é', 'ß', '東', '京', '😀')), maxLength: 60 })
    .map((s) => s.trim());
  const quoted = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

  const message: fc.Arbitrary<SipMessage> = fc
    .record({
      request: fc.boolean(),
      method: token,
      user: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.!~*\'()&=+$,;?/'), minLength: 1, maxLength: 16 }),
      host,
      status: fc.integer({ min: 100, max: 699 }),
      reason: text,
      branch: token,
      fromName: text,
      fromTag: token,
      toTag: fc.option(token, { nil: undefined }),
      callId: fc.tuple(word, fc.option(word, { nil: undefined })).map(([a, b]) => (b === undefined ? a : `${a}@${b}`)),
      seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      maxForwards: fc.integer({ min: 0, max: 255 }),
      extra: fc.array(fc.tuple(token, text), { maxLength: 8 }),
      body: fc.uint8Array({ maxLength: 2000 }),
    })
    .map((g) => {
      const headers = HeaderList.from([
        ['Via', `SIP/2.0/UDP ${g.host}:5060;branch=z9hG4bK${g.branch}`],
        ['From', `${quoted(g.fromName)} <sip:${g.user}@${g.host}>;tag=${g.fromTag}`],
        ['To', `<sip:${g.user}@${g.host}>${g.toTag === undefined ? '' : `;tag=${g.toTag}`}`],
        ['Call-ID', g.callId],
        ['CSeq', `${g.seq} ${g.method}`],
        ['Max-Forwards', String(g.maxForwards)],
        ...g.extra.map(([n, v]): [string, string] => [`X-${n}`, v]),
      ]);
      const body = Buffer.from(g.body);
      return g.request
        ? { kind: 'request' as const, method: g.method, uri: `sip:${g.user}@${g.host}`, version: 'SIP/2.0' as const, headers, body }
        : { kind: 'response' as const, status: g.status, reason: g.reason, version: 'SIP/2.0' as const, headers, body };
    });

  it('reads back what it serializes, for generated valid messages', () => {
    fc.assert(
      fc.property(message, fc.boolean(), (m, stream) => {
        const parsed = parseMessage(serializeMessage(m), { stream });
        expect(comparable(parsed)).toEqual(comparable(m));
        const display = splitNameAddr(parsed.headers.get('From') ?? '').displayName;
        expect(quoted(display ?? '')).toBe(m.headers.get('From')?.split(' <sip:')[0]);
      }),
      { numRuns: Math.max(1, Math.round(RUNS / 3)) },
    );
  });
});
