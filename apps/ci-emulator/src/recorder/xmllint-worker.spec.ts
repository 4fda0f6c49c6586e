import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XmllintWorker, xmllintErrors } from './xmllint-worker';

const fixtures = join(__dirname, '__fixtures__');
const schema = [
  { fileName: 'rfc7865-recording.xsd', contents: readFileSync(join(fixtures, 'rfc7865-recording.xsd'), 'utf8') },
  { fileName: 'xml.xsd', contents: readFileSync(join(fixtures, 'xml.xsd'), 'utf8') },
];
const args = ['--schema', 'rfc7865-recording.xsd', '--noout', 'metadata.xml'];
const doc = (body: string) => [{ fileName: 'metadata.xml', contents: `<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode>${body}</recording>` }, ...schema];

describe('XmllintWorker (xmllint in one long-lived worker)', () => {
  const w = new XmllintWorker();
  afterAll(() => w.close());

  it('gives every run its own verdict, in one worker, with nothing left from the previous document', async () => {
    const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => w.run(doc(i % 3 === 0 ? `<bogus${i}/>` : ''), args)));
    runs.forEach((r, i) => {
      if (i % 3 === 0) {
        expect(r.exitCode).toBe(3);
        expect(r.stderr).toContain(`bogus${i}`);
        expect(r.stderr).not.toContain(`bogus${i - 3}'`);
      } else {
        expect(r).toEqual({ exitCode: 0, stderr: 'metadata.xml validates\n' });
      }
    });
    expect(w.started).toBe(1);
  });

  it('reports a schema that does not compile as an xmllint error (exit 5), not a verdict', async () => {
    const r = await w.run([doc('')[0]!, { fileName: 'rfc7865-recording.xsd', contents: '<xs:schema' }], args);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(/rfc7865-recording\.xsd/);
  });

  it('rejects what is pending when closed, and starts a new worker for the next run', async () => {
    const other = new XmllintWorker();
    const pending = other.run(doc(''), args);
    await other.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(other.run(doc(''), args)).resolves.toMatchObject({ exitCode: 0 });
    expect(other.started).toBe(2);
    await other.close();
  });
});

describe('xmllintErrors', () => {
  it('turns xmllint output into "line N: message" and drops the closing verdict line', () => {
    const stderr =
      "metadata.xml:1: Schemas validity error : Element '{urn:ietf:params:xml:ns:recording:1}bogus': This element is not expected.\n" +
      "metadata.xml:3: Schemas validity error : Element '{urn:ietf:params:xml:ns:recording:1}stream': The attribute 'stream_id' is required but missing.\n" +
      'metadata.xml fails to validate\n';
    expect(xmllintErrors(stderr)).toEqual([
      "line 1: Schemas validity error : Element '{urn:ietf:params:xml:ns:recording:1}bogus': This element is not expected.",
      "line 3: Schemas validity error : Element '{urn:ietf:params:xml:ns:recording:1}stream': The attribute 'stream_id' is required but missing.",
    ]);
  });
});
