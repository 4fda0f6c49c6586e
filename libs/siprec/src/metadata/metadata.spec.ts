import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { EMULATOR_RECORDER_DIR, emulatorReadMetadata, schemaErrors } from '../__support__/emulator';
import { seededRandom } from '../__support__/random';
import { buildRecordingMetadata, DEFAULT_EXTENSION_NAMESPACE, newMetadataId, RECORDING_NS, type RecordingMetadataInput } from './metadata';
import { displayNameOf, DISPLAY_NAME_MAX, UNKNOWN_PARTY, userPartOf } from './party';
import { toUriReference, xmlAttr, xmlText } from './xml';

const T = Date.UTC(2023, 0, 19, 8, 21, 13, 382);
const input = (over: Partial<RecordingMetadataInput> = {}): RecordingMetadataInput => ({
  role: 'inbound',
  caller: { aor: 'sip:+14155550100@carrier.example;user=phone', displayName: 'Kiana Anderson' },
  callee: { aor: 'sip:tomas@contoso.example', displayName: 'Tomas Richardson' },
  associateTime: T,
  random: seededRandom(7),
  ...over,
});

/** The start tags of an XML text, in order (names only). */
const startTags = (xml: string) => [...xml.matchAll(/<([A-Za-z][\w:-]*)/g)].map((m) => m[1]);

