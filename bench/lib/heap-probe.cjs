// Preloaded into sip-signaling by bench/sip-signaling-heap.bench.ts
// (`node --expose-gc -r ./bench/lib/heap-probe.cjs …`), so its heap can be read
// without changing the app: over the IPC channel the benchmark opens, the
// message 'heap' runs three full GCs and answers process.memoryUsage(). The
// channel is unref'd: it never keeps the process alive. Nothing else.
'use strict';
if (typeof process.send === 'function') {
  process.on('message', (m) => {
    if (m !== 'heap') return;
    if (typeof global.gc === 'function') for (let i = 0; i < 3; i++) global.gc();
    process.send({ heap: process.memoryUsage(), gc: typeof global.gc === 'function' });
  });
  process.channel?.unref();
}
