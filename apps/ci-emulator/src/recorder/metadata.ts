import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { XmllintWorker, xmllintErrors } from './xmllint-worker';

/** RFC 7865 recording metadata: namespace of every element the schema defines. */
export const RECORDING_NS = 'urn:ietf:params:xml:ns:recording:1';

export interface ParsedMetadata {
  datamode?: string;
  sessions: { sessionId: string; sipSessionIds: string[] }[];
  participants: { participantId: string; aors: string[]; names: string[] }[];
  streams: { streamId: string; sessionId: string; label: string }[];
  participantStreams: { participantId: string; send: string[]; recv: string[] }[];
  /** The `Parameter name=… value=…` pairs of every `ExtensionParameters` element (any namespace), in order. */
  extensionParameters: Record<string, string>;
}

export class MetadataError extends Error {}

const FIXTURE_NAMES = ['rfc7865-recording.xsd', 'xml.xsd'] as const;

/**
 * The schema files live in `__fixtures__/` next to this file. The build
 * compiles only TypeScript, so a built app (dist/ci-emulator/apps/ci-emulator/src/recorder)
 * reads them from the source tree.
 */
function fixtureDir(): string {
  // tools/build.mjs copies the .xsd files next to the compiled code.
  const candidates = [join(__dirname, '__fixtures__')];
  const found = candidates.find((d) => existsSync(join(d, FIXTURE_NAMES[0])));
  if (!found) throw new Error(`the RFC 7865 schema (${FIXTURE_NAMES[0]}) is not in any of ${candidates.join(', ')}`);
  return found;
}

let schemaFiles: { fileName: string; contents: string }[] | undefined;
function schemas() {
  if (!schemaFiles) {
    const dir = fixtureDir();
    schemaFiles = FIXTURE_NAMES.map((fileName) => ({ fileName, contents: readFileSync(join(dir, fileName), 'utf8') }));
  }
  return schemaFiles;
}

/** Parses the XML with @xmldom/xmldom; throws MetadataError with the parser's first complaint when it is not well-formed. */
export function parseXml(xml: string): Element {
  const problems: string[] = [];
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== 'warning') problems.push(msg.replace(/\s+/g, ' ').trim());
      },
    }).parseFromString(xml, 'text/xml');
  } catch (err) {
    problems.push(err instanceof Error ? err.message.replace(/\s+/g, ' ').trim() : String(err));
  }
  const root = doc?.documentElement;
  if (problems.length > 0 || !root) throw new MetadataError(`not well-formed XML: ${problems[0] ?? 'no root element'}`);
  return root;
}

/** One xmllint worker for the process (xmllint-worker.ts: why not xmllint-wasm's worker per call). */
const xmllint = new XmllintWorker();

/** Documents validated by one xmllint run at most. */
const MAX_BATCH = 64;
const queue: { xml: string; resolve: (errors: string[]) => void; reject: (err: Error) => void }[] = [];
let validating = false;

/**
 * Validates against the RFC 7865 schema (libxml2's xmllint, as wasm); returns the errors, each "line N: message", empty when valid.
 *
 * Documents that arrive while a run is in flight go together in the next run:
 * xmllint reads the schema once per run (most of a run's ~4-7 ms), then checks
 * each document in ~0.3 ms, so a busy recorder validates many INVITEs for the
 * price of one. Results are split per document from xmllint's output; a run
 * that fails as a whole is repeated one document at a time.
 */
export function schemaErrors(xml: string): Promise<string[]> {
  return new Promise<string[]>((resolve, reject) => {
    queue.push({ xml, resolve, reject });
    if (!validating) void drainQueue();
  });
}

async function drainQueue(): Promise<void> {
  validating = true;
  try {
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      try {
        const results = await validateTogether(batch.map((j) => j.xml));
        batch.forEach((j, i) => j.resolve(results[i] ?? []));
      } catch (err) {
        if (batch.length === 1) {
          batch[0]?.reject(err instanceof Error ? err : new Error(String(err)));
          continue;
        }
        for (const j of batch) {
          try {
            j.resolve((await validateTogether([j.xml]))[0] ?? []);
          } catch (e) {
            j.reject(e instanceof Error ? e : new Error(String(e)));
          }
        }
      }
    }
  } finally {
    validating = false;
  }
}

