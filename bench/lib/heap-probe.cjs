// Preloaded into sip-signaling by bench/sip-signaling-heap.bench.ts
// (`node --expose-gc -r ./bench/lib/heap-probe.cjs …`), so its heap can be read
// without changing the app: over the IPC channel the benchmark opens, the
// message 'heap' runs three full GCs and answers process.memoryUsage(). The
// channel is unref'd: it never keeps the process alive. With
// HEAP_PROBE_SNAPSHOT_DIR set, each reading also writes a heap snapshot there
// (heap-1.heapsnapshot, heap-2…; compare two with bench/lib/heap-diff.cjs).
'use strict';
if (typeof process.send === 'function') {
  let readings = 0;
  process.on('message', (m) => {
    if (m !== 'heap') return;
    if (typeof global.gc === 'function') for (let i = 0; i < 3; i++) global.gc();
    const heap = process.memoryUsage();
    const dir = process.env.HEAP_PROBE_SNAPSHOT_DIR;
    if (dir) require('node:v8').writeHeapSnapshot(require('node:path').join(dir, `heap-${++readings}.heapsnapshot`));
    process.send({ heap, gc: typeof global.gc === 'function' });
  });
  process.channel?.unref();
}
