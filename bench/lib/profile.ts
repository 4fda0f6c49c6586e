// Self time from a V8 .cpuprofile (`node --cpu-prof`) of any benchmark here (the built app, or the
// libraries bench/build-libs.mjs compiled into /tmp/ci-bench-build-*): the functions and files
// the JavaScript thread spent the most time in, idle excluded from the shares.
import { readFileSync } from 'node:fs';

export function hotspots(file: string, n = 25): { functions: string[]; files: string[]; busyMs: number } {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(prof.nodes.map((nd) => [nd.id, nd]));
  const self = new Map<string, number>();
  const perFile = new Map<string, number>();
  let busy = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    const cf = byId.get(id)?.callFrame;
    if (!cf || cf.functionName === '(idle)' || cf.functionName === '(program)') return;
    const url = cf.url.replace(/^file:\/\/.*\/dist\/sip-signaling\//, '').replace(/^file:\/\/\/tmp\/ci-bench-build-[^/]+\//, '').replace(/^file:\/\/.*\/node_modules\//, 'node_modules/').replace(/^file:\/\//, '');
    const key = `${cf.functionName || '(anonymous)'} ${url ? `${url}:${cf.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    const f = url ? url.replace(/^(node_modules\/(@[^/]+\/)?[^/]+)\/.*$/, '$1') : cf.functionName;
    perFile.set(f, (perFile.get(f) ?? 0) + dt);
    busy += dt;
  });
  const top = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  return { functions: top(self), files: top(perFile), busyMs: busy / 1000 };
}
