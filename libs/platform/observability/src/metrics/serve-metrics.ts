import { MetricsRegistry, MetricsServerError, type MetricsOptions } from './metrics-registry';

export interface MetricsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** An app's registry (with the process metrics); a metric whose labels overflow is logged once. */
export function createMetricsRegistry(opts: Omit<MetricsOptions, 'onSeriesOverflow'>, logger: MetricsLogger): MetricsRegistry {
  return new MetricsRegistry({
    ...opts,
    onSeriesOverflow: (name, maxSeries) => logger.warn({ metric: name, maxSeries }, 'metrics: too many label combinations; the rest are counted as "other"'),
  });
}

/**
 * Starts `GET /metrics`. A port that cannot be used (taken by another process…)
 * does not stop the app (calls, events go on): one error line naming the address
 * and the variable, and the readiness check `metrics` says `degraded`.
 */
export async function serveMetrics(registry: MetricsRegistry, logger: MetricsLogger): Promise<void> {
  try {
    await registry.start();
    const url = registry.url;
    if (url) logger.info({ url }, 'metrics: serving GET /metrics');
    else logger.info({}, 'metrics: off (METRICS_PORT=0)');
  } catch (err) {
    const message = err instanceof MetricsServerError ? err.message : `cannot serve metrics: ${err instanceof Error ? err.message : String(err)}`;
    logger.error({ code: (err as MetricsServerError).code }, `${message}; the service runs without metrics`);
  }
}