describe('buildRecordingMetadata', () => {
  it("has the seed's elements in the seed's order", () => {
    const seed = readFileSync(join(EMULATOR_RECORDER_DIR, '__fixtures__/seed-invite.sip'), 'utf8');
    const seedXml = seed.slice(seed.indexOf('<recording'), seed.indexOf('</recording>') + '</recording>'.length);
    const { xml } = buildRecordingMetadata(input());
    expect(startTags(xml)).toEqual(startTags(seedXml));
    expect(xml.startsWith(`<?xml version="1.0" encoding="UTF-8"?>\r\n<recording xmlns='${RECORDING_NS}'>`)).toBe(true);
  });

  it('is valid against the RFC 7865 schema the emulator uses', async () => {
    expect(await schemaErrors(buildRecordingMetadata(input()).xml)).toEqual([]);
    expect(await schemaErrors(buildRecordingMetadata(input({ role: 'outbound' })).xml)).toEqual([]);
  });

  it('inbound call: Role inbound, the caller (customer) sends the inbound stream, the callee (seller) the outbound one', () => {
    const { xml, ids, parameters } = buildRecordingMetadata(input());
    const md = emulatorReadMetadata(xml);
    expect(parameters).toEqual({ Role: 'inbound', CallerDisplayName: 'Kiana Anderson', CalleeDisplayName: 'Tomas Richardson' });
    expect(md.datamode).toBe('complete');
    expect(md.extensionParameters).toEqual(parameters);
    expect(md.sessions).toEqual([{ sessionId: ids.sessionId, sipSessionIds: [] }]);
    expect(md.participants).toEqual([
      { participantId: ids.participantIds[0], aors: ['sip:+14155550100@carrier.example;user=phone'], names: [] },
      { participantId: ids.participantIds[1], aors: ['sip:tomas@contoso.example'], names: [] },
    ]);
    expect(md.streams).toEqual([
      { streamId: ids.streamIds.inbound, sessionId: ids.sessionId, label: 'inbound' },
      { streamId: ids.streamIds.outbound, sessionId: ids.sessionId, label: 'outbound' },
    ]);
    expect(md.participantStreams).toEqual([
      { participantId: ids.participantIds[0], send: [ids.streamIds.inbound], recv: [ids.streamIds.outbound] },
      { participantId: ids.participantIds[1], send: [ids.streamIds.outbound], recv: [ids.streamIds.inbound] },
    ]);
    expect(xml.match(/<associate-time>2023-01-19T08:21:13.382Z<\/associate-time>/g)).toHaveLength(3);
    expect(xml).toContain(`<ExtensionParameters xmlns="${DEFAULT_EXTENSION_NAMESPACE}">`);
  });

  it('outbound call: Role outbound, the caller (seller) sends the outbound stream', () => {
    const { xml, ids } = buildRecordingMetadata(input({ role: 'outbound', extensionNamespace: 'urn:example:carrier' }));
    const md = emulatorReadMetadata(xml);
    expect(md.extensionParameters['Role']).toBe('outbound');
    expect(md.participantStreams[0]).toEqual({ participantId: ids.participantIds[0], send: [ids.streamIds.outbound], recv: [ids.streamIds.inbound] });
    expect(xml).toContain('<ExtensionParameters xmlns="urn:example:carrier">');
  });

  it('ids are UUIDs (version 4, RFC 4122 variant) in base64, distinct, and reused when given', () => {
    const first = buildRecordingMetadata(input());
    const all = [first.ids.sessionId, ...first.ids.participantIds, first.ids.streamIds.inbound, first.ids.streamIds.outbound];
    expect(new Set(all).size).toBe(5);
    for (const id of all) {
      const b = Buffer.from(id, 'base64');
      expect(b).toHaveLength(16);
      expect(id).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect((b[6] ?? 0) >> 4).toBe(4);
      expect((b[8] ?? 0) >> 6).toBe(2);
    }
    const again = buildRecordingMetadata({ ...input({ random: undefined }), ids: first.ids, caller: { aor: 'tel:+1' } });
    expect(again.ids).toEqual(first.ids);
    expect(again.xml).toContain(`session_id="${first.ids.sessionId}"`);
  });

  it('escapes every value', () => {
    const { xml, parameters } = buildRecordingMetadata(input({ caller: { aor: 'sip:a"b@x', displayName: `Smith & "Sons" <o'neil>` }, extensionNamespace: 'urn:x"y' }));
    expect(xml).toContain('value="Smith &amp; &quot;Sons&quot; &lt;o&apos;neil&gt;"');
    expect(xml).toContain('aor="sip:a%22b@x"');
    expect(xml).toContain('xmlns="urn:x&quot;y"');
    expect(emulatorReadMetadata(xml).extensionParameters['CallerDisplayName']).toBe(parameters.CallerDisplayName);
  });

  it.each([
    [{ ...input(), role: 'sideways' as never }, /Role must be inbound or outbound/],
    [input({ extensionNamespace: RECORDING_NS }), /namespace must be a non-empty URI other than/],
    [input({ extensionNamespace: ' ' }), /namespace must be a non-empty URI/],
    [input({ associateTime: Number.NaN }), /associate-time is not a valid time/],
    [input({ random: undefined }), /neither ids nor a random source/],
    [input({ random: () => new Uint8Array(4) }), /gave 4 bytes, 16 wanted/],
    [{ ...input(), ids: { sessionId: 'not base64!', participantIds: ['AA==', 'AQ=='] as [string, string], streamIds: { inbound: 'Ag==', outbound: 'Aw==' } } }, /"not base64!" is not base64/],
  ] as [RecordingMetadataInput, RegExp][])('refuses bad input with a message naming it (%#)', (bad, message) => {
    expect(() => buildRecordingMetadata(bad)).toThrow(message);
  });

  it('property: any display names and AORs give schema-valid metadata whose values read back as displayNameOf says', async () => {
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('', ' ', '\u202f', '\ufffe', '\ud800', '\u0000\u0001', 'sip:', '"'));
    const party = fc.record({ aor: fc.option(text, { nil: undefined }), displayName: fc.option(text, { nil: undefined }), number: fc.option(text, { nil: undefined }) }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(party, party, fc.constantFrom('inbound' as const, 'outbound' as const), fc.integer({ min: 0, max: 2 ** 31 }), async (caller, callee, role, seed) => {
        const md = buildRecordingMetadata({ role, caller, callee, associateTime: T, random: seededRandom(seed) });
        expect(await schemaErrors(md.xml)).toEqual([]);
        const read = emulatorReadMetadata(md.xml);
        expect(read.extensionParameters).toEqual({ Role: role, CallerDisplayName: displayNameOf(caller), CalleeDisplayName: displayNameOf(callee) });
        expect(displayNameOf(caller).trim()).not.toBe('');
        expect(read.participants.every((p) => p.aors.length === 1 && (p.aors[0] ?? '') !== '')).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});

describe('display names (seed: "If not available, phone number is displayed")', () => {
  it.each([
    [{ displayName: 'Alex Baker', number: '+1555', aor: 'sip:alex@x' }, 'Alex Baker'],
    [{ displayName: '  ', number: '+14155550100', aor: 'sip:alex@x' }, '+14155550100'],
    [{ aor: 'sip:+14155550100@carrier.example;user=phone' }, '+14155550100'],
    [{ aor: '<sips:alex:secret@x.example>' }, 'alex'],
    [{ aor: 'tel:+442071234567;ext=12' }, '+442071234567'],
    [{ aor: 'sip:x.example' }, 'sip:x.example'],
    [{ aor: 'EE5C7EF0' }, 'EE5C7EF0'],
    [{}, UNKNOWN_PARTY],
    [{ displayName: 'Line\r\nbreak\ttab\u0000' }, 'Line break tab'],
    [{ displayName: 'x'.repeat(DISPLAY_NAME_MAX + 10) }, 'x'.repeat(DISPLAY_NAME_MAX)],
  ])('%j → %s', (party, expected) => {
    expect(displayNameOf(party)).toBe(expected);
  });

  it('userPartOf', () => {
    expect(userPartOf('sip:bob@biloxi.example.com')).toBe('bob');
    expect(userPartOf('sip:biloxi.example.com')).toBe('');
    expect(userPartOf('+1 555')).toBe('+1 555');
  });
});

describe('XML escaping', () => {
  it('escapes markup, keeps white space in attributes as references and drops characters XML cannot carry', () => {
    expect(xmlText('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
    expect(xmlAttr(`"'\t\n\r`)).toBe('&quot;&apos;&#9;&#10;&#13;');
    expect(xmlAttr('a\u0000b\ufffec\ud800d\u{1F600}')).toBe('abcd\u{1F600}');
  });

  it('toUriReference percent-encodes what xs:anyURI cannot hold', () => {
    expect(toUriReference('sip:+1 555@x')).toBe('sip:+1%20555@x');
    expect(toUriReference('sip:é@x')).toBe('sip:%C3%A9@x');
    expect(toUriReference('sip:a%41@x%zz')).toBe('sip:a%41@x%25zz');
  });

  it('newMetadataId gives a UUID v4 from any 16 bytes', () => {
    expect(Buffer.from(newMetadataId(() => new Uint8Array(16).fill(0xff)), 'base64').toString('hex')).toBe('ffffffffffff4fffbfffffffffffffff');
  });
});
