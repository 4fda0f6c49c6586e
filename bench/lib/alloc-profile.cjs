// Preload for a process under a benchmark: samples EVERY allocation (also what the
// GC collected later: V8's sampling heap profiler with includeObjectsCollectedBy*GC),
// and writes the profile at exit to $ALLOC_PROFILE_DIR (else the temp folder)/alloc-<pid>.heapprofile
// (open it in Chrome DevTools, or: node bench/lib/alloc-top.cjs <file>). E.g.:
//   SS_BENCH_APP_ENV=ALLOC_PROFILE_DIR=/dev/shm/hp SS_BENCH_APP_NODE_FLAGS="-r ./bench/lib/alloc-profile.cjs" \
//     node -r ./bench/cjs-register.cjs bench/sip-signaling-setup-delay.bench.ts --idle-calls 20 --duration 20
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

// Never the working directory (the workspace root under a benchmark): the temp folder unless told.
const dir = process.env.ALLOC_PROFILE_DIR || require('node:os').tmpdir();
const session = new inspector.Session();
session.connect();
session.post('HeapProfiler.enable');
session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
process.on('exit', () => {
  // On the main thread the session answers synchronously, so this runs before the process ends.
  session.post('HeapProfiler.stopSampling', (err, reply) => {
    if (err) return void process.stderr.write(`alloc-profile: ${err.message}\n`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `alloc-${process.pid}.heapprofile`), JSON.stringify(reply.profile));
  });
});
