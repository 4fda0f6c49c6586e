import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

// The widget is shipped as one minified ES module: build it with the real build
// script (esbuild) and check what a dialer's page would load.
const root = resolve(__dirname, '../../..');
const LIMIT = 15 * 1024;

describe('the bundle (libs/cif-widget/scripts/build.mjs)', () => {
  const out = mkdtempSync(join(tmpdir(), 'cif-widget-build-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is one ES module with the public API, no Node module in it, and at most 15 KB minified and gzipped', () => {
    const r = spawnSync(process.execPath, [join(root, 'libs/cif-widget/scripts/build.mjs'), '--outdir', out], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const code = readFileSync(join(out, 'cif-widget.min.js'));
    const gz = gzipSync(code, { level: 9 }).length;
    // The size, printed as the build prints it.
    console.log(r.stdout.trim());
    expect(r.stdout).toMatch(/cif-widget: .*cif-widget\.min\.js: [\d.]+ KB minified, [\d.]+ KB gzipped \(limit 15\.0 KB\)/);
    expect(gz).toBeLessThanOrEqual(LIMIT);

    const text = code.toString('utf8');
    const exports = /export\s*\{([^}]*)\}/.exec(text)?.[1]?.split(',').map((e) => e.trim().split(/\s+as\s+/).pop()) ?? [];
    expect(exports.sort()).toEqual(['CifWidgetError', 'DEFAULT_RETRY', 'RECORDING_ACTIONS', 'WIDGET_CALL_ENDED', 'WIDGET_CALL_STARTED', 'connect', 'createRaiser', 'raiseCallEnded', 'raiseCallStarted', 'readStreamEvent']);
    expect(text).not.toMatch(/\brequire\(|from\s*["']node:|import\(["']node:|process\.env|Buffer\./);
    expect(text).toMatch(/\/\/# sourceMappingURL=cif-widget\.min\.js\.map\s*$/);

    // Types for a dialer's TypeScript: next to the module, so `import ... from './cif-widget.min.js'` is typed.
    expect(readFileSync(join(out, 'cif-widget.min.d.ts'), 'utf8')).toBe("export * from './types/index';\n");
    const dts = readFileSync(join(out, 'types/types.d.ts'), 'utf8');
    expect(dts).toMatch(/export interface CallStartedEvent \{\s*callId: string;\s*startTime: Date;\s*isIncomingCall: boolean;\s*contactNumber: string;\s*contactName: string;\s*\}/);
    expect(dts).toMatch(/export interface CallEndedEvent \{\s*callId: string;\s*callDurationInSeconds: number;\s*callTerminationReason: 'success' \| 'error';\s*callEndTime: Date;\s*isCallStarted: boolean;\s*\}/);
    expect(readFileSync(join(out, 'types/index.d.ts'), 'utf8')).toMatch(/connect/);
  });
});