/** One xmllint run over `xmls` (files metadata-0.xml…): the errors of each, in order. */
async function validateTogether(xmls: string[]): Promise<string[][]> {
  const [main, ...rest] = schemas();
  if (!main) throw new Error('no schema');
  const names = xmls.map((_, i) => `metadata-${i}.xml`);
  const run = await xmllint.run([...xmls.map((contents, i) => ({ fileName: names[i] as string, contents })), main, ...rest], ['--schema', main.fileName, '--noout', ...names]);
  if (run.exitCode === 0) return xmls.map(() => []);
  if (run.exitCode !== 3 && run.exitCode !== 4) throw new Error(`xmllint failed (exit ${run.exitCode}): ${run.stderr.trim()}`);
  // Each line of xmllint's output names its document first; context lines (source excerpt, caret) follow their error.
  const lines: string[][] = xmls.map(() => []);
  const verdict: ('valid' | 'invalid' | undefined)[] = xmls.map(() => undefined);
  let current = -1;
  for (const line of run.stderr.split('\n')) {
    const m = /^metadata-(\d+)\.xml(?=[: ])/.exec(line);
    if (m) current = Number(m[1]);
    if (current < 0 || current >= xmls.length) continue;
    if (m && / validates$/.test(line)) verdict[current] = 'valid';
    else if (m && / fails to validate$/.test(line)) verdict[current] = 'invalid';
    lines[current]?.push(line);
  }
  return xmls.map((_, i) => {
    const errors = xmllintErrors((lines[i] ?? []).join('\n'));
    if (verdict[i] === 'valid' && errors.length === 0) return [];
    if (errors.length > 0) return errors;
    if (verdict[i] === 'invalid') return ['invalid'];
    throw new Error(`xmllint said nothing about document ${i} of ${xmls.length} (exit ${run.exitCode})`);
  });
}

function children(el: Element, local: string, ns: string | null = RECORDING_NS): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) {
      const e = n as Element;
      if (e.localName === local && (ns === null || e.namespaceURI === ns)) out.push(e);
    }
  }
  return out;
}

const text = (el: Element | undefined) => (el?.textContent ?? '').trim();

function descendants(el: Element, local: string): Element[] {
  const out: Element[] = [];
  const all = el.getElementsByTagNameNS('*', local);
  for (let i = 0; i < all.length; i++) {
    const e = all.item(i);
    if (e) out.push(e);
  }
  return out;
}

/** The parts of RFC 7865 metadata the recorder uses and shows (call after schema validation). */
export function readMetadata(root: Element): ParsedMetadata {
  const extensionParameters: Record<string, string> = {};
  for (const ext of descendants(root, 'ExtensionParameters')) {
    for (const p of children(ext, 'Parameter', null)) {
      const name = p.getAttribute('name');
      if (name) extensionParameters[name] = p.getAttribute('value') ?? text(p);
    }
  }
  const datamode = text(children(root, 'datamode')[0]);
  return {
    ...(datamode ? { datamode } : {}),
    sessions: children(root, 'session').map((s) => ({ sessionId: s.getAttribute('session_id') ?? '', sipSessionIds: children(s, 'sipSessionID').map((x) => text(x)) })),
    participants: children(root, 'participant').map((p) => {
      const ids = children(p, 'nameID');
      return { participantId: p.getAttribute('participant_id') ?? '', aors: ids.map((n) => n.getAttribute('aor') ?? ''), names: ids.flatMap((n) => children(n, 'name').map((x) => text(x))) };
    }),
    streams: children(root, 'stream').map((s) => ({ streamId: s.getAttribute('stream_id') ?? '', sessionId: s.getAttribute('session_id') ?? '', label: text(children(s, 'label')[0]) })),
    participantStreams: children(root, 'participantstreamassoc').map((a) => ({
      participantId: a.getAttribute('participant_id') ?? '',
      send: children(a, 'send').map((x) => text(x)),
      recv: children(a, 'recv').map((x) => text(x)),
    })),
    extensionParameters,
  };
}
