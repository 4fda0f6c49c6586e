// Preload for a process under a benchmark: appends every GC pause V8 reports
// (perf_hooks 'gc' entries) to $GC_LOG_FILE, one JSON line each:
// [start in ms since the epoch (high resolution), duration ms, kind], kind 1 =
// minor (scavenge), 2 = major (mark-compact), 4 = incremental marking step, 8 =
// weak callbacks. The benchmark lines them up with its own calls' timestamps
// (performance.timeOrigin + now is the same clock in every process).
const { PerformanceObserver, performance } = require('node:perf_hooks');
const fs = require('node:fs');

const file = process.env.GC_LOG_FILE;
if (file) {
  const obs = new PerformanceObserver((list) => {
    let out = '';
    for (const e of list.getEntries()) out += `${JSON.stringify([performance.timeOrigin + e.startTime, e.duration, e.detail?.kind ?? 0])}\n`;
    if (out) fs.appendFileSync(file, out);
  });
  obs.observe({ entryTypes: ['gc'] });
}
