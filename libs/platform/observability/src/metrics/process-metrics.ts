import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PROCESS_METRICS } from './catalogue';
import type { MetricsRegistry } from './metrics-registry';

/**
 * The process's own health, read at scrape time (the names prom-client uses, so
 * the usual panels work): CPU seconds, resident memory, V8 heap in use, start
 * time, and the event loop's p99 delay since the last scrape (a 20 ms sampler).
 */
export function registerProcessMetrics(registry: MetricsRegistry): { stop(): void } {
  const startSeconds = Math.round((Date.now() - process.uptime() * 1000) / 1000);
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  registry.observe(PROCESS_METRICS.cpuSeconds, () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  });
  registry.observe(PROCESS_METRICS.residentMemory, () => process.memoryUsage.rss());
  registry.observe(PROCESS_METRICS.heapUsed, () => process.memoryUsage().heapUsed);
  registry.observe(PROCESS_METRICS.startTime, () => startSeconds);
  registry.observe(PROCESS_METRICS.eventLoopLagP99, () => {
    const p99 = loop.count > 0 ? loop.percentile(99) / 1e9 : 0;
    loop.reset();
    return p99;
  });
  return { stop: () => loop.disable() };
}
