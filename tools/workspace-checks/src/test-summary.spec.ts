import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// tools/test-summary.mjs prints the test command's last line; CI reads it.
const script = join(__dirname, '../../test-summary.mjs');

function summarize(tasks: string[][], jestRuns: object[]) {
  const dir = mkdtempSync(join(tmpdir(), 'summary-'));
  try {
    writeFileSync(join(dir, 'tasks.tsv'), tasks.map((t) => t.join('\t')).join('\n') + '\n');
    jestRuns.forEach((r, i) => writeFileSync(join(dir, `run-${i}.json`), JSON.stringify(r)));
    const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
    const lines = r.stdout.trimEnd().split('\n');
    return { code: r.status, last: lines[lines.length - 1], out: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('test summary', () => {
  it('adds Jest tests and one per other check, and exits 0 when all pass', () => {
    const r = summarize(
      [['lint', 'a', 'ok'], ['typecheck', 'a', 'ok'], ['test', 'a', 'ok'], ['int-test', 'a', 'ok']],
      [{ task: 'a:test', passed: 7, failed: 0, skipped: 0 }, { task: 'a:int-test', passed: 3, failed: 0, skipped: 2 }],
    );
    expect(r.last).toBe('12 passed, 0 failed, 2 skipped');
    expect(r.code).toBe(0);
  });

  it('counts a Jest task that failed after its tests passed (killed, hung, crashed) as a failure', () => {
    const r = summarize([['int-test', 'k', 'failed']], [{ task: 'k:int-test', passed: 3, failed: 0, skipped: 0 }]);
    expect(r.last).toBe('3 passed, 1 failed');
    expect(r.code).toBe(1);
  });

  it('counts a task that failed without any Jest result, and an unattributed Nx failure', () => {
    const r = summarize([['test', 'x', 'failed'], ['lint', 'y', 'failed'], ['int-test', '(nx exit 1)', 'failed'], ['lint', 'z', 'ok']], []);
    expect(r.last).toBe('1 passed, 3 failed');
    expect(r.code).toBe(1);
  });

  it('counts failing tests themselves', () => {
    const r = summarize([['test', 'a', 'failed']], [{ task: 'a:test', passed: 4, failed: 2, skipped: 0 }]);
    expect(r.last).toBe('4 passed, 2 failed');
  });

  it('names each failing test with the first lines of its error before the table, the count still last', () => {
    const r = summarize([['int-test', 'a', 'failed']], [{
      task: 'a:int-test', passed: 1, failed: 1, skipped: 0,
      failures: [{ test: 'apps/a/src/a.int-spec.ts › a › relays a call', message: 'Error: expect(received).toBe(expected)\nExpected: 200\nReceived: 503' }],
    }]);
    const lines = r.out.trimEnd().split('\n');
    const at = lines.indexOf('Failed tests (1):');
    expect(at).toBeGreaterThanOrEqual(0);
    expect(lines[at + 1]).toBe('  ✕ [a:int-test] apps/a/src/a.int-spec.ts › a › relays a call');
    expect(lines.slice(at + 2, at + 5)).toEqual(['      Error: expect(received).toBe(expected)', '      Expected: 200', '      Received: 503']);
    expect(r.last).toBe('1 passed, 1 failed');
  });
});
